// The HMA client contract tests, written once and run against every target: the HMA test double (auth off and on,
// test/hma/contract.test.ts) and a real HMA 1.1.7 in three deployments (test/hma-real/contract.test.ts). Nothing
// here may depend on double-only hooks except through `target.awaitIndexed` (double: rebuildIndex(); real HMA: poll
// until the indexer and the matcher's cache caught up). Needs nothing beside the checkout: test images are generated.

import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HmaAuthError,
  HmaBadRequestError,
  HmaClient,
  HmaError,
  HmaForbiddenError,
  HmaIndexNotReadyError,
  HmaNotFoundError,
  HmaServerError,
  HmaUnsupportedError,
  HmaValidationError,
  type HmaClientOptions,
  type HmaRole,
} from '../../electron/services/hma';
import { hashBytes } from '../../electron/services/hashing';
import { renderScene } from '../../electron/services/demo/demo-media';
import { flipBits, randomMd5, randomPdq, uniqueBank } from './helpers';

export interface ContractTarget {
  /** One URL per role (the same one for an all-roles HMA). */
  urls: Record<HmaRole, string>;
  apiKey: string | null;
  /** Make `contentId` (with this signal) matchable via /m/lookup. */
  awaitIndexed(client: HmaClient, signalType: string, signal: string, contentId: number): Promise<void>;
}

export interface SuiteOptions {
  /** Timeout for tests that wait for indexing (real HMA: minutes). */
  indexTimeoutMs: number;
  /** A matcher-only worker beside a curator (hma-matrix's split roles): the matcher has hashing off. */
  split?: boolean;
}

