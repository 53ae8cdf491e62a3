// Two things that need a real HMA 1.1.7 of their own (a fresh database; a process this file may kill):
//  * HMA's one-hash bug (upstream #1318, hma-api.md §1.5): a PDQ index holding exactly one hash never matches, while
//    /m/compare says distance 0; Test connection warns about it in plain words with the fix; a second hash fixes it.
//  * an outage: HMA killed (master and worker) while a folder is imported; items wait as "lookup failed — will
//    retry", and match once HMA is back.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hashBytes } from '../../electron/services/hashing';
import { HmaClient } from '../../electron/services/hma';
import { SINGLE_PDQ_HASH_WARNING } from '../../electron/services/hma-link/hma-handlers';
import { pollIndexed } from '../hma/contract-suite';
import { randomMd5, randomPdq } from '../hma/helpers';
import { tempDir } from '../helpers/temp-dir';
import { ALL_ROLES, createDatabase, startHma, type RealHma } from './harness';
import { appFor, call, importAndWait, realHmaSkipNote, waitUntil, writeScenes, type DeploymentInfo } from './real-hma';

const ctx = inject('realHma');
realHmaSkipNote(ctx, "the one-hash bug and outage tests against a real HMA of their own");

describe.skipIf(ctx.unavailable !== null)('a real HMA 1.1.7 of its own (fresh database)', () => {
  const temp = tempDir('matchdesk-hma-real-own-');
  let hma: RealHma;
  let d: DeploymentInfo;
  let c: HmaClient;

  beforeAll(async () => {
    if (!ctx.pg) throw new Error(`no PostgreSQL: ${ctx.startError}`);
    const database = createDatabase(ctx.pg!, 'hma_own');
    hma = await startHma({ pg: ctx.pg!, database, roles: ALL_ROLES, name: 'own', indexerIntervalS: 1, indexCacheIntervalS: 1 });
    d = { name: 'all-roles', description: 'own', database, apiKey: null, urls: { hasher: hma.url, matcher: hma.url, curator: hma.url }, indexCacheIntervalS: 1 };
    c = new HmaClient({ baseUrl: hma.url, negativeCacheTtlMs: 0, requestsPerMinute: 0 });
  });

  afterAll(async () => {
    await hma?.stop();
    temp.cleanup();
  });

  it('a PDQ index of exactly one hash never matches (compare says 0); Test connection warns with the fix; a second hash fixes it', async () => {
    await c.createBank('ONLY_ONE');
    const pdq = randomPdq();
    const md = randomMd5();
    const { id } = await c.addSignals('ONLY_ONE', { pdq, video_md5: md });
    // The exact-match index has no such bug: once it serves the content, so does PDQ's (same indexer run) — or not.
    await pollIndexed(c, 'video_md5', md, id, 60_000);
    await new Promise((r) => setTimeout(r, 2_500)); // two more matcher reloads
    expect((await c.indexStatus('pdq')).pdq).toMatchObject({ present: true, size: 1 });
    expect(await c.rawLookup('pdq', pdq)).toEqual([]);
    expect(await c.lookupSignal('pdq', pdq)).toEqual({});
    expect((await c.compare({ pdq: [pdq, pdq] })).pdq).toMatchObject({ match: true, distance: 0 });

    const services = await appFor(d, temp.dir);
    try {
      const t = await call<{ warnings: string[]; error: string | null }>(services, 'hma.testConnection');
      expect(t.error).toBeNull();
      expect(t.warnings).toEqual([SINGLE_PDQ_HASH_WARNING]);
      expect(SINGLE_PDQ_HASH_WARNING).toMatch(/single hash.*never matches.*add a second PDQ hash/);

      await c.addSignals('ONLY_ONE', { pdq: randomPdq() });
      await pollIndexed(c, 'pdq', pdq, id, 60_000);
      expect((await c.lookupSignal('pdq', pdq)).ONLY_ONE).toEqual([{ bankContentId: id, distance: 0, rawDistance: '0' }]);
      expect((await call<{ warnings: string[] }>(services, 'hma.testConnection')).warnings).toEqual([]);
    } finally {
      await services.close();
    }
  });

  it('an outage (HMA killed mid-import) is survived: lookups wait as "will retry" and match once HMA is back', async () => {
    const folder = join(temp.dir, 'incoming');
    mkdirSync(folder);
    const scenes = await writeScenes(folder, [7800, 7801]);
    await c.createBank('OUTAGE_BANK');
    const png = (await hashBytes(scenes[0]!.png)).pdq!;
    const added = await c.addContentByUpload('OUTAGE_BANK', scenes[0]!.png, 'photo', { note: 'outage', mimeType: 'image/png' });
    await pollIndexed(c, 'pdq', png, added.id, 60_000);
    // A short breaker cooldown: the outage opens the client's circuit breaker, as it should.
    const services = await appFor(d, temp.dir, { timeoutMs: 2_000, hmaClient: { retry: { maxAttempts: 1 }, circuitBreaker: { cooldownMs: 1_000 } } });
    try {
      await hma.kill();
      const job = await importAndWait(services, folder);
      expect(job).toMatchObject({ hashed: 2, matched: 0, lookupFailed: 2 });
      expect(await call(services, 'ingest.lookupStatus')).toMatchObject({ count: 2 });
      const t = await call<{ roles: { ok: boolean }[] }>(services, 'hma.testConnection');
      expect(t.roles.every((r) => !r.ok)).toBe(true);

      await hma.start();
      await waitUntil('the pending lookups to recover', async () => {
        services.db.prepare('UPDATE pending_lookups SET next_at = 0').run(); // due now, rather than after the backoff
        await services.ingest.retryPendingLookups();
        return (await call<{ count: number }>(services, 'ingest.lookupStatus')).count === 0;
      }, 60_000, 500);
      const list = await call<{ items: { media: { fileName: string }; matches: { matcher: string; bankName: string }[] }[] }>(services, 'queue.list', { limit: 10 });
      expect(list.items.map((i) => i.media.fileName)).toEqual(['scene-7800.jpg']);
      expect(list.items[0]!.matches).toEqual([expect.objectContaining({ matcher: 'hma', bankName: 'OUTAGE_BANK' })]);
    } finally {
      await services.close();
    }
  });
});
