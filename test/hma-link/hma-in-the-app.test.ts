// HMA wired into the app, against the HMA test double (for what a real server cannot be made to do on demand: down,
// slow, garbage, an HTML 502, and a matcher whose index reload is driven by a fake clock). The same flows run against
// a real HMA 1.1.7 in test/hma-real/app-flow.test.ts.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { createServices, type Services } from '../../electron/services/app-services';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import { HmaClient } from '../../electron/services/hma';
import { hashBytes } from '../../electron/services/hashing';
import { renderScene } from '../../electron/services/demo/demo-media';
import { hmaMarker } from '../../electron/services/hma-link/hma-executors';
import { localPdqHasher, startHmaDouble, type HmaDouble } from '../hma-double';
import { startDroppingProxy, type DroppingProxy } from '../helpers/dropping-proxy';
import { tempDir } from '../helpers/temp-dir';
import { localDispatch } from '../helpers/local-api';
import { randomPdq } from '../hma/helpers';

const API_KEY = 'test-hma-key';
const NOTE = 'known:c.png';
const METADATA = { content_id: 'case-4411', content_uri: 'https://reports.example.org/4411', json: { partner: 'example' } };

let double: HmaDouble;
let services: Services;
let folder: string;
let knownPdq: string;
let knownPng: Buffer;
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

function newServices(): Services {
  return createServices({
    dataDir: join(temp.dir, `data-${Math.random().toString(36).slice(2)}`),
    version: 'test',
    transport: 'http',
    secrets: new FileSecretStore(join(temp.dir, `s-${Math.random().toString(36).slice(2)}.json`), plainCodec),
    startDispatcher: false,
    resumeMatrix: false,
    now: () => clock.now,
    hmaClient: { retry: { maxAttempts: 1 }, circuitBreaker: { failureThreshold: 1000 } } as never,
  });
}

/** HMA 1.1.7 never matches a PDQ index of one hash (upstream #1318): every double here holds two more. */
async function addBallast(client: HmaClient): Promise<void> {
  await client.createBank('BALLAST');
  await client.addSignals('BALLAST', { pdq: randomPdq() });
  await client.addSignals('BALLAST', { pdq: randomPdq() });
}

beforeAll(async () => {
  folder = join(temp.dir, 'incoming');
  mkdirSync(folder);
  const scenes = await Promise.all([101, 102, 103].map((s) => renderScene(s)));
  scenes.forEach((bytes, i) => writeFileSync(join(folder, `scene-${i + 1}.jpg`), bytes));
  knownPdq = (await hashBytes(scenes[0]!)).pdq!;
  knownPng = await sharp(scenes[0]!).png().toBuffer();
  double = await startHmaDouble({ apiKey: API_KEY, autoRebuildIndex: true, hasher: localPdqHasher() });
  const admin = new HmaClient({ baseUrl: double.url, apiKey: API_KEY });
  await addBallast(admin);
  await admin.createBank('NCMEC_LIKE');
  // The PNG of scene 1: HMA hashes it itself (the upload route is the one that carries metadata).
  const added = await admin.addContentByUpload('NCMEC_LIKE', knownPng, 'photo', { note: NOTE, metadata: METADATA, mimeType: 'image/png' });
  expect(added.signals.pdq).toBe((await hashBytes(knownPng)).pdq);
});

