import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { IPC_CALL_CHANNEL } from '../../shared/ipc';
import type { Dispatch } from '../services/api/dispatcher';
import { isTrustedSender } from './security-policy';

/** One namespaced channel; the dispatcher validates the call name and input with the contract's zod schemas. */
export function registerIpc(dispatch: Dispatch, devServerUrl: string | undefined): void {
  ipcMain.handle(IPC_CALL_CHANNEL, async (event: IpcMainInvokeEvent, name: unknown, input: unknown) => {
    const frame = event.senderFrame;
    if (!isTrustedSender(frame ? { url: frame.url, isMainFrame: frame === event.sender.mainFrame } : null, devServerUrl)) {
      return { ok: false, error: { code: 'unauthorized', message: 'IPC from an untrusted frame' } };
    }
    return dispatch(typeof name === 'string' ? name : '', input);
  });
}
