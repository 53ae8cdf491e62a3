// Pure security decisions for the desktop shell, kept free of `electron` imports so unit tests check them under Node.
// window.ts / index.ts apply them with Electron's APIs.

export const APP_SCHEME = 'app';
export const APP_HOST = 'matchdesk';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** Privileges for the custom scheme: standard + secure so the renderer is a secure context with a real origin. */
export const APP_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: false,
  corsEnabled: false,
  stream: false,
  bypassCSP: false,
  allowServiceWorkers: false,
  codeCache: true,
} as const;

export interface SecureWebPreferences {
  preload: string;
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  nodeIntegrationInSubFrames: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  webviewTag: false;
  experimentalFeatures: false;
  navigateOnDragDrop: false;
  spellcheck: false;
  safeDialogs: true;
  disableDialogs: true;
  enableWebSQL: false;
  v8CacheOptions: 'code';
  /** Off in packaged builds: no way to open DevTools at all (menu, shortcut or API). */
  devTools: boolean;
}

export function secureWebPreferences(preload: string, opts: { devTools?: boolean } = {}): SecureWebPreferences {
  return {
    preload,
    devTools: opts.devTools ?? false,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    safeDialogs: true,
    disableDialogs: true,
    enableWebSQL: false,
    v8CacheOptions: 'code',
  };
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** The window only ever shows our own app:// origin; every navigation elsewhere is cancelled. */
export function isAppUrl(url: string): boolean {
  const parsed = parse(url);
  return parsed !== null && parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
}

/** In development the renderer comes from electron-vite's dev server on loopback. */
export function isDevServerUrl(url: string, devServerUrl: string | undefined): boolean {
  if (!devServerUrl) return false;
  const parsed = parse(url);
  const dev = parse(devServerUrl);
  return parsed !== null && dev !== null && parsed.origin === dev.origin && ['localhost', '127.0.0.1'].includes(dev.hostname);
}

export function isAllowedNavigation(url: string, devServerUrl?: string): boolean {
  return isAppUrl(url) || isDevServerUrl(url, devServerUrl);
}

/** Links a moderator may open in the system browser (e.g. matrix.to): plain http(s) with a host, no credentials. */
export function isSafeExternalUrl(url: string): boolean {
  const parsed = parse(url);
  if (!parsed) return false;
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return false;
  if (!parsed.hostname || parsed.username || parsed.password) return false;
  return true;
}

export type WindowOpenDecision = { action: 'deny'; openExternally: string | null };

/** window.open and target=_blank never create a window; a safe http(s) link goes to the system browser instead. */
export function decideWindowOpen(url: string): WindowOpenDecision {
  return { action: 'deny', openExternally: isSafeExternalUrl(url) ? url : null };
}

/** IPC is answered only for our own top-level frame showing our own origin. */
export function isTrustedSender(frame: { url: string; isMainFrame: boolean } | null, devServerUrl?: string): boolean {
  if (!frame || !frame.isMainFrame) return false;
  return isAllowedNavigation(frame.url, devServerUrl);
}

/** Every permission request (camera, notifications, clipboard, …) is denied: the console needs none. */
export function decidePermission(_permission: string): boolean {
  return false;
}
