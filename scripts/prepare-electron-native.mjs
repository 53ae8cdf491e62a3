#!/usr/bin/env node
// Builds better-sqlite3 for Electron's ABI into .cache/electron-native/, leaving node_modules' Node build alone,
// so `npm start` (Electron) and `npm test` (Node) never break each other. The main process loads this copy via
// better-sqlite3's `nativeBinding` option when not packaged; electron-builder rebuilds its own copy for packages.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, copyFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
const sqliteDir = join(require.resolve('better-sqlite3/package.json'), '..');
const sqliteVersion = JSON.parse(readFileSync(join(sqliteDir, 'package.json'), 'utf8')).version;
const outDir = join('.cache', 'electron-native');
const stamp = join(outDir, 'stamp.json');
const want = JSON.stringify({ electronVersion, sqliteVersion, platform: process.platform, arch: process.arch });

if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want && existsSync(join(outDir, 'better_sqlite3.node'))) {
  console.log(`better-sqlite3 ${sqliteVersion} for Electron ${electronVersion}: up to date`);
  process.exit(0);
}

const work = join(outDir, 'work', 'better-sqlite3');
rmSync(join(outDir, 'work'), { recursive: true, force: true });
mkdirSync(work, { recursive: true });
cpSync(sqliteDir, work, { recursive: true, filter: (src) => !src.includes(`${join('build', '')}`) });

const run = (cmd, args) => spawnSync(cmd, args, { cwd: work, stdio: 'inherit', shell: process.platform === 'win32' });
// Prebuilt binary for Electron's ABI first; a source build against Electron's headers if none is published.
let result = run('npx', ['--yes', 'prebuild-install', '--runtime=electron', `--target=${electronVersion}`, `--arch=${process.arch}`]);
if (result.status !== 0) {
  result = run('npx', ['--yes', 'node-gyp', 'rebuild', '--release', `--target=${electronVersion}`, `--arch=${process.arch}`, '--dist-url=https://electronjs.org/headers']);
}
if (result.status !== 0) {
  console.error('Could not build better-sqlite3 for Electron. See the output above.');
  process.exit(1);
}
copyFileSync(join(work, 'build', 'Release', 'better_sqlite3.node'), join(outDir, 'better_sqlite3.node'));
writeFileSync(stamp, want);
rmSync(join(outDir, 'work'), { recursive: true, force: true });
console.log(`better-sqlite3 ${sqliteVersion} built for Electron ${electronVersion} in ${outDir}`);
