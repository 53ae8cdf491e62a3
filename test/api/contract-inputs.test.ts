import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { callNames, contract } from '../../shared/contract';
import { createServices, type Services } from '../../electron/services/app-services';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import { startHttpTransport, type HttpTransport } from '../../electron/web/http-transport';
import { tempDir } from '../helpers/temp-dir';
import { localDispatch } from '../helpers/local-api';

const GARBAGE: unknown[] = [null, 42, 'a string', true, [], [1, 2], { unexpectedField: 1 }];

function fieldAttacks(name: (typeof callNames)[number]): Record<string, unknown>[] {
  const shape = (contract[name].input as unknown as { shape: Record<string, unknown> }).shape;
  return Object.keys(shape).flatMap((key) => [
    { [key]: { nested: true } },
    { [key]: Number.NaN },
  ]);
}

describe('every contract call rejects malformed input with a typed error, never a crash', () => {
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
    });
    http = await startHttpTransport({ dispatch: localDispatch(services), staticRoot: temp.dir });
  });
  afterAll(async () => {
    await http.close();
    await services.close();
    temp.cleanup();
  });

  it.each(callNames)('%s', async (name) => {
    for (const payload of [...GARBAGE, ...fieldAttacks(name)]) {
      const result = await localDispatch(services)(name, payload);
      if (result.ok) {
        // Only payloads that happen to be valid for the schema may pass (e.g. NaN is never valid, so none here).
        expect(contract[name].input.safeParse(payload).success, `${name} accepted ${JSON.stringify(payload)}`).toBe(true);
      } else {
        expect(result.error.code, `${name} with ${JSON.stringify(payload)}`).toBe('invalid_input');
        expect(result.error.issues?.length ?? 0).toBeGreaterThan(0);
      }
    }
  });

  it('unknown call names and non-string names are typed errors', async () => {
    expect(await localDispatch(services)('constructor', {})).toMatchObject({ ok: false, error: { code: 'unknown_call' } });
    expect(await localDispatch(services)('__proto__', {})).toMatchObject({ ok: false, error: { code: 'unknown_call' } });
    expect(await localDispatch(services)(42 as unknown as string, {})).toMatchObject({ ok: false, error: { code: 'unknown_call' } });
  });

  it('over HTTP, malformed payloads get 400 with the issues, and the server keeps answering', async () => {
    const post = (name: string, body: string) =>
      fetch(`${http.url}api/${name}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${http.token}` }, body });
    const bad = await post('queue.decide', JSON.stringify({ id: -1, verdict: 'nuke', extra: 1 }));
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { ok: boolean; error: { code: string; issues: { path: string }[] } };
    expect(body.error.code).toBe('invalid_input');
    expect(body.error.issues.map((i) => i.path).sort()).toEqual(['', 'id', 'verdict'].sort());
    expect((await post('queue.get', JSON.stringify({ id: 999_999 }))).status).toBe(404);
    expect((await post('app.info', '{}')).status).toBe(200);
  });

  it('deciding an item twice is a conflict, not a second decision', async () => {
    const db = services.db;
    db.prepare("INSERT INTO media_items (id, source, source_ref, byte_length, md5, sha256, created_at) VALUES (1, 'local_file', '/x', 1, 'a', 'b', 0)").run();
    services.queue.enqueue(1, [{ matcher: 'local', bankName: 'B', contentRef: '1', signalType: 'md5', signal: 'a', distance: 0, label: null, severity: 50 }]);
    const id = services.queue.list({ limit: 1, offset: 0 }).items[0]!.id;
    expect(await localDispatch(services)('queue.decide', { id, verdict: 'confirm' })).toMatchObject({ ok: true });
    expect(await localDispatch(services)('queue.decide', { id, verdict: 'false_positive' })).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(services.queue.get(id).decisions).toHaveLength(1);
  });
});
