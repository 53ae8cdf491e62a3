// npm run bench:team — one `matchdesk serve` over HTTPS (a self-signed certificate made for the run), N simulated
// consoles (default 20) each signed in as its own Matrix user of a real Synapse, each claiming the next item
// (claims.next) and deciding it (queue.decide) as fast as the server lets it, for BENCH_SECONDS (default 60), while
// every console also holds the live stream (Server-Sent Events) the real console uses.
//   decisions_per_s      decisions the server acknowledged, per second, all consoles together
//   decide_p50/p95_ms    queue.decide round trips, as a console sees them
//   push_p95_ms          from the server recording a decision to another console receiving it on its stream
//   double_claims        an item served to a console while another still held it, plus items with two decisions
//   lost                 decisions a console was told about that the store does not have afterwards
// A reference run with one console (BENCH_REF_SECONDS, default 10) comes first, in the same script; the ratio says
// how the server scales with consoles on this machine. BENCH_THINK_MS (default 0: flat out, the server saturated) gives
// each console a pause between decisions, as a moderator has. The last line is one JSON object.
import { cpus } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startSynapse } from '../test/synapse/harness';
import { createTeamRoom, startServe, writeTeamConfig } from '../test/synapse/team-setup';
import { TeamServerClient } from '../electron/team-client/team-server-client';
import { requestOpenIdToken } from '../electron/team-client/matrix-openid';
import { seedQueue } from '../test/queue/seed-queue';
import { tempDir } from '../test/helpers/temp-dir';
import { makeTestCert } from '../test/helpers/tls';
import type { Pushed } from '../shared/events';

const CONSOLES = Number(process.env.BENCH_CONSOLES ?? 20);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const REF_SECONDS = Number(process.env.BENCH_REF_SECONDS ?? 10);
const ITEMS = Number(process.env.BENCH_ITEMS ?? 40_000);
const THINK_MS = Number(process.env.BENCH_THINK_MS ?? 0);

const round = (x: number) => Math.round(x * 10) / 10;
function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

interface Console {
  name: string;
  token: string;
  client: TeamServerClient;
  sessionId: string;
}

interface RunResult {
  decisions: number;
  seconds: number;
  decideMs: number[];
  pushMs: number[];
  doubleClaims: number;
  acknowledged: Map<number, number>;
  errors: Map<string, number>;
}

async function run(consoles: Console[], seconds: number, verdicts: string[]): Promise<RunResult> {
  const result: RunResult = { decisions: 0, seconds, decideMs: [], pushMs: [], doubleClaims: 0, acknowledged: new Map(), errors: new Map() };
  const holder = new Map<number, string>();
  const decidedBy = new Map<number, string>();
  const streams = consoles.map((c) =>
    c.client.events(c.token, {
      onEvent: (event: Pushed) => {
        if (event.type === 'decision' && decidedBy.has(event.queueItemId) && decidedBy.get(event.queueItemId) !== c.name) result.pushMs.push(Date.now() - event.at);
      },
      onAccess: () => undefined,
      onResync: () => undefined,
      onState: () => undefined,
    }),
  );
  await new Promise((r) => setTimeout(r, 1_000));
  const error = (what: string) => result.errors.set(what, (result.errors.get(what) ?? 0) + 1);
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    consoles.map(async (c, n) => {
      let i = n;
      while (Date.now() < end) {
        const next = await c.client.call(c.token, 'claims.next', { sessionId: c.sessionId });
        if (!next.ok) {
          error(`claims.next ${next.error.code}`);
          continue;
        }
        const claim = (next.value as { claim: { queueItemId: number } | null }).claim;
        if (!claim) break;
        const id = claim.queueItemId;
        const other = holder.get(id);
        if (other && other !== c.name) result.doubleClaims++;
        holder.set(id, c.name);
        decidedBy.set(id, c.name);
        const started = performance.now();
        const decided = await c.client.call(c.token, 'queue.decide', { id, verdict: verdicts[i++ % verdicts.length], sessionId: c.sessionId });
        result.decideMs.push(performance.now() - started);
        holder.delete(id);
        if (!decided.ok) {
          error(`queue.decide ${decided.error.code}`);
          continue;
        }
        result.decisions++;
        result.acknowledged.set(id, (decided.value as { decision: { id: number } }).decision.id);
        if (THINK_MS > 0) await new Promise((r) => setTimeout(r, THINK_MS * (0.5 + Math.random())));
      }
    }),
  );
  // Let the last pushes arrive before the streams close.
  await new Promise((r) => setTimeout(r, 1_000));
  for (const s of streams) s.close();
  return result;
}

