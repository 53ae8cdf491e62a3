import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { callNames, type MatchdeskApi } from '../../shared/contract';
import { consoleCallNames } from '../../shared/console-contract';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, PRELOAD_EVENTS_GLOBAL, PRELOAD_GLOBAL } from '../../shared/ipc';

// The renderer gets one object with exactly the contract's calls (and the console's own) — never ipcRenderer itself.
const api = Object.fromEntries(
  [...callNames, ...consoleCallNames].map((name) => [name, (input: unknown) => ipcRenderer.invoke(IPC_CALL_CHANNEL, name, input ?? {})]),
) as unknown as { [K in keyof MatchdeskApi]: (input: unknown) => Promise<unknown> };

contextBridge.exposeInMainWorld(PRELOAD_GLOBAL, Object.freeze(api));
contextBridge.exposeInMainWorld(
  PRELOAD_EVENTS_GLOBAL,
  Object.freeze({
    subscribe(listener: (event: unknown) => void): () => void {
      const handler = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
      ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
      return () => ipcRenderer.removeListener(IPC_EVENT_CHANNEL, handler);
    },
  }),
);
