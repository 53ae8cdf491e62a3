// End-to-end against a real Synapse (relaxed rate limits): sources, download, actions, login
// errors and a homeserver restart mid-action. One Synapse for the whole file.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EventReportSource,
  login,
  logout,
  MatrixApiError,
  MatrixLoginError,
  MatrixModerationClient,
  runWithRetry,
  type MatrixSession,
  type MediaEvent,
  type QuarantineFeedItem,
  type SourceNotice,
} from '../../electron/services/matrix';
import { startSynapse, type SynapseHarness, type TestAccount } from './harness';
import { makePng, memoryCursor, sha256Hex, waitFor } from './helpers';

let hs: SynapseHarness;
let session: MatrixSession;
let client: MatrixModerationClient;
let managementRoomId: string;
let communityRoomId: string;

async function expectLoginError(p: Promise<unknown>, code: string): Promise<MatrixLoginError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `expected MatrixLoginError(${code})`).toBeInstanceOf(MatrixLoginError);
  expect((err as MatrixLoginError).code).toBe(code);
  return err as MatrixLoginError;
}

async function getEvent(token: string, roomId: string, eventId: string) {
  const r = await hs.api(
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(eventId)}`,
    token,
  );
  return r;
}

beforeAll(async () => {
  hs = await startSynapse();
  console.log(`[synapse] ${hs.version} at ${hs.baseUrl}`);
  session = await login({ homeserverUrl: hs.baseUrl, credentials: { accessToken: hs.admin.accessToken } });
  managementRoomId = await hs.createRoom(hs.admin.accessToken, { name: 'Matchdesk notices' });
  client = new MatrixModerationClient(session, { managementRoom: managementRoomId, timeoutMs: 10_000 });
  // Alice owns the community room; the moderator is a plain member (no power to redact).
  communityRoomId = await hs.createRoom(hs.user.accessToken, { name: 'Community', invite: [hs.admin.userId] });
  await hs.joinRoom(hs.admin.accessToken, communityRoomId);
});

afterAll(async () => {
  await hs?.dispose();
});

describe('login', () => {
  it('signs in with an access token and checks admin rights', () => {
    expect(session.userId).toBe(hs.admin.userId);
    expect(session.isAdmin).toBe(true);
    expect(session.serverName).toBe(hs.serverName);
    expect(session.homeserverUrl).toBe(hs.baseUrl);
    expect(session.adminApiBaseUrl).toBe(hs.baseUrl);
  });

  it('signs in with a password and returns a working token', async () => {
    const s = await login({
      homeserverUrl: hs.baseUrl + '/',
      adminApiBaseUrl: hs.baseUrl,
      credentials: { user: hs.admin.localpart, password: hs.admin.password },
    });
    expect(s.userId).toBe(hs.admin.userId);
    expect(s.isAdmin).toBe(true);
    expect(s.deviceId).toBeTruthy();
    const who = await hs.api('GET', '/_matrix/client/v3/account/whoami', s.accessToken);
    expect(who.json.user_id).toBe(hs.admin.userId);
    await logout(s);
    // a logged-out token is reported as expired
    await expectLoginError(login({ homeserverUrl: hs.baseUrl, credentials: { accessToken: s.accessToken } }), 'token_expired');
  });

  it('types a malformed URL, an unreachable server and a non-Matrix server', async () => {
    await expectLoginError(login({ homeserverUrl: 'not a url', credentials: { accessToken: 'x' } }), 'invalid_url');
    await expectLoginError(login({ homeserverUrl: 'ftp://127.0.0.1', credentials: { accessToken: 'x' } }), 'invalid_url');
    // nothing listens on port 1
    await expectLoginError(
      login({ homeserverUrl: 'http://127.0.0.1:1', credentials: { accessToken: hs.admin.accessToken } }),
      'unreachable',
    );
    const web: Server = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html>not here</html>');
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    try {
      const addr = web.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      await expectLoginError(
        login({ homeserverUrl: `http://127.0.0.1:${port}`, credentials: { accessToken: hs.admin.accessToken } }),
        'not_matrix_server',
      );
      // a wrong admin API base URL
      await expectLoginError(
        login({
          homeserverUrl: hs.baseUrl,
          adminApiBaseUrl: `http://127.0.0.1:${port}`,
          credentials: { accessToken: hs.admin.accessToken },
        }),
        'admin_api_unreachable',
      );
    } finally {
      await new Promise<void>((r) => web.close(() => r()));
    }
  });

  it('types a wrong password, a non-admin account and an invalid token', async () => {
    await expectLoginError(
      login({ homeserverUrl: hs.baseUrl, credentials: { user: hs.admin.localpart, password: 'wrong' } }),
      'bad_credentials',
    );
    await expectLoginError(
      login({ homeserverUrl: hs.baseUrl, credentials: { user: hs.user.localpart, password: hs.user.password } }),
      'not_admin',
    );
    await expectLoginError(login({ homeserverUrl: hs.baseUrl, credentials: { accessToken: hs.user.accessToken } }), 'not_admin');
    // without requireAdmin a normal account signs in, flagged as non-admin
    const s = await login({ homeserverUrl: hs.baseUrl, requireAdmin: false, credentials: { accessToken: hs.user.accessToken } });
    expect(s.isAdmin).toBe(false);
    const e = await expectLoginError(
      login({ homeserverUrl: hs.baseUrl, credentials: { accessToken: 'syt_bogus_token' } }),
      'token_expired',
    );
    expect(e.errcode).toBe('M_UNKNOWN_TOKEN');
    expect(e.message).not.toContain('syt_bogus_token');
  });

  it('actions with an invalid token report token_expired', async () => {
    const bad = new MatrixModerationClient({ ...session, accessToken: 'syt_bogus' });
    const r = await bad.actions.quarantineMedia(hs.serverName, 'nothing');
    expect(r.status).toBe('token_expired');
  });
});

