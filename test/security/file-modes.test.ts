// Files on disk: the data folder 0700, the database (and its WAL), the vault and the secrets file 0600; created so,
// and tightened at start-up when an older version (or a copy) left them readable by other users.
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createServices } from '../../electron/services/app-services';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import { tempDir } from '../helpers/temp-dir';

const temp = tempDir('matchdesk-modes-');
afterAll(() => temp.cleanup());
const mode = (p: string) => statSync(p).mode & 0o777;

async function start(dataDir: string) {
  const services = createServices({
    dataDir,
    version: 'test',
    transport: 'http',
    secrets: new FileSecretStore(join(dataDir, 'secrets.json'), plainCodec),
    startDispatcher: false,
    resumeMatrix: false,
  });
  services.vault.put(new Uint8Array([1, 2, 3]));
  return services;
}

function expectTight(dataDir: string): void {
  expect(mode(dataDir).toString(8)).toBe('700');
  for (const f of ['matchdesk.sqlite', 'matchdesk.sqlite-wal', 'matchdesk.sqlite-shm', 'secrets.json']) expect(`${f} ${mode(join(dataDir, f)).toString(8)}`).toBe(`${f} 600`);
  expect(mode(join(dataDir, 'vault')).toString(8)).toBe('700');
  for (const f of readdirSync(join(dataDir, 'vault'))) expect(mode(join(dataDir, 'vault', f)).toString(8)).toBe('600');
}

describe.runIf(process.platform !== 'win32')('file modes', () => {
  it('a new data folder is created private', async () => {
    const dataDir = join(temp.dir, 'fresh');
    const services = await start(dataDir);
    expectTight(dataDir);
    await services.close();
  });

  it('loose modes left by an older version are tightened at start-up', async () => {
    const dataDir = join(temp.dir, 'loose');
    const first = await start(dataDir);
    await first.close();
    chmodSync(dataDir, 0o755);
    for (const f of readdirSync(dataDir)) chmodSync(join(dataDir, f), statSync(join(dataDir, f)).isDirectory() ? 0o755 : 0o644);
    for (const f of readdirSync(join(dataDir, 'vault'))) chmodSync(join(dataDir, 'vault', f), 0o644);
    mkdirSync(join(dataDir, 'demo-media'), { recursive: true });
    writeFileSync(join(dataDir, 'demo-media', 'x.jpg'), 'x', { mode: 0o644 });
    const again = await start(dataDir);
    expectTight(dataDir);
    expect(mode(join(dataDir, 'demo-media')).toString(8)).toBe('700');
    await again.close();
  });
});
