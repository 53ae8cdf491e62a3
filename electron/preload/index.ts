import { contextBridge, ipcRenderer } from 'electron';
import { callNames, type MatchdeskApi } from '../../shared/contract';
import { IPC_CALL_CHANNEL, PRELOAD_GLOBAL } from '../../shared/ipc';

// The renderer gets one object with exactly the contract's calls — never ipcRenderer itself.
const api = Object.fromEntries(
  callNames.map((name) => [name, (input: unknown) => ipcRenderer.invoke(IPC_CALL_CHANNEL, name, input ?? {})]),
) as unknown as { [K in keyof MatchdeskApi]: (input: unknown) => Promise<unknown> };

contextBridge.exposeInMainWorld(PRELOAD_GLOBAL, Object.freeze(api));