describe('live rooms → download → quarantine → redact → notice', () => {
  it('back-fills history, picks up a new image live and acts on it', async () => {
    const media: MediaEvent[] = [];
    const notices: SourceNotice[] = [];
    const token = memoryCursor<string>();

    // history from before the first sync
    const oldPng = await makePng(1);
    const oldUp = await hs.uploadMedia(hs.user.accessToken, oldPng, 'image/png', 'old.png');
    const oldEventId = await hs.sendImage(hs.user.accessToken, communityRoomId, oldUp, { body: 'old.png', size: oldPng.length });
    // an encrypted room the moderator is in
    const e2eRoom = await hs.createRoom(hs.user.accessToken, { name: 'Secret', invite: [hs.admin.userId], encrypted: true });
    await hs.joinRoom(hs.admin.accessToken, e2eRoom);

    const source = client.createLiveRoomSource({
      syncToken: token,
      onMedia: (m) => {
        media.push(m);
      },
      onNotice: (n) => notices.push(n),
      backfillWindowMs: 3600_000,
      syncTimeoutMs: 5_000,
    });
    const first = await source.syncOnce();
    expect(first.emitted).toBeGreaterThanOrEqual(1);
    expect(token.value).toBeTruthy();
    const backfilled = media.find((m) => m.eventId === oldEventId);
    expect(backfilled?.source).toBe('live');
    expect(notices.some((n) => n.kind === 'encrypted_room' && n.roomId === e2eRoom)).toBe(true);
    expect(source.encryptedRooms().has(e2eRoom)).toBe(true);

    source.start();
    try {
      const png = await makePng(2);
      const up = await hs.uploadMedia(hs.user.accessToken, png, 'image/png', 'cat.png');
      // the declared mimetype lies: the bytes are PNG
      const eventId = await hs.sendImage(hs.user.accessToken, communityRoomId, up, {
        body: 'cat.jpg',
        mimetype: 'image/jpeg',
        size: png.length,
      });
      const ev = await waitFor(() => media.find((m) => m.eventId === eventId), { what: 'live media event' });
      expect(ev).toMatchObject({
        source: 'live',
        mxcUri: up.mxcUri,
        server: hs.serverName,
        mediaId: up.mediaId,
        roomId: communityRoomId,
        roomName: 'Community',
        sender: hs.user.userId,
        msgtype: 'm.image',
        body: 'cat.jpg',
        declaredMime: 'image/jpeg',
        declaredSize: png.length,
        encrypted: false,
      });
      expect(ev.matrixToLink).toBe(
        `https://matrix.to/#/${encodeURIComponent(communityRoomId)}/${encodeURIComponent(eventId)}`,
      );
      expect(ev.originServerTs).toBeGreaterThan(Date.now() - 600_000);

      // download: right bytes, sniffed type
      const dl = await client.downloadMedia(ev.server, ev.mediaId);
      expect(Buffer.from(dl.bytes).equals(Buffer.from(png))).toBe(true);
      expect(dl.sniffedMime).toBe('image/png');
      // size cap
      await expect(client.downloadMedia(ev.server, ev.mediaId, { maxBytes: 10 })).rejects.toMatchObject({ code: 'too_large' });
      // the server's sha256 allows exact matching without downloading
      const info = await client.getMediaInfo(ev.server, ev.mediaId);
      expect(info.sha256).toBe(sha256Hex(png));

      // quarantine (twice: idempotent)
      const q = await client.actions.quarantineMedia(ev.server, ev.mediaId);
      expect(q).toMatchObject({ status: 'ok', detail: { quarantined: true, sha256: sha256Hex(png) } });
      expect((await client.actions.quarantineMedia(ev.server, ev.mediaId)).status).toBe('ok');
      await expect(client.downloadMedia(ev.server, ev.mediaId)).rejects.toMatchObject({ code: 'not_found' });
      const asAlice = await fetch(`${hs.baseUrl}/_matrix/client/v1/media/download/${ev.server}/${ev.mediaId}`, {
        headers: { Authorization: `Bearer ${hs.user.accessToken}` },
      });
      expect(asAlice.status).toBe(404);
      expect((await client.getMediaInfo(ev.server, ev.mediaId)).quarantinedBy).toBe(hs.admin.userId);
      // admins can still fetch it deliberately
      const bypass = await client.downloadMedia(ev.server, ev.mediaId, { bypassQuarantine: true });
      expect(sha256Hex(bypass.bytes)).toBe(sha256Hex(png));

      // redact: the moderator has no power in Alice's room → make_room_admin, then redact
      const red = await client.actions.redactEvent({
        roomId: ev.roomId,
        eventId: ev.eventId,
        reason: 'Matchdesk: known abuse image',
        idempotencyKey: `decision-1:${ev.eventId}`,
      });
      expect(red).toMatchObject({ status: 'ok', detail: { madeRoomAdmin: true } });
      const seen = await getEvent(hs.user.accessToken, ev.roomId, ev.eventId);
      expect(seen.status).toBe(200);
      expect(seen.json.content).toEqual({});
      expect((seen.json.unsigned as Record<string, unknown>).redacted_because).toBeTruthy();
      const again = await client.actions.redactEvent({
        roomId: ev.roomId,
        eventId: ev.eventId,
        reason: 'Matchdesk: known abuse image',
        idempotencyKey: `decision-1:${ev.eventId}`,
      });
      expect(again).toMatchObject({ status: 'ok', detail: { alreadyRedacted: true } });

      // notice to the management room (same key → same event)
      const text = `Quarantined ${ev.mxcUri} and redacted ${ev.matrixToLink}`;
      const n1 = await client.actions.postNotice({ text, idempotencyKey: 'decision-1:notice' });
      expect(n1.status).toBe('ok');
      const n2 = await client.actions.postNotice({ text, idempotencyKey: 'decision-1:notice' });
      const id1 = n1.status === 'ok' ? n1.detail?.eventId : undefined;
      expect(n2.status === 'ok' ? n2.detail?.eventId : undefined).toBe(id1);
      const posted = await getEvent(hs.admin.accessToken, managementRoomId, id1 as string);
      expect(posted.json.content).toMatchObject({ msgtype: 'm.notice', body: text });
    } finally {
      await source.stop();
    }
  });
});

