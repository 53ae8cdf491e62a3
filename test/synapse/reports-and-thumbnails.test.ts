// Reports and thumbnails against a real Synapse, with events shaped as real clients send them (Element,
// matrix-js-sdk, matrix-nio): `info` with mimetype, size, w and h; a client-uploaded `thumbnail_url` with
// `thumbnail_info`; a sticker; an edit (m.replace). The homeserver's own APIs judge what happened.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import sharp from 'sharp';
import { createServices, type Services } from '../../electron/services/app-services';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import { renderScene } from '../../electron/services/demo/demo-media';
import { hashBytes } from '../../electron/services/hashing';
import { EXTRA_REPORT_BONUS } from '../../electron/services/queue/priority';
import type { CallOutput } from '../../shared/contract';
import { startSynapse, type SynapseHarness, type TestAccount, type UploadedMedia } from './harness';
import { waitFor } from './helpers';
import { tempDir } from '../helpers/temp-dir';
import { localDispatch } from '../helpers/local-api';

type Item = CallOutput<'queue.get'>;

let hs: SynapseHarness;
let services: Services;
let bob: TestAccount;
let carol: TestAccount;
let managementRoomId: string;
let watchedRoomId: string;
const temp = tempDir('matchdesk-synapse-reports-');
const dataDir = () => join(temp.dir, 'data');
const BANK = 'Known abuse (thumbnail test)';

function open(): Services {
  return createServices({
    dataDir: dataDir(),
    version: 'test',
    transport: 'http',
    secrets: new FileSecretStore(join(temp.dir, 'secrets.json'), plainCodec),
    reviewer: 'moderator-1',
    startDispatcher: false,
    resumeMatrix: false,
    outbox: { baseBackoffMs: 200, maxBackoffMs: 2_000 },
  });
}

async function call<T = unknown>(name: string, input: unknown = {}): Promise<T> {
  const result = await localDispatch(services)(name, input);
  if (!result.ok) throw new Error(`${name}: ${result.error.code} ${result.error.message}`);
  return result.value as T;
}

/** A JPEG as a client would upload it, with the `info` it would send. */
async function picture(seed: number, size?: { w: number; h: number }): Promise<{ bytes: Uint8Array; info: { mimetype: string; size: number; w: number; h: number } }> {
  let img = sharp(await renderScene(seed));
  if (size) img = img.resize(size.w, size.h);
  const bytes = new Uint8Array(await img.jpeg({ quality: 80 }).toBuffer());
  const meta = await sharp(bytes).metadata();
  return { bytes, info: { mimetype: 'image/jpeg', size: bytes.length, w: meta.width!, h: meta.height! } };
}

async function bank(seed: number): Promise<void> {
  const h = await hashBytes(new Uint8Array(await renderScene(seed)));
  await call('banks.importCsv', { bankName: BANK, csv: `pdq,${h.pdq},scene ${seed}\n` });
}

/** An m.image as Element sends it: the attachment, a 320×240 client-made thumbnail, and both `info`s. */
async function sendImageWithThumbnail(token: string, roomId: string, main: { bytes: Uint8Array; info: object }, thumb: { bytes: Uint8Array; info: object }, body = 'photo.jpg') {
  const up = await hs.uploadMedia(token, main.bytes, 'image/jpeg', body);
  const upThumb = await hs.uploadMedia(token, thumb.bytes, 'image/jpeg', `thumbnail-${body}`);
  const eventId = await hs.sendMessage(token, roomId, {
    msgtype: 'm.image',
    body,
    url: up.mxcUri,
    info: { ...main.info, thumbnail_url: upThumb.mxcUri, thumbnail_info: thumb.info, 'xyz.amorgan.blurhash': 'L6PZfSi_.AyE_3t7t7R**0o#DgR4' },
  });
  return { eventId, main: up, thumb: upThumb };
}

function itemIdFor(eventId: string): number | null {
  const row = services.db.prepare('SELECT id FROM queue_items WHERE event_id = ?').get(eventId) as { id: number } | undefined;
  return row?.id ?? null;
}

async function queued(eventId: string, poll = false): Promise<Item> {
  const id = await waitFor(
    () => {
      if (poll) void services.matrix.pollNow().catch(() => undefined);
      return itemIdFor(eventId);
    },
    { timeoutMs: 60_000, intervalMs: poll ? 500 : 100, what: `a queue item for ${eventId}` },
  );
  return call<Item>('queue.get', { id });
}

