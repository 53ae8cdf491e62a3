import { app, dialog, session, BrowserWindow } from 'electron';
import { join } from 'node:path';
import { createServices, type Services } from '../services/app-services';
import { FileSecretStore } from '../services/secrets/secret-store';
import { registerAppSchemePrivileges, handleAppScheme } from './app-protocol';
import { registerIpc } from './ipc';
import { createMainWindow } from './window';
import { decidePermission } from './security-policy';
import { safeStorageCodec } from './safe-storage-codec';
import { electronNativeBinding } from './native-binding';

app.enableSandbox();
// sharp decodes on libuv's thread pool, which the hashing workers share with the main thread: leave room for both.
process.env.UV_THREADPOOL_SIZE ??= '6';
registerAppSchemePrivileges();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let services: Services | null = null;
  let mainWindow: BrowserWindow | null = null;
  const devServerUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;

  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });

  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });

  void app.whenReady().then(() => {
    session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) => callback(decidePermission(permission)));
    session.defaultSession.setPermissionCheckHandler((_wc, permission) => decidePermission(permission));
    handleAppScheme(join(import.meta.dirname, '../renderer'));

    const dataDir = process.env.MATCHDESK_DATA_DIR ?? join(app.getPath('userData'), 'data');
    services = createServices({
      dataDir,
      version: app.getVersion(),
      transport: 'ipc',
      secrets: new FileSecretStore(join(dataDir, 'secrets.sealed.json'), safeStorageCodec()),
      nativeBinding: electronNativeBinding(app.getAppPath(), app.isPackaged),
      pickFolder: async () => {
        const result = await dialog.showOpenDialog({ title: 'Import a folder of media', properties: ['openDirectory'] });
        return result.canceled ? null : (result.filePaths[0] ?? null);
      },
      pickImportFile: async () => {
        const result = await dialog.showOpenDialog({
          title: 'Import a hash list into a bank',
          properties: ['openFile'],
          filters: [{ name: 'Hash lists', extensions: ['csv', 'json', 'txt'] }, { name: 'All files', extensions: ['*'] }],
        });
        return result.canceled ? null : (result.filePaths[0] ?? null);
      },
      log: (message) => console.error(message),
    });
    registerIpc(services.dispatch, devServerUrl);
    mainWindow = createMainWindow(join(import.meta.dirname, '../preload'), devServerUrl);
    mainWindow.on('closed', () => (mainWindow = null));
  });

  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => void services?.close());
}
