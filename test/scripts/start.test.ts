// `npm start` without the Electron binary says what happened and offers `npm run web`, instead of Electron's own
// error. ELECTRON_OVERRIDE_DIST_PATH (Electron's own switch) points at an empty folder, so this holds on any machine.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir';

const repo = resolve(import.meta.dirname, '../..');

function start(env: Record<string, string>) {
  return spawnSync(process.execPath, ['scripts/start.mjs'], { cwd: repo, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
}

describe('npm start without the Electron binary', () => {
  it('with the download skipped: says so, where it looked, how to install it, and offers npm run web; exit 1', () => {
    const temp = tempDir();
    const r = start({ ELECTRON_OVERRIDE_DIST_PATH: temp.dir, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' });
    temp.cleanup();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the Electron binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD is set, so it was not downloaded)');
    expect(r.stderr).toContain(join(temp.dir, 'electron'));
    expect(r.stderr).toContain('npx install-electron');
    expect(r.stderr).toMatch(/in your browser, no Electron needed: +npm run web/);
    // It stopped before building anything.
    expect(r.stdout).not.toContain('better-sqlite3');
  });

  it('when the download fails (a mirror that refuses connections): says the download failed and offers npm run web', () => {
    const temp = tempDir();
    const r = start({
      ELECTRON_OVERRIDE_DIST_PATH: join(temp.dir, 'dist'),
      ELECTRON_SKIP_BINARY_DOWNLOAD: '',
      ELECTRON_MIRROR: 'http://127.0.0.1:9/',
      electron_config_cache: join(temp.dir, 'cache'),
    });
    temp.cleanup();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the Electron binary is not installed \(the download failed \(exit [1-9]\d*; the error is above\)\)/);
    expect(r.stderr).toContain('npm run web');
  });
});
