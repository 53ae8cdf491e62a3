import { BrowserWindow, shell } from 'electron';
import { join } from 'node:path';
import { APP_ENTRY_URL, decideWindowOpen, isAllowedNavigation, secureWebPreferences } from './security-policy';

export function createMainWindow(preloadDir: string, devServerUrl: string | undefined, opts: { devTools: boolean }): BrowserWindow {
  const window = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 1024,
    minHeight: 640,
    show: false,
    title: 'Matchdesk',
    backgroundColor: '#14161a',
    webPreferences: secureWebPreferences(join(preloadDir, 'index.cjs'), { devTools: opts.devTools }),
  });
  const contents = window.webContents;
  contents.on('will-navigate', (event, url) => {
    if (!isAllowedNavigation(url, devServerUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAllowedNavigation(url, devServerUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    const decision = decideWindowOpen(url);
    if (decision.openExternally) void shell.openExternal(decision.openExternally);
    return { action: decision.action };
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(devServerUrl ?? APP_ENTRY_URL);
  return window;
}