beforeEach(async () => {
  services = newServices();
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

describe('HMA in the ingest pipeline (against the HMA test double)', () => {
  it('keeps the key out of settings and the database, and the test-connection button reports roles, index and banks', async () => {
    const settings = await call<{ keys: { all: boolean } }>('hma.getSettings');
    expect(settings.keys.all).toBe(true);
    expect(JSON.stringify(settings)).not.toContain(API_KEY);
    expect(JSON.stringify(services.db.prepare('SELECT * FROM settings').all())).not.toContain(API_KEY);
    expect(JSON.stringify(services.audit.list(50))).not.toContain(API_KEY);
    const test = await call<{ roles: { ok: boolean }[]; banks: { name: string }[]; indexStatus: Record<string, unknown>; warnings: string[]; error: string | null }>('hma.testConnection');
    expect(test.error).toBeNull();
    expect(test.roles.length).toBeGreaterThan(0);
    expect(test.roles.every((r) => r.ok)).toBe(true);
    expect(test.banks.map((b) => b.name)).toContain('NCMEC_LIKE');
    expect(Object.keys(test.indexStatus)).toContain('pdq');
    expect(test.warnings).toEqual([]);
  });

  it("queues HMA matches with HMA's evidence: the bank content's note and metadata, and the matched signal", async () => {
    const job = await importAndWait(folder);
    expect(job).toMatchObject({ hashed: 3, matched: 1, lookupFailed: 0 });
    const list = await call<{ items: { id: number; media: { fileName: string }; matches: { matcher: string; bankName: string; distance: number }[] }[] }>('queue.list', { limit: 10 });
    expect(list.items).toHaveLength(1);
    expect(list.items[0]!.media.fileName).toBe('scene-1.jpg');
    const item = await call<{
      matches: { id: number; matcher: string; bankName: string; signalType: string; signal: string | null; distance: number; label: string | null }[];
      evidence: { matchId: number; contentNote: string | null; contentMetadata: Record<string, unknown> }[];
    }>('queue.get', { id: list.items[0]!.id });
    const match = item.matches.find((m) => m.matcher === 'hma' && m.signalType === 'pdq')!;
    expect(match).toMatchObject({ bankName: 'NCMEC_LIKE', signal: (await hashBytes(knownPng)).pdq, label: 'case-4411' });
    expect(match.distance).toBeLessThanOrEqual(31);
    const ev = item.evidence.find((e) => e.matchId === match.id)!;
    expect(ev.contentNote).toBe(NOTE);
    expect(ev.contentMetadata).toEqual({ content_id: 'case-4411', content_uri: 'https://reports.example.org/4411', json: { partner: 'example' } });
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
  it("a false positive disables the HMA bank content and undo re-enables it, and neither touches the content's note", async () => {
    const plans = await call<Record<string, Record<string, unknown>>>('settings.getActionPlans');
    await call('settings.setActionPlans', { ...plans, undoWindowMs: 0, falsePositive: { ...plans.falsePositive, disableHmaContent: true } });
    await importAndWait(folder);
    const item = (await call<{ items: { id: number; matches: { contentRef: string }[] }[] }>('queue.list', { limit: 1 })).items[0]!;
    const contentId = Number(item.matches[0]!.contentRef);
    const { decision } = await call<{ decision: { id: number } }>('queue.decide', { id: item.id, verdict: 'false_positive', reason: 'Meme or sticker' });
    await services.outbox.drain();
    const client = new HmaClient({ baseUrl: double.url, apiKey: API_KEY, negativeCacheTtlMs: 0 });
    expect(await client.lookupSignal('pdq', knownPdq, { banks: ['NCMEC_LIKE'] })).toEqual({});
    expect(await client.getContent('NCMEC_LIKE', contentId)).toMatchObject({ enabled: false, note: NOTE, metadata: expect.objectContaining({ contentId: 'case-4411' }) });
    const undo = await call<{ compensations: { kind: string }[] }>('decisions.undo', { decisionId: decision.id });
    expect(undo.compensations.map((c) => c.kind)).toEqual(['hma.enable_content']);
    await services.outbox.drain();
    expect(Object.keys(await client.lookupSignal('pdq', knownPdq, { banks: ['NCMEC_LIKE'] }))).toEqual(['NCMEC_LIKE']);
    expect(await client.getContent('NCMEC_LIKE', contentId)).toMatchObject({ enabled: true, note: NOTE });
    // The reason lives in Matchdesk: the audit log and the false-positive record.
    expect(JSON.stringify(services.audit.list(100))).toContain('Meme or sticker');
    const puts = double.requests.filter((r) => r.method === 'PUT' && r.path === `/c/bank/NCMEC_LIKE/content/${contentId}`);
    expect(puts.length).toBe(2);
  });

  it('plans only what is sent: the HMA add carries the signals and a note, no metadata /c/bank/<b>/signal cannot take', async () => {
    const client = new HmaClient({ baseUrl: double.url, apiKey: API_KEY });
    await client.createBank('CONFIRMED_PLAN');
    const plans = await call<Record<string, Record<string, unknown>>>('settings.getActionPlans');
    await call('settings.setActionPlans', { ...plans, undoWindowMs: 0, confirm: { ...plans.confirm, addToHmaBank: 'CONFIRMED_PLAN' } });
    await importAndWait(folder);
    const item = (await call<{ items: { id: number }[] }>('queue.list', { limit: 1 })).items[0]!;
    await call('queue.decide', { id: item.id, verdict: 'confirm' });
    const { actions } = await call<{ actions: { kind: string; params: Record<string, unknown> }[] }>('queue.get', { id: item.id });
    const add = actions.find((a) => a.kind === 'hma.add_to_bank')!;
    expect(Object.keys(add.params).sort()).toEqual(['bankName', 'note', 'signals']);
    await services.outbox.drain();
    const done = services.db.prepare("SELECT result_json FROM actions WHERE kind = 'hma.add_to_bank'").get() as { result_json: string };
    const got = await client.getContent('CONFIRMED_PLAN', JSON.parse(done.result_json).contentId as number);
    expect(got.metadata).toBeNull();
    expect(got.note).toMatch(/^Confirmed in Matchdesk by .+ \[matchdesk:[0-9a-f]{16}:d\d+:\d+:hma\.add_to_bank\]$/);
  });
});

describe('no duplicate HMA content on an hma.add_to_bank retry (against the HMA test double with a lagging matcher)', () => {
  // The double's matcher reloads the stored index every 30 s of the fake clock, like HMA's
  // TASK_INDEX_CACHE_INTERVAL_SECONDS default: /m/index/status already shows an add that lookups do not return yet.
  let lag: HmaDouble;
  let proxy: DroppingProxy;
  let admin: HmaClient;

  beforeEach(async () => {
    lag = await startHmaDouble({ apiKey: API_KEY, autoRebuildIndex: true, matcherRefreshMs: 30_000, now: () => clock.now });
    admin = new HmaClient({ baseUrl: lag.url, apiKey: API_KEY, negativeCacheTtlMs: 0 });
    await addBallast(admin);
    await admin.createBank('NCMEC_LIKE');
    await admin.addSignals('NCMEC_LIKE', { pdq: knownPdq }, { note: NOTE });
    await admin.createBank('CONFIRMED');
    lag.rebuildIndex(); // the seed is served; what the app adds from here on waits for the matcher's next tick
    proxy = await startDroppingProxy(lag.url);
    await call('hma.saveSettings', { enabled: true, baseUrl: proxy.url, timeoutMs: 1000, apiKey: API_KEY });
    const plans = await call<Record<string, Record<string, unknown>>>('settings.getActionPlans');
    await call('settings.setActionPlans', { ...plans, undoWindowMs: 0, confirm: { ...plans.confirm, addToHmaBank: 'CONFIRMED' } });
    await importAndWait(folder);
    const item = (await call<{ items: { id: number }[] }>('queue.list', { limit: 1 })).items[0]!;
    await call('queue.decide', { id: item.id, verdict: 'confirm' });
  });

  afterEach(async () => {
    await proxy.close();
    await lag.close();
  });

  const marked = () => {
    const action = services.db.prepare("SELECT idempotency_key FROM actions WHERE kind = 'hma.add_to_bank'").get() as { idempotency_key: string };
    return [...lag.state.contents.values()].filter((c) => c.note?.includes(hmaMarker(services.hma.markerScope(), action.idempotency_key)));
  };
  const addAction = () => services.db.prepare("SELECT state, attempts, result_json, last_error FROM actions WHERE kind = 'hma.add_to_bank'").get() as { state: string; attempts: number; result_json: string | null; last_error: string | null };

  it('attempt 1 lands and its answer is lost; retries at once and later find it: exactly one content', async () => {
    proxy.drop({ mode: 'answer', method: 'POST', pathPrefix: '/c/bank/CONFIRMED/signal' });
    await services.outbox.drain();
    expect(proxy.dropped).toEqual([{ mode: 'answer', method: 'POST', path: '/c/bank/CONFIRMED/signal', status: 200 }]);
    expect(addAction()).toMatchObject({ state: 'pending', attempts: 1 });
    expect(marked()).toHaveLength(1);

    // At once (just past the 1 s request timeout): the stored index already shows the add, the matcher does not.
    clock.now += 2_500;
    await services.outbox.drain();
    expect(marked()).toHaveLength(1);
    expect((await admin.signalTypeIndexStatus()).video_md5).toMatchObject({ indexOutOfDate: false });
    expect(addAction()).toMatchObject({ state: 'pending' });

    // Later, after a whole matcher refresh interval: the lookup can be trusted and finds attempt 1's content.
    for (let i = 0; i < 10 && addAction().state !== 'done'; i++) {
      clock.now += 10_000;
      await services.outbox.drain();
      expect(marked()).toHaveLength(1);
    }
    const done = addAction();
    expect(done.state).toBe('done');
    expect(JSON.parse(done.result_json!)).toMatchObject({ contentId: marked()[0]!.id, found: 'earlier attempt' });
  });

  it('attempt 1 never reaches HMA; the retry adds it once the matcher provably does not have it', async () => {
    proxy.drop({ mode: 'request', method: 'POST', pathPrefix: '/c/bank/CONFIRMED/signal' });
    await services.outbox.drain();
    expect(marked()).toHaveLength(0);
    clock.now += 2_500;
    await services.outbox.drain();
    expect(marked()).toHaveLength(0);
    for (let i = 0; i < 10 && addAction().state !== 'done'; i++) {
      clock.now += 10_000;
      await services.outbox.drain();
    }
    expect(addAction().state).toBe('done');
    expect(marked()).toHaveLength(1);
    expect(JSON.parse(addAction().result_json!)).toEqual({ contentId: marked()[0]!.id, bank: 'CONFIRMED' });
  });
});
