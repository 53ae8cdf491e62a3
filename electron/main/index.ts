import { app, dialog, Menu, session, utilityProcess, BrowserWindow } from 'electron';
import { join } from 'node:path';
import { createServices, type Services } from '../services/app-services';
import { FileSecretStore } from '../services/secrets/secret-store';
import { registerAppSchemePrivileges, handleAppScheme } from './app-protocol';
import { registerIpc } from './ipc';
import { createMainWindow } from './window';
import { decidePermission } from './security-policy';
import { safeStorageCodec } from './safe-storage-codec';
import { electronNativeBinding } from './native-binding';
import { utilityDecoderSpawner } from './utility-decoder';
import { appMenuTemplate } from './app-menu';
import { withDesktopEffects } from './desktop-effects';

app.enableSandbox();
// Media is decoded in decoder processes (HashingPool); this pool serves file I/O, crypto and the thread-isolation bench.
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
      // Media is decoded in utility processes that hold no token, key or database handle.
      hashing: { spawner: utilityDecoderSpawner(utilityProcess), decoderEntry: join(import.meta.dirname, 'decoder-process.js') },
      pickFolder: async () => {
        const result = await dialog.showOpenDialog({ title: 'Import a folder of media', properties: ['openDirectory'] });
        return result.canceled ? null : (result.filePaths[0] ?? null);
      },
      log: (message) => console.error(message),
    });
    services.pool.warm(); // decoder processes up before the first preview
    Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate({ packaged: app.isPackaged, platform: process.platform })));
    mainWindow = createMainWindow(join(import.meta.dirname, '../preload'), devServerUrl, { devTools: !app.isPackaged });
    const window = mainWindow;
    // Revealed pictures are shown in this window: keep it out of screen capture unless the moderator turned that off.
    registerIpc(withDesktopEffects(services.dispatch, { setContentProtection: (on) => window.setContentProtection(on) }, services), devServerUrl);
    mainWindow.on('closed', () => (mainWindow = null));
  });

  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => void services?.close());
}
