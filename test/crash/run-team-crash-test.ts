// `npm run test:crash` (second part): SIGKILLs `matchdesk serve` at random moments while four moderators' consoles
// decide items as fast as they can over HTTPS, restarts it on the same data and port each time, and then checks
// that no decision a console was told about is lost, no item has two decisions, and every action ran exactly once
// on the real Synapse (one redaction, one notice, the media quarantined).
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startSynapse, type SynapseHarness } from '../synapse/harness';
import { createTeamRoom, startServe, writeTeamConfig, type ServeProcess } from '../synapse/team-setup';
import { renderScene } from '../../electron/services/demo/demo-media';
import { TeamServerClient } from '../../electron/team-client/team-server-client';
import { requestOpenIdToken } from '../../electron/team-client/matrix-openid';
import { tempDir } from '../helpers/temp-dir';
import { makeTestCert } from '../helpers/tls';

const KILLS = Number(process.env.TEAM_CRASH_KILLS ?? '8');
const ITEMS = Number(process.env.TEAM_CRASH_ITEMS ?? '96');
const CONSOLES = ['ana', 'ben', 'cai', 'dee'];
let seed = Number(process.env.CRASH_SEED ?? Date.now() % 100_000);
const random = () => {
  seed = (seed * 48271) % 2147483647;
  return seed / 2147483647;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 180_000, explain?: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(500);
  }
  throw new Error(`timed out waiting for ${what}${explain ? `: ${await explain().catch((e: Error) => e.message)}` : ''}`);
}