describe('live rooms: resume from a persisted since token', () => {
  it('fills the gap of a limited timeline and knows the room name after an app restart', async () => {
    const token = memoryCursor<string>();
    const first = client.createLiveRoomSource({ syncToken: token, onMedia: () => undefined, backfillWindowMs: 0 });
    await first.syncOnce();
    const saved = token.value;
    expect(saved).toBeTruthy();

    // while "the app is closed": an image, 60 more messages (more than the timeline limit), an image
    const pngX = await makePng(30);
    const x = await hs.sendImage(
      hs.user.accessToken,
      communityRoomId,
      await hs.uploadMedia(hs.user.accessToken, pngX, 'image/png'),
      { body: 'x.png' },
    );
    for (let i = 0; i < 60; i++) {
      await hs.sendMessage(hs.user.accessToken, communityRoomId, { msgtype: 'm.text', body: `chatter ${i}` });
    }
    const y = await hs.sendImage(
      hs.user.accessToken,
      communityRoomId,
      await hs.uploadMedia(hs.user.accessToken, await makePng(31), 'image/png'),
      { body: 'y.png', msgtype: 'm.file' },
    );
    const sticker = await hs.sendMessage(
      hs.user.accessToken,
      communityRoomId,
      { body: 'sticker', url: (await hs.uploadMedia(hs.user.accessToken, await makePng(32), 'image/png')).mxcUri, info: {} },
      'm.sticker',
    );

    const media: MediaEvent[] = [];
    const resumed = client.createLiveRoomSource({ syncToken: token, onMedia: (m) => void media.push(m) });
    const r = await resumed.syncOnce({ timeoutMs: 0 });
    expect(r.emitted).toBe(3);
    expect(media.map((m) => m.eventId)).toEqual([x, y, sticker]);
    expect(media.map((m) => m.msgtype)).toEqual(['m.image', 'm.file', 'm.sticker']);
    expect(media.every((m) => m.roomName === 'Community')).toBe(true);
    expect(token.value).not.toBe(saved);
  });
});

