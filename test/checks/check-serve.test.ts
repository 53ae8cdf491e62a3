import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../electron/cli/main';
import { startServe } from '../synapse/team-setup';
import { tempDir } from '../helpers/temp-dir';

const temp = tempDir('matchdesk-check-serve-');
afterAll(() => temp.cleanup());

async function cli(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('matchdesk serve mounts the check API; matchdesk bot-keys manages its keys beside a running server', () => {
  it('answers checks with a key made by the CLI, and refuses it once the CLI revokes it', async () => {
    writeFileSync(join(temp.dir, 'token'), 'syt_fake\n', { mode: 0o600 });
    const config = join(temp.dir, 'config.json');
    writeFileSync(config, JSON.stringify({ homeserver: { url: 'http://127.0.0.1:9', serviceAccountToken: { file: 'token' } }, managementRoom: '!room:example.com' }));
    const dataDir = join(temp.dir, 'data');
    const serve = await startServe(['--config', config, '--data-dir', dataDir, '--listen', '127.0.0.1:0']);
    try {
      const check = (key: string) =>
        fetch(`${serve.url}/api/v1/check`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ hashes: { sha256: 'd'.repeat(64) }, userId: '@bot:example.com' }),
        });
      expect((await check('mdk_nope')).status).toBe(401);

      expect((await cli(['bot-keys', 'create', '--data-dir', dataDir])).code).toBe(2);
      const created = await cli(['bot-keys', 'create', '--data-dir', dataDir, '--name', 'draupnir', '--rate', '120']);
      expect(created.code).toBe(0);
      const key = created.out[0]!;
      expect(key).toMatch(/^mdk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
      const ok = await check(key);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ action: 'allow', source: null });

      const listed = await cli(['bot-keys', 'list', '--data-dir', dataDir]);
      expect(listed.out.join('\n')).toMatch(/draupnir {2}120\/min {2}created by cli:/);
      expect(listed.out.join('\n')).not.toContain(key);
      const id = key.slice(4, 16);
      expect((await cli(['bot-keys', 'revoke', '--data-dir', dataDir, '--id', id])).out).toEqual([`revoked bot key ${id} (draupnir)`]);
      expect((await check(key)).status).toBe(401);
    } finally {
      await serve.stop();
    }
  });
});
