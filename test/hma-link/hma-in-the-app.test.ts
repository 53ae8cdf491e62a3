// HMA wired into the app: lookups during ingest, retries when HMA is down, slow or answering garbage, and the
// decision actions that change HMA banks. Against our HMA test double (real HMA cannot run here).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createServices, type Services } from '../../electron/services/app-services';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import { HmaClient } from '../../electron/services/hma';
import { startHmaDouble, type HmaDouble } from '../hma-double';
import { fixturePdqHasher } from '../hma-double/hashers';
import { tempDir } from '../helpers/temp-dir';
import { localDispatch } from '../helpers/local-api';

import { FIXTURE_IMAGES, vectorFor } from '../hashing/helpers';

const vector = (file: string) => vectorFor(file).pdq;
const API_KEY = 'test-hma-key';

let double: HmaDouble;
let services: Services;
let folder: string;
const clock = { now: Date.now() };
const temp = tempDir('matchdesk-hma-app-');

async function call<T = unknown>(name: string, input: unknown = {}): Promise<T> {
  const result = await localDispatch(services)(name, input);
  if (!result.ok) throw new Error(`${name}: ${result.error.code} ${result.error.message}`);
  return result.value as T;
}

async function importAndWait(path: string) {
  const { jobId } = await call<{ jobId: string }>('ingest.importFolder', { path });
  for (;;) {
    const job = (await call<{ id: string; state: string; hashed: number; matched: number; lookupFailed: number }[]>('ingest.jobs')).find((j) => j.id === jobId)!;
    if (job.state !== 'running') return job;
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  double = await startHmaDouble({ apiKey: API_KEY, autoRebuildIndex: true, hasher: fixturePdqHasher() });
  const admin = new HmaClient({ baseUrl: double.url, apiKey: API_KEY });
  await admin.createBank('NCMEC_LIKE');
  await admin.addSignals('NCMEC_LIKE', { pdq: vector('photo.jpg') }, { note: 'bridge' });
  folder = join(temp.dir, 'incoming');
  mkdirSync(folder);
  for (const f of ['photo.jpg', 'other.jpg', 'random-26x28.png']) copyFileSync(join(FIXTURE_IMAGES, f), join(folder, f));
});

beforeEach(async () => {
  services = createServices({
    dataDir: join(temp.dir, `data-${Math.random().toString(36).slice(2)}`),
    version: 'test',
    transport: 'http',
    secrets: new FileSecretStore(join(temp.dir, `s-${Math.random().toString(36).slice(2)}.json`), plainCodec),
    startDispatcher: false,
    resumeMatrix: false,
    now: () => clock.now,
    hmaClient: { retry: { maxAttempts: 1 }, circuitBreaker: { failureThreshold: 1000 } } as never,
  });
  await call('hma.saveSettings', { enabled: true, baseUrl: double.url, timeoutMs: 1000, apiKey: API_KEY });
});

afterEach(async () => {
  await double.clearFault();
  await services.close();
});

afterAll(async () => {
  await double.close();
  temp.cleanup();
});

