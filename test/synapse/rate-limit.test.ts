// Against a real Synapse with strict rate limits: 429s become `retryable` with retryAfterMs,
// and runWithRetry completes once the bucket refills. Also: an old server without
// quarantine_changes is reported as unsupported (real Synapse "unrecognized" answer).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  login,
  MatrixActions,
  MatrixHttp,
  MatrixLoginError,
  QuarantineFeed,
  runWithRetry,
  type ActionResult,
  type MatrixSession,
  type SourceNotice,
} from '../../electron/services/matrix';
import { startSynapse, type SynapseHarness } from './harness';
import { memoryCursor } from './helpers';

let hs: SynapseHarness;
let session: MatrixSession;
let roomId: string;

beforeAll(async () => {
  hs = await startSynapse({ rateLimits: 'strict' });
  session = await login({ homeserverUrl: hs.baseUrl, credentials: { accessToken: hs.admin.accessToken } });
  roomId = await hs.createRoom(hs.admin.accessToken, { name: 'Notices', invite: [hs.user.userId] });
  await hs.joinRoom(hs.user.accessToken, roomId);
  // only the moderator's own requests should hit the limits
  await hs.exemptFromRateLimits(hs.user.userId);
});

/** Test-side sends are rate limited too: retry them on 429. */
async function runWithRetryThrow<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= 20 || !String(e).includes('429')) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

afterAll(async () => {
  await hs?.dispose();
});

describe('strict rate limits', () => {
  it('turns 429 into retryable with retryAfterMs, and retrying completes', async () => {
    const actions = MatrixActions.fromSession(session, { managementRoom: roomId });
    let limited: ActionResult | undefined;
    for (let i = 0; i < 30 && !limited; i++) {
      const r = await actions.postNotice({ text: `burst ${i}`, idempotencyKey: `burst-${i}` });
      if (r.status === 'retryable') limited = r;
      else expect(r.status).toBe('ok');
    }
    expect(limited?.status).toBe('retryable');
    if (limited?.status !== 'retryable') return;
    expect(limited.error.code).toBe('rate_limited');
    expect(limited.error.httpStatus).toBe(429);
    expect(limited.error.errcode).toBe('M_LIMIT_EXCEEDED');
    expect(limited.retryAfterMs).toBeGreaterThan(0);
    expect(limited.retryAfterMs).toBeLessThan(60_000);

    const waits: number[] = [];
    const done = await runWithRetry(() => actions.postNotice({ text: 'eventually', idempotencyKey: 'eventually' }), {
      baseDelayMs: 100,
      maxAttempts: 20,
      onRetry: (_r, _a, delay) => waits.push(delay),
    });
    expect(done.status).toBe('ok');
  });

  it('redaction under rate limiting is retryable, then completes', async () => {
    const actions = MatrixActions.fromSession(session, { managementRoom: roomId });
    const targets: string[] = [];
    for (let i = 0; i < 6; i++) {
      targets.push(
        await runWithRetryThrow(() => hs.sendMessage(hs.user.accessToken, roomId, { msgtype: 'm.text', body: `x${i}` })),
      );
    }
    // room-admin redactions have their own bucket (rc_admin_redaction): redact until it is empty
    let limited: { eventId: string; result: ActionResult } | undefined;
    for (const eventId of targets) {
      const r = await actions.redactEvent({ roomId, eventId, reason: 'test', idempotencyKey: `rl-${eventId}` });
      if (r.status === 'retryable') {
        limited = { eventId, result: r };
        break;
      }
      expect(r.status).toBe('ok');
    }
    expect(limited?.result.status).toBe('retryable');
    if (!limited || limited.result.status !== 'retryable') return;
    expect(limited.result.error.code).toBe('rate_limited');
    expect(limited.result.retryAfterMs).toBeGreaterThan(0);
    const target = limited.eventId;
    const done = await runWithRetry(
      () => actions.redactEvent({ roomId, eventId: target, reason: 'test', idempotencyKey: `rl-${target}` }),
      { baseDelayMs: 100, maxAttempts: 20 },
    );
    expect(done.status).toBe('ok');
    const ev = await hs.api(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(target)}`,
      hs.user.accessToken,
    );
    expect((ev.json.unsigned as Record<string, unknown>).redacted_because).toBeTruthy();
  });

  it('types repeated failed logins as rate_limited', async () => {
    let code: string | undefined;
    for (let i = 0; i < 10; i++) {
      try {
        await login({ homeserverUrl: hs.baseUrl, credentials: { user: hs.admin.localpart, password: `nope-${i}` } });
      } catch (e) {
        expect(e).toBeInstanceOf(MatrixLoginError);
        code = (e as MatrixLoginError).code;
        if (code === 'rate_limited') {
          expect((e as MatrixLoginError).retryAfterMs).toBeGreaterThan(0);
          break;
        }
        expect(code).toBe('bad_credentials');
      }
    }
    expect(code).toBe('rate_limited');
  });
});

describe('quarantine feed on a server without quarantine_changes', () => {
  it('reports the feed as unsupported', async () => {
    // Point the feed at a path this Synapse does not know, to get its real "unrecognized" answer.
    const oldServerFetch: typeof fetch = (input, init) =>
      fetch(String(input).replace('/media/quarantine_changes', '/media/quarantine_changes_v0'), init);
    const http = new MatrixHttp({
      homeserverUrl: session.homeserverUrl,
      accessToken: session.accessToken,
      fetchFn: oldServerFetch,
    });
    const notices: SourceNotice[] = [];
    const feed = new QuarantineFeed({ http, cursor: memoryCursor<number>(), onChange: () => undefined, onNotice: (n) => notices.push(n) });
    const r = await feed.poll();
    expect(r.supported).toBe(false);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.kind).toBe('feed_unsupported');
    await feed.poll();
    expect(notices).toHaveLength(1);
  });
});