describe('event reports', () => {
  it('emits reported media with report context, without room membership', async () => {
    // Bob's room: the moderator is not a member.
    const bob = await hs.registerUser('bob');
    const roomId = await hs.createRoom(bob.accessToken, { name: 'Bob room', invite: [hs.user.userId] });
    await hs.joinRoom(hs.user.accessToken, roomId);
    const png = await makePng(3);
    const up = await hs.uploadMedia(bob.accessToken, png, 'image/png', 'r.png');
    const eventId = await hs.sendImage(bob.accessToken, roomId, up, { body: 'r.png', size: png.length });
    const textId = await hs.sendMessage(bob.accessToken, roomId, { msgtype: 'm.text', body: 'spam' });
    await hs.reportEvent(hs.user.accessToken, roomId, eventId, 'this is abuse', -100);
    await hs.reportEvent(hs.user.accessToken, roomId, textId, 'text spam');

    const media: MediaEvent[] = [];
    const notices: SourceNotice[] = [];
    const cursor = memoryCursor<{ offset: number; lastReportId: number }>();
    const src: EventReportSource = client.createEventReportSource({
      cursor,
      onMedia: (m) => {
        media.push(m);
      },
      onNotice: (n) => notices.push(n),
      pageSize: 1, // exercise pagination
    });
    const r1 = await src.poll();
    expect(r1).toEqual({ reports: 2, media: 1 });
    const ev = media[0] as MediaEvent;
    expect(ev).toMatchObject({
      source: 'report',
      eventId,
      roomId,
      roomName: 'Bob room',
      sender: bob.userId,
      mediaId: up.mediaId,
      msgtype: 'm.image',
      report: { reason: 'this is abuse', score: -100, reporter: hs.user.userId },
    });
    expect(ev.report?.id).toBeGreaterThan(0);
    expect(ev.report?.receivedTs).toBeGreaterThan(0);
    expect(notices.find((n) => n.kind === 'report_without_media')).toMatchObject({ eventId: textId });
    const dl = await client.downloadMedia(ev.server, ev.mediaId);
    expect(sha256Hex(dl.bytes)).toBe(sha256Hex(png));

    // cursor: nothing new; then a new report shows up alone
    expect(await src.poll()).toEqual({ reports: 0, media: 0 });
    const png2 = await makePng(4);
    const up2 = await hs.uploadMedia(bob.accessToken, png2, 'image/png', 'r2.png');
    const eventId2 = await hs.sendImage(bob.accessToken, roomId, up2);
    await hs.reportEvent(hs.user.accessToken, roomId, eventId2, 'again');
    // a fresh source with the persisted cursor
    const src2 = client.createEventReportSource({ cursor, onMedia: (m) => void media.push(m) });
    expect(await src2.poll()).toEqual({ reports: 1, media: 1 });
    expect(media.at(-1)?.eventId).toBe(eventId2);

    // act on it: the moderator is not in the room → make_room_admin (invite + join) → redact
    const red = await client.actions.redactEvent({ roomId, eventId, reason: 'reported abuse', idempotencyKey: 'rep-1' });
    expect(red).toMatchObject({ status: 'ok', detail: { madeRoomAdmin: true } });
    const seen = await getEvent(hs.user.accessToken, roomId, eventId);
    expect((seen.json.unsigned as Record<string, unknown>).redacted_because).toBeTruthy();
    expect((await client.actions.quarantineMedia(ev.server, ev.mediaId)).status).toBe('ok');
    await expect(client.downloadMedia(ev.server, ev.mediaId)).rejects.toBeInstanceOf(MatrixApiError);
  });
});

