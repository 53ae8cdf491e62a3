import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadServerConfig } from '../../electron/server/config';
import { startTeamServer, type TeamServer } from '../../electron/server/team-server';
import { createCheckApi, type CheckApi } from '../../electron/server/check-api/check-routes';
import { hashBytes } from '../../electron/services/hashing/hash';
import type { CallContext } from '../../shared/call-context';
import { tempDir } from '../helpers/temp-dir';
import { flipBits, makeJpeg } from './images';

// The Mjolnir HMA plugin plan's request body, as docs/hma-plugin-guide.md gives it (its PDQ is a stub).
const PLAN_BODY = {
  hashes: {
    md5: '5d41402abc4b2a76b9719d911017c592',
    sha1: 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d',
    sha256: '2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae',
    pdq: 'stubbed_pdq_placeholder_aaf4c61ddcc5e8a2',
  },
  eventId: '$event123:example.com',
  roomId: '!room456:example.com',
  userId: '@user:example.com',
  mediaType: 'm.image',
  timestamp: 1703123456789,
};
const BANK_PDQ = 'f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22';
const lead: CallContext = { actor: '@lena:example.com', role: 'lead', host: 'team' };
const reviewer: CallContext = { actor: '@rita:example.com', role: 'reviewer', host: 'team' };

