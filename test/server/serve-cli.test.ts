import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { ConfigError, loadServerConfig, parseFlags } from '../../electron/server/config';
import { main } from '../../electron/cli/main';
import { startServe } from '../synapse/team-setup';
import { tempDir } from '../helpers/temp-dir';

const temp = tempDir('matchdesk-serve-cli-');
afterAll(() => temp.cleanup());

function configFile(extra: Record<string, unknown> = {}): string {
  writeFileSync(join(temp.dir, 'token'), 'syt_fake\n', { mode: 0o600 });
  const file = join(temp.dir, `config-${Math.random().toString(36).slice(2)}.json`);
  // Nothing listens on port 9 of loopback: the homeserver is down.
  writeFileSync(file, JSON.stringify({ homeserver: { url: 'http://127.0.0.1:9', serviceAccountToken: { file: 'token' } }, managementRoom: '!room', ...extra }));
  return file;
}

describe('matchdesk serve: flags, config and the TLS rule', () => {
  it('refuses a non-loopback address without TLS, and wants both TLS files', () => {
    expect(() => loadServerConfig(parseFlags(['--config', configFile(), '--data-dir', temp.dir, '--listen', '0.0.0.0:8448']))).toThrow(/refusing to listen on 0\.0\.0\.0 without TLS/);
    expect(() => loadServerConfig(parseFlags(['--config', configFile(), '--data-dir', temp.dir, '--listen', '[::]:8448']))).toThrow(ConfigError);
    expect(() => loadServerConfig(parseFlags(['--config', configFile(), '--data-dir', temp.dir, '--tls-cert', 'a.pem']))).toThrow(/both --tls-cert and --tls-key/);
    const ok = loadServerConfig(parseFlags(['--config', configFile(), '--data-dir', temp.dir, '--listen', '0.0.0.0:8448', '--tls-cert', 'c.pem', '--tls-key', 'k.pem']));
    expect(ok).toMatchObject({ listenHost: '0.0.0.0', listenPort: 8448, roles: { reviewer: 50, lead: 100, refreshSeconds: 30 }, claims: { leaseMinutes: 10 } });
    expect(ok.homeserver.serviceAccountToken.file).toBe(join(temp.dir, 'token'));
    expect(() => loadServerConfig(parseFlags(['--config', configFile({ homeserver: { url: 'http://x', serviceAccountToken: { file: 'a', env: 'B' } } }), '--data-dir', temp.dir]))).toThrow(/either "file" or "env"/);
    expect(() => loadServerConfig(parseFlags(['--config', configFile({ surprise: true }), '--data-dir', temp.dir]))).toThrow(/invalid config/);
  });

  it('exits with a usage error and a clear message on a bad start', async () => {
    const err: string[] = [];
    const code = await main(['serve', '--config', configFile(), '--data-dir', temp.dir, '--listen', '192.0.2.1:443'], { out: () => undefined, err: (l) => err.push(l) });
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/without TLS/);
  });

  it('starts without TLS on loopback, says so, prints its URL, and is not ready while the homeserver is down', async () => {
    const serve = await startServe(['--config', configFile(), '--data-dir', join(temp.dir, 'data'), '--listen', '127.0.0.1:0']);
    try {
      expect(serve.output()).toMatch(/TLS is off: listening on loopback only/);
      expect(serve.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const get = (path: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          request(`${serve.url}${path}`, (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          })
            .on('error', reject)
            .end();
        });
      expect(await get('/healthz')).toMatchObject({ status: 200 });
      const ready = await get('/readyz');
      expect(ready.status).toBe(503);
      expect(JSON.parse(ready.body)).toMatchObject({ ready: false, checks: { database: true, managementRoom: false, serviceAccount: false } });
    } finally {
      await serve.stop();
    }
    expect(serve.process.exitCode).toBe(0);
  });
});