/** Poll raw_lookup until the content id shows up (real HMA: the indexer, then the matcher's cache reload). */
export async function pollIndexed(client: HmaClient, signalType: string, signal: string, contentId: number, timeoutMs: number, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await client.rawLookup(signalType, signal)).includes(contentId)) return;
    } catch (e) {
      if (!(e instanceof HmaIndexNotReadyError)) throw e;
    }
    if (Date.now() > deadline) throw new Error(`content ${contentId} not indexed after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function rejection(p: Promise<unknown>): Promise<HmaError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HmaError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

export function defineContractSuite(getTarget: () => ContractTarget, suite: SuiteOptions): void {
  let t: ContractTarget;
  let c: HmaClient;
  const created: string[] = [];
  const client = (extra: Partial<HmaClientOptions> = {}) =>
    new HmaClient({
      hasher: { baseUrl: t.urls.hasher },
      matcher: { baseUrl: t.urls.matcher },
      curator: { baseUrl: t.urls.curator },
      apiKey: t.apiKey,
      negativeCacheTtlMs: 0,
      requestsPerMinute: 0,
      ...extra,
    });
  const newBank = async (o: { enabled?: boolean } = {}) => {
    const name = uniqueBank();
    created.push(name);
    await c.createBank(name, o);
    return name;
  };

  beforeAll(async () => {
    t = getTarget();
    c = client();
    // HMA 1.1.7 never matches a PDQ index of exactly one hash (upstream #1318): two more PDQ hashes, so that no test
    // relies on another having added one first. (test/hma-real/one-hash-bug.test.ts shows the bug itself.)
    const ballast = await newBank();
    await c.addSignals(ballast, { pdq: randomPdq() });
    await c.addSignals(ballast, { pdq: randomPdq() });
  });
  afterAll(async () => {
    for (const b of created) await c?.deleteBank(b).catch(() => undefined);
  });

  describe('status and auth', () => {
    it('/status, /status/live and /site-map answer without a key, on every role server', async () => {
      const anon = client({ apiKey: null });
      for (const role of ['hasher', 'matcher', 'curator'] as const) {
        expect(await anon.statusLive(role)).toBe('I-AM-ALIVE');
        const status = await anon.status(role).catch((e: unknown) => e);
        if (status instanceof HmaIndexNotReadyError) expect(['INDEX-NOT-LOADED', 'INDEX-STALE']).toContain(status.reason);
        else expect(status).toBe('I-AM-ALIVE');
      }
      const byRole = { hasher: await anon.siteMap('hasher'), matcher: await anon.siteMap('matcher'), curator: await anon.siteMap('curator') };
      expect(byRole.curator).toEqual(expect.arrayContaining(['/c/banks', '/status', '/status/live']));
      expect(byRole.hasher).toContain('/h/hash');
      expect(byRole.matcher).toContain('/m/lookup');
      for (const rules of Object.values(byRole)) expect([...rules].sort()).toEqual(rules);
      expect((await anon.health()).every((h) => h.ok)).toBe(true);
    });

    it('Bearer auth: with a key required, a missing or wrong key gets 401 "Authentication required"; without one, any header passes', async () => {
      if (t.apiKey) {
        for (const apiKey of [null, `${t.apiKey}-wrong`, t.apiKey.toUpperCase() === t.apiKey ? `${t.apiKey}x` : t.apiKey.toUpperCase()]) {
          const e = await rejection(client({ apiKey }).listBanks());
          expect(e).toBeInstanceOf(HmaAuthError);
          expect(e.code).toBe('unauthorized');
          expect(e.status).toBe(401);
          expect(e.serverMessage).toBe('Authentication required');
          expect(e.message).not.toContain(t.apiKey);
        }
        expect(Array.isArray(await c.listBanks())).toBe(true);
      } else {
        expect(Array.isArray(await client({ apiKey: 'any-key-is-ignored' }).listBanks())).toBe(true);
        expect(Array.isArray(await client({ apiKey: null }).listBanks())).toBe(true);
      }
    });
  });

  describe('types', () => {
    it('lists signal types, content types and the enabled signal types used by lookupMedia', async () => {
      const st = await c.listSignalTypes();
      expect(st.map((s) => s.name)).toEqual(expect.arrayContaining(['pdq', 'video_md5']));
      for (const s of st) expect(typeof s.enabledRatio).toBe('number');
      expect(await c.listContentTypes()).toEqual(expect.arrayContaining([{ name: 'photo', enabled: true }, { name: 'video', enabled: true }]));
      expect(await c.enabledSignalTypes()).toEqual(expect.arrayContaining(['pdq', 'video_md5']));
    });
  });

  describe('banks', () => {
    it('create (201), duplicate → 403, bad name → 400, get, list, update ratio, rename, delete (idempotent), missing → 404', async () => {
      const name = uniqueBank();
      created.push(name);
      expect(await c.createBank(name)).toEqual({ name, matchingEnabledRatio: 1, enabled: true });
      const dup = await rejection(c.createBank(name));
      expect(dup).toBeInstanceOf(HmaForbiddenError);
      expect(dup.serverMessage).toBe('Bank already exists');
      const bad = await rejection(c.createBank('lower_case'));
      expect(bad).toBeInstanceOf(HmaBadRequestError);
      expect(bad.status).toBe(400);
      expect(bad.serverMessage).toBe('Bank names must be UPPER_WITH_UNDERSCORE');
      expect(await c.getBank(name)).toEqual({ name, matchingEnabledRatio: 1, enabled: true });
      expect((await c.listBanks()).map((b) => b.name)).toContain(name);
      expect(await c.updateBank(name, { enabledRatio: 0.5 })).toMatchObject({ matchingEnabledRatio: 0.5, enabled: true });
      expect(await c.updateBank(name, { enabled: false })).toMatchObject({ matchingEnabledRatio: 0, enabled: false });
      const renamed = `${name}_R`;
      created.push(renamed);
      expect(await c.updateBank(name, { name: renamed, enabled: true })).toEqual({ name: renamed, matchingEnabledRatio: 1, enabled: true });
      const gone = await rejection(c.getBank(name));
      expect(gone).toBeInstanceOf(HmaNotFoundError);
      expect((gone as HmaNotFoundError).routeMissing).toBe(false);
      expect(gone.serverMessage).toBe(`bank '${name}' not found`);
      const upd404 = await rejection(c.updateBank(name, { enabledRatio: 1 }));
      expect(upd404).toBeInstanceOf(HmaNotFoundError);
      await c.deleteBank(renamed);
      await c.deleteBank(renamed); // idempotent: 200 {"message":"Done"} again
      expect((await c.listBanks()).map((b) => b.name)).not.toContain(renamed);
    });

    it('createBank({enabled:false}) really creates a disabled bank (HMA ignores `enabled` on create, so the client sends enabled_ratio 0)', async () => {
      const name = await newBank({ enabled: false });
      expect(await c.getBank(name)).toMatchObject({ matchingEnabledRatio: 0, enabled: false });
    });
  });

  describe('bank content', () => {
    it('add by signal, then get with signals and note; metadata omitted; any bank name reads any id (quirk); missing id → 404', async () => {
      const bank = await newBank();
      const other = await newBank();
      const pdq = randomPdq();
      const added = await c.addSignals(bank, { pdq, video_md5: '  D41D8CD98F00B204E9800998ECF8427E ' }, { note: 'seen in !room:example.org' });
      expect(added.signals).toEqual({ pdq, video_md5: 'd41d8cd98f00b204e9800998ecf8427e' });
      const got = await c.getContent(bank, added.id);
      expect(got).toMatchObject({ id: added.id, bankName: bank, disableUntilTs: 1, enabled: true, note: 'seen in !room:example.org', metadata: null, originalMediaUri: null });
      expect(got.signals).toEqual(added.signals);
      expect((await c.getContent(bank, added.id, { includeSignals: false })).signals).toBeUndefined();
      expect((await c.getContent(other, added.id)).bankName).toBe(bank);
      const missing = await rejection(c.getContent(bank, 2_000_000_000));
      expect(missing).toBeInstanceOf(HmaNotFoundError);
      expect(missing.serverMessage).toBe("content '2000000000' not found");
      const noBank = await rejection(c.getContent('NO_SUCH_BANK_MDT', added.id));
      expect(noBank.serverMessage).toBe("bank 'NO_SUCH_BANK_MDT' not found");
    });

    it('add by photo upload with metadata and note; hash() gives the PDQ Matchdesk computes; a low-quality photo hashes to ""', async () => {
      // Lossless PNGs, so HMA (PIL) and Matchdesk decode the same pixels: the hashes must then agree bit for bit.
      const png = new Uint8Array(await sharp(await renderScene(4242)).png().toBuffer());
      const flat = new Uint8Array(await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).png().toBuffer());
      const ours = await hashBytes(png);
      expect(ours.pdqQuality).toBeGreaterThanOrEqual(50);
      expect((await hashBytes(flat)).pdqQuality).toBeLessThan(50);
      expect(await c.hash(png, 'photo', { mimeType: 'image/png' })).toEqual({ pdq: ours.pdq });
      expect(await c.hash(flat, 'photo', { mimeType: 'image/png' })).toEqual({ pdq: '' });
      const bank = await newBank();
      const metadata = { content_id: 'ext-id-123', content_uri: 'https://example.com/item/123', json: { source: 'test' } };
      const added = await c.addContentByUpload(bank, png, 'photo', { metadata, note: 'Reported by user X', mimeType: 'image/png' });
      expect(added.signals).toEqual({ pdq: ours.pdq });
      const got = await c.getContent(bank, added.id);
      expect(got.metadata).toEqual({ contentId: 'ext-id-123', contentUri: 'https://example.com/item/123', json: { source: 'test' }, collab: null });
      expect(got.note).toBe('Reported by user X');
      const lowAdd = await rejection(c.addContentByUpload(bank, flat, 'photo', { mimeType: 'image/png' }));
      expect(lowAdd).toBeInstanceOf(HmaBadRequestError);
      expect(lowAdd.serverMessage).toBe('Invalid pdq signal: invalid PDQ hash');
      const undecodable = await rejection(c.hash(new TextEncoder().encode('not an image at all, but sent as a photo'), 'photo'));
      expect(undecodable).toBeInstanceOf(HmaServerError);
      expect(undecodable.status).toBe(500);
    });

    it('add by video upload: video_md5 is the MD5 of the bytes', async () => {
      const bytes = new TextEncoder().encode(`not really a video ${Math.random()}`);
      expect(await c.hash(bytes, 'video')).toEqual({ video_md5: md5(bytes) });
      const bank = await newBank();
      const added = await c.addContentByUpload(bank, bytes, 'video', { note: 'clip' });
      expect(added.signals).toEqual({ video_md5: md5(bytes) });
    });

    it('add-content errors: unknown bank → 404, extra metadata key → 400, note > 255 → 400, bad/unknown signal → 400, nothing → 400', async () => {
      const bank = await newBank();
      expect(await rejection(c.addSignals('NO_SUCH_BANK_MDT', { pdq: randomPdq() }))).toBeInstanceOf(HmaNotFoundError);
      const extra = await rejection(c.addContentByUpload(bank, new TextEncoder().encode('v'), 'video', { metadata: { nope: 1 } as never }));
      expect(extra).toBeInstanceOf(HmaBadRequestError);
      expect(extra.serverMessage).toMatch(/^Invalid metadata: 1 validation error for BankedContentMetadata/);
      expect(extra.serverMessage).toMatch(/Extra inputs are not permitted/);
      const longNote = await rejection(c.addSignals(bank, { pdq: randomPdq() }, { note: 'x'.repeat(256) }));
      expect(longNote.serverMessage).toBe('note must be at most 255 characters');
      expect((await rejection(c.addSignals(bank, { pdq: randomPdq().toUpperCase() }))).serverMessage).toBe('Invalid pdq signal: invalid PDQ hash');
      expect((await rejection(c.addSignals(bank, { video_md5: 'xyz' }))).serverMessage).toBe("Invalid video_md5 signal: 'xyz' is not a valid MD5 hash");
      expect((await rejection(c.addSignals(bank, { metadata: 'x' }))).serverMessage).toBe('No such signal type metadata');
      expect((await rejection(c.addSignals(bank, {}))).serverMessage).toBe('No signals given');
    });

    it('PUT content: disable_until_ts range checks, note set/clear, dataclass response shape', async () => {
      const bank = await newBank();
      const { id } = await c.addSignals(bank, { pdq: randomPdq() });
      const off = await c.disableContent(bank, id);
      expect(off).toMatchObject({ id, disableUntilTs: 0, enabled: false, bankName: bank });
      expect((await c.getContent(bank, id)).enabled).toBe(false);
      expect(await c.enableContent(bank, id)).toMatchObject({ disableUntilTs: 1, enabled: true });
      expect((await c.updateContent(bank, id, { note: 'reviewed: true positive' })).note).toBe('reviewed: true positive');
      expect((await c.updateContent(bank, id, { note: '' })).note).toBeNull();
      const neg = await rejection(c.updateContent(bank, id, { disableUntilTs: -5 }));
      expect(neg.serverMessage).toBe('disable_until_ts must be a non-negative integer');
      const far = await rejection(c.updateContent(bank, id, { disableUntilTs: Math.floor(Date.now() / 1000) + 6 * 365 * 86400 }));
      expect(far.serverMessage).toBe('disable_until_ts must be less than 5 years in the future');
      const raw = (await c.request('curator', 'PUT', `/c/bank/${bank}/content/${id}`, { json: { disable_until_ts: 1 } })) as Record<string, unknown>;
      expect(Object.keys(raw).sort()).toEqual(['bank', 'collab_metadata', 'disable_until_ts', 'id', 'note', 'original_media_uri', 'user_metadata']);
      expect((await rejection(c.updateContent(bank, 2_000_000_000, { disableUntilTs: 0 }))).status).toBe(404);
    });

    it('delete content: {deleted:1} then {deleted:0}', async () => {
      const bank = await newBank();
      const { id } = await c.addSignals(bank, { pdq: randomPdq() });
      expect(await c.deleteContent(bank, id)).toBe(1);
      expect(await c.deleteContent(bank, id)).toBe(0);
      expect(await rejection(c.getContent(bank, id))).toBeInstanceOf(HmaNotFoundError);
    });
  });

  describe('matching', () => {
    it(
      'lookup by signal: PDQ within 31 bits matches with a numeric distance, 32 does not; video_md5 is exact; lookupMedia normalises',
      async () => {
        const bank = await newBank();
        const otherBank = await newBank();
        const base = randomPdq();
        const md = randomMd5();
        const a = await c.addSignals(bank, { pdq: base }, { note: 'a' });
        const b = await c.addSignals(bank, { video_md5: md });
        const o = await c.addSignals(otherBank, { pdq: flipBits(base, 3) });
        await t.awaitIndexed(c, 'pdq', base, a.id);
        await t.awaitIndexed(c, 'video_md5', md, b.id);
        await t.awaitIndexed(c, 'pdq', base, o.id);

        const at31 = flipBits(base, 31);
        const hits = await c.lookupSignal('pdq', at31, { banks: [bank] });
        expect(hits).toEqual({ [bank]: [{ bankContentId: a.id, distance: 31, rawDistance: '31' }] });
        expect(await c.lookupSignal('pdq', flipBits(base, 32), { banks: [bank] })).toEqual({});
        const md5Hits = await c.lookupSignal('video_md5', md, { banks: [bank] });
        expect(md5Hits).toEqual({ [bank]: [{ bankContentId: b.id, distance: 0, rawDistance: '-' }] });

        const both = await c.lookupSignal('pdq', base, { banks: [bank, otherBank] });
        expect(Object.keys(both).sort()).toEqual([bank, otherBank].sort());

        const matches = await c.lookupMedia({ pdq: flipBits(base, 5), md5: md.toUpperCase() }, { banks: [bank], includeDetails: true });
        expect(matches).toEqual([
          expect.objectContaining({ bankName: bank, contentId: b.id, signalType: 'video_md5', distance: 0, rawDistance: '-', querySignal: md, signal: md }),
          expect.objectContaining({ bankName: bank, contentId: a.id, signalType: 'pdq', distance: 5, rawDistance: '5', signal: base, enabled: true, note: 'a' }),
        ]);
        expect(await c.lookupMedia({ pdq: null, videoMd5: randomMd5() }, { banks: [bank] })).toEqual([]);
        expect(await c.lookupMedia({ pdq: '' }, { banks: [bank] })).toEqual([]);
      },
      suite.indexTimeoutMs,
    );

    it(
      'disabling bank content (PUT disable_until_ts) makes the next /m/lookup stop returning it; raw_lookup still does; re-enabling restores it',
      async () => {
        const bank = await newBank();
        const pdq = randomPdq();
        const { id } = await c.addSignals(bank, { pdq });
        await t.awaitIndexed(c, 'pdq', pdq, id);
        expect((await c.lookupMedia({ pdq }, { banks: [bank] })).map((m) => m.contentId)).toEqual([id]);

        await c.disableContent(bank, id);
        expect(await c.lookupSignal('pdq', pdq, { banks: [bank] })).toEqual({});
        expect(await c.lookupMedia({ pdq }, { banks: [bank] })).toEqual([]);
        expect(await c.rawLookup('pdq', pdq, { banks: [bank] })).toEqual([id]);

        await c.enableContent(bank, id);
        expect((await c.lookupMedia({ pdq }, { banks: [bank] })).map((m) => m.contentId)).toEqual([id]);

        const nowSec = Math.floor(Date.now() / 1000);
        expect((await c.disableContent(bank, id, nowSec + 3600)).enabled).toBe(false);
        expect(await c.lookupMedia({ pdq }, { banks: [bank] })).toEqual([]);
        expect((await c.disableContent(bank, id, nowSec - 60)).enabled).toBe(true); // a past timestamp means enabled
        expect((await c.lookupMedia({ pdq }, { banks: [bank] })).map((m) => m.contentId)).toEqual([id]);

        expect(await c.deleteContent(bank, id)).toBe(1);
        expect(await c.lookupMedia({ pdq }, { banks: [bank] })).toEqual([]);
      },
      suite.indexTimeoutMs,
    );

    it(
      'raw_lookup: ids, string distances with include_distance, unknown bank filter → []',
      async () => {
        const bank = await newBank();
        const pdq = randomPdq();
        const { id } = await c.addSignals(bank, { pdq });
        await t.awaitIndexed(c, 'pdq', pdq, id);
        expect(await c.rawLookup('pdq', flipBits(pdq, 7), { banks: [bank] })).toEqual([id]);
        expect(await c.rawLookupWithDistance('pdq', flipBits(pdq, 7), { banks: [bank] })).toEqual([{ bankContentId: id, distance: 7, rawDistance: '7' }]);
        expect(await c.rawLookup('pdq', pdq, { banks: ['NO_SUCH_BANK_MDT'] })).toEqual([]);
      },
      suite.indexTimeoutMs,
    );

    it('index status and signal-type index status have the documented shapes', async () => {
      const st = await c.indexStatus();
      for (const type of ['pdq', 'video_md5']) {
        expect(st[type]).toEqual({ present: expect.any(Boolean), builtTo: expect.any(Number), size: expect.any(Number) });
      }
      expect(Object.keys(await c.indexStatus('pdq'))).toEqual(['pdq']);
      expect((await rejection(c.indexStatus('nope'))).serverMessage).toBe("No such signal type 'nope'");
      const cs = await c.signalTypeIndexStatus('pdq');
      expect(cs.pdq).toEqual({ dbSize: expect.any(Number), indexSize: expect.any(Number), indexOutOfDate: expect.any(Boolean), newestDbItem: expect.any(Number), indexBuiltTo: expect.any(Number) });
    });

    it('compare: pdq specimen pair is distance 9 (match); video_md5 compare is a 500 in HMA 1.1.7', async () => {
      const a = 'facd8bcb2a49bcebdec1985298d5fe84bcd006c187c598c720c3c087b3fdb318';
      const b = 'facd8bcb2a49bcebdec1985228d5ae84bcd006c187c598c720c2b087b3fdb318';
      expect(await c.compare({ pdq: [a, b] })).toEqual({ pdq: { match: true, distance: 9, similarity: { distance: 9 } } });
      expect((await c.compare({ pdq: [a, flipBits(a, 40)] })).pdq).toMatchObject({ match: false, distance: 40 });
      const e = await rejection(c.compare({ video_md5: [randomMd5(), randomMd5()] }));
      expect(e).toBeInstanceOf(HmaServerError);
      expect(e.status).toBe(500);
      expect((await rejection(c.compare({ pdq: [a, 'zz'] }))).serverMessage).toBe('Invalid pdq hash: invalid PDQ hash');
    });
  });

  describe('signal types', () => {
    it("PUT /c/signal_type/<name> answers 500 on HMA 1.1.7: the client raises HmaUnsupportedError, and the ratio is unchanged", async () => {
      const before = await c.listSignalTypes();
      const e = await rejection(c.setSignalTypeEnabledRatio('pdq', 0.5));
      expect(e).toBeInstanceOf(HmaUnsupportedError);
      expect(e.code).toBe('unsupported');
      expect(e.status).toBe(500);
      expect(e.retryable).toBe(false);
      expect(e.isOutage).toBe(false);
      expect(e.message).toMatch(/cannot change a signal type's enabled ratio/);
      expect(await c.listSignalTypes()).toEqual(before);
    });
  });

  if (suite.split) describe('split roles (hma-matrix: the matcher runs with hashing off)', () => {
    it('hash on the hasher, then look up by signal on the matcher; URL and upload lookups on the matcher → 403; /c on the matcher → HTML 404', async () => {
      const matcherOnly = new HmaClient({ baseUrl: t.urls.matcher, apiKey: t.apiKey, negativeCacheTtlMs: 0 });
      const e = await rejection(matcherOnly.lookupUpload(new TextEncoder().encode('x'), 'video'));
      expect(e).toBeInstanceOf(HmaForbiddenError);
      expect((e as HmaForbiddenError).hashingDisabled).toBe(true);
      const url = await rejection(matcherOnly.request('matcher', 'GET', '/m/lookup', { query: { url: 'https://example.org/x.jpg' } }));
      expect(url.status).toBe(403);
      const notServed = await rejection(matcherOnly.listBanks());
      expect(notServed).toBeInstanceOf(HmaNotFoundError);
      expect((notServed as HmaNotFoundError).routeMissing).toBe(true);
      const noHashing = await rejection(matcherOnly.hash(new TextEncoder().encode('x'), 'video'));
      expect((noHashing as HmaNotFoundError).routeMissing).toBe(true);
      // lookupMedia still learns the signal types, from the matcher's /m/index/status
      expect((await matcherOnly.enabledSignalTypes()).sort()).toEqual(['pdq', 'video_md5']);
      // The per-role client hashes on the hasher and looks up on the matcher.
      const bytes = new TextEncoder().encode(`split video ${Math.random()}`);
      const bank = await newBank();
      const { id } = await c.addContentByUpload(bank, bytes, 'video');
      await t.awaitIndexed(c, 'video_md5', md5(bytes), id);
      const { hashes, matches } = await c.lookupBytes(bytes, 'video', { banks: [bank] });
      expect(hashes).toEqual({ video_md5: md5(bytes) });
      expect(matches).toEqual([expect.objectContaining({ bankName: bank, contentId: id, signalType: 'video_md5', distance: 0 })]);
    }, suite.indexTimeoutMs);
  });

  describe('error classes', () => {
    it('400 invalid or unknown signal, 422 pydantic array, HTML 404 for a missing route, 415 for a non-JSON body', async () => {
      const bad = await rejection(c.lookupSignal('pdq', 'not-a-hash'));
      expect(bad).toBeInstanceOf(HmaBadRequestError);
      expect(bad.serverMessage).toBe('invalid signal: invalid PDQ hash');
      expect((await rejection(c.lookupSignal('url', 'https://example.org'))).serverMessage).toBe("No such SignalType 'url'");

      const v = await rejection(c.request('matcher', 'GET', '/m/raw_lookup', { query: { signal_type: 'pdq' } }));
      expect(v).toBeInstanceOf(HmaValidationError);
      expect(v.status).toBe(422);
      expect((v as HmaValidationError).issues).toEqual([expect.objectContaining({ type: 'missing', loc: ['signal'], msg: 'Field required' })]);
      const vb = await rejection(c.request('matcher', 'GET', '/m/raw_lookup', { query: { signal_type: 'pdq', signal: randomPdq(), include_distance: 'maybe' } }));
      expect((vb as HmaValidationError).issues[0]).toMatchObject({ type: 'bool_parsing', loc: ['include_distance'] });

      const route = await rejection(c.request('curator', 'GET', '/c/no_such_route'));
      expect(route).toBeInstanceOf(HmaNotFoundError);
      expect((route as HmaNotFoundError).routeMissing).toBe(true);
      const method = await rejection(c.request('curator', 'DELETE', '/c/banks'));
      expect(method.status).toBe(405);

      const bank = await newBank();
      const { id } = await c.addSignals(bank, { pdq: randomPdq() });
      const form = new FormData();
      form.set('disable_until_ts', '0');
      const e415 = await rejection(c.request('curator', 'PUT', `/c/bank/${bank}/content/${id}`, { form }));
      expect(e415).toBeInstanceOf(HmaBadRequestError);
      expect(e415.status).toBe(415);
    });
  });

  describe('exchanges', () => {
    it('apis, schema, create (makes a bank), get, status, enable/disable via PUT (non-JSON body), delete cascades', async () => {
      const apis = await c.listExchangeApis();
      expect(apis).toContain('sample');
      expect(await c.getExchangeApiSchema('sample')).toEqual({ config_schema: { fields: [] }, credentials_schema: null });
      expect((await rejection(c.getExchangeApi('no_such_api'))).serverMessage).toBe("no such Exchange API 'no_such_api'");
      const name = uniqueBank('MDTX');
      created.push(name);
      await c.createExchange({ bank: name, api: 'sample', apiJson: {} });
      expect(await c.listExchanges()).toContain(name);
      expect((await c.listBanks()).map((b) => b.name)).toContain(name);
      expect(await c.getExchange(name)).toMatchObject({ name, api: 'sample', enabled: true });
      const st = await c.getExchangeStatus(name);
      expect(Object.keys(st).sort()).toEqual(['checkpointTs', 'fetchedItems', 'lastFetchCompleteTs', 'lastFetchSucceeded', 'runningFetchStartTs', 'upToDate']);
      await c.setExchangeEnabled(name, false);
      expect((await c.getExchange(name)).enabled).toBe(false);
      const body = await c.request('curator', 'PUT', `/c/exchange/${name}`, { json: { enabled: true }, expect: 'text' });
      expect(body).toBe('nameapienabled');
      expect((await rejection(c.createExchange({ bank: 'lower', api: 'sample' }))).serverMessage).toBe('Field `bank` must match /^[A-Z0-9_]+$/');
      expect((await rejection(c.getExchangeStatus('NO_SUCH_EXCHANGE_MDT'))).status).toBe(404);
      await c.deleteExchange(name);
      await c.deleteExchange(name);
      expect(await c.listExchanges()).not.toContain(name);
      expect((await c.listBanks()).map((b) => b.name)).not.toContain(name);
    });
  });
}
