#!/usr/bin/env node
// `npm start` (and `npm run dev` with --dev): checks that the Electron binary is there before building anything, and
// says what to do when it is not, instead of ending in Electron's own error. Then builds better-sqlite3 for
// Electron's ABI, builds the app and starts it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const dev = process.argv.includes('--dev');
const NODE_FOR_ELECTRON_TOOLING = [22, 12];

/** Where `require('electron')` would find the binary, without triggering its download. */
function electronBinary() {
  const dir = dirname(require.resolve('electron/package.json'));
  const pathFile = join(dir, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : null;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const path = override ? join(override, executable || 'electron') : executable ? join(dir, 'dist', executable) : null;
  return { dir, path, present: path !== null && existsSync(path) };
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', shell: process.platform === 'win32' });
  return r.status ?? 1;
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < NODE_FOR_ELECTRON_TOOLING[0] || (major === NODE_FOR_ELECTRON_TOOLING[0] && minor < NODE_FOR_ELECTRON_TOOLING[1])) {
  console.warn(
    `Note: Electron 45's install and rebuild tools (@electron/get, @electron/rebuild, node-abi) declare Node ${NODE_FOR_ELECTRON_TOOLING.join('.')} or newer; ` +
      `this is Node ${process.versions.node}. If a step below fails, use Node 22.13 or newer. (npm test and npm run web need only Node 20.19.)`,
  );
}

let electron = electronBinary();
let why = null;
if (!electron.present) {
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
    why = 'ELECTRON_SKIP_BINARY_DOWNLOAD is set, so it was not downloaded';
  } else {
    console.log('The Electron binary is not installed yet: downloading it (about 100 MB, from GitHub or ELECTRON_MIRROR)…');
    const status = run(process.execPath, [join(electron.dir, 'install.js')]);
    electron = electronBinary();
    if (!electron.present) why = `the download failed (exit ${status}; the error is above)`;
  }
}
if (!electron.present) {
  console.error(
    [
      '',
      `Matchdesk's desktop app cannot start: the Electron binary is not installed (${why}).`,
      `  expected at: ${electron.path ?? join(electron.dir, 'dist')}`,
      '',
      '  To install it, with network access:   npx install-electron',
      '  Or use the same console in your browser, no Electron needed:   npm run web',
      '',
    ].join('\n'),
  );
  process.exit(1);
}

if (run(process.execPath, ['scripts/prepare-electron-native.mjs']) !== 0) process.exit(1);
if (dev) process.exit(run('npx', ['electron-vite', 'dev']));
if (run('npx', ['electron-vite', 'build']) !== 0) process.exit(1);
process.exit(run('npx', ['electron', '.']));
