// `npm run test:crash`: SIGKILLs the decisions dispatcher at 100 random points while it works against a real Synapse
// and a real HMA 1.1.7 (the HMA test double where ../shared is absent: crash-hma.ts), restarts it each time, and then
// checks on the remote side that every planned action happened exactly once (HMA: exactly one content per
// idempotency marker, counted in HMA's own database) and that no decision a child reported as made was lost.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createServices, type Services } from '../../electron/services/app-services';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import { renderScene } from '../../electron/services/demo/demo-media';
import { hashBytes } from '../../electron/services/hashing';
import type { MediaEvent } from '../../electron/services/matrix';
import { startSynapse, type SynapseHarness } from '../synapse/harness';
import { tempDir } from '../helpers/temp-dir';
import { localDispatch } from '../helpers/local-api';
import { startCrashHma } from './crash-hma';
import { hmaMarker } from '../../electron/services/hma-link/hma-executors';

const TARGET_KILLS = Number(process.env.CRASH_KILLS ?? '100');
const BATCH = 6;
const repoRoot = join(import.meta.dirname, '..', '..');
let seed = Number(process.env.CRASH_SEED ?? Date.now() % 100_000);
const random = () => {
  seed = (seed * 48271) % 2147483647;
  return seed / 2147483647;
};

interface Seeded {
  queueItemId: number;
  pdq: string;
  server: string;
  mediaId: string;
  roomId: string;
  eventId: string;
}

async function seedBatch(services: Services, hs: SynapseHarness, roomId: string, start: number, count: number): Promise<Seeded[]> {
  const out: Seeded[] = [];
  for (let i = start; i < start + count; i++) {
    const bytes = new Uint8Array(await renderScene(1000 + i));
    const h = await hashBytes(bytes);
    services.banks.importCsv('Crash test bank', `md5,${h.md5},scene ${i}\n`);
    const media = await hs.uploadMedia(hs.user.accessToken, bytes, 'image/jpeg', `scene-${i}.jpg`);
    const eventId = await hs.sendImage(hs.user.accessToken, roomId, media, { mimetype: 'image/jpeg', body: `scene-${i}.jpg` });
    const ev: MediaEvent = {
      source: 'live',
      mxcUri: media.mxcUri,
      server: media.server,
      mediaId: media.mediaId,
      eventId,
      roomId,
      roomName: 'Crash room',
      sender: hs.user.userId,
      originServerTs: Date.now(),
      msgtype: 'm.image',
      body: `scene-${i}.jpg`,
      encrypted: false,
      matrixToLink: `https://matrix.to/#/${roomId}/${eventId}`,
    };
    await services.matrix.ingest.handle(ev);
    const row = services.db
      .prepare("SELECT q.id FROM queue_items q JOIN media_items m ON m.id = q.media_id WHERE json_extract(m.context_json, '$.matrix.eventId') = ?")
      .get(eventId) as { id: number } | undefined;
    if (!row) throw new Error(`seeded item ${i} was not queued`);
    out.push({ queueItemId: row.id, pdq: h.pdq!, server: media.server, mediaId: media.mediaId, roomId, eventId });
  }
  return out;
}

function runChild(dataDir: string, mode: { crashAfterExecuted?: number; killAfterMs?: number }): Promise<{ killed: boolean; decided: number[]; output: string }> {
  return new Promise((resolve) => {
    const env: Record<string, string> = { ...(process.env as Record<string, string>), CRASH_DATA_DIR: dataDir, CRASH_DECIDE_PER_RUN: '2' };
    if (mode.crashAfterExecuted) env.CRASH_AFTER_EXECUTED = String(mode.crashAfterExecuted);
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/crash/dispatcher-child.ts')], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let timer: NodeJS.Timeout | null = null;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (mode.killAfterMs !== undefined && timer === null && output.includes('ready')) {
        timer = setTimeout(() => child.kill('SIGKILL'), mode.killAfterMs);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (_code, signal) => {
      if (timer) clearTimeout(timer);
      const decided = [...output.matchAll(/^decided (\d+) \d+$/gm)].map((m) => Number(m[1]));
      resolve({ killed: signal === 'SIGKILL', decided, output });
    });
  });
}

