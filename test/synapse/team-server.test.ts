import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { request } from 'node:https';
import { startSynapse, type SynapseHarness } from './harness';
import { createTeamRoom, setPowerLevel, writeTeamConfig, type TeamRoom } from './team-setup';
import { loadServerConfig } from '../../electron/server/config';
import { startTeamServer, type TeamServer } from '../../electron/server/team-server';
import { bearerToken, errorFor, sendJson } from '../../electron/server/http-kit';
import { TeamServerClient } from '../../electron/team-client/team-server-client';
import { requestOpenIdToken } from '../../electron/team-client/matrix-openid';
import type { AccessEvent, Pushed } from '../../shared/events';
import { tempDir } from '../helpers/temp-dir';
import { makeTestCert, type TestCert } from '../helpers/tls';

/** A raw HTTPS request with chosen headers (Host, Origin) against the test certificate. */
function raw(url: string, o: { method?: string; path: string; headers?: Record<string, string>; body?: Buffer }, ca: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: o.path, method: o.method ?? 'GET', headers: o.headers, ca, servername: '' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

describe('matchdesk serve: Matrix OpenID sign-in, roles from the management room, per-call authorisation (real Synapse)', () => {
  const temp = tempDir('matchdesk-team-server-');
  let hs: SynapseHarness;
  let team: TeamRoom;
  let cert: TestCert;
  let server: TeamServer;
  let client: TeamServerClient;
  const tokens: Record<string, string> = {};

  const signIn = async (who: string) => {
    const account = team.people[who]!;
    const { openid } = await requestOpenIdToken({ homeserverUrl: hs.baseUrl, user: account.userId, password: account.password });
    return client.signIn(openid, `test ${who}`);
  };
  const call = async (who: string, name: string, input: unknown = {}) => client.call(tokens[who]!, name, input);

  beforeAll(async () => {
    hs = await startSynapse();
    team = await createTeamRoom(hs, { lena: 100, rita: 50, dora: 50, low: 10, outsider: 'outside' });
    cert = makeTestCert(temp.dir);
    const file = writeTeamConfig(temp.dir, { hs, roomId: team.roomId, cert, dataDir: join(temp.dir, 'data'), extra: { roles: { refreshSeconds: 5 }, sessions: { burst: 40, ratePerSecond: 5 } } });
    server = await startTeamServer({
      config: loadServerConfig({ config: file }),
      version: 'test',
      log: () => undefined,
      // A route with its own authentication, as a bot API would mount (the built-in checks still apply to it).
      extraRoutes: (app) => [
        {
          method: 'GET',
          path: '/api/v1/test-bot',
          async handle({ req, res, headers }) {
            if (bearerToken(req) !== 'bot-key-1') throw errorFor('unauthorized', 'Unknown bot key');
            sendJson(res, 200, { pending: app.services.queue.counts().pending }, headers);
          },
        },
      ],
    });
    client = new TeamServerClient(server.url, { ca: cert.ca });
    for (const who of ['lena', 'rita', 'dora']) {
      const r = await signIn(who);
      if (!r.ok) throw new Error(`${who}: ${r.error.message}`);
      tokens[who] = r.value.token;
    }
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
    await hs?.dispose();
    temp.cleanup();
  });

  it('signs moderators in with their Matrix OpenID token and gives them the role of their power level', async () => {
    expect((await client.whoami(tokens.lena!)).ok && (await client.whoami(tokens.lena!))).toMatchObject({ value: { session: { userId: team.people.lena!.userId, role: 'lead' } } });
    const info = await call('rita', 'app.info');
    expect(info).toMatchObject({ ok: true, value: { reviewer: team.people.rita!.userId, role: 'reviewer', host: 'team', dataDir: '' } });
    // The token is stored only hashed.
    const row = server.app.services.db.prepare('SELECT token_hash FROM team_sessions WHERE user_id = ?').get(team.people.rita!.userId) as { token_hash: string };
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(server.app.services.db.prepare('SELECT * FROM team_sessions').all())).not.toContain(tokens.rita);
  });

  it('refuses people below the reviewer level, outside the room, forged tokens and untrusted homeservers', async () => {
    const low = await signIn('low');
    expect(low).toMatchObject({ ok: false, error: { code: 'no_access' } });
    expect(!low.ok && low.error.message).toMatch(/power level 10 .* reviewers need 50/);
    const outsider = await signIn('outsider');
    expect(outsider).toMatchObject({ ok: false, error: { code: 'no_access' } });
    expect(!outsider.ok && outsider.error.message).toMatch(/not a member of the management room/);
    const forged = await client.signIn({ access_token: 'not-a-real-openid-token', token_type: 'Bearer', matrix_server_name: hs.serverName, expires_in: 3600 }, 'forger');
    expect(forged).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const elsewhere = await client.signIn({ access_token: 'x', token_type: 'Bearer', matrix_server_name: 'evil.example', expires_in: 3600 }, 'forger');
    expect(elsewhere).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await client.call('mds_not-a-session', 'app.info', {})).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  });

  it('authorises every call by role: reviewers review, leads manage', async () => {
    expect(await call('rita', 'banks.create', { name: 'Rita bank' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await call('lena', 'banks.create', { name: 'Lead bank' })).toMatchObject({ ok: true });
    expect(await call('rita', 'queue.list', {})).toMatchObject({ ok: true });
    expect(await call('rita', 'ingest.importFolder', { path: '/etc' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await call('lena', 'ingest.importFolder', { path: '/etc' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await call('rita', 'stats.reviewers', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await call('lena', 'wellbeing.team', {})).toMatchObject({ ok: true });
    const audit = server.app.services.audit.list(20).find((r) => r.action === 'bank.create');
    expect(audit?.actor).toBe(team.people.lena!.userId);
  });

  it('pushes a decision to every other console at once, attributed to who made it', async () => {
    const db = server.app.services.db;
    db.prepare("INSERT INTO media_items (source, source_ref, byte_length, md5, sha256, created_at) VALUES ('upload', 'x', 1, 'a1', 'b1', 0)").run();
    const mediaId = (db.prepare('SELECT MAX(id) AS id FROM media_items').get() as { id: number }).id;
    const id = server.app.services.queue.enqueue(mediaId, [{ matcher: 'local', bankName: 'Lead bank', contentRef: '1', signalType: 'md5', signal: 'a1', distance: 0, label: null, severity: 50 }]);
    const seen: Pushed[] = [];
    const stream = client.events(tokens.dora!, { onEvent: (e) => seen.push(e), onAccess: () => undefined, onResync: () => undefined, onState: () => undefined });
    await new Promise((r) => setTimeout(r, 300));
    const claimed = await call('rita', 'claims.next', { sessionId: 'rita-window-1' });
    expect(claimed).toMatchObject({ ok: true, value: { acquired: true, claim: { queueItemId: id, reviewer: team.people.rita!.userId } } });
    // Nobody else gets the item Rita holds.
    expect(await call('dora', 'claims.acquire', { queueItemId: id, sessionId: 'dora-window-1' })).toMatchObject({ ok: true, value: { acquired: false, claim: { reviewer: team.people.rita!.userId } } });
    expect(await call('dora', 'queue.decide', { id, verdict: 'confirm', sessionId: 'dora-window-1' })).toMatchObject({ ok: false, error: { code: 'conflict' } });
    const started = Date.now();
    expect(await call('rita', 'queue.decide', { id, verdict: 'confirm', sessionId: 'rita-window-1' })).toMatchObject({ ok: true });
    await expect.poll(() => seen.find((e) => e.type === 'decision' && e.queueItemId === id), { timeout: 1_000, interval: 20 }).toBeTruthy();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(seen.find((e) => e.type === 'decision')).toMatchObject({ reviewer: team.people.rita!.userId, verdict: 'confirm', status: 'confirmed' });
    expect(seen.some((e) => e.type === 'claim' && e.queueItemId === id && e.claim?.reviewer === team.people.rita!.userId)).toBe(true);
    // The loser is told who decided.
    const late = await call('dora', 'queue.decide', { id, verdict: 'false_positive', sessionId: 'dora-window-1' });
    expect(!late.ok && late.error.message).toContain(`already decided by ${team.people.rita!.userId}`);
    stream.close();
  });

  it('ends a revoked session at once: calls get 401 and its stream is told and closed', async () => {
    const extra = await signIn('dora');
    if (!extra.ok) throw new Error(extra.error.message);
    const access: AccessEvent[] = [];
    const stream = client.events(extra.value.token, { onEvent: () => undefined, onAccess: (e) => access.push(e), onResync: () => undefined, onState: () => undefined });
    await new Promise((r) => setTimeout(r, 300));
    const listed = await call('lena', 'sessions.list', {});
    expect(listed.ok && (listed.value as { id: string; userId: string }[]).filter((s) => s.userId === team.people.dora!.userId)).toHaveLength(2);
    // A reviewer cannot end someone else's session.
    expect(await call('rita', 'sessions.revoke', { id: extra.value.session.id })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await call('lena', 'sessions.revoke', { id: extra.value.session.id })).toMatchObject({ ok: true, value: { revoked: true } });
    expect(await client.call(extra.value.token, 'queue.counts', {})).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    await expect.poll(() => access[0]?.state, { timeout: 2_000 }).toBe('signed_out');
    expect(access[0]!.message).toContain(team.people.lena!.userId);
    // Dora's other session is untouched.
    expect(await call('dora', 'queue.counts', {})).toMatchObject({ ok: true });
    stream.close();
  });

  it('follows the management room: a demoted moderator loses access at the next refresh', async () => {
    expect(await call('dora', 'queue.counts', {})).toMatchObject({ ok: true });
    await setPowerLevel(hs, team.roomId, team.people.dora!.userId, 0);
    await server.app.roles.refresh();
    const refused = await call('dora', 'queue.counts', {});
    expect(refused).toMatchObject({ ok: false, error: { code: 'no_access' } });
    await setPowerLevel(hs, team.roomId, team.people.dora!.userId, 50);
    await server.app.roles.refresh();
    expect(await call('dora', 'queue.counts', {})).toMatchObject({ ok: true });
  });

  it('checks Host and Origin, limits bodies while reading, and answers media with no-store', async () => {
    const host = new URL(server.url).host;
    const auth = { Authorization: `Bearer ${tokens.lena}`, 'Content-Type': 'application/json' };
    expect((await raw(server.url, { path: '/healthz', headers: { Host: 'evil.example' } }, cert.ca)).status).toBe(421);
    expect((await raw(server.url, { method: 'POST', path: '/api/v1/call/app.info', headers: { Host: host, Origin: 'https://evil.example', ...auth }, body: Buffer.from('{}') }, cert.ca)).status).toBe(403);
    const big = await raw(server.url, { method: 'POST', path: '/api/v1/call/banks.importCsv', headers: { Host: host, ...auth }, body: Buffer.alloc(17 * 1024 * 1024, 0x20) }, cert.ca).catch((e: Error) => ({ status: -1, headers: {}, body: e.message }));
    expect([413, -1]).toContain(big.status);
    const preview = await raw(server.url, { method: 'POST', path: '/api/v1/call/media.preview', headers: { Host: host, ...auth }, body: Buffer.from('{"mediaId":1,"reveal":false}') }, cert.ca);
    expect(preview.headers['cache-control']).toBe('no-store');
    expect(preview.headers['strict-transport-security']).toBeTruthy();
  });

  it('rate-limits each session (429 with Retry-After) without touching the others', async () => {
    const answers = await Promise.all(Array.from({ length: 60 }, () => call('dora', 'queue.counts', {})));
    const limited = answers.filter((a) => !a.ok && a.error.code === 'rate_limited');
    expect(limited.length).toBeGreaterThan(0);
    expect(await call('rita', 'queue.counts', {})).toMatchObject({ ok: true });
  });

  it('mounts extra routes with their own authentication', async () => {
    const host = new URL(server.url).host;
    expect((await raw(server.url, { path: '/api/v1/test-bot', headers: { Host: host } }, cert.ca)).status).toBe(401);
    expect((await raw(server.url, { path: '/api/v1/test-bot', headers: { Host: host, Authorization: `Bearer ${tokens.lena}` } }, cert.ca)).status).toBe(401);
    const ok = await raw(server.url, { path: '/api/v1/test-bot', headers: { Host: host, Authorization: 'Bearer bot-key-1' } }, cert.ca);
    expect(ok.status).toBe(200);
    expect(ok.headers['cache-control']).toBe('no-store');
    expect((await raw(server.url, { path: '/api/v1/test-bot', headers: { Host: 'evil.example', Authorization: 'Bearer bot-key-1' } }, cert.ca)).status).toBe(421);
  });

  it('serves /healthz, /readyz and Prometheus /metrics', async () => {
    const host = new URL(server.url).host;
    expect(JSON.parse((await raw(server.url, { path: '/healthz', headers: { Host: host } }, cert.ca)).body)).toEqual({ status: 'ok' });
    const ready = await raw(server.url, { path: '/readyz', headers: { Host: host } }, cert.ca);
    expect(ready.status).toBe(200);
    const metrics = await raw(server.url, { path: '/metrics', headers: { Host: host } }, cert.ca);
    expect(metrics.headers['content-type']).toContain('text/plain; version=0.0.4');
    for (const family of ['matchdesk_queue_items{status="pending"}', 'matchdesk_decisions_total{verdict="confirm"} 1', 'matchdesk_outbox_actions{state="pending"}', 'matchdesk_sessions_active', 'matchdesk_sign_ins_total{outcome="ok"}', 'matchdesk_call_duration_seconds_bucket', 'matchdesk_event_streams', 'matchdesk_lookups_waiting']) {
      expect(metrics.body, family).toContain(family);
    }
    const proxied = await raw(server.url, { path: '/metrics', headers: { Host: host, 'X-Forwarded-For': '203.0.113.9' } }, cert.ca);
    expect(proxied.status).toBe(401);
  });
});
