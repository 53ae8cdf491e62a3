// Matchdesk end to end against a real Synapse: the services the app runs (ingest, queue, decisions, outbox) signed in
// as a moderator, with the homeserver's own APIs as the judge of what happened.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createServices, type Services } from '../../electron/services/app-services';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import { renderScene } from '../../electron/services/demo/demo-media';
import { hashBytes } from '../../electron/services/hashing';
import { startSynapse, type SynapseHarness } from './harness';
import { waitFor } from './helpers';
import { tempDir } from '../helpers/temp-dir';
import { localDispatch } from '../helpers/local-api';

let hs: SynapseHarness;
let services: Services;
let managementRoomId: string;
const temp = tempDir('matchdesk-synapse-flow-');

async function call<T = unknown>(name: string, input: unknown = {}): Promise<T> {
  const result = await localDispatch(services)(name, input);
  if (!result.ok) throw new Error(`${name}: ${result.error.code} ${result.error.message}`);
  return result.value as T;
}

async function bankPicture(seed: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(await renderScene(seed));
  const h = await hashBytes(bytes);
  await call('banks.importCsv', { bankName: 'Known abuse (test)', csv: `pdq,${h.pdq},scene ${seed}\n` });
  return bytes;
}

async function queueItemFor(eventId: string): Promise<{ id: number; source: string }> {
  return waitFor(
    () => {
      const row = services.db
        .prepare("SELECT q.id, m.source FROM queue_items q JOIN media_items m ON m.id = q.media_id WHERE json_extract(m.context_json, '$.matrix.eventId') = ?")
        .get(eventId) as { id: number; source: string } | undefined;
      return row ?? null;
    },
    { timeoutMs: 60_000, what: `a queue item for ${eventId}` },
  );
}

async function drainUntilSettled(decisionId: number, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    () => {
      void services.outbox.drain();
      const open = services.db.prepare("SELECT COUNT(*) AS n FROM actions WHERE decision_id = ? AND state IN ('pending', 'running')").get(decisionId) as { n: number };
      return open.n === 0;
    },
    { timeoutMs, intervalMs: 250, what: `the actions of decision ${decisionId}` },
  );
}

