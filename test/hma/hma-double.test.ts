// Double-only tests: the rebuild hook, split (per-role) deployments, and HMA 1.1.7 quirks checked on the wire
// (../shared/docs/hma-api.md §9). These need the double's hooks, so they do not run against a real HMA.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HmaBadRequestError, HmaClient, HmaForbiddenError, HmaNotFoundError, HmaError } from '../../electron/services/hma';
import { localPdqHasher, md5Hex, parseMultipart, startHmaDouble, syntheticPhoto, type HmaDouble } from '../hma-double';
import { flipBits, randomMd5, randomPdq } from './helpers';

async function rejection(p: Promise<unknown>): Promise<HmaError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HmaError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

const J = { 'content-type': 'application/json' };

describe('HMA test double: its hooks, split deployments and modelled HMA bugs', () => {
  it('new content is not matchable until rebuildIndex() (like HMA’s indexer); autoRebuildIndex matches at once', async () => {
    const d = await startHmaDouble();
    try {
      const c = new HmaClient({ baseUrl: d.url, negativeCacheTtlMs: 0, requestsPerMinute: 0 });
      await c.createBank('LAG_BANK');
      const pdq = randomPdq();
      const { id } = await c.addSignals('LAG_BANK', { pdq });
      await c.addSignals('LAG_BANK', { pdq: randomPdq() }); // a second PDQ hash: HMA never matches an index of one
      expect(await c.lookupMedia({ pdq })).toEqual([]);
      expect(await c.rawLookup('pdq', pdq)).toEqual([]);
      expect((await c.signalTypeIndexStatus('pdq')).pdq).toMatchObject({ dbSize: 2, indexSize: 0, indexOutOfDate: true });
      d.rebuildIndex();
      expect((await c.lookupMedia({ pdq })).map((m) => m.contentId)).toEqual([id]);
      expect((await c.indexStatus('pdq')).pdq).toMatchObject({ present: true, size: 2 });
      expect((await c.indexStatus('pdq')).pdq!.builtTo).toBeGreaterThan(1_600_000_000);
    } finally {
      await d.close();
    }
    const auto = await startHmaDouble({ autoRebuildIndex: true });
    try {
      const c = new HmaClient({ baseUrl: auto.url, negativeCacheTtlMs: 0 });
      await c.createBank('AUTO_BANK');
      const pdq = randomPdq();
      const { id } = await c.addSignals('AUTO_BANK', { pdq });
      await c.addSignals('AUTO_BANK', { pdq: randomPdq() });
      expect((await c.lookupMedia({ pdq })).map((m) => m.contentId)).toEqual([id]);
    } finally {
      await auto.close();
    }
  });

  it("HMA's one-hash bug: a PDQ index holding exactly one hash never matches (compare still says 0); a second hash anywhere fixes it", async () => {
    const d = await startHmaDouble({ autoRebuildIndex: true });
    try {
      const c = new HmaClient({ baseUrl: d.url, negativeCacheTtlMs: 0, requestsPerMinute: 0 });
      await c.createBank('ONE_BANK');
      const pdq = randomPdq();
      const md = randomMd5();
      const { id } = await c.addSignals('ONE_BANK', { pdq, video_md5: md });
      expect((await c.indexStatus('pdq')).pdq).toMatchObject({ present: true, size: 1 });
      expect(await c.rawLookup('pdq', pdq)).toEqual([]);
      expect(await c.lookupSignal('pdq', pdq)).toEqual({});
      expect((await c.compare({ pdq: [pdq, pdq] })).pdq).toMatchObject({ match: true, distance: 0 });
      expect(await c.rawLookup('video_md5', md)).toEqual([id]); // exact-match indexes are not affected
      await c.createBank('OTHER_BANK');
      await c.addSignals('OTHER_BANK', { pdq: randomPdq() });
      expect(await c.rawLookup('pdq', pdq)).toEqual([id]);
    } finally {
      await d.close();
    }
  });

  it('stored vs served: /m/index/status shows a build at once, lookups see it only from the matcher’s next refresh tick', async () => {
    let now = 1_800_000_000_000;
    const d = await startHmaDouble({ autoRebuildIndex: true, matcherRefreshMs: 30_000, now: () => now });
    try {
      const c = new HmaClient({ baseUrl: d.url, negativeCacheTtlMs: 0, requestsPerMinute: 0 });
      await c.createBank('TICK_BANK');
      const md = randomMd5();
      now += 1_000;
      const { id } = await c.addSignals('TICK_BANK', { video_md5: md });
      expect((await c.indexStatus('video_md5')).video_md5).toMatchObject({ present: true, size: 1 });
      expect((await c.signalTypeIndexStatus('video_md5')).video_md5).toMatchObject({ indexOutOfDate: false, indexSize: 1 });
      expect(await c.rawLookup('video_md5', md)).toEqual([]);
      now += 28_000; // t = 29 s: still before the first tick (30 s)
      expect(await c.rawLookup('video_md5', md)).toEqual([]);
      now += 1_000; // t = 30 s: the matcher reloads
      expect(await c.rawLookup('video_md5', md)).toEqual([id]);
      d.rebuildIndex(); // the explicit hook serves at once
      const md2 = randomMd5();
      const second = await c.addSignals('TICK_BANK', { video_md5: md2 });
      d.rebuildIndex();
      expect(await c.rawLookup('video_md5', md2)).toEqual([second.id]);
    } finally {
      await d.close();
    }
  });

  describe('split deployment: hma-matrix workers, one per role, each with its own key', () => {
    let curator: HmaDouble;
    let hasher: HmaDouble;
    let matcher: HmaDouble;
    let client: HmaClient;
    beforeAll(async () => {
      curator = await startHmaDouble({ roles: { curator: true, hasher: false, matcher: false }, apiKey: 'curator-key', hasher: localPdqHasher() });
      hasher = await startHmaDouble({ roles: { hasher: true, curator: false, matcher: false }, apiKey: 'hasher-key', hasher: localPdqHasher(), state: curator.state });
      matcher = await startHmaDouble({ roles: { matcher: true, hasher: false, curator: false }, apiKey: 'matcher-key', state: curator.state });
      client = new HmaClient({
        hasher: { baseUrl: hasher.url, apiKey: 'hasher-key' },
        matcher: { baseUrl: matcher.url, apiKey: 'matcher-key' },
        curator: { baseUrl: curator.url, apiKey: 'curator-key' },
        negativeCacheTtlMs: 0,
      });
    });
    afterAll(async () => {
      await Promise.all([curator.close(), hasher.close(), matcher.close()]);
    });

    it('hash on the hasher, bank on the curator, hash-then-/m/lookup on the matcher; each server sees only its key', async () => {
      await client.createBank('SPLIT_BANK');
      const stored = randomPdq();
      const { pdq } = await client.hash(syntheticPhoto(stored), 'photo');
      expect(pdq).toBe(stored);
      await client.addSignals('SPLIT_BANK', { pdq: randomPdq() }); // a second PDQ hash (HMA's one-hash bug)
      const added = await client.addContentByUpload('SPLIT_BANK', syntheticPhoto(stored), 'photo', { note: 'split' });
      curator.rebuildIndex();
      const matches = await client.lookupMedia({ pdq: flipBits(stored, 12) });
      expect(matches).toEqual([expect.objectContaining({ bankName: 'SPLIT_BANK', contentId: added.id, distance: 12 })]);
      for (const [d, key] of [
        [curator, 'curator-key'],
        [hasher, 'hasher-key'],
        [matcher, 'matcher-key'],
      ] as const) {
        expect(d.requests.length).toBeGreaterThan(0);
        for (const r of d.requests) expect(r.authorization).toBe(`Bearer ${key}`);
      }
      const viaHasher = await client.lookupBytes(syntheticPhoto(flipBits(stored, 3)), 'photo');
      expect(viaHasher.matches).toEqual([expect.objectContaining({ contentId: added.id, distance: 3 })]);
      expect((await client.lookupBytes(new TextEncoder().encode('PDQ:LOW-QUALITY'), 'photo')).matches).toEqual([]);
      expect(matcher.requests.map((r) => r.path)).toContain('/m/lookup');
      expect(new Set(hasher.requests.map((r) => r.path))).toEqual(new Set(['/h/hash']));
      expect((await client.health()).map((h) => h.ok)).toEqual([true, true, true]);
    });

    it('the matcher has hashing off: POST /m/lookup → 403 "Hashing is disabled, missing role"; /c on the matcher → HTML 404', async () => {
      const e = await rejection(client.lookupUpload(syntheticPhoto(randomPdq()), 'photo'));
      expect(e).toBeInstanceOf(HmaForbiddenError);
      expect((e as HmaForbiddenError).hashingDisabled).toBe(true);
      const url = await fetch(`${matcher.url}/m/lookup?url=${encodeURIComponent('https://example.org/x.jpg')}`, { headers: { authorization: 'Bearer matcher-key' } });
      expect(url.status).toBe(403);
      const matcherOnly = new HmaClient({ baseUrl: matcher.url, apiKey: 'matcher-key' });
      const notServed = await rejection(matcherOnly.listBanks());
      expect(notServed).toBeInstanceOf(HmaNotFoundError);
      expect((notServed as HmaNotFoundError).routeMissing).toBe(true);
      // lookupMedia still learns the signal types, from the matcher's /m/index/status
      expect(await matcherOnly.enabledSignalTypes()).toEqual(['pdq', 'video_md5']);
      expect(await (await fetch(`${matcher.url}/site-map`)).json()).not.toContain('/c/banks');
    });
  });
});