describe('HMA in the ingest pipeline (against the HMA test double: real HMA cannot run here)', () => {
  it('keeps the key out of settings and the database, and the test-connection button reports roles, index and banks', async () => {
    const settings = await call<{ keys: { all: boolean } }>('hma.getSettings');
    expect(settings.keys.all).toBe(true);
    expect(JSON.stringify(settings)).not.toContain(API_KEY);
    expect(JSON.stringify(services.db.prepare('SELECT * FROM settings').all())).not.toContain(API_KEY);
    expect(JSON.stringify(services.audit.list(50))).not.toContain(API_KEY);
    const test = await call<{ roles: { ok: boolean }[]; banks: { name: string }[]; indexStatus: Record<string, unknown>; error: string | null }>('hma.testConnection');
    expect(test.error).toBeNull();
    expect(test.roles.length).toBeGreaterThan(0);
    expect(test.roles.every((r) => r.ok)).toBe(true);
    expect(test.banks.map((b) => b.name)).toContain('NCMEC_LIKE');
    expect(Object.keys(test.indexStatus)).toContain('pdq');
  });

  it('queues HMA matches found during a folder import', async () => {
    const job = await importAndWait(folder);
    expect(job).toMatchObject({ hashed: 3, matched: 1, lookupFailed: 0 });
    const list = await call<{ items: { media: { fileName: string }; matches: { matcher: string; bankName: string; distance: number }[] }[] }>('queue.list', { limit: 10 });
    expect(list.items).toHaveLength(1);
    expect(list.items[0]!.media.fileName).toBe('photo.jpg');
    expect(list.items[0]!.matches[0]).toMatchObject({ matcher: 'hma', bankName: 'NCMEC_LIKE', distance: 0 });
  });

  for (const [label, fault] of [
    ['down', { kind: 'down' }],
    ['slow (5 s, over the client timeout)', { kind: 'slow', delayMs: 5000 }],
    ['answering garbage', { kind: 'garbage' }],
    ['behind a proxy answering HTML 502', { kind: 'html502' }],
  ] as const) {
    it(`with HMA ${label}, ingest keeps going, items are marked "lookup failed — will retry", and are retried until they match`, async () => {
      await double.setFault(fault as never);
      const job = await importAndWait(folder);
      expect(job).toMatchObject({ hashed: 3, lookupFailed: 3, matched: 0 });
      expect(await call('ingest.lookupStatus')).toMatchObject({ count: 3 });
      const jobs = await call<{ errors: { code: string; message: string }[] }[]>('ingest.jobs');
      expect(jobs[0]!.errors.filter((e) => e.code === 'lookup_failed').map((e) => e.message)).toEqual(Array(3).fill('hma lookup failed — will retry'));

      // Not yet due: nothing is retried.
      expect(await services.ingest.retryPendingLookups()).toMatchObject({ retried: 0 });
      clock.now += 16_000;
      // Still failing: retried, kept, backed off.
      expect(await services.ingest.retryPendingLookups()).toMatchObject({ retried: 3, recovered: 0 });
      expect(services.db.prepare('SELECT MIN(attempts) AS a FROM pending_lookups').get()).toEqual({ a: 2 });

      await double.clearFault();
      clock.now += 31_000;
      expect(await services.ingest.retryPendingLookups()).toMatchObject({ retried: 3, recovered: 3, queued: 1 });
      expect(await call('ingest.lookupStatus')).toMatchObject({ count: 0 });
      expect(await call('queue.counts')).toMatchObject({ pending: 1 });
      expect(services.db.prepare('SELECT COUNT(*) AS n FROM media_items').get()).toEqual({ n: 3 });
    }, 60_000);
  }
});

describe('decision actions on HMA banks (against the HMA test double)', () => {
  it('a false positive disables the HMA bank content, and the next /m/lookup no longer returns it; undo re-enables it', async () => {
    const plans = await call<Record<string, Record<string, unknown>>>('settings.getActionPlans');
    await call('settings.setActionPlans', { ...plans, undoWindowMs: 0, falsePositive: { ...plans.falsePositive, disableHmaContent: true } });
    await importAndWait(folder);
    const item = (await call<{ items: { id: number }[] }>('queue.list', { limit: 1 })).items[0]!;
    const { decision } = await call<{ decision: { id: number } }>('queue.decide', { id: item.id, verdict: 'false_positive', reason: 'Meme or sticker' });
    await services.outbox.drain();
    const client = new HmaClient({ baseUrl: double.url, apiKey: API_KEY, negativeCacheTtlMs: 0 });
    expect(await client.lookupSignal('pdq', vector('photo.jpg'))).toEqual({});
    const undo = await call<{ compensations: { kind: string }[] }>('decisions.undo', { decisionId: decision.id });
    expect(undo.compensations.map((c) => c.kind)).toEqual(['hma.enable_content']);
    await services.outbox.drain();
    expect(Object.keys(await client.lookupSignal('pdq', vector('photo.jpg')))).toEqual(['NCMEC_LIKE']);
  });

  it('a confirm adds the hashes to an HMA bank once, even when a retry follows an attempt that reached HMA', async () => {
    const client = new HmaClient({ baseUrl: double.url, apiKey: API_KEY });
    await client.createBank('CONFIRMED');
    const plans = await call<Record<string, Record<string, unknown>>>('settings.getActionPlans');
    await call('settings.setActionPlans', { ...plans, undoWindowMs: 0, confirm: { ...plans.confirm, addToHmaBank: 'CONFIRMED' } });
    await importAndWait(folder);
    const item = (await call<{ items: { id: number }[] }>('queue.list', { limit: 1 })).items[0]!;
    await call('queue.decide', { id: item.id, verdict: 'confirm' });
    await services.outbox.drain();
    const action = services.db.prepare("SELECT id, state, result_json FROM actions WHERE kind = 'hma.add_to_bank'").get() as { id: number; state: string; result_json: string };
    expect(action.state).toBe('done');
    // Simulate a crash after HMA answered but before we recorded it: the action is run again.
    services.db.prepare("UPDATE actions SET state = 'pending', not_before = 0 WHERE id = ?").run(action.id);
    clock.now += 60_000;
    await services.outbox.drain();
    const again = services.db.prepare('SELECT state, result_json FROM actions WHERE id = ?').get(action.id) as { state: string; result_json: string };
    expect(again.state).toBe('done');
    expect(JSON.parse(again.result_json)).toMatchObject({ contentId: JSON.parse(action.result_json).contentId, found: 'earlier attempt' });
    expect(await client.rawLookup('pdq', vector('photo.jpg'), { banks: ['CONFIRMED'] })).toHaveLength(1);
  });
});