async function expectQuarantinedAndRedacted(mxc: { server: string; mediaId: string }, roomId: string, eventId: string) {
  const download = await fetch(`${hs.baseUrl}/_matrix/client/v1/media/download/${mxc.server}/${mxc.mediaId}`, { headers: { Authorization: `Bearer ${hs.user.accessToken}` } });
  expect(download.status).toBe(404);
  const info = await hs.api('GET', `/_synapse/admin/v1/media/${mxc.server}/${mxc.mediaId}`, hs.admin.accessToken);
  expect((info.json.media_info as { quarantined_by?: string }).quarantined_by).toBe(hs.admin.userId);
  // As the room's members see it (the admin fetch_event API returns the original content even after a redaction).
  const event = await hs.api('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(eventId)}`, hs.user.accessToken);
  const ev = event.json as { content: Record<string, unknown>; unsigned?: { redacted_because?: unknown } };
  expect(ev.content).toEqual({});
  expect(ev.unsigned?.redacted_because).toBeTruthy();
}

async function managementNotices(): Promise<string[]> {
  const res = await hs.api('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(managementRoomId)}/messages?dir=b&limit=50`, hs.admin.accessToken);
  return (res.json.chunk as { type: string; content: { body?: string; msgtype?: string } }[]).filter((e) => e.content.msgtype === 'm.notice').map((e) => e.content.body ?? '');
}

beforeAll(async () => {
  hs = await startSynapse();
  console.log(`[synapse] ${hs.version} at ${hs.baseUrl}`);
  services = createServices({
    dataDir: join(temp.dir, 'data'),
    version: 'test',
    transport: 'http',
    secrets: new FileSecretStore(join(temp.dir, 'secrets.json'), plainCodec),
    reviewer: 'moderator-1',
    startDispatcher: false,
    resumeMatrix: false,
    outbox: { baseBackoffMs: 200, maxBackoffMs: 2_000 },
  });
  const plans = await call<Record<string, unknown>>('settings.getActionPlans');
  await call('settings.setActionPlans', { ...plans, undoWindowMs: 0 });
  managementRoomId = await hs.createRoom(hs.admin.accessToken, { name: 'Moderation notices' });
});

afterAll(async () => {
  await services?.close();
  await hs?.dispose();
  temp.cleanup();
});

describe('Matchdesk against a real Synapse', () => {
  it('ingests an image posted live, matches it locally; a confirm quarantines the media, redacts the event and posts a notice', async () => {
    const status = await call<{ signedIn: boolean; isAdmin: boolean }>('matrix.signIn', { homeserverUrl: hs.baseUrl, accessToken: hs.admin.accessToken, managementRoom: managementRoomId });
    expect(status).toMatchObject({ signedIn: true, isAdmin: true });
    expect(services.secrets.get('matrix.accessToken')).toBe(hs.admin.accessToken);
    expect(JSON.stringify(services.db.prepare('SELECT * FROM settings').all())).not.toContain(hs.admin.accessToken);

    const picture = await bankPicture(21);
    const roomId = await hs.createRoom(hs.user.accessToken, { name: 'Community chat', invite: [hs.admin.userId] });
    await hs.joinRoom(hs.admin.accessToken, roomId);
    const media = await hs.uploadMedia(hs.user.accessToken, picture, 'image/jpeg', 'holiday.jpg');
    const eventId = await hs.sendImage(hs.user.accessToken, roomId, media, { mimetype: 'image/jpeg', body: 'holiday.jpg' });

    const item = await queueItemFor(eventId);
    expect(item.source).toBe('matrix_live');
    const detail = await call<{ media: { context: { matrix: Record<string, unknown> }; sha256: string }; matches: { bankName: string }[] }>('queue.get', { id: item.id });
    expect(detail.media.context.matrix).toMatchObject({ roomId, eventId, sender: hs.user.userId, roomName: 'Community chat', server: media.server, mediaId: media.mediaId });
    expect(detail.matches[0]!.bankName).toBe('Known abuse (test)');
    const preview = await call<{ kind: string }>('media.preview', { mediaId: (detail.media as unknown as { id: number }).id, reveal: false });
    expect(preview.kind).toBe('image');

    const decided = await call<{ decision: { id: number }; actions: { kind: string }[] }>('queue.decide', { id: item.id, verdict: 'confirm', reason: 'Known abuse material' });
    expect(decided.actions.map((a) => a.kind)).toEqual(['matrix.quarantine_media', 'matrix.redact_event', 'local.add_to_bank', 'matrix.notify']);
    await drainUntilSettled(decided.decision.id);
    const actions = services.db.prepare('SELECT kind, state, attempts FROM actions WHERE decision_id = ?').all(decided.decision.id) as { kind: string; state: string; attempts: number }[];
    expect(actions.every((a) => a.state === 'done')).toBe(true);
    // Each homeserver and bank action ran once. The notice may have waited for them (the drains here overlap), but
    // it was posted once.
    expect(actions.filter((a) => a.kind !== 'matrix.notify').every((a) => a.attempts === 1)).toBe(true);
    await expectQuarantinedAndRedacted(media, roomId, eventId);
    expect((await managementNotices()).filter((n) => n.includes('moderator-1 confirmed a match') && n.includes(media.mediaId))).toHaveLength(1);
  });

  it('ingests a reported image from a room the moderator is not in, and acts on it the same way', async () => {
    await call('matrix.updateOptions', { sources: { live: false, reports: true, quarantine: false } });
    const picture = await bankPicture(22);
    const roomId = await hs.createRoom(hs.user.accessToken, { name: 'Private room' });
    const media = await hs.uploadMedia(hs.user.accessToken, picture, 'image/jpeg', 'x.jpg');
    const eventId = await hs.sendImage(hs.user.accessToken, roomId, media, { mimetype: 'image/jpeg', body: 'x.jpg' });
    await hs.reportEvent(hs.user.accessToken, roomId, eventId, 'this is abuse', -100);

    await call('matrix.pollNow');
    const item = await queueItemFor(eventId);
    expect(item.source).toBe('matrix_report');
    const detail = await call<{ media: { context: { matrix: { report: { reason: string } } } } }>('queue.get', { id: item.id });
    expect(detail.media.context.matrix.report.reason).toBe('this is abuse');

    const decided = await call<{ decision: { id: number } }>('queue.decide', { id: item.id, verdict: 'confirm' });
    await drainUntilSettled(decided.decision.id);
    await expectQuarantinedAndRedacted(media, roomId, eventId);
    expect((await managementNotices()).filter((n) => n.includes('confirmed a match'))).toHaveLength(2);
  });

  it('a homeserver that stops mid-action: the actions wait, are retried, and complete once it is back, exactly once', async () => {
    const picture = await bankPicture(23);
    const roomId = await hs.createRoom(hs.user.accessToken, { name: 'Outage room' });
    const media = await hs.uploadMedia(hs.user.accessToken, picture, 'image/jpeg', 'y.jpg');
    const eventId = await hs.sendImage(hs.user.accessToken, roomId, media, { mimetype: 'image/jpeg', body: 'y.jpg' });
    await hs.reportEvent(hs.user.accessToken, roomId, eventId, 'again');
    await call('matrix.pollNow');
    const item = await queueItemFor(eventId);

    await hs.stop();
    const decided = await call<{ decision: { id: number } }>('queue.decide', { id: item.id, verdict: 'confirm' });
    await services.outbox.drain();
    const waiting = services.db.prepare("SELECT kind, state, attempts, last_error FROM actions WHERE decision_id = ? AND kind LIKE 'matrix.%'").all(decided.decision.id) as {
      kind: string;
      state: string;
      attempts: number;
      last_error: string;
    }[];
    expect(waiting.every((a) => a.state === 'pending' && a.attempts >= 1)).toBe(true);
    // The homeserver actions failed on the network; the notice waits for them (it reports what they did).
    expect(waiting.filter((a) => a.kind !== 'matrix.notify').every((a) => /network|timeout|server/.test(a.last_error))).toBe(true);
    expect(waiting.find((a) => a.kind === 'matrix.notify')?.last_error).toMatch(/^Waiting for 2 other actions of the decision/);

    await hs.start();
    await drainUntilSettled(decided.decision.id);
    expect(services.db.prepare("SELECT COUNT(*) AS n FROM actions WHERE decision_id = ? AND state = 'done'").get(decided.decision.id)).toEqual({ n: 4 });
    await expectQuarantinedAndRedacted(media, roomId, eventId);
    const notices = (await managementNotices()).filter((n) => n.includes(media.mediaId));
    expect(notices).toHaveLength(1);
    expect(services.audit.verify().ok).toBe(true);
  });

  it('when the banks hold only SHA-256 hashes, media whose server-side SHA-256 matches nothing is not downloaded', async () => {
    // Banks with PDQ or MD5 need the bytes: switch them off (the earlier confirms filled "Confirmed by reviewers").
    await call('banks.update', { bankName: 'Known abuse (test)', enabled: false });
    await call('banks.update', { bankName: 'Confirmed by reviewers', enabled: false });
    const banned = new Uint8Array(await renderScene(31));
    const other = new Uint8Array(await renderScene(32));
    await call('banks.importCsv', { bankName: 'SHA-256 only', csv: `sha256,${(await hashBytes(banned)).sha256},banned file\n` });
    await call('matrix.updateOptions', { sources: { live: true, reports: false, quarantine: false } });
    const roomId = await hs.createRoom(hs.user.accessToken, { name: 'SHA room', invite: [hs.admin.userId] });
    await hs.joinRoom(hs.admin.accessToken, roomId);
    const before = (await call<{ stats: { skippedBySha256: number; ingested: number } }>('matrix.status')).stats;
    const otherEvent = await hs.sendImage(hs.user.accessToken, roomId, await hs.uploadMedia(hs.user.accessToken, other, 'image/jpeg', 'other.jpg'), { mimetype: 'image/jpeg' });
    const bannedEvent = await hs.sendImage(hs.user.accessToken, roomId, await hs.uploadMedia(hs.user.accessToken, banned, 'image/jpeg', 'banned.jpg'), { mimetype: 'image/jpeg' });
    const item = await queueItemFor(bannedEvent);
    expect(item.source).toBe('matrix_live');
    const after = (await call<{ stats: { skippedBySha256: number; ingested: number } }>('matrix.status')).stats;
    expect(after.skippedBySha256 - before.skippedBySha256).toBe(1);
    expect(after.ingested - before.ingested).toBe(1);
    expect(services.db.prepare("SELECT COUNT(*) AS n FROM media_items WHERE json_extract(context_json, '$.matrix.eventId') = ?").get(otherEvent)).toEqual({ n: 0 });
  });

  it('a confirm can also quarantine the whole room\'s media and redact all of the sender\'s events, when the moderator asks', async () => {
    const banned = new Uint8Array(await renderScene(41));
    await call('banks.importCsv', { bankName: 'SHA-256 only', csv: `sha256,${(await hashBytes(banned)).sha256},another banned file\n` });
    const roomId = await hs.createRoom(hs.user.accessToken, { name: 'Raid room', invite: [hs.admin.userId] });
    await hs.joinRoom(hs.admin.accessToken, roomId);
    const innocent = await hs.uploadMedia(hs.user.accessToken, new Uint8Array(await renderScene(42)), 'image/jpeg', 'innocent.jpg');
    await hs.sendImage(hs.user.accessToken, roomId, innocent, { mimetype: 'image/jpeg' });
    const textEvent = await hs.sendMessage(hs.user.accessToken, roomId, { msgtype: 'm.text', body: 'spam spam spam' });
    const bannedMedia = await hs.uploadMedia(hs.user.accessToken, banned, 'image/jpeg', 'banned2.jpg');
    const bannedEvent = await hs.sendImage(hs.user.accessToken, roomId, bannedMedia, { mimetype: 'image/jpeg' });
    const item = await queueItemFor(bannedEvent);

    const decided = await call<{ decision: { id: number }; actions: { kind: string }[] }>('queue.decide', {
      id: item.id,
      verdict: 'confirm',
      extraActions: { quarantineRoomMedia: true, redactSenderEvents: true },
    });
    expect(decided.actions.map((a) => a.kind)).toEqual(expect.arrayContaining(['matrix.quarantine_room_media', 'matrix.redact_user_events']));
    await drainUntilSettled(decided.decision.id);
    const innocentInfo = await hs.api('GET', `/_synapse/admin/v1/media/${innocent.server}/${innocent.mediaId}`, hs.admin.accessToken);
    expect((innocentInfo.json.media_info as { quarantined_by?: string }).quarantined_by).toBe(hs.admin.userId);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ev = await hs.api('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(textEvent)}`, hs.user.accessToken);
      if ((ev.json.unsigned as { redacted_because?: unknown } | undefined)?.redacted_because) break;
      if (Date.now() > deadline) throw new Error('the sender\'s text message was not redacted');
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  it('sign-in errors are clear: a wrong URL, a bad token', async () => {
    const bad = await localDispatch(services)('matrix.signIn', { homeserverUrl: 'http://127.0.0.1:1', accessToken: 'x' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    const badToken = await localDispatch(services)('matrix.signIn', { homeserverUrl: hs.baseUrl, accessToken: 'syt_not_a_real_token' });
    expect(badToken.ok).toBe(false);
    if (!badToken.ok) expect(badToken.error.message).toMatch(/invalid or has expired|refused/);
  });
});
