import { homedir } from 'node:os';
import { join } from 'node:path';

export const APP_NAME = 'Matchdesk';

/**
 * Where the desktop app keeps its data (Electron's userData + /data), computed without Electron so the CLI finds
 * the same store. MATCHDESK_DATA_DIR overrides it everywhere.
 */
export function defaultDesktopDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.MATCHDESK_DATA_DIR) return env.MATCHDESK_DATA_DIR;
  const appData =
    platform === 'win32'
      ? (env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'))
      : platform === 'darwin'
        ? join(homedir(), 'Library', 'Application Support')
        : (env.XDG_CONFIG_HOME ?? join(homedir(), '.config'));
  return join(appData, APP_NAME, 'data');
}

/** Where the browser shell (`npm run web`) keeps its data. MATCHDESK_DATA_DIR overrides it, as for the desktop app. */
export function defaultWebDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.MATCHDESK_DATA_DIR || join(homedir(), '.matchdesk-web');
}
