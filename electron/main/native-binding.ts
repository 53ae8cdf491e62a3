import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * better-sqlite3 is built for Node's ABI by `npm install` (tests use it). `npm start` builds a second copy for
 * Electron's ABI into .cache/electron-native (scripts/prepare-electron-native.mjs); the packaged app gets its own
 * rebuilt copy from electron-builder. So neither runtime breaks the other.
 */
export function electronNativeBinding(appPath: string, isPackaged: boolean): string | undefined {
  if (isPackaged) return undefined;
  const candidate = join(appPath, '.cache', 'electron-native', 'better_sqlite3.node');
  return existsSync(candidate) ? candidate : undefined;
}
