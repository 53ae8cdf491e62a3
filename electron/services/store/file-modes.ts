/**
 * The data folder holds the review database, the encrypted vault and (in the browser shell) the secrets file: other
 * users of the machine must not read it. The folder and its sub-folders are 0700 and every file 0600, created so and
 * tightened at start-up if an older version, a copy or a restore left them looser. (POSIX only: Windows ACLs on the
 * user's profile folder do this job there.)
 */
import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;

/** Creates the folder (private) and tightens everything under it; returns the paths whose mode was changed. */
export function securePrivateDir(dir: string): string[] {
  if (process.platform === 'win32') {
    mkdirSync(dir, { recursive: true });
    return [];
  }
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  const changed: string[] = [];
  const walk = (path: string): void => {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return;
    const want = st.isDirectory() ? PRIVATE_DIR : PRIVATE_FILE;
    if ((st.mode & 0o777 & ~want) !== 0) {
      chmodSync(path, (st.mode & 0o777 & want) | (st.isDirectory() ? 0o700 : 0o600));
      changed.push(path);
    }
    if (st.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  walk(dir);
  return changed;
}

/** Creates an empty file with mode 0600 if it does not exist yet (SQLite then creates its -wal and -shm alike). */
export function ensurePrivateFile(file: string): void {
  if (process.platform === 'win32' || existsSync(file)) return;
  closeSync(openSync(file, 'a', PRIVATE_FILE));
}