async function main(): Promise<void> {
  const temp = tempDir('matchdesk-team-crash-');
  const hs: SynapseHarness = await startSynapse();
  const team = await createTeamRoom(hs, { lead: 100, ...Object.fromEntries(CONSOLES.map((c) => [c, 50])) });
  const cert = makeTestCert(temp.dir);
  const port = await freePort();
  const dataDir = join(temp.dir, 'server');
  const config = writeTeamConfig(temp.dir, { hs, roomId: team.roomId, cert, dataDir, extra: { listen: `127.0.0.1:${port}`, outbox: { leaseSeconds: 3 }, sessions: { ratePerSecond: 1000, burst: 1000 } } });
  let serve: ServeProcess = await startServe(['--config', config]);
  console.log(`[team crash] Synapse ${hs.version}; server ${serve.url}; seed ${seed}`);
  const client = new TeamServerClient(serve.url, { ca: cert.ca });
  const tokens: Record<string, string> = {};
  for (const name of ['lead', ...CONSOLES]) {
    const { openid } = await requestOpenIdToken({ homeserverUrl: hs.baseUrl, user: team.people[name]!.userId, password: team.people[name]!.password });
    const r = await client.signIn(openid, `crash ${name}`);
    if (!r.ok) throw new Error(r.error.message);
    tokens[name] = r.value.token;
  }
  const lead = async <T>(name: string, input: unknown = {}): Promise<T> => {
    const r = await client.call(tokens.lead!, name, input);
    if (!r.ok) throw new Error(`${name}: ${r.error.message}`);
    return r.value as T;
  };
  const plans = await lead<Record<string, unknown>>('settings.getActionPlans');
  await lead('settings.setActionPlans', { ...plans, undoWindowMs: 0 });
  const pictures = await Promise.all(Array.from({ length: ITEMS }, (_, i) => renderScene(700 + i)));
  await lead('banks.importCsv', { bankName: 'Crash bank', csv: pictures.map((p, i) => `md5,${createHash('md5').update(p).digest('hex')},scene ${i}`).join('\n') });
  const room = await hs.createRoom(hs.user.accessToken, { name: 'Crash community', invite: [hs.admin.userId] });
  await hs.joinRoom(hs.admin.accessToken, room);
  await hs.exemptFromRateLimits(hs.user.userId);
  const events = new Map<string, { eventId: string; mediaId: string }>();
  for (const [i, bytes] of pictures.entries()) {
    const media = await hs.uploadMedia(hs.user.accessToken, new Uint8Array(bytes), 'image/jpeg', `crash-${i}.jpg`);
    const eventId = await hs.sendImage(hs.user.accessToken, room, media, { mimetype: 'image/jpeg', body: `crash-${i}.jpg` });
    events.set(eventId, { eventId, mediaId: media.mediaId });
  }
  await waitUntil(async () => (await lead<{ pending: number }>('queue.counts')).pending === ITEMS, `${ITEMS} items ingested`);
  console.log(`[team crash] ${ITEMS} items queued; ${CONSOLES.length} consoles start deciding`);

  // The consoles: claim the next item, confirm it, again. A decision counts as made only when the server said so.
  const acknowledged = new Map<number, { decisionId: number; by: string }>();
  let attempts = 0;
  let failures = 0;
  let stop = false;
  const consoles = CONSOLES.map(async (name, n) => {
    const sessionId = `crash-console-${n}-window`;
    while (!stop) {
      attempts++;
      const next = await client.call(tokens[name]!, 'claims.next', { sessionId });
      if (!next.ok) {
        failures++;
        await sleep(200);
        continue;
      }
      const claim = (next.value as { claim: { queueItemId: number } | null }).claim;
      if (!claim) {
        await sleep(300);
        continue;
      }
      const decided = await client.call(tokens[name]!, 'queue.decide', { id: claim.queueItemId, verdict: 'confirm', sessionId });
      if (decided.ok) acknowledged.set(claim.queueItemId, { decisionId: (decided.value as { decision: { id: number } }).decision.id, by: name });
      else failures++;
      // A moderator's pace, so the load lasts through every kill.
      await sleep(600 + Math.floor(random() * 700));
    }
  });

  let kills = 0;
  while (kills < KILLS) {
    await sleep(300 + Math.floor(random() * 2_500));
    await serve.kill();
    kills++;
    console.log(`[team crash] kill ${kills}: ${acknowledged.size} decisions acknowledged so far`);
    await sleep(Math.floor(random() * 500));
    serve = await startServe(['--config', config]);
  }
  // Let the consoles finish the queue and the outbox finish its work.
  await waitUntil(async () => (await lead<{ pending: number }>('queue.counts')).pending === 0, 'the queue to empty');
  stop = true;
  await Promise.all(consoles);
  await waitUntil(
    async () => {
      const actions = await lead<{ state: string }[]>('actions.list', { limit: 500 });
      return actions.length > 0 && actions.every((a) => a.state === 'done');
    },
    'every action to be done',
    180_000,
    async () => JSON.stringify((await lead<{ id: number; kind: string; state: string; lastError: string | null }[]>('actions.list', { limit: 500 })).filter((a) => a.state !== 'done').slice(0, 5)),
  );
  await serve.stop();
  client.close();

  const db = new Database(join(dataDir, 'matchdesk.sqlite'), { readonly: true });
  const decisions = db.prepare('SELECT id, queue_item_id FROM decisions WHERE undone_at IS NULL').all() as { id: number; queue_item_id: number }[];
  const byItem = new Map<number, number[]>();
  for (const d of decisions) byItem.set(d.queue_item_id, [...(byItem.get(d.queue_item_id) ?? []), d.id]);
  const lost = [...acknowledged.entries()].filter(([item, a]) => !(byItem.get(item) ?? []).includes(a.decisionId)).length;
  let duplicated = [...byItem.values()].filter((ids) => ids.length > 1).length;
  const notDone = (db.prepare("SELECT COUNT(*) AS n FROM actions WHERE state <> 'done'").get() as { n: number }).n;
  const claimAudit = (db.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'claim.acquire'").get() as { n: number }).n;
  db.close();

  // On the homeserver: each posted event redacted once, each media quarantined and announced once.
  let missing = notDone;
  const redactions = await hs.api('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/messages?dir=b&limit=1000&filter=${encodeURIComponent(JSON.stringify({ types: ['m.room.redaction'] }))}`, hs.user.accessToken);
  const redacts = new Map<string, number>();
  for (const e of redactions.json.chunk as { redacts?: string; content?: { redacts?: string } }[]) {
    const target = e.redacts ?? e.content?.redacts;
    if (target) redacts.set(target, (redacts.get(target) ?? 0) + 1);
  }
  const notices = new Map<string, number>();
  let from: string | undefined;
  for (;;) {
    const page = await hs.api('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(team.roomId)}/messages?dir=b&limit=500${from ? `&from=${encodeURIComponent(from)}` : ''}`, hs.admin.accessToken);
    const chunk = page.json.chunk as { content: { msgtype?: string; body?: string } }[];
    for (const e of chunk) {
      const id = /mxc:\/\/[^/]+\/(\S+?)(?: |\)|\.$|$)/.exec(e.content.body ?? '')?.[1];
      if (e.content.msgtype === 'm.notice' && id) notices.set(id, (notices.get(id) ?? 0) + 1);
    }
    if (!page.json.end || chunk.length === 0) break;
    from = page.json.end as string;
  }
  for (const { eventId, mediaId } of events.values()) {
    const r = redacts.get(eventId) ?? 0;
    const n = notices.get(mediaId) ?? 0;
    if (r === 0 || n === 0) missing++;
    duplicated += Math.max(0, r - 1) + Math.max(0, n - 1);
    const info = await hs.api('GET', `/_synapse/admin/v1/media/${hs.serverName}/${mediaId}`, hs.admin.accessToken);
    if (!(info.json.media_info as { quarantined_by?: string } | undefined)?.quarantined_by) missing++;
  }
  await hs.dispose();
  temp.cleanup();
  const summary = { kills, items: ITEMS, acknowledged: acknowledged.size, decisions: decisions.length, lost, duplicated, missing, attempts, failed_calls: failures, claims_audited: claimAudit };
  console.log(JSON.stringify(summary));
  process.exit(lost === 0 && duplicated === 0 && missing === 0 && decisions.length === ITEMS && kills >= KILLS ? 0 : 1);
}

await main();
