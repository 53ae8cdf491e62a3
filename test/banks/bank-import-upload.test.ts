import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../electron/services/app-services';
import { bankImportUploadRoute } from '../../electron/services/api/upload-routes';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import { startHttpTransport, type HttpTransport } from '../../electron/web/http-transport';
import { tempDir } from '../helpers/temp-dir';
import { localDispatch } from '../helpers/local-api';

const MD5 = (i: number) => i.toString(16).padStart(32, '0');

/** POSTs `chunks` as a chunked body (no Content-Length), so only the server's own count can cut it. */
function upload(http: HttpTransport, query: string, chunks: Buffer[], headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const url = new URL(`/upload/bank-import?${query}`, http.url);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { Host: url.host, Authorization: `Bearer ${http.token}`, 'Content-Type': 'application/octet-stream', ...headers } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? resolve({ status: -1, body: e.code }) : reject(e)));
    const write = (i: number) => {
      if (i === chunks.length) return req.end();
      if (req.destroyed) return;
      req.write(chunks[i], () => setImmediate(() => write(i + 1)));
    };
    write(0);
  });
}

describe('streamed bank import upload (browser shell; the team server mounts the same route)', () => {
  const temp = tempDir();
  let services: Services;
  let http: HttpTransport;

  beforeAll(async () => {
    services = createServices({
      dataDir: temp.dir,
      version: 'test',
      transport: 'http',
      secrets: new FileSecretStore(join(temp.dir, 'secrets.json'), plainCodec),
      workers: 1,
      startDispatcher: false,
      resumeMatrix: false,
      localFileImports: false,
    });
    http = await startHttpTransport({ dispatch: localDispatch(services), staticRoot: temp.dir, uploads: { 'bank-import': bankImportUploadRoute(services, { maxBytes: 200_000 }) } });
  });
  afterAll(async () => {
    await http.close();
    await services.close();
    temp.cleanup();
  });

  const waitDone = async (jobId: string) => {
    for (;;) {
      const job = services.bankImports.list().find((j) => j.id === jobId);
      if (job && job.state !== 'running') return job;
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it('imports an uploaded CSV streamed in chunks, and removes its spool file', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `md5,${MD5(i)},row ${i}\n`);
    const chunks = [Buffer.from('signal_type,signal,label\n')];
    for (let i = 0; i < rows.length; i += 500) chunks.push(Buffer.from(rows.slice(i, i + 500).join('')));
    const res = await upload(http, 'bankName=Uploaded&fileName=list.csv', chunks);
    expect(res.status).toBe(200);
    const { value } = JSON.parse(res.body) as { value: { jobId: string } };
    const job = await waitDone(value.jobId);
    expect(job).toMatchObject({ state: 'done', added: 3000, fileName: 'list.csv', bytesTotal: Buffer.concat(chunks).length });
    await services.bankImports.idle();
    expect(readdirSync(join(temp.dir, 'bank-imports'))).toEqual([]);
    const audit = services.audit.list(10).find((a) => a.action === 'bank.import');
    expect(JSON.parse(audit!.details_json)).toMatchObject({ file: 'list.csv', added: 3000, state: 'done' });
  });

  it('refuses without the token, from another origin, as a form post, and over the size limit (cut while reading)', async () => {
    const body = [Buffer.from(`md5,${MD5(1)},x\n`)];
    expect((await upload(http, 'bankName=X&fileName=a.csv', body, { Authorization: 'Bearer nope' })).status).toBe(401);
    expect((await upload(http, 'bankName=X&fileName=a.csv', body, { Origin: 'https://evil.example' })).status).toBe(403);
    expect((await upload(http, 'bankName=X&fileName=a.csv', body, { 'Content-Type': 'text/plain' })).status).toBe(415);
    expect((await upload(http, 'bankName=X&fileName=a.csv', body, { 'Content-Length': String(10 ** 9) })).status).toBeOneOf([413, -1]);
    const big = Array.from({ length: 100 }, () => Buffer.from(`md5,${MD5(7)},x\n`.repeat(100)));
    const cut = await upload(http, 'bankName=X&fileName=a.csv', big);
    expect([413, -1]).toContain(cut.status);
    expect((await upload(http, 'fileName=a.csv', body)).status).toBe(400);
    expect(services.banks.list().map((b) => b.name)).not.toContain('X');
    expect(readdirSync(join(temp.dir, 'bank-imports'))).toEqual([]);
  });

  it('a binary upload creates nothing and answers 400 with the first bad lines escaped', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x1b, 0x5b, 0x32, 0x4a]);
    const res = await upload(http, 'bankName=Binary&fileName=pic.csv', [png]);
    expect(res.status).toBe(400);
    const env = JSON.parse(res.body) as { error: { message: string; issues: { path: string; message: string }[] } };
    expect(env.error.message).toMatch(/not a text file/);
    expect(env.error.issues[0]!.message).toContain('\\x89PNG\\r');
    expect([...res.body].some((c) => c.charCodeAt(0) < 0x20)).toBe(false);
    expect(services.banks.list().map((b) => b.name)).not.toContain('Binary');
  });

  it("tells the consoles about an import: its start and end (banks), its progress at most once a second", async () => {
    const seen: { area: string; at: number }[] = [];
    const unsubscribe = services.changes.subscribe((e) => {
      if (e.type === 'settings') seen.push({ area: e.area, at: performance.now() });
    });
    try {
      const started = performance.now();
      const job = await services.bankImports.startFromText(`signal_type,signal,label\n${Array.from({ length: 2000 }, (_, i) => `md5,${MD5(100_000 + i)},r`).join('\n')}\n`, { bankName: 'Told', actor: 'someone' });
      expect(seen.filter((e) => e.area === 'banks')).toHaveLength(1);
      expect(await waitDone(job.id)).toMatchObject({ state: 'done', added: 2000 });
      await services.bankImports.idle(); // the end is told once its spool file is gone
      expect(seen.filter((e) => e.area === 'banks')).toHaveLength(2);
      const progress = seen.filter((e) => e.area === 'bankImports');
      expect(progress.length).toBeLessThanOrEqual(1 + Math.floor((performance.now() - started) / 1000));
    } finally {
      unsubscribe();
    }
  });

  it('a server that refuses local paths says so; pasted text still imports', async () => {
    const path = join(temp.dir, 'local.csv');
    writeFileSync(path, `md5,${MD5(5)},x\n`);
    expect(await localDispatch(services)('banks.startImport', { bankName: 'Local', path })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const started = await localDispatch(services)('banks.startImport', { bankName: 'Pasted', format: 'csv', text: `md5,${MD5(5)},x\n` });
    expect(started.ok).toBe(true);
    if (started.ok) expect(await waitDone((started.value as { jobId: string }).jobId)).toMatchObject({ state: 'done', added: 1 });
    expect(existsSync(path)).toBe(true);
  });
});