describe('URL hashing: GET /h/hash?url= and add content by URL (against the HMA test double: a real HMA cannot reach this machine’s file server)', () => {
  it('hashes fetched media by Content-Type or content_type, adds it with metadata/note from the JSON body, and maps fetch errors', async () => {
    const stored = randomPdq();
    const video = new TextEncoder().encode('remote video bytes');
    const files = createServer((req, res) => {
      if (req.url === '/v.mp4') res.writeHead(200, { 'content-type': 'video/mp4' }).end(video);
      else if (req.url === '/p.jpg') res.writeHead(200, { 'content-type': 'image/jpeg' }).end(syntheticPhoto(stored));
      else if (req.url === '/doc') res.writeHead(200, { 'content-type': 'text/plain' }).end('hi');
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    const d = await startHmaDouble({ hasher: localPdqHasher(), autoRebuildIndex: true });
    try {
      const c = new HmaClient({ baseUrl: d.url, negativeCacheTtlMs: 0 });
      expect(await c.hashUrl(`${base}/v.mp4`)).toEqual({ video_md5: md5Hex(video) });
      expect(await c.hashUrl(`${base}/p.jpg`)).toEqual({ pdq: stored });
      expect(await c.hashUrl(`${base}/doc`, { contentType: 'video' })).toEqual({ video_md5: md5Hex(new TextEncoder().encode('hi')) });
      expect((await rejection(c.hashUrl(`${base}/doc`))).serverMessage).toMatch(/^unsupported url ContentType: 'text\/plain'/);
      expect((await rejection(c.hashUrl(`${base}/missing`))).serverMessage).toMatch(/^Failed to fetch URL: /);
      const unsafe = await rejection(c.hashUrl('file:///etc/passwd'));
      expect(unsafe).toBeInstanceOf(HmaBadRequestError);
      expect(unsafe.serverMessage).toBe('Invalid or unsafe URL provided');
      await c.createBank('URL_BANK');
      const added = await c.addContentByUrl('URL_BANK', `${base}/p.jpg`, { contentType: 'photo', metadata: { content_id: 'ext-1' }, note: 'by url' });
      expect(added.signals).toEqual({ pdq: stored });
      expect(await c.getContent('URL_BANK', added.id)).toMatchObject({ note: 'by url', metadata: { contentId: 'ext-1', contentUri: null, json: null, collab: null } });
      await c.addSignals('URL_BANK', { pdq: randomPdq() }); // a second PDQ hash (HMA's one-hash bug)
      expect((await c.lookupMedia({ pdq: stored })).map((m) => m.contentId)).toEqual([added.id]);
      const viaLookup = await fetch(`${d.url}/m/lookup?url=${encodeURIComponent(`${base}/p.jpg`)}`);
      expect(await viaLookup.json()).toEqual({ pdq: { URL_BANK: [{ bank_content_id: added.id, distance: '0' }] } });
      const onlyType = await fetch(`${d.url}/m/lookup?signal_type=video_md5&url=${encodeURIComponent(`${base}/p.jpg`)}`);
      expect(await onlyType.json()).toEqual({});
    } finally {
      await d.close();
      await new Promise((r) => files.close(r));
    }
  });
});

describe('HMA test double: 1.1.7 quirks on the wire (the double must answer as a real 1.1.7 does)', () => {
  let d: HmaDouble;
  let nowMs = Date.now();
  const KEY = 'quirk-key';
  const H = { authorization: `Bearer ${KEY}` };
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${d.url}${path}`, { method, headers: { ...H, ...(body !== undefined ? J : {}), ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  beforeAll(async () => {
    d = await startHmaDouble({ apiKey: KEY, now: () => nowMs, autoRebuildIndex: true });
    // Two unrelated PDQ hashes: HMA 1.1.7 never matches a PDQ index of exactly one hash.
    await call('POST', '/c/banks', { name: 'Q_BALLAST' });
    await call('POST', '/c/bank/Q_BALLAST/signal', { pdq: randomPdq() });
    await call('POST', '/c/bank/Q_BALLAST/signal', { pdq: randomPdq() });
  });
  afterAll(() => d.close());

  it('auth (hma-matrix): 401 plain "Authentication required" as text/html, no WWW-Authenticate; exact, case-sensitive Bearer; /status* and /site-map exempt', async () => {
    for (const auth of [undefined, `bearer ${KEY}`, `Bearer  ${KEY}`, `Bearer ${KEY}x`, KEY]) {
      const r = await fetch(`${d.url}/c/banks`, { headers: auth ? { authorization: auth } : {} });
      expect(r.status).toBe(401);
      expect(await r.text()).toBe('Authentication required');
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.headers.get('www-authenticate')).toBeNull();
    }
    for (const p of ['/status', '/status/live', '/site-map']) expect((await fetch(`${d.url}${p}`)).status).toBe(200);
    expect((await fetch(`${d.url}/openapi/openapi.json`)).status).toBe(401);
    expect((await fetch(`${d.url}/no/such/route`)).status).toBe(401); // auth runs before routing
    const root = await fetch(`${d.url}/`, { headers: H, redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/status');
  });

  it('banks: create ignores enabled:false unless enabled_ratio is null; PUT enabled:false → ratio 0; 422 without a body', async () => {
    expect(await (await call('POST', '/c/banks', { name: 'Q_ENABLED_FALSE', enabled: false })).json()).toEqual({ matching_enabled_ratio: 1, name: 'Q_ENABLED_FALSE' });
    expect(await (await call('POST', '/c/banks', { name: 'Q_NULL_RATIO', enabled: false, enabled_ratio: null })).json()).toEqual({ matching_enabled_ratio: 0, name: 'Q_NULL_RATIO' });
    expect((await call('POST', '/c/banks', { name: 'Q_NEW' })).status).toBe(201);
    expect(await (await call('PUT', '/c/bank/Q_NEW', { enabled: false })).json()).toEqual({ matching_enabled_ratio: 0, name: 'Q_NEW' });
    const e422 = await call('POST', '/c/banks');
    expect(e422.status).toBe(422);
    expect(e422.headers.get('content-type')).toBe('application/json');
    expect(Array.isArray(await e422.json())).toBe(true);
    expect(await (await call('POST', '/c/banks', {})).json()).toEqual([expect.objectContaining({ type: 'missing', loc: ['name'] })]);
    expect(await (await call('DELETE', '/c/bank/NEVER_EXISTED')).json()).toEqual({ message: 'Done' });
  });

  it('GET /m/lookup ignores bypass_coinflip; POST /m/lookup honours it; seed makes the coinflip repeatable', async () => {
    await call('POST', '/c/banks', { name: 'Q_COIN', enabled_ratio: 0 });
    const md5 = randomMd5();
    await call('POST', '/c/bank/Q_COIN/signal', { video_md5: md5 });
    expect(await (await call('GET', `/m/lookup?signal_type=video_md5&signal=${md5}&bypass_coinflip=true`)).json()).toEqual({});
    const bytes = new TextEncoder().encode('the video');
    await call('POST', '/c/bank/Q_COIN/signal', { video_md5: md5Hex(bytes) });
    const form = () => {
      const f = new FormData();
      f.set('video', new Blob([bytes]), 'x');
      return f;
    };
    const withBypass = await (await fetch(`${d.url}/m/lookup?bypass_coinflip=true`, { method: 'POST', headers: H, body: form() })).json();
    expect(Object.keys(withBypass.video_md5)).toEqual(['Q_COIN']);
    expect(withBypass.video_md5.Q_COIN[0].distance).toBe('-');
    expect(await (await fetch(`${d.url}/m/lookup`, { method: 'POST', headers: H, body: form() })).json()).toEqual({ video_md5: {} });
    await call('PUT', '/c/bank/Q_COIN', { enabled_ratio: 0.5 });
    const answers = new Set<string>();
    for (let i = 0; i < 5; i++) answers.add(await (await call('GET', `/m/lookup?signal_type=video_md5&signal=${md5}&seed=fixed`)).text());
    expect(answers.size).toBe(1);
  });

  it('raw_lookup after a delete: still returns the id until the next rebuild unless a banks= filter is given', async () => {
    const d2 = await startHmaDouble();
    try {
      await fetch(`${d2.url}/c/banks`, { method: 'POST', headers: J, body: JSON.stringify({ name: 'Q_DEL' }) });
      const pdq = randomPdq();
      const { id } = await (await fetch(`${d2.url}/c/bank/Q_DEL/signal`, { method: 'POST', headers: J, body: JSON.stringify({ pdq }) })).json();
      await fetch(`${d2.url}/c/bank/Q_DEL/signal`, { method: 'POST', headers: J, body: JSON.stringify({ pdq: randomPdq() }) }); // one-hash bug
      d2.rebuildIndex();
      await fetch(`${d2.url}/c/bank/Q_DEL/content/${id}`, { method: 'DELETE' });
      expect(await (await fetch(`${d2.url}/m/raw_lookup?signal_type=pdq&signal=${pdq}`)).json()).toEqual({ matches: [id] });
      expect(await (await fetch(`${d2.url}/m/raw_lookup?signal_type=pdq&signal=${pdq}&banks=Q_DEL`)).json()).toEqual({ matches: [] });
      expect(await (await fetch(`${d2.url}/m/lookup?signal_type=pdq&signal=${pdq}`)).json()).toEqual({});
      d2.rebuildIndex();
      expect(await (await fetch(`${d2.url}/m/raw_lookup?signal_type=pdq&signal=${pdq}`)).json()).toEqual({ matches: [] });
    } finally {
      await d2.close();
    }
  });

  it('disable_until_ts semantics follow the clock: a future timestamp disables until it passes', async () => {
    await call('POST', '/c/banks', { name: 'Q_TIME' });
    const pdq = randomPdq();
    const { id } = await (await call('POST', '/c/bank/Q_TIME/signal', { pdq })).json();
    const until = Math.floor(nowMs / 1000) + 600;
    const put = await (await call('PUT', `/c/bank/Q_TIME/content/${id}`, { disable_until_ts: String(until) })).json();
    expect(put.disable_until_ts).toBe(until);
    expect(await (await call('GET', `/m/lookup?signal_type=pdq&signal=${pdq}`)).json()).toEqual({});
    nowMs += 601_000;
    expect(Object.keys(await (await call('GET', `/m/lookup?signal_type=pdq&signal=${pdq}`)).json())).toEqual(['Q_TIME']);
    expect(await (await call('PUT', `/c/bank/Q_TIME/content/${id}`, { disable_until_ts: 'soon' })).json()).toEqual({ message: "Invalid int: 'soon'" });
    const r415 = await call('PUT', `/c/bank/Q_TIME/content/${id}`, undefined, { 'content-type': 'text/plain' });
    expect(r415.status).toBe(415);
  });

  it('content GET key rules: metadata only with user metadata or collab (all four keys), note only if set, original_media_uri null', async () => {
    await call('POST', '/c/banks', { name: 'Q_KEYS' });
    const { id } = await (await call('POST', '/c/bank/Q_KEYS/signal', { pdq: randomPdq() })).json();
    expect(Object.keys(await (await call('GET', `/c/bank/Q_KEYS/content/${id}`)).json())).toEqual(['bank', 'disable_until_ts', 'id', 'original_media_uri']);
    const f = new FormData();
    f.set('video', new Blob([new TextEncoder().encode('meta video')]), 'x');
    f.set('metadata', JSON.stringify({ content_id: 'c-1', collab: { X: ['y'] } }));
    const added = await (await fetch(`${d.url}/c/bank/Q_KEYS/content`, { method: 'POST', headers: H, body: f })).json();
    const got = await (await call('GET', `/c/bank/Q_KEYS/content/${added.id}?include_signals=true`)).json();
    expect(got.metadata).toEqual({ collab: null, content_id: 'c-1', content_uri: null, json: null });
    expect(got.signals).toEqual({ video_md5: md5Hex(new TextEncoder().encode('meta video')) });
    expect((await (await call('GET', `/c/bank/Q_KEYS/content/${added.id}?include_metadata=no`)).json()).metadata).toBeUndefined();
    const bad = new FormData();
    bad.set('video', new Blob([new Uint8Array([1])]), 'x');
    bad.set('metadata', '{not json');
    expect(await (await fetch(`${d.url}/c/bank/Q_KEYS/content`, { method: 'POST', headers: H, body: bad })).json()).toEqual({ message: 'metadata form field must be valid JSON' });
  });

  it('/h/hash multipart rules: field name = content type, exactly one file; the default hasher gives video_md5 only', async () => {
    const post = (f: FormData, q = '') => fetch(`${d.url}/h/hash${q}`, { method: 'POST', headers: H, body: f });
    const one = (name: string, data = 'abc') => {
      const f = new FormData();
      f.set(name, new Blob([new TextEncoder().encode(data)]), 'x');
      return f;
    };
    expect(await (await post(one('video'))).json()).toEqual({ video_md5: md5Hex(new TextEncoder().encode('abc')) });
    expect(await (await post(one('photo'))).json()).toEqual({}); // no PDQ hasher injected
    expect(await (await post(one('image'))).json()).toEqual({ message: "no such content_type: 'image'" });
    const two = one('video');
    two.append('video', new Blob([new Uint8Array([1])]), 'y');
    expect(await (await post(two)).json()).toEqual({ message: 'Only one file allowed per request' });
    expect(await (await post(new FormData())).json()).toEqual({ message: 'Missing multipart/form-data file upload' });
    expect(await (await post(one('video'), '?types=pdq')).json()).toEqual({ message: "signal type 'pdq' doesn't exist or is disabled" });
    const missingUrl = await call('GET', '/h/hash');
    expect(missingUrl.status).toBe(422);
  });

  it('exchanges: import creates one item per (type, signal) record with collab metadata; status; PUT answers a non-JSON body; delete cascades', async () => {
    expect((await call('POST', '/c/exchanges', { bank: 'Q_SQ', api: 'synapse_quarantined', api_json: { admin_api_url: 'https://hs.example.org' } })).status).toBe(201);
    expect(await (await call('POST', '/c/exchanges', { bank: 'Q_SQ2', api: 'synapse_quarantined', api_json: {} })).json()).toEqual({
      message: 'Failed to parse `api_json` - missing value for field "admin_api_url"',
    });
    expect((await call('POST', '/c/exchanges', { bank: 'Q_SQ', api: 'sample' })).status).toBe(500);
    const pdq = randomPdq();
    const ids = d.importExchangeContent('Q_SQ', [
      ['pdq', pdq],
      ['video_md5', randomMd5()],
      ['pdq', pdq],
    ]);
    expect(ids).toHaveLength(2);
    const item = await (await call('GET', `/c/bank/Q_SQ/content/${ids[0]}`)).json();
    expect(item.metadata).toEqual({ collab: { Q_SQ: [`('pdq', '${pdq}')`] }, content_id: null, content_uri: null, json: null });
    const put = await (await call('PUT', `/c/bank/Q_SQ/content/${ids[0]}`, { disable_until_ts: 0 })).json();
    expect(put.collab_metadata).toEqual({ Q_SQ: [`('pdq', '${pdq}')`] });
    expect(await (await call('GET', '/c/exchange/Q_SQ/status')).json()).toMatchObject({ fetched_items: 2, up_to_date: true, last_fetch_succeeded: true, checkpoint_ts: null });
    const raw = await call('PUT', '/c/exchange/Q_SQ', { enabled: false });
    expect(raw.headers.get('content-type')).toBe('application/json');
    expect(await raw.text()).toBe('admin_api_urlnameapienabled');
    expect(await (await call('GET', '/c/exchange/Q_SQ')).text()).toBe(
      JSON.stringify({ admin_api_url: 'https://hs.example.org', name: 'Q_SQ', api: 'synapse_quarantined', enabled: false }, null, 2),
    );
    expect(await (await call('POST', '/c/exchanges/api/synapse_quarantined', { credential_json: { access_token: 't' } })).json()).toEqual({
      has_set_authentification: true,
      supports_authentification: true,
    });
    expect(await (await call('DELETE', '/c/exchange/Q_SQ')).json()).toEqual({ message: 'Exchange deleted' });
    expect((await call('GET', `/c/bank/Q_SQ`)).status).toBe(404);
    expect((await call('GET', `/c/bank/Q_KEYS/content/${ids[0]}`)).status).toBe(404);
  });

  it('signal types: every PUT /c/signal_type/<name> is a 500 with the generic JSON message, as measured on a real 1.1.7; nothing changes', async () => {
    for (const body of [{ enabled_ratio: 0 }, { enabled_ratio: 2 }, {}]) {
      const r = await call('PUT', '/c/signal_type/video_md5', body);
      expect(r.status).toBe(500);
      expect(r.headers.get('content-type')).toBe('application/json');
      expect((await r.json()).message).toMatch(/^The server encountered an internal error/);
    }
    expect(await (await call('GET', '/c/signal_type')).json()).toEqual([
      { enabled_ratio: 1, name: 'pdq' },
      { enabled_ratio: 1, name: 'video_md5' },
    ]);
  });

  it('fault filters: pathPrefix, method and times', async () => {
    await d.setFault({ kind: 'status', status: 418, pathPrefix: '/c/banks', method: 'GET', times: 2 });
    expect((await call('GET', '/status/live')).status).toBe(200);
    expect((await call('GET', '/c/banks')).status).toBe(418);
    expect((await call('GET', '/c/bank/Q_NEW')).status).toBe(200);
    expect((await call('GET', '/c/banks')).status).toBe(418);
    expect((await call('GET', '/c/banks')).status).toBe(200);
  });
});

describe('multipart parser of the double', () => {
  it('parses files, fields, repeated names and quoted parameters', async () => {
    const f = new FormData();
    f.set('photo', new Blob([new Uint8Array([0, 1, 2, 255])], { type: 'image/png' }), 'a "b".png');
    f.append('note', 'hello\r\nworld');
    f.append('note', 'second');
    const req = new Request('http://x/', { method: 'POST', body: f });
    const boundary = /boundary=(.+)$/.exec(req.headers.get('content-type')!)![1]!;
    const parsed = parseMultipart(Buffer.from(await req.arrayBuffer()), boundary);
    expect(parsed.files).toHaveLength(1);
    expect(parsed.files[0]).toMatchObject({ name: 'photo', contentType: 'image/png' });
    expect([...parsed.files[0]!.data]).toEqual([0, 1, 2, 255]);
    expect(parsed.fields.get('note')).toEqual(['hello\r\nworld', 'second']);
  });
});