async function main(): Promise<void> {
  const temp = tempDir('matchdesk-bench-team-');
  console.log(`[bench:team] ${cpus().length} cores; starting Synapse, ${CONSOLES} moderators, ${ITEMS} queued items`);
  const hs = await startSynapse();
  const names = Array.from({ length: CONSOLES + 1 }, (_, i) => `mod${i}`);
  const team = await createTeamRoom(hs, { lead: 100, ...Object.fromEntries(names.map((n) => [n, 50])) });
  const dataDir = join(temp.dir, 'server');
  seedQueue(dataDir, { count: ITEMS });
  const cert = makeTestCert(temp.dir);
  // The bench measures the server, not its per-session rate limit (30 requests/s by default).
  const config = writeTeamConfig(temp.dir, { hs, roomId: team.roomId, cert, dataDir, extra: { sessions: { ratePerSecond: 10_000, burst: 10_000 } } });
  const serve = await startServe(['--config', config]);
  const signIn = async (name: string, n: number): Promise<Console> => {
    const client = new TeamServerClient(serve.url, { ca: cert.ca });
    const { openid } = await requestOpenIdToken({ homeserverUrl: hs.baseUrl, user: team.people[name]!.userId, password: team.people[name]!.password });
    const r = await client.signIn(openid, `bench ${name}`);
    if (!r.ok) throw new Error(`${name}: ${r.error.message}`);
    return { name, token: r.value.token, client, sessionId: `bench-console-${n}-window` };
  };
  const lead = await signIn('lead', 999);
  const leadCall = async (name: string, input: unknown = {}) => {
    const r = await lead.client.call(lead.token, name, input);
    if (!r.ok) throw new Error(`${name}: ${r.error.message}`);
    return r.value as Record<string, unknown>;
  };
  // Seeded items name homeservers that do not exist: only local actions (the confirmed-media bank) are planned, and
  // the outbox runs them during the bench (no undo window).
  const plans = await leadCall('settings.getActionPlans');
  await leadCall('settings.setActionPlans', {
    ...plans,
    undoWindowMs: 0,
    confirm: { ...(plans.confirm as object), quarantineMedia: false, redactEvent: false, quarantineSenderMedia: false, notifyManagementRoom: false },
  });
  const consoles: Console[] = [];
  for (const [n, name] of names.entries()) consoles.push(await signIn(name, n));

  console.log(`[bench:team] server at ${serve.url}; reference: 1 console for ${REF_SECONDS} s`);
  const reference = await run([consoles[0]!], REF_SECONDS, ['confirm', 'false_positive']);
  const referencePerS = reference.decisions / REF_SECONDS;
  console.log(`[bench:team] reference: ${round(referencePerS)} decisions/s, decide p50 ${round(percentile(reference.decideMs, 0.5))} ms`);

  console.log(`[bench:team] ${CONSOLES} consoles for ${SECONDS} s`);
  const main = await run(consoles.slice(1), SECONDS, ['confirm', 'false_positive', 'confirm', 'escalate']);
  const perS = main.decisions / SECONDS;
  await serve.stop();
  for (const c of [lead, ...consoles]) c.client.close();

  // What the store says afterwards: every acknowledged decision is there, and no item has two.
  const db = new Database(join(dataDir, 'matchdesk.sqlite'), { readonly: true });
  const rows = db.prepare('SELECT id, queue_item_id FROM decisions WHERE undone_at IS NULL').all() as { id: number; queue_item_id: number }[];
  const byItem = new Map<number, number[]>();
  for (const r of rows) byItem.set(r.queue_item_id, [...(byItem.get(r.queue_item_id) ?? []), r.id]);
  const acknowledged = new Map([...reference.acknowledged, ...main.acknowledged]);
  const lost = [...acknowledged].filter(([item, decisionId]) => !(byItem.get(item) ?? []).includes(decisionId)).length;
  const twice = [...byItem.values()].filter((ids) => ids.length > 1).length;
  const outbox = db.prepare("SELECT state, COUNT(*) AS n FROM actions GROUP BY state").all() as { state: string; n: number }[];
  db.close();
  await hs.dispose();
  temp.cleanup();

  if (main.errors.size) console.log(`[bench:team] refused calls: ${JSON.stringify(Object.fromEntries(main.errors))}`);
  console.log(`[bench:team] outbox afterwards: ${outbox.map((o) => `${o.state} ${o.n}`).join(', ')}`);
  console.log(`[bench:team] ${main.decisions} decisions; ${main.pushMs.length} pushes measured; ${round(perS / referencePerS)}x the one-console reference`);
  console.log(
    JSON.stringify({
      consoles: CONSOLES,
      decisions_per_s: round(perS),
      decide_p50_ms: round(percentile(main.decideMs, 0.5)),
      decide_p95_ms: round(percentile(main.decideMs, 0.95)),
      push_p95_ms: round(percentile(main.pushMs, 0.95)),
      double_claims: main.doubleClaims + reference.doubleClaims + twice,
      lost,
      seconds: SECONDS,
      think_ms: THINK_MS,
      reference_decisions_per_s: round(referencePerS),
      ratio_vs_one_console: round(perS / referencePerS),
      push_p50_ms: round(percentile(main.pushMs, 0.5)),
    }),
  );
}

await main();
