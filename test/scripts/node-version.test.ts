// The Node versions the README and package.json promise are the ones the installed tooling declares: every package
// in the lockfile accepts Node 22.13 and 24; all but Electron 45's desktop tooling accept Node 20.19 (what CI runs
// the suite on); package.json's engines range is exactly what the rest accept.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);
const semver = require('semver') as { satisfies(version: string, range: string): boolean };

const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { engines: { node: string }; allowScripts: Record<string, boolean> };
type LockEntry = { version?: string; engines?: { node?: string } | string[]; hasInstallScript?: boolean; os?: string[]; cpu?: string[] };
const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
/** Platform packages for other systems (sharp's win32-ia32 build...) are never installed here. */
const installable = (i: LockEntry) => (!i.os || i.os.includes(process.platform)) && (!i.cpu || i.cpu.includes(process.arch) || i.cpu.includes('wasm32'));
const README = readFileSync(join(repo, 'README.md'), 'utf8');

/** Electron 45 and the tools that install it and rebuild native modules for it (npm start, npm run dist). */
const DESKTOP_TOOLING = ['@electron-internal/extract-zip', '@electron/get', '@electron/rebuild', 'electron', 'node-abi'];

const declared = Object.entries(lock.packages)
  .filter(([path, info]) => path && installable(info) && info.engines && !Array.isArray(info.engines) && info.engines.node)
  .map(([path, info]) => ({ name: path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length), range: (info.engines as { node: string }).node }));

describe('the Node version the tooling needs', () => {
  it('every installed package accepts Node 22.13 and 24 (what the desktop app needs)', () => {
    for (const v of ['22.13.0', '24.0.0']) expect(declared.filter((d) => !semver.satisfies(v, d.range)), v).toEqual([]);
    // 22.12 is not enough: ESLint 10 wants 22.13 on the 22 line.
    expect(declared.some((d) => !semver.satisfies('22.12.0', d.range))).toBe(true);
  });

  it('only Electron 45’s desktop tooling refuses Node 20.19, so npm test and npm run web run on it', () => {
    const refusing = [...new Set(declared.filter((d) => !semver.satisfies('20.19.0', d.range)).map((d) => d.name))].sort();
    expect(refusing).toEqual(DESKTOP_TOOLING);
  });

  it('engines admits exactly the versions the rest accept, and the README says both numbers', () => {
    for (const v of ['20.19.0', '20.20.2', '22.13.0', '24.0.0']) expect(semver.satisfies(v, pkg.engines.node), v).toBe(true);
    for (const v of ['18.20.0', '20.18.3', '21.7.0', '22.12.0', '23.9.0']) expect(semver.satisfies(v, pkg.engines.node), v).toBe(false);
    const others = declared.filter((d) => !DESKTOP_TOOLING.includes(d.name));
    for (const v of ['20.19.0', '22.13.0', '24.0.0']) expect(others.filter((d) => !semver.satisfies(v, d.range)), v).toEqual([]);
    expect(README).toContain('Node.js 22.13');
    expect(README).toContain('Node.js 20.19');
  });

  it('every dependency with an install script is approved or denied explicitly in allowScripts', () => {
    const withScripts = [...new Set(Object.entries(lock.packages).filter(([p, i]) => p && i.hasInstallScript).map(([p]) => p.slice(p.lastIndexOf('node_modules/') + 13)))].sort();
    expect(withScripts.length).toBeGreaterThan(0);
    expect(Object.keys(pkg.allowScripts).sort()).toEqual(withScripts);
  });
});
