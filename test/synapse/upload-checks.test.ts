import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startSynapse, type SynapseHarness, type TestAccount } from './harness';
import { createTeamRoom, writeTeamConfig, type TeamRoom } from './team-setup';
import { loadServerConfig } from '../../electron/server/config';
import { startTeamServer, type TeamServer } from '../../electron/server/team-server';
import { createCheckApi } from '../../electron/server/check-api/check-routes';
import { hashBytes } from '../../electron/services/hashing/hash';
import type { CallContext } from '../../shared/call-context';
import { tempDir } from '../helpers/temp-dir';
import { makeJpeg, nearCopy, pdqDistance } from '../checks/images';

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const lead: CallContext = { actor: '@lead:matchdesk.test', role: 'lead', host: 'team' };

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

function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    });
  } catch {
    return [];
  }
}

interface UploadResult {
  status: number;
  json: Record<string, unknown>;
}

describe('Synapse module: uploads and media events are checked by the team server before Synapse keeps them (real Synapse)', () => {
  const temp = tempDir('matchdesk-upload-checks-');
  const keyFile = join(temp.dir, 'matchdesk-bot.key');
  let hs: SynapseHarness;
  let team: TeamRoom;
  let server: TeamServer | null = null;
  let serverPort: number;
  let configFile: string;
  let uploader: TestAccount;
  let banked: Buffer;
  let original: Buffer;
  let near: Buffer;
  let nearDistance: number;

  const startServer = async () => {
    server = await startTeamServer({ config: loadServerConfig({ config: configFile }), version: 'test', log: () => undefined, extraRoutes: (app) => createCheckApi(app).routes });
  };
  const upload = async (bytes: Buffer, fileName: string): Promise<UploadResult> => {
    const res = await fetch(`${hs.baseUrl}/_matrix/media/v3/upload?filename=${encodeURIComponent(fileName)}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${uploader.accessToken}`, 'Content-Type': 'image/jpeg' },
      body: new Uint8Array(bytes),
      signal: AbortSignal.timeout(60_000),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const uploadedMedia = async () => (await hs.api('GET', `/_synapse/admin/v1/users/${encodeURIComponent(uploader.userId)}/media`, hs.admin.accessToken)).json as { total: number; media: { media_id: string }[] };
  const itemsFrom = (userId: string) =>
    server!.app.services.db
      .prepare("SELECT q.id, q.status, q.sender, q.room_id, q.event_id, m.source, m.file_name, m.context_json FROM queue_items q JOIN media_items m ON m.id = q.media_id WHERE q.sender = ? ORDER BY q.id")
      .all(userId) as { id: number; status: string; sender: string; room_id: string | null; event_id: string | null; source: string; file_name: string | null; context_json: string }[];

  beforeAll(async () => {
    serverPort = await freePort();
    writeFileSync(keyFile, '', { mode: 0o600 });
    hs = await startSynapse({
      // The module from this repository, as an admin would `pip install` it into Synapse's environment.
      env: { PYTHONPATH: join(REPO_ROOT, 'synapse-module') },
      metrics: true,
      configOverrides: {
        modules: [
          {
            module: 'matchdesk_synapse.MatchdeskSpamChecker',
            config: { server_url: `http://127.0.0.1:${serverPort}`, bot_key_path: keyFile, timeout_seconds: 5, fail: 'open' },
          },
        ],
      },
    });
    team = await createTeamRoom(hs, { lena: 100 });
    configFile = writeTeamConfig(temp.dir, { hs, roomId: team.roomId, dataDir: join(temp.dir, 'data'), extra: { listen: `127.0.0.1:${serverPort}` } });
    await startServer();
    const created = await server!.app.dispatch('botKeys.create', { name: 'synapse' }, lead);
    if (!created.ok) throw new Error(created.error.message);
    writeFileSync(keyFile, `${(created.value as { key: string }).key}\n`);

    uploader = await hs.registerUser(`uploader-${Math.random().toString(36).slice(2, 7)}`);
    banked = await makeJpeg(41, 640, 480);
    original = await makeJpeg(1);
    near = await nearCopy(original, { crop: 0.01, brightness: 1.15, quality: 60, box: 0.1 });
    const [b, o, n] = await Promise.all([banked, original, near].map((x) => hashBytes(new Uint8Array(x))));
    nearDistance = pdqDistance(o!.pdq!, n!.pdq!);
    const { banks } = server!.app.services;
    const bank = banks.create({ name: 'Known abuse', severity: 90 });
    banks.addContent(bank.id, [{ type: 'md5', signal: b!.md5 }, { type: 'pdq', signal: b!.pdq! }], { label: 'case 1' });
    banks.addContent(bank.id, [{ type: 'pdq', signal: o!.pdq! }], { label: 'case 2' });
  });
  afterAll(async () => {
    await server?.close();
    await hs?.dispose();
    temp.cleanup();
  });

  it('refuses a banked image at upload with M_FORBIDDEN, stores nothing, and queues "blocked at upload" with the uploader', async () => {
    const before = filesUnder(join(hs.dir, 'media_store')).length;
    const r = await upload(banked, 'holiday.jpg');
    expect(r.status, JSON.stringify(r.json)).toBe(403);
    expect(r.json).toMatchObject({ errcode: 'M_FORBIDDEN', 'org.matchdesk.action': 'block' });
    expect(r.json.error).toMatch(/matches media banked as abuse/);
    expect(filesUnder(join(hs.dir, 'media_store')).length).toBe(before);
    expect((await uploadedMedia()).total).toBe(0);

    const [item] = itemsFrom(uploader.userId);
    expect(item).toMatchObject({ status: 'pending', source: 'synapse_upload', file_name: 'holiday.jpg', sender: uploader.userId });
    expect(JSON.parse(item!.context_json)).toMatchObject({ check: { action: 'block', at: 'upload', client: 'synapse', refusedMxc: expect.stringMatching(/^mxc:\/\/matchdesk\.test\//) } });
  });

  it('lets an unbanked image upload, and a near copy in the review band upload too, queued for review (its event attached when posted)', async () => {
    const clean = await upload(await makeJpeg(99), 'clean.jpg');
    expect(clean.status, JSON.stringify(clean.json)).toBe(200);
    expect(itemsFrom(uploader.userId)).toHaveLength(1);

    expect(nearDistance).toBeGreaterThan(6);
    expect(nearDistance).toBeLessThanOrEqual(31);
    const r = await upload(near, 'edited.jpg');
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const mxc = r.json.content_uri as string;
    const items = itemsFrom(uploader.userId);
    expect(items).toHaveLength(2);
    const review = items[1]!;
    expect(review).toMatchObject({ source: 'synapse_upload', file_name: 'edited.jpg', sender: uploader.userId, event_id: null });
    expect(JSON.parse(review.context_json)).toMatchObject({ check: { action: 'review', at: 'upload' }, matrix: { server: 'matchdesk.test', mediaId: mxc.split('/').pop() } });
    expect((await uploadedMedia()).total).toBe(2);

    // Posting it: check_event_for_spam asks again; the answer comes from the upload, and the event lands on the item.
    const roomId = await hs.createRoom(uploader.accessToken, { name: 'Photos' });
    const m = /^mxc:\/\/([^/]+)\/(.+)$/.exec(mxc)!;
    const eventId = await hs.sendImage(uploader.accessToken, roomId, { mxcUri: mxc, server: m[1]!, mediaId: m[2]! }, { mimetype: 'image/jpeg', body: 'edited.jpg' });
    const after = itemsFrom(uploader.userId)[1]!;
    expect(after).toMatchObject({ id: review.id, event_id: eventId, room_id: roomId });
  });

  it('refuses a media event whose media was banked after it was uploaded (the server downloads it as its service account)', async () => {
    const later = await makeJpeg(123);
    const r = await upload(later, 'later.jpg');
    expect(r.status).toBe(200);
    const hashes = await hashBytes(new Uint8Array(later));
    const { banks } = server!.app.services;
    banks.addContent(banks.byName('Known abuse')!.id, [{ type: 'md5', signal: hashes.md5 }], { label: 'case 3' });
    const roomId = await hs.createRoom(uploader.accessToken, { name: 'More photos' });
    const mxc = r.json.content_uri as string;
    const res = await hs.api('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${Date.now()}`, uploader.accessToken, {
      msgtype: 'm.image',
      body: 'later.jpg',
      url: mxc,
      info: { mimetype: 'image/jpeg' },
    });
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ errcode: 'M_FORBIDDEN', 'org.matchdesk.action': 'block' });
    const item = itemsFrom(uploader.userId).find((i) => JSON.parse(i.context_json).matrix?.mediaId === mxc.split('/').pop() && JSON.parse(i.context_json).check?.action === 'block');
    expect(item).toMatchObject({ source: 'bot_check', room_id: roomId });
  });

  it('with the Matchdesk server stopped, uploads go on (fail open), the module counts the miss, and Matchdesk counts it when back', async () => {
    await server!.close();
    server = null;
    const r = await upload(banked, 'while-down.jpg');
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const metrics = await (await fetch(`${hs.baseUrl}/_synapse/metrics`)).text();
    expect(metrics).toMatch(/^matchdesk_synapse_check_misses_total\{reason="unreachable"\} 1\.0$/m);
    expect(metrics).toMatch(/^matchdesk_synapse_checks_total\{kind="upload",outcome="fail_open"\} 1\.0$/m);

    await startServer();
    expect((await upload(await makeJpeg(5), 'back.jpg')).status).toBe(200);
    const served = await (await fetch(`http://127.0.0.1:${serverPort}/metrics`)).text();
    expect(served).toContain('matchdesk_check_missed_total{client="synapse",policy="fail_open"} 1');
  });
});

describe('Synapse module failing closed: a Matchdesk server that does not answer in time refuses uploads with a retryable error (real Synapse)', () => {
  const temp = tempDir('matchdesk-upload-closed-');
  let hs: SynapseHarness;
  let silent: ReturnType<typeof createServer>;
  const held: import('node:net').Socket[] = [];

  beforeAll(async () => {
    // A listener that accepts connections and never answers: a hung team server.
    silent = createServer((socket) => void held.push(socket));
    const port = await new Promise<number>((resolve) => silent.listen(0, '127.0.0.1', () => resolve((silent.address() as { port: number }).port)));
    hs = await startSynapse({
      env: { PYTHONPATH: join(REPO_ROOT, 'synapse-module') },
      metrics: true,
      configOverrides: {
        modules: [
          {
            module: 'matchdesk_synapse.MatchdeskSpamChecker',
            config: { server_url: `http://127.0.0.1:${port}`, bot_key: 'mdk_000000000000_' + 'k'.repeat(43), timeout_seconds: 1, fail: 'closed', check_events: false },
          },
        ],
      },
    });
  });
  afterAll(async () => {
    for (const s of held) s.destroy();
    silent?.close();
    await hs?.dispose();
    temp.cleanup();
  });

  it('times out after the configured second, refuses the upload with 503, keeps nothing, and counts the timeout', async () => {
    const started = Date.now();
    const res = await fetch(`${hs.baseUrl}/_matrix/media/v3/upload?filename=a.jpg`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${hs.user.accessToken}`, 'Content-Type': 'image/jpeg' },
      body: new Uint8Array(await makeJpeg(3)),
    });
    const json = (await res.json()) as Record<string, unknown>;
    expect(res.status, JSON.stringify(json)).toBe(503);
    expect(json).toMatchObject({ errcode: 'M_UNKNOWN', 'org.matchdesk.retry': true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(filesUnder(join(hs.dir, 'media_store', 'local_content'))).toHaveLength(0);
    const metrics = await (await fetch(`${hs.baseUrl}/_synapse/metrics`)).text();
    expect(metrics).toMatch(/^matchdesk_synapse_check_misses_total\{reason="timeout"\} 1\.0$/m);
    expect(metrics).toMatch(/^matchdesk_synapse_checks_total\{kind="upload",outcome="fail_closed"\} 1\.0$/m);
  });
});