describe('quarantine feed and bulk actions', () => {
  it('replays quarantine changes with bytes and hashes, drops unquarantined, respects protect', async () => {
    const carol: TestAccount = await hs.registerUser('carol');
    const roomId = await hs.createRoom(carol.accessToken, { name: 'Carol room' });
    const pngs = await Promise.all([makePng(10), makePng(11), makePng(12)]);
    const ups = [];
    for (const [i, p] of pngs.entries()) ups.push(await hs.uploadMedia(carol.accessToken, p, 'image/png', `c${i}.png`));
    for (const u of ups) await hs.sendImage(carol.accessToken, roomId, u);
    const [a, b, c] = ups as [(typeof ups)[0], (typeof ups)[0], (typeof ups)[0]];

    const items: QuarantineFeedItem[] = [];
    const cursor = memoryCursor<number>();
    const feed = client.createQuarantineFeed({ cursor, onChange: (i) => void items.push(i) });
    // from 0: everything quarantined so far comes back (bank rebuild)
    expect((await client.actions.quarantineMedia(c.server, c.mediaId)).status).toBe('ok');
    const r0 = await feed.poll();
    expect(r0.supported).toBe(true);
    const qc = items.find((i) => i.change.mediaId === c.mediaId);
    expect(qc?.change.quarantined).toBe(true);
    expect(qc?.media && sha256Hex(qc.media.bytes)).toBe(sha256Hex(pngs[2] as Uint8Array));
    expect(items.every((i) => i.change.quarantined ? i.media !== undefined || i.error !== undefined : true)).toBe(true);
    items.length = 0;

    expect((await client.actions.quarantineMedia(a.server, a.mediaId)).status).toBe('ok');
    // protected media stays downloadable
    expect((await client.actions.protectMedia(b.mediaId)).status).toBe('ok');
    const qb = await client.actions.quarantineMedia(b.server, b.mediaId);
    expect(qb).toMatchObject({ status: 'ok', detail: { quarantined: false, protectedMedia: true } });
    expect((await client.downloadMedia(b.server, b.mediaId)).size).toBe(pngs[1]?.length);

    await feed.poll();
    const qa = items.find((i) => i.change.mediaId === a.mediaId && i.change.quarantined);
    expect(qa?.sha256).toBe(sha256Hex(pngs[0] as Uint8Array));
    expect(qa?.media && sha256Hex(qa.media.bytes)).toBe(sha256Hex(pngs[0] as Uint8Array));
    expect(qa?.media?.sniffedMime).toBe('image/png');
    expect(items.some((i) => i.change.mediaId === b.mediaId && i.change.quarantined)).toBe(false);
    items.length = 0;

    // reversal: unquarantine → the feed says so, with the hash to drop
    expect((await client.actions.unquarantineMedia(a.server, a.mediaId)).status).toBe('ok');
    expect((await client.downloadMedia(a.server, a.mediaId)).size).toBe(pngs[0]?.length);
    await feed.poll();
    expect(items.find((i) => i.change.mediaId === a.mediaId)).toMatchObject({
      change: { quarantined: false },
      sha256: sha256Hex(pngs[0] as Uint8Array),
    });
    expect(items.find((i) => i.change.mediaId === a.mediaId)?.media).toBeUndefined();

    // bulk: all media of a room / a user (protected b is skipped by the server)
    const room = await client.actions.quarantineRoomMedia(roomId);
    expect(room.status).toBe('ok');
    expect(room.status === 'ok' && room.detail?.numQuarantined).toBeGreaterThanOrEqual(2);
    await expect(client.downloadMedia(c.server, c.mediaId)).rejects.toMatchObject({ code: 'not_found' });
    const user = await client.actions.quarantineUserMedia(carol.userId);
    expect(user.status).toBe('ok');
    expect((await client.downloadMedia(b.server, b.mediaId)).size).toBe(pngs[1]?.length);
    expect((await client.actions.unprotectMedia(b.mediaId)).status).toBe('ok');

    // an unknown cursor position ahead of the server is replayed from 0
    cursor.value = 10_000_000;
    items.length = 0;
    const r = await feed.poll();
    expect(r.supported).toBe(true);
    expect(items.length).toBeGreaterThan(0);
  });

  it('redacts all events of a user and reports the task status', async () => {
    const spammer = await hs.registerUser('spammer');
    await hs.invite(hs.user.accessToken, communityRoomId, spammer.userId);
    await hs.joinRoom(spammer.accessToken, communityRoomId);
    const ids = [
      await hs.sendMessage(spammer.accessToken, communityRoomId, { msgtype: 'm.text', body: 'buy now' }),
      await hs.sendMessage(spammer.accessToken, communityRoomId, { msgtype: 'm.text', body: 'buy more' }),
    ];
    const start = await client.actions.redactUserEvents({ userId: spammer.userId, reason: 'spam' });
    expect(start.status).toBe('ok');
    const redactId = start.status === 'ok' ? (start.detail?.redactId as string) : '';
    let status = 'scheduled';
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const s = await client.actions.getUserRedactionStatus(redactId);
      expect(s.status).toBe('ok');
      status = s.status === 'ok' ? (s.detail?.status ?? 'failed') : 'failed';
      if (status === 'complete' || status === 'failed') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe('complete');
    for (const id of ids) {
      const ev = await getEvent(hs.user.accessToken, communityRoomId, id);
      expect((ev.json.unsigned as Record<string, unknown>).redacted_because).toBeTruthy();
    }
  });
});