async function settle(decisionId: number): Promise<void> {
  await waitFor(
    () => {
      void services.outbox.drain();
      const open = services.db.prepare("SELECT COUNT(*) AS n FROM actions WHERE decision_id = ? AND state IN ('pending', 'running')").get(decisionId) as { n: number };
      return open.n === 0;
    },
    { timeoutMs: 60_000, intervalMs: 250, what: `the actions of decision ${decisionId}` },
  );
}

async function downloadStatus(token: string, media: UploadedMedia): Promise<number> {
  const res = await fetch(`${hs.baseUrl}/_matrix/client/v1/media/download/${media.server}/${media.mediaId}`, { headers: { Authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
}

async function notices(): Promise<{ body: string; formatted_body?: string; 'm.mentions'?: unknown }[]> {
  const res = await hs.api('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(managementRoomId)}/messages?dir=b&limit=100`, hs.admin.accessToken);
  return (res.json.chunk as { content: { msgtype?: string; body?: string; formatted_body?: string } }[])
    .filter((e) => e.content.msgtype === 'm.notice')
    .map((e) => e.content as { body: string; formatted_body?: string });
}

const link = (roomId: string, eventId: string) => `https://matrix.to/#/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}`;

beforeAll(async () => {
  hs = await startSynapse();
  console.log(`[synapse] ${hs.version} at ${hs.baseUrl}`);
  bob = await hs.registerUser('bob');
  carol = await hs.registerUser('carol');
  services = open();
  const plans = await call<Record<string, unknown>>('settings.getActionPlans');
  await call('settings.setActionPlans', { ...plans, undoWindowMs: 0 });
  managementRoomId = await hs.createRoom(hs.admin.accessToken, { name: 'Moderation notices' });
  // A community room the moderator's account is in: its media arrives live.
  watchedRoomId = await hs.createRoom(hs.user.accessToken, { name: 'Community', invite: [hs.admin.userId, bob.userId] });
  await hs.joinRoom(hs.admin.accessToken, watchedRoomId);
  await hs.joinRoom(bob.accessToken, watchedRoomId);
  await call('matrix.signIn', { homeserverUrl: hs.baseUrl, accessToken: hs.admin.accessToken, managementRoom: managementRoomId });
});

afterAll(async () => {
  await services?.close();
  await hs?.dispose();
  temp.cleanup();
});

describe('every report reaches a moderator', () => {
  let reportedEvent: string;
  let reportedRoom: string;

  it('a report of an image that matches no bank becomes a queue item with the reason, reporter, score and time', async () => {
    // A room the moderator's account is not in: only the report brings its events to Matchdesk.
    reportedRoom = await hs.createRoom(hs.user.accessToken, { name: 'Private room', invite: [bob.userId, carol.userId] });
    await hs.joinRoom(bob.accessToken, reportedRoom);
    await hs.joinRoom(carol.accessToken, reportedRoom);
    const sent = await sendImageWithThumbnail(hs.user.accessToken, reportedRoom, await picture(201), await picture(201, { w: 320, h: 240 }), 'not-in-any-bank.jpg');
    reportedEvent = sent.eventId;
    const before = Date.now();
    await hs.reportEvent(bob.accessToken, reportedRoom, reportedEvent, 'harassment: a photo of me posted without consent', -100);

    const item = await queued(reportedEvent, true);
    expect(item).toMatchObject({ status: 'pending', reportCount: 1, matches: [], bestDistance: null });
    expect(item.reports).toEqual([{ id: expect.any(Number), reporter: bob.userId, reason: 'harassment: a photo of me posted without consent', score: -100, receivedTs: expect.any(Number) }]);
    expect(item.reports![0]!.receivedTs).toBeGreaterThanOrEqual(before - 60_000);
    expect(item.media.context.matrix).toMatchObject({ eventId: reportedEvent, roomId: reportedRoom, roomName: 'Private room', sender: hs.user.userId, mediaId: sent.main.mediaId });
    // both parts were fetched and hashed, and kept (encrypted) for the moderator's preview
    expect(item.parts!.map((p) => [p.part, p.state, p.declaredWidth])).toEqual([
      ['media', 'hashed', 640],
      ['thumbnail', 'hashed', 320],
    ]);
    expect((await call<{ kind: string }>('media.preview', { mediaId: item.parts![1]!.media!.id, reveal: false })).kind).toBe('image');
    expect((await call<{ items: { id: number }[] }>('queue.list', { trigger: 'reported_only' })).items.map((i) => i.id)).toContain(item.id);
    expect((await call<{ items: { id: number }[] }>('queue.list', { trigger: 'matched' })).items.map((i) => i.id)).not.toContain(item.id);
  });

  it('a second report of the same event joins the item and raises its priority above an item reported once', async () => {
    const first = await queued(reportedEvent);
    const other = await hs.sendMessage(hs.user.accessToken, reportedRoom, { msgtype: 'm.text', body: 'something else' });
    await hs.reportEvent(bob.accessToken, reportedRoom, other, 'also bad');
    await hs.reportEvent(carol.accessToken, reportedRoom, reportedEvent, 'seen it too');
    const otherItem = await queued(other, true);
    const again = await waitFor(
      () => {
        void services.matrix.pollNow().catch(() => undefined);
        const row = services.db.prepare('SELECT report_count FROM queue_items WHERE id = ?').get(first.id) as { report_count: number };
        return row.report_count === 2 ? row : null;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'the second report' },
    );
    expect(again.report_count).toBe(2);
    const item = await call<Item>('queue.get', { id: first.id });
    expect(item.priority - first.priority).toBe(EXTRA_REPORT_BONUS);
    expect(item.reports!.map((r) => [r.reporter, r.reason])).toEqual([
      [carol.userId, 'seen it too'],
      [bob.userId, 'harassment: a photo of me posted without consent'],
    ]);
    // the listing's order key moved by the same amount (the ranking reads the report count)
    const rank = (id: number) => (services.db.prepare('SELECT rank FROM queue_items WHERE id = ?').get(id) as { rank: number }).rank;
    expect(rank(first.id) - rank(otherItem.id)).toBeGreaterThanOrEqual(EXTRA_REPORT_BONUS);
    expect(otherItem.reportCount).toBe(1);
    // one item per event, however many reports
    expect(services.db.prepare('SELECT COUNT(*) AS n FROM queue_items WHERE event_id = ?').get(reportedEvent)).toEqual({ n: 1 });
  });

  it('an image first seen live (it matched nothing, so nothing was kept) and reported later becomes an item with its preview', async () => {
    const sent = await sendImageWithThumbnail(hs.user.accessToken, watchedRoomId, await picture(207), await picture(207, { w: 320, h: 240 }), 'seen-live.jpg');
    await waitFor(() => services.db.prepare('SELECT media_id FROM matrix_events WHERE event_id = ?').get(sent.eventId), { timeoutMs: 60_000, what: 'the live ingest of the image' });
    expect(itemIdFor(sent.eventId)).toBeNull();
    await hs.reportEvent(bob.accessToken, watchedRoomId, sent.eventId, 'not ok');
    const item = await queued(sent.eventId, true);
    expect(item).toMatchObject({ reportCount: 1, matches: [] });
    expect(item.media.source).toBe('matrix_live');
    for (const part of item.parts!) {
      expect((await call<{ kind: string }>('media.preview', { mediaId: part.media!.id, reveal: false })).kind).toBe('image');
    }
  });

  it('a report of a text message shows the message (as text) and a confirm redacts it; the notice links the event', async () => {
    const body = '<img src=x onerror="alert(1)"> buy followers at <a href="https://spam.example">spam.example</a>';
    const eventId = await hs.sendMessage(hs.user.accessToken, reportedRoom, { msgtype: 'm.text', body, format: 'org.matrix.custom.html', formatted_body: body });
    await hs.reportEvent(bob.accessToken, reportedRoom, eventId, 'spam');
    const item = await queued(eventId, true);
    expect(item.media.context.matrix).toMatchObject({ kind: 'text', eventType: 'm.room.message', msgtype: 'm.text' });
    expect(item.eventText).toBe(body);
    // the words are kept encrypted, not in the database
    expect(JSON.stringify(services.db.prepare('SELECT * FROM media_items WHERE id = ?').get(item.media.id))).not.toContain('buy followers');

    const decided = await call<{ decision: { id: number }; actions: { kind: string }[] }>('queue.decide', { id: item.id, verdict: 'confirm', reason: 'Policy violation' });
    expect(decided.actions.map((a) => a.kind)).toEqual(['matrix.redact_event', 'matrix.notify']);
    await settle(decided.decision.id);
    const seen = await hs.api('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(reportedRoom)}/event/${encodeURIComponent(eventId)}`, hs.user.accessToken);
    expect((seen.json.unsigned as { redacted_because?: unknown }).redacted_because).toBeTruthy();
    const notice = (await notices()).find((n) => n.body.includes(link(reportedRoom, eventId)));
    expect(notice?.body).toMatch(/acted on a report of the message/);
    expect(notice?.body).toContain('- redacted the event');
    expect(notice?.formatted_body).toContain(`<a href="${link(reportedRoom, eventId)}">`);
  });
});

describe('a report on something already decided', () => {
  it('a new report on an image marked a false positive takes it back to the queue, marked, audited and counted right; a confirmed one stays confirmed', async () => {
    const room = await hs.createRoom(hs.user.accessToken, { name: 'Reported twice', invite: [bob.userId, carol.userId] });
    await hs.joinRoom(bob.accessToken, room);
    await hs.joinRoom(carol.accessToken, room);
    const sent = await sendImageWithThumbnail(hs.user.accessToken, room, await picture(211), await picture(211, { w: 320, h: 240 }), 'judged-harmless.jpg');
    await hs.reportEvent(bob.accessToken, room, sent.eventId, 'looks bad to me');
    const item = await queued(sent.eventId, true);
    const fp = await call<{ decision: { id: number } }>('queue.decide', { id: item.id, verdict: 'false_positive', reason: 'Not abuse' });
    expect((await call<Item>('queue.get', { id: item.id })).status).toBe('false_positive');

    await hs.reportEvent(carol.accessToken, room, sent.eventId, 'this is my photo, posted without consent');
    await waitFor(
      () => {
        void services.matrix.pollNow().catch(() => undefined);
        return (services.db.prepare('SELECT status FROM queue_items WHERE id = ?').get(item.id) as { status: string }).status === 'pending';
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'the item back in the queue after the second report' },
    );
    const again = await call<Item>('queue.get', { id: item.id });
    expect(again).toMatchObject({ status: 'pending', reportCount: 2, reopened: { previousStatus: 'false_positive', decidedBy: 'moderator-1' } });
    expect(again.reports![0]).toMatchObject({ reporter: carol.userId, reason: 'this is my photo, posted without consent' });
    expect(again.decisions).toMatchObject([{ id: fp.decision.id, verdict: 'false_positive', undoneAt: null }]);
    const pending = await call<{ items: { id: number; reopened?: unknown }[] }>('queue.list', { status: 'pending', limit: 200 });
    expect(pending.items.find((i) => i.id === item.id)?.reopened).toMatchObject({ previousStatus: 'false_positive' });
    const audit = await call<{ actor: string; action: string; subject: string; details: Record<string, unknown> }[]>('audit.list', { limit: 50 });
    expect(audit.find((a) => a.action === 'queue.reopen' && a.subject === `queue:${item.id}`)).toMatchObject({
      actor: 'moderator-1',
      details: { from: 'false_positive', to: 'pending', decisionId: fp.decision.id, reporter: carol.userId },
    });
    // Queue depth, replayed from arrivals, decisions and reopenings, ends where the queue is.
    const stats = await call<CallOutput<'stats.overview'>>('stats.overview', { days: 1 });
    const counts = await call<CallOutput<'queue.counts'>>('queue.counts');
    expect(stats.queueDepth.at(-1)).toMatchObject({ open: counts.pending + counts.skipped, escalated: counts.escalated });

    // Confirmed (acted on: quarantined and redacted): a later report is counted, the item stays decided.
    const confirmed = await call<{ decision: { id: number } }>('queue.decide', { id: item.id, verdict: 'confirm', reason: 'Non-consensual imagery' });
    await settle(confirmed.decision.id);
    await hs.reportEvent(bob.accessToken, room, sent.eventId, 'reporting again');
    await waitFor(
      () => {
        void services.matrix.pollNow().catch(() => undefined);
        return (services.db.prepare('SELECT report_count FROM queue_items WHERE id = ?').get(item.id) as { report_count: number }).report_count === 3;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'the report after the confirm' },
    );
    expect(await call<Item>('queue.get', { id: item.id })).toMatchObject({ status: 'confirmed' });
    const after = await call<{ action: string; subject: string }[]>('audit.list', { limit: 100 });
    expect(after.filter((a) => a.action === 'queue.reopen' && a.subject === `queue:${item.id}`)).toHaveLength(1);
  });
});

describe('thumbnails are media', () => {
  it('an unrelated image whose thumbnail is a banked picture is queued, naming the thumbnail; confirm makes both 404, undo brings both back', async () => {
    await bank(202);
    const sent = await sendImageWithThumbnail(hs.user.accessToken, watchedRoomId, await picture(203), await picture(202, { w: 320, h: 240 }), 'sunset.jpg');
    expect(await downloadStatus(bob.accessToken, sent.main)).toBe(200);

    const item = await queued(sent.eventId);
    expect(item.media.context.matrix).toMatchObject({ mediaId: sent.main.mediaId });
    expect(item.matches).toHaveLength(1);
    expect(item.matches[0]).toMatchObject({ bankName: BANK, signalType: 'pdq', part: 'thumbnail' });
    expect(item.parts!.map((p) => [p.part, p.mxc, p.state])).toEqual([
      ['media', sent.main.mxcUri, 'hashed'],
      ['thumbnail', sent.thumb.mxcUri, 'hashed'],
    ]);

    const decided = await call<{ decision: { id: number }; actions: { kind: string }[] }>('queue.decide', { id: item.id, verdict: 'confirm', reason: 'Known abuse material' });
    expect(decided.actions.map((a) => a.kind).filter((k) => k === 'matrix.quarantine_media')).toHaveLength(2);
    await settle(decided.decision.id);
    expect(await downloadStatus(bob.accessToken, sent.main)).toBe(404);
    expect(await downloadStatus(bob.accessToken, sent.thumb)).toBe(404);
    const event = await hs.api('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(watchedRoomId)}/event/${encodeURIComponent(sent.eventId)}`, bob.accessToken);
    expect((event.json.unsigned as { redacted_because?: unknown }).redacted_because).toBeTruthy();

    const notice = (await notices()).find((n) => n.body.includes(link(watchedRoomId, sent.eventId)) && !n.body.startsWith('Matchdesk correction'));
    expect(notice, 'a notice linking the event').toBeTruthy();
    expect(notice!.body).toContain(`moderator-1 confirmed a match for ${sent.main.mxcUri}`);
    expect(notice!.body).toContain(`Matched: ${BANK} (the thumbnail, PDQ distance`);
    expect(notice!.body).toContain(`- quarantined ${sent.main.mxcUri} (attachment)`);
    expect(notice!.body).toContain(`- quarantined ${sent.thumb.mxcUri} (thumbnail)`);
    expect(notice!.body).toContain('- redacted the event');
    expect(notice!.formatted_body).toContain(`<a href="${link(watchedRoomId, sent.eventId)}">`);
    expect(notice!['m.mentions']).toEqual({});

    const undo = await call<{ compensations: { kind: string }[]; irreversible: { kind: string }[] }>('decisions.undo', { decisionId: decided.decision.id });
    expect(undo.compensations.map((c) => c.kind).filter((k) => k === 'matrix.unquarantine_media')).toHaveLength(2);
    expect(undo.irreversible.map((c) => c.kind)).toEqual(['matrix.redact_event']);
    await settle(decided.decision.id);
    expect(await downloadStatus(bob.accessToken, sent.main)).toBe(200);
    expect(await downloadStatus(bob.accessToken, sent.thumb)).toBe(200);
    const correction = (await notices()).find((n) => n.body.startsWith('Matchdesk correction') && n.body.includes(link(watchedRoomId, sent.eventId)));
    expect(correction?.body).toContain(`- released ${sent.thumb.mxcUri} (thumbnail) from quarantine`);
    expect(correction?.body).toContain('Could not be undone:\n- the event stays redacted: Matrix cannot undo a redaction');
  });

  it('a sticker with a banked picture, and an edit that swaps in a banked picture, are queued naming the part', async () => {
    await bank(204);
    await bank(205);
    const banned = await picture(204);
    const stickerUp = await hs.uploadMedia(hs.user.accessToken, banned.bytes, 'image/jpeg', 'sticker.jpg');
    const sticker = await hs.sendMessage(hs.user.accessToken, watchedRoomId, { body: 'Waving cat', url: stickerUp.mxcUri, info: { ...banned.info, w: 256, h: 256 } }, 'm.sticker');

    const harmless = await picture(206);
    const harmlessUp = await hs.uploadMedia(hs.user.accessToken, harmless.bytes, 'image/jpeg', 'cat.jpg');
    const original = await hs.sendMessage(hs.user.accessToken, watchedRoomId, { msgtype: 'm.image', body: 'cat.jpg', url: harmlessUp.mxcUri, info: harmless.info });
    const swapped = await picture(205);
    const swappedUp = await hs.uploadMedia(hs.user.accessToken, swapped.bytes, 'image/jpeg', 'cat2.jpg');
    const edit = await hs.sendMessage(hs.user.accessToken, watchedRoomId, {
      msgtype: 'm.image',
      body: '* cat.jpg',
      url: swappedUp.mxcUri,
      info: swapped.info,
      'm.new_content': { msgtype: 'm.image', body: 'cat.jpg', url: swappedUp.mxcUri, info: swapped.info },
      'm.relates_to': { rel_type: 'm.replace', event_id: original },
    });

    const stickerItem = await queued(sticker);
    expect(stickerItem.media.context.matrix).toMatchObject({ msgtype: 'm.sticker' });
    expect(stickerItem.matches[0]).toMatchObject({ bankName: BANK, part: 'media' });
    const editItem = await queued(edit);
    expect(editItem.media.context.matrix).toMatchObject({ replaces: original, mediaId: swappedUp.mediaId });
    expect(editItem.matches[0]).toMatchObject({ bankName: BANK, part: 'new_media' });
    expect(itemIdFor(original)).toBeNull();
  });
});

describe('media that cannot be hashed', () => {
  it('a reported end-to-end encrypted attachment (file, thumbnail_file) reaches a moderator, and a confirm quarantines both', async () => {
    // What an E2EE client uploads: ciphertext. Sent here in a room without encryption, as some clients do.
    const cipher = await hs.uploadMedia(hs.user.accessToken, new Uint8Array(Buffer.from('not an image: AES-CTR ciphertext')), 'application/octet-stream');
    const cipherThumb = await hs.uploadMedia(hs.user.accessToken, new Uint8Array(Buffer.from('ciphertext of a thumbnail')), 'application/octet-stream');
    const file = (url: string) => ({ v: 'v2', url, key: { kty: 'oct', alg: 'A256CTR', ext: true, k: 'qcHVMSgYg-71CauWBezXI5qkaRb0LuIy-Wx5kIaHMIA', key_ops: ['encrypt', 'decrypt'] }, iv: 'X85+XgHN+HEAAAAAAAAAAA', hashes: { sha256: 'AAAA' } });
    const eventId = await hs.sendMessage(hs.user.accessToken, watchedRoomId, {
      msgtype: 'm.image',
      body: 'private.jpg',
      file: file(cipher.mxcUri),
      info: { mimetype: 'image/jpeg', size: 32, w: 800, h: 600, thumbnail_file: file(cipherThumb.mxcUri), thumbnail_info: { mimetype: 'image/jpeg', size: 25, w: 320, h: 240 } },
    });
    await hs.reportEvent(bob.accessToken, watchedRoomId, eventId, 'sent me this');
    const item = await queued(eventId, true);
    expect(item.parts!.map((p) => [p.part, p.state])).toEqual([
      ['media', 'encrypted'],
      ['thumbnail', 'encrypted'],
    ]);
    expect(item.media.context.matrix).toMatchObject({ mediaUnavailable: true });
    const decided = await call<{ decision: { id: number }; actions: { kind: string }[] }>('queue.decide', { id: item.id, verdict: 'confirm' });
    expect(decided.actions.map((a) => a.kind)).toEqual(['matrix.quarantine_media', 'matrix.quarantine_media', 'matrix.redact_event', 'matrix.notify']);
    await settle(decided.decision.id);
    expect(await downloadStatus(bob.accessToken, cipher)).toBe(404);
    expect(await downloadStatus(bob.accessToken, cipherThumb)).toBe(404);
  });
});

describe('ingest counters', () => {
  it('survive a restart', async () => {
    const before = (await call<{ stats: Record<string, number> }>('matrix.status')).stats;
    expect(before.reports).toBeGreaterThanOrEqual(4);
    expect(before.partsHashed).toBeGreaterThanOrEqual(2);
    expect(before.seen).toBeGreaterThan(0);
    await services.close();
    services = open();
    const after = (await call<{ stats: Record<string, number> }>('matrix.status')).stats;
    expect(after).toEqual(before);
  });
});
