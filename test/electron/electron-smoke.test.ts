import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { _electron as electron } from 'playwright-core';

const require = createRequire(import.meta.url);
const repoRoot = join(import.meta.dirname, '..', '..');

function electronBinary(): string | null {
  try {
    const path = require('electron') as unknown as string;
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
const reason = binary
  ? null
  : 'the Electron binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD=1: this sandbox cannot download it). ' +
    'On a machine with it, this test launches the desktop app, sees the queue and quits.';
if (reason) console.log(`[electron smoke test skipped] ${reason}`);

describe('desktop app smoke test (Playwright _electron; needs the real Electron binary)', () => {
  it.skipIf(!binary)('launches, shows the queue, and quits', async () => {
    const build = spawnSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'inherit' });
    expect(build.status).toBe(0);
    const prep = spawnSync('node', ['scripts/prepare-electron-native.mjs'], { cwd: repoRoot, stdio: 'inherit' });
    expect(prep.status).toBe(0);
    const app = await electron.launch({
      executablePath: binary!,
      args: [repoRoot],
      env: { ...process.env, MATCHDESK_DATA_DIR: mkdtempSync(join(tmpdir(), 'matchdesk-electron-')) } as Record<string, string>,
    });
    try {
      const window = await app.firstWindow();
      await window.getByRole('heading', { name: 'Matchdesk', exact: true }).waitFor();
      expect(window.url()).toBe('app://matchdesk/index.html');
      await window.getByRole('button', { name: 'Import my own folder' }).click();
      await window.getByRole('button', { name: 'Review queue' }).click();
      await window.getByTestId('queue-counts').waitFor();
      // The renderer has the bridge but no Node.
      expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
      expect(await window.evaluate(() => Object.keys((globalThis as unknown as { matchdesk: object }).matchdesk).includes('queue.list'))).toBe(true);
    } finally {
      await app.close();
    }
  });
});