async function countNotices(hs: SynapseHarness, roomId: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let from: string | undefined;
  for (;;) {
    const res = await hs.api('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=500${from ? `&from=${encodeURIComponent(from)}` : ''}`, hs.admin.accessToken);
    const chunk = res.json.chunk as { content: { msgtype?: string; body?: string } }[];
    for (const e of chunk) {
      if (e.content.msgtype !== 'm.notice') continue;
      const id = /mxc:\/\/[^/]+\/(\S+?)(?: |\)|\.$|$)/.exec(e.content.body ?? '')?.[1];
      if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    if (!res.json.end || chunk.length === 0) break;
    from = res.json.end as string;
  }
  return counts;
}

async function main(): Promise<void> {
  const temp = tempDir('matchdesk-crash-');
  const dataDir = join(temp.dir, 'data');
  const hs = await startSynapse();
  const hma = await startCrashHma('CRASH_CONFIRMED');
  console.log(`[crash] Synapse ${hs.version} at ${hs.baseUrl}; ${hma.kind} at ${hma.url}; seed ${seed}`);
  const services = createServices({
    dataDir,
    version: 'crash-test',
    transport: 'http',
    secrets: new FileSecretStore(join(dataDir, 'secrets.json'), plainCodec),
    startDispatcher: false,
    resumeMatrix: false,
    workers: 1,
  });
  const managementRoom = await hs.createRoom(hs.admin.accessToken, { name: 'Crash notices' });
  await services.matrix.signIn({ homeserverUrl: hs.baseUrl, accessToken: hs.admin.accessToken, managementRoom });
  const plans = services.settings.get('actionPlans', (await import('../../electron/services/decisions/action-plans')).actionPlanSchema);
  services.settings.set('actionPlans', { ...plans, undoWindowMs: 0, confirm: { ...plans.confirm, addToHmaBank: 'CRASH_CONFIRMED' } });
  await localDispatch(services)('hma.saveSettings', { enabled: true, baseUrl: hma.url, apiKey: hma.apiKey, timeoutMs: 1_000, ...hma.settings });
  const roomId = await hs.createRoom(hs.user.accessToken, { name: 'Crash room' });
  await services.matrix.stop();

  const seeded: Seeded[] = [];
  seeded.push(...(await seedBatch(services, hs, roomId, 0, BATCH)));
  const reportedDecided = new Set<number>();
  let kills = 0;
  let runs = 0;
  const outstanding = () =>
    (services.db.prepare("SELECT (SELECT COUNT(*) FROM queue_items WHERE status = 'pending') + (SELECT COUNT(*) FROM actions WHERE state IN ('pending', 'running')) AS n").get() as { n: number }).n;

  while (kills < TARGET_KILLS) {
    if (outstanding() === 0) seeded.push(...(await seedBatch(services, hs, roomId, seeded.length, BATCH)));
    const mode = random() < 0.5 ? { crashAfterExecuted: 1 + Math.floor(random() * 4) } : { killAfterMs: Math.floor(random() * 400) };
    const result = await runChild(dataDir, mode);
    runs++;
    for (const id of result.decided) reportedDecided.add(id);
    if (result.killed) kills++;
    else if (!result.output.includes('idle')) throw new Error(`child failed:\n${result.output}`);
    if (runs % 10 === 0) console.log(`[crash] ${runs} runs, ${kills} kills, ${reportedDecided.size} decisions reported`);
  }
  // Let the dispatcher finish in peace, then judge on the remote side.
  const final = await runChild(dataDir, {});
  for (const id of final.decided) reportedDecided.add(id);
  if (!final.output.includes('idle')) throw new Error(`final child failed:\n${final.output}`);
  while (outstanding() > 0) {
    const again = await runChild(dataDir, {});
    for (const id of again.decided) reportedDecided.add(id);
  }

  const decisions = new Set((services.db.prepare('SELECT queue_item_id FROM decisions WHERE undone_at IS NULL').all() as { queue_item_id: number }[]).map((r) => r.queue_item_id));
  const lost = [...reportedDecided].filter((id) => !decisions.has(id)).length;
  const notices = await countNotices(hs, managementRoom);
  let duplicated = 0;
  let missing = 0;
  for (const item of seeded) {
    if (!decisions.has(item.queueItemId)) {
      missing++;
      continue;
    }
    const info = await hs.api('GET', `/_synapse/admin/v1/media/${item.server}/${item.mediaId}`, hs.admin.accessToken);
    if (!(info.json.media_info as { quarantined_by?: string } | undefined)?.quarantined_by) missing++;
    const ev = await hs.api('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(item.roomId)}/event/${encodeURIComponent(item.eventId)}`, hs.user.accessToken);
    const redactions = (ev.json.unsigned as { redacted_because?: unknown } | undefined)?.redacted_because ? 1 : 0;
    if (redactions === 0) missing++;
    const n = notices.get(item.mediaId) ?? 0;
    if (n === 0) missing++;
    if (n > 1) duplicated += n - 1;
  }
  // Exactly one redaction event per redacted event (a second redaction would be a second remote effect).
  const redactionEvents = await hs.api('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=1000&filter=${encodeURIComponent(JSON.stringify({ types: ['m.room.redaction'] }))}`, hs.user.accessToken);
  const redacts = new Map<string, number>();
  for (const e of redactionEvents.json.chunk as { redacts?: string; content?: { redacts?: string } }[]) {
    const target = e.redacts ?? e.content?.redacts;
    if (target) redacts.set(target, (redacts.get(target) ?? 0) + 1);
  }
  for (const count of redacts.values()) if (count > 1) duplicated += count - 1;
  const bankSignals = services.db.prepare("SELECT COUNT(*) AS n FROM bank_signals s JOIN banks b ON b.id = s.bank_id WHERE b.name = 'Confirmed by reviewers'").get() as { n: number };
  const expectedSignals = decisions.size * 2;
  if (bankSignals.n < expectedSignals) missing += expectedSignals - bankSignals.n;
  const notDoneRows = services.db.prepare("SELECT id, kind, state, attempts, last_error FROM actions WHERE state != 'done'").all();
  const notDone = notDoneRows.length;
  missing += notDone;
  for (const row of notDoneRows) console.log(`[crash] not done: ${JSON.stringify(row)}`);
  // HMA: exactly one content per hma.add_to_bank idempotency marker, in HMA's own records; and the one the action
  // reports is that one.
  const adds = services.db.prepare("SELECT idempotency_key, result_json FROM actions WHERE kind = 'hma.add_to_bank'").all() as { idempotency_key: string; result_json: string | null }[];
  let hmaContents = 0;
  for (const a of adds) {
    const ids = hma.contentsWithMarker(hmaMarker(services.hma.markerScope(), a.idempotency_key));
    hmaContents += ids.length;
    if (ids.length === 0) missing++;
    if (ids.length > 1) duplicated += ids.length - 1;
    const reported = a.result_json ? (JSON.parse(a.result_json) as { contentId?: number }).contentId : undefined;
    if (ids.length === 1 && reported !== ids[0]) missing++;
  }
  if (adds.length !== decisions.size) missing += Math.abs(decisions.size - adds.length);
  console.log(`[crash] HMA: ${adds.length} hma.add_to_bank actions, ${hmaContents} contents with their markers`);

  await services.close();
  await hs.dispose();
  await hma.close();
  temp.cleanup();
  const summary = { kills, decisions: decisions.size, lost, duplicated, missing, hma: hma.kind };
  console.log(`[crash] ${runs} runs; ${seeded.length} items seeded; actions not done: ${notDone}`);
  console.log(JSON.stringify(summary));
  process.exit(lost === 0 && duplicated === 0 && missing === 0 && kills >= TARGET_KILLS ? 0 : 1);
}

await main();
