import { app, dialog, Menu, session, utilityProcess, BrowserWindow } from 'electron';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createServices } from '../services/app-services';
import { createLocalApi } from '../services/api/compose';
import { FileSecretStore } from '../services/secrets/secret-store';
import { ConsoleHost } from '../team-client/console-host';
import { IPC_EVENT_CHANNEL } from '../../shared/ipc';
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
  let host: ConsoleHost | null = null;
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
    const log = (message: string) => console.error(message);
    // One secret store, sealed with the OS keychain: HMA keys and Matrix tokens locally, the team session token in team mode.
    const secrets = new FileSecretStore(join(dataDir, 'secrets.sealed.json'), safeStorageCodec());
    const pickFolder = async () => {
      const result = await dialog.showOpenDialog({ title: 'Import a folder of media', properties: ['openDirectory'] });
      return result.canceled ? null : (result.filePaths[0] ?? null);
    };
    const pickImportFile = async () => {
      const result = await dialog.showOpenDialog({
        title: 'Import a hash list into a bank',
        properties: ['openFile'],
        filters: [{ name: 'Hash lists', extensions: ['csv', 'json', 'txt'] }, { name: 'All files', extensions: ['*'] }],
      });
      return result.canceled ? null : (result.filePaths[0] ?? null);
    };
    host = new ConsoleHost({
      dataDir,
      secrets,
      localKind: 'ipc',
      clientLabel: `Matchdesk desktop on ${hostname()}`,
      pickFolder,
      pickImportFile,
      ...(process.env.MATCHDESK_TEAM_CA ? { teamCa: readFileSync(process.env.MATCHDESK_TEAM_CA, 'utf8') } : {}),
      openLocal: () => {
        const services = createServices({
          dataDir,
          version: app.getVersion(),
          transport: 'ipc',
          secrets,
          nativeBinding: electronNativeBinding(app.getAppPath(), app.isPackaged),
          // Media is decoded in utility processes that hold no token, key or database handle.
          hashing: { spawner: utilityDecoderSpawner(utilityProcess), decoderEntry: join(import.meta.dirname, 'decoder-process.js') },
          pickFolder,
          pickImportFile,
          log,
        });
        services.pool.warm(); // decoder processes up before the first preview
        return { services, dispatch: createLocalApi(services, { log }) };
      },
      log,
    });
    host.subscribe((event) => {
      if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(IPC_EVENT_CHANNEL, event);
    });
    Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate({ packaged: app.isPackaged, platform: process.platform })));
    mainWindow = createMainWindow(join(import.meta.dirname, '../preload'), devServerUrl, { devTools: !app.isPackaged });
    const window = mainWindow;
    // Revealed pictures are shown in this window: keep it out of screen capture unless the setting turns that off.
    registerIpc(withDesktopEffects(host.dispatch, { setContentProtection: (on) => window.setContentProtection(on) }), devServerUrl);
    mainWindow.on('closed', () => (mainWindow = null));
  });

  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => void host?.close());
}