describe('the check API (Mjolnir HMA plugin plan): actions, rules per bank, bot keys, rate limits, malformed requests', () => {
  const temp = tempDir('matchdesk-check-api-');
  let server: TeamServer;
  let api: CheckApi;
  let key: string;

  const post = async (path: string, body: unknown, o: { key?: string | null; headers?: Record<string, string>; raw?: Buffer } = {}) => {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: {
        'Content-Type': o.raw ? 'image/jpeg' : 'application/json',
        ...(o.key === null ? {} : { Authorization: `Bearer ${o.key ?? key}` }),
        ...o.headers,
      },
      body: o.raw ? new Uint8Array(o.raw) : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
  };
  const dispatch = async (name: string, input: unknown, ctx = lead) => {
    const r = await server.app.dispatch(name, input, ctx);
    if (!r.ok) throw new Error(`${name}: ${r.error.message}`);
    return r.value as Record<string, unknown>;
  };
  const metrics = async () => (await (await fetch(`${server.url}/metrics`)).text()).split('\n');

  beforeAll(async () => {
    writeFileSync(join(temp.dir, 'token'), 'syt_fake\n', { mode: 0o600 });
    const file = join(temp.dir, 'config.json');
    // Nothing listens on port 9 of loopback: hash checks need no homeserver.
    writeFileSync(file, JSON.stringify({ homeserver: { url: 'http://127.0.0.1:9', serviceAccountToken: { file: 'token' } }, managementRoom: '!room:example.com', listen: '127.0.0.1:0' }));
    server = await startTeamServer({
      config: loadServerConfig({ config: file, dataDir: join(temp.dir, 'data') }),
      version: 'test',
      log: () => undefined,
      extraRoutes: (app) => {
        api = createCheckApi(app);
        return api.routes;
      },
    });
    const { banks } = server.app.services;
    const csam = banks.create({ name: 'Known abuse', severity: 90 });
    banks.addContent(csam.id, [{ type: 'md5', signal: PLAN_BODY.hashes.md5 }], { label: 'case 17' });
    banks.addContent(csam.id, [{ type: 'pdq', signal: BANK_PDQ }], { label: 'case 18' });
    key = (await dispatch('botKeys.create', { name: 'mjolnir' })).key as string;
  });
  afterAll(async () => {
    await server?.close();
    temp.cleanup();
  });

  it('blocks a banked MD5 with confidence 1 and queues the event, room and sender for a human', async () => {
    const { pdq: _stub, ...hashes } = PLAN_BODY.hashes;
    const r = await post('/api/v1/check', { ...PLAN_BODY, hashes });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ action: 'block', matchedHash: PLAN_BODY.hashes.md5, hashType: 'md5', confidence: 1, source: 'Known abuse', matcher: 'local' });
    expect(r.json.reason).toMatch(/MD5 exact in bank "Known abuse" \(case 17\)/);
    const item = await dispatch('queue.get', { id: r.json.queueItemId }, reviewer);
    expect(item).toMatchObject({ status: 'pending', media: { source: 'bot_check', md5: PLAN_BODY.hashes.md5, sha256: PLAN_BODY.hashes.sha256 } });
    expect((item.media as { context: unknown }).context).toMatchObject({
      matrix: { eventId: '$event123:example.com', roomId: '!room456:example.com', sender: '@user:example.com', originServerTs: 1703123456789 },
      check: { action: 'block', client: 'mjolnir', mediaType: 'm.image' },
    });
    const listed = await dispatch('queue.list', { sender: '@user:example.com', limit: 10 }, reviewer);
    expect((listed.items as { id: number }[]).map((i) => i.id)).toContain(r.json.queueItemId);
  });

  it('sends PDQ at distance 20 of a threshold 31 to review, with its confidence, and allows what no bank knows', async () => {
    const near = flipBits(BANK_PDQ, 20);
    const r = await post('/api/v1/check', { hashes: { pdq: near }, eventId: '$near:example.com', roomId: '!room456:example.com', userId: '@user:example.com', mediaType: 'm.image', timestamp: Date.now() });
    expect(r.json).toMatchObject({ action: 'review', hashType: 'pdq', matchedHash: BANK_PDQ, confidence: 0.688, source: 'Known abuse' });
    expect(r.json.reason).toMatch(/PDQ at distance 20 \(threshold 31\).*below the bank's block confidence 0\.9; sent for review/);
    expect(r.json.queueItemId).toEqual(expect.any(Number));

    const unknown = { hashes: { md5: 'e'.repeat(32), sha1: 'e'.repeat(40), sha256: 'e'.repeat(64), pdq: flipBits(BANK_PDQ, 100) }, eventId: '$x:example.com', roomId: '!r:example.com', userId: '@u:example.com', mediaType: 'm.image', timestamp: 1 };
    const first = await post('/api/v1/check', unknown);
    expect(first.json).toMatchObject({ action: 'allow', matchedHash: null, hashType: null, confidence: null, source: null, queueItemId: null, cached: false });
    // The same clean hashes again: answered from the cache of clean media.
    expect((await post('/api/v1/hash-lookup', unknown)).json).toMatchObject({ action: 'allow', cached: true });
    expect(await metrics()).toContain('matchdesk_check_cache_hits_total{kind="hashes"} 1');
  });

  it('refuses malformed requests with 400 and says which field is wrong and why', async () => {
    const stub = await post('/api/v1/check', PLAN_BODY);
    expect(stub.status).toBe(400);
    expect(stub.json).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect((stub.json.error as { message: string }).message).toMatch(/^hashes\.pdq: "stubbed_pdq_placeholder_aaf4c61ddcc5e8a2" is not a PDQ hash: expected 64 hex digits \(a placeholder/);
    const cases: [unknown, RegExp][] = [
      [{ hashes: { md5: 'zz41402abc4b2a76b9719d911017c592' } }, /hashes\.md5: .* is not a MD5 hash: expected 32 hex digits/],
      [{ hashes: { md5: '5d41402abc' } }, /hashes\.md5: .*expected 32 hex digits/],
      [{ hashes: { phash: 'abcd' } }, /hashes\.phash: unknown hash type "phash"; known types are md5, sha1, sha256, pdq/],
      [{ hashes: {} }, /hashes: give at least one of md5, sha1, sha256, pdq/],
      [{ eventId: '$e:x' }, /hashes: give "hashes" .* or an "mxc" URI/],
      [{ hashes: { md5: PLAN_BODY.hashes.md5 }, userId: 'not-a-user' }, /userId: expected a Matrix user id/],
      [{ hashes: { md5: PLAN_BODY.hashes.md5 }, timestamp: 'yesterday' }, /timestamp: expected milliseconds/],
      [{ mxc: 'https://example.com/x' }, /mxc: expected mxc:\/\/server\/mediaId/],
      ['{"hashes":', /not valid JSON/],
      [[1, 2], /\(body\): expected a JSON object/],
    ];
    for (const [body, message] of cases) {
      const r = await post('/api/v1/check', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect((r.json.error as { message: string }).message).toMatch(message);
    }
    const mxcOnLookup = await post('/api/v1/hash-lookup', { mxc: 'mxc://example.com/abc' });
    expect(mxcOnLookup.status).toBe(400);
    expect((mxcOnLookup.json.error as { message: string }).message).toMatch(/hashes only/);
    expect(await metrics()).toContain('matchdesk_check_refused_total{endpoint="/api/v1/check",reason="invalid"} 11');
  });

  it('wants a live bot key, created and revoked by a lead (stored only hashed), and holds each key to its rate with 429 + Retry-After', async () => {
    expect((await post('/api/v1/check', { hashes: { md5: 'a'.repeat(32) } }, { key: null })).status).toBe(401);
    expect((await post('/api/v1/check', { hashes: { md5: 'a'.repeat(32) } }, { key: 'mdk_000000000000_' + 'x'.repeat(43) })).status).toBe(401);
    expect(await server.app.dispatch('botKeys.create', { name: 'sneaky' }, reviewer)).toMatchObject({ ok: false, error: { code: 'forbidden' } });

    const slow = (await dispatch('botKeys.create', { name: 'slow bot', ratePerMinute: 3 })) as { key: string; botKey: { id: string; prefix: string } };
    expect(slow.key.startsWith(`${slow.botKey.prefix}_`)).toBe(true);
    expect(JSON.stringify(server.app.services.db.prepare('SELECT * FROM bot_keys').all())).not.toContain(slow.key);
    for (let i = 0; i < 3; i++) expect((await post('/api/v1/check', { hashes: { md5: 'b'.repeat(32) } }, { key: slow.key })).status).toBe(200);
    const over = await post('/api/v1/check', { hashes: { md5: 'b'.repeat(32) } }, { key: slow.key });
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((over.json.error as { message: string }).message).toMatch(/slow bot is over its rate of 3 checks per minute/);
    // Other keys are not held back by it.
    expect((await post('/api/v1/check', { hashes: { md5: 'b'.repeat(32) } })).status).toBe(200);

    const revoked = await dispatch('botKeys.revoke', { id: slow.botKey.id });
    expect(revoked).toMatchObject({ revokedBy: lead.actor });
    const after = await post('/api/v1/check', { hashes: { md5: 'b'.repeat(32) } }, { key: slow.key });
    expect(after.status).toBe(401);
    expect((after.json.error as { message: string }).message).toMatch(/unknown or was revoked/);
    const listed = (await dispatch('botKeys.list', {})) as unknown as { name: string; revokedAt: number | null; lastUsedAt: number | null }[];
    expect(listed.find((k) => k.name === 'slow bot')).toMatchObject({ revokedAt: expect.any(Number), lastUsedAt: expect.any(Number) });
    const audit = (await dispatch('audit.list', { limit: 50 })) as unknown as { action: string }[];
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['botKey.create', 'botKey.revoke']));
  });

  it('follows the rules per bank: a bank that never blocks sends exact matches to review; a negative bank allows', async () => {
    await dispatch('checks.setRules', { defaultBlockAt: 0.9, banks: { 'Known abuse': { blockAt: null } } });
    const r = await post('/api/v1/check', { hashes: { md5: PLAN_BODY.hashes.md5 }, eventId: '$rules:example.com' });
    expect(r.json).toMatchObject({ action: 'review', confidence: 1 });
    expect(r.json.reason).toMatch(/this bank never blocks/);
    await dispatch('checks.setRules', { defaultBlockAt: 0.5, banks: {} });
    expect((await post('/api/v1/check', { hashes: { pdq: flipBits(BANK_PDQ, 20) } })).json).toMatchObject({ action: 'block', confidence: 0.688 });
    await dispatch('checks.setRules', { defaultBlockAt: 0.9, banks: {} });

    const { banks } = server.app.services;
    const safe = banks.create({ name: 'Known safe', kind: 'negative' });
    banks.addContent(safe.id, [{ type: 'md5', signal: PLAN_BODY.hashes.md5 }], { label: 'museum photo' });
    const allowed = await post('/api/v1/check', { hashes: { md5: PLAN_BODY.hashes.md5 } });
    expect(allowed.json).toMatchObject({ action: 'allow', source: 'Known safe', queueItemId: null });
    expect(allowed.json.reason).toMatch(/Allow-listed: MD5 exact in bank "Known safe"/);
    banks.update('Known safe', { enabled: false });
  });

  it('treats an overturned block as a false positive: recorded as feedback, and the same media is allowed afterwards', async () => {
    const body = { hashes: { md5: PLAN_BODY.hashes.md5, sha256: 'c'.repeat(64) }, eventId: '$fp:example.com', roomId: '!room456:example.com', userId: '@fp:example.com' };
    const blocked = await post('/api/v1/check', body);
    expect(blocked.json).toMatchObject({ action: 'block' });
    const window = { ...reviewer, sessionId: 'rita-window-1' };
    await dispatch('claims.acquire', { queueItemId: blocked.json.queueItemId, sessionId: 'rita-window-1' }, window);
    await dispatch('queue.decide', { id: blocked.json.queueItemId, verdict: 'false_positive', reason: 'not abuse', sessionId: 'rita-window-1' }, window);
    const feedback = await dispatch('feedback.report', {}, reviewer);
    expect(JSON.stringify(feedback)).toContain('Known abuse');
    const again = await post('/api/v1/check', body);
    expect(again.json).toMatchObject({ action: 'allow', queueItemId: null });
  });

  it('checks uploaded bytes (PDQ with rotations), keeps a blocked file only encrypted for review, and counts misses clients report', async () => {
    const jpeg = await makeJpeg(41, 640, 480);
    const hashes = await hashBytes(new Uint8Array(jpeg), { dihedral: true });
    const { banks } = server.app.services;
    banks.addContent(banks.byName('Known abuse')!.id, [{ type: 'pdq', signal: hashes.pdqDihedral![1]! }], { label: 'rotated original' });
    const r = await post('/api/v1/check/upload?userId=%40up%3Aexample.com&mxc=mxc%3A%2F%2Fexample.com%2Fupl0ad&fileName=cat.jpg', null, { raw: jpeg, headers: { 'X-Matchdesk-Missed': '2; policy=fail_open' } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ action: 'block', hashType: 'pdq', confidence: 1, source: 'Known abuse' });
    const item = (await dispatch('queue.get', { id: r.json.queueItemId }, reviewer)) as { media: { source: string; fileName: string; context: Record<string, unknown>; id: number }; matches: { variant: string }[] };
    expect(item.media).toMatchObject({ source: 'synapse_upload', fileName: 'cat.jpg', context: { matrix: { sender: '@up:example.com' }, check: { action: 'block', at: 'upload', refusedMxc: 'mxc://example.com/upl0ad' } } });
    expect(item.matches[0]!.variant).not.toBe('original');
    const preview = await dispatch('media.preview', { mediaId: item.media.id, reveal: false }, reviewer);
    expect(preview, JSON.stringify(preview)).toMatchObject({ kind: 'image', revealed: false });
    const vaultRef = (server.app.services.db.prepare('SELECT vault_ref FROM media_items WHERE id = ?').get(item.media.id) as { vault_ref: string }).vault_ref;
    expect(vaultRef).toBeTruthy();

    // The media event that follows an allowed upload is answered from the upload's check and attached to it.
    const clean = await makeJpeg(42, 320, 240);
    expect((await post('/api/v1/check/upload?userId=%40up%3Aexample.com&mxc=mxc%3A%2F%2Fexample.com%2Fclean1', null, { raw: clean })).json).toMatchObject({ action: 'allow' });
    expect((await post('/api/v1/check', { mxc: 'mxc://example.com/clean1', eventId: '$ev:example.com' })).json).toMatchObject({ action: 'allow', cached: true });

    const empty = await post('/api/v1/check/upload', null, { raw: Buffer.alloc(0) });
    expect(empty.status).toBe(400);
    const lines = await metrics();
    expect(lines).toContain('matchdesk_check_missed_total{client="mjolnir",policy="fail_open"} 2');
    expect(lines).toContain('matchdesk_check_requests_total{endpoint="/api/v1/check/upload",action="block"} 1');
    expect(lines.some((l) => l.startsWith('matchdesk_check_duration_seconds_count{kind="upload"}'))).toBe(true);
  });
});