describe('homeserver outage', () => {
  it('returns retryable while Synapse is down and completes once it is back', async () => {
    const png = await makePng(20);
    const up = await hs.uploadMedia(hs.user.accessToken, png, 'image/png', 'down.png');
    const eventId = await hs.sendImage(hs.user.accessToken, communityRoomId, up);

    const media: MediaEvent[] = [];
    const notices: SourceNotice[] = [];
    const source = client.createLiveRoomSource({
      syncToken: memoryCursor<string>(),
      onMedia: (m) => void media.push(m),
      onNotice: (n) => notices.push(n),
      backfillWindowMs: 0,
      syncTimeoutMs: 2_000,
      retryBaseMs: 200,
      retryMaxMs: 1_000,
    });
    await source.syncOnce();
    source.start();

    await hs.stop();
    try {
      const q = await client.actions.quarantineMedia(up.server, up.mediaId);
      expect(q.status).toBe('retryable');
      expect(q.status === 'retryable' && q.error.code).toBe('network');
      const red = await client.actions.redactEvent({ roomId: communityRoomId, eventId, idempotencyKey: 'outage-1' });
      expect(red.status).toBe('retryable');
      await expect(client.downloadMedia(up.server, up.mediaId)).rejects.toMatchObject({ code: 'network' });

      // start the retrying action while the server is down; bring it back after a moment
      const attempts: number[] = [];
      const pending = runWithRetry(() => client.actions.quarantineMedia(up.server, up.mediaId), {
        baseDelayMs: 300,
        maxDelayMs: 2_000,
        maxAttempts: 60,
        onRetry: (_r, attempt) => attempts.push(attempt),
      });
      const pendingNotice = runWithRetry(
        () => client.actions.postNotice({ text: 'after outage', idempotencyKey: 'outage-notice' }),
        { baseDelayMs: 300, maxDelayMs: 2_000, maxAttempts: 60 },
      );
      await new Promise((r) => setTimeout(r, 1_500));
      await hs.start();
      const done = await pending;
      expect(done.status).toBe('ok');
      expect(attempts.length).toBeGreaterThan(0);
      expect((await pendingNotice).status).toBe('ok');
      expect((await client.getMediaInfo(up.server, up.mediaId)).quarantinedBy).toBe(hs.admin.userId);
      const red2 = await runWithRetry(() =>
        client.actions.redactEvent({ roomId: communityRoomId, eventId, idempotencyKey: 'outage-1' }),
      );
      expect(red2.status).toBe('ok');

      // the live source survived the outage and keeps delivering
      expect(notices.some((n) => n.kind === 'source_error' && n.retryable)).toBe(true);
      const png2 = await makePng(21);
      const up2 = await hs.uploadMedia(hs.user.accessToken, png2, 'image/png', 'after.png');
      const after = await hs.sendImage(hs.user.accessToken, communityRoomId, up2);
      await waitFor(() => media.find((m) => m.eventId === after), { what: 'media after restart', timeoutMs: 60_000 });
    } finally {
      if (!hs.isRunning()) await hs.start();
      await source.stop();
    }
  });
});
