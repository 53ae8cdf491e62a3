// Client robustness against the HMA test double's fault injection (double only: a real HMA cannot be told to fail).
// All waits go through an injected clock, so backoffs, Retry-After and cooldowns cost no real time.

import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CircuitBreaker,
  HmaAbortedError,
  HmaCircuitOpenError,
  HmaClient,
  HmaError,
  HmaHtmlError,
  HmaIndexNotReadyError,
  HmaInvalidJsonError,
  HmaNetworkError,
  HmaRateLimitError,
  HmaSchemaError,
  HmaServerError,
  HmaTimeoutError,
  RateLimiter,
  Semaphore,
  backoffDelay,
  parseRetryAfter,
  type HmaClientOptions,
} from '../../electron/services/hma';
import { startHmaDouble, type HmaDouble } from '../hma-double';
import { countingFetch, fakeClock, randomPdq } from './helpers';

async function rejection(p: Promise<unknown>): Promise<HmaError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HmaError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

describe('resilience primitives (unit, fake clock)', () => {
  it('backoff is jittered exponential with a cap; Retry-After parses seconds and HTTP dates', () => {
    expect(backoffDelay(1, 100, 1000, () => 1)).toBe(100);
    expect(backoffDelay(3, 100, 1000, () => 1)).toBe(400);
    expect(backoffDelay(10, 100, 1000, () => 1)).toBe(1000);
    expect(backoffDelay(3, 100, 1000, () => 0.5)).toBe(200);
    expect(backoffDelay(3, 100, 1000, () => 0)).toBe(0);
    expect(parseRetryAfter('7', 0)).toBe(7000);
    expect(parseRetryAfter(new Date(60_000).toUTCString(), 0)).toBe(60_000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(null, 0)).toBeUndefined();
  });

  it('token bucket spaces requests at the configured rate after the burst', async () => {
    const clock = fakeClock();
    const rl = new RateLimiter(60, 2, clock); // 1/s, burst 2
    for (let i = 0; i < 5; i++) await rl.acquire();
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(3000);
    clock.sleeps.length = 0;
    rl.pauseUntil(clock.now() + 5000);
    expect(rl.pauseRemaining()).toBe(5000);
    await rl.acquire();
    expect(clock.sleeps[0]).toBe(5000);
    const unlimited = new RateLimiter(0, undefined, clock);
    clock.sleeps.length = 0;
    for (let i = 0; i < 100; i++) await unlimited.acquire();
    expect(clock.sleeps).toEqual([]);
  });

  it('semaphore caps concurrency and hands slots over in FIFO order', async () => {
    const sem = new Semaphore(2);
    const order: number[] = [];
    const r1 = await sem.acquire();
    const r2 = await sem.acquire();
    const p3 = sem.acquire().then((r) => (order.push(3), r));
    const p4 = sem.acquire().then((r) => (order.push(4), r));
    expect(sem.inFlight).toBe(2);
    r1();
    r1(); // double release is a no-op
    (await p3)();
    r2();
    (await p4)();
    expect(order).toEqual([3, 4]);
    expect(sem.inFlight).toBe(0);
  });

  it('circuit breaker: opens after N outage failures, half-opens after the cooldown, closes on a good probe, re-opens on a bad one', () => {
    const clock = fakeClock();
    const b = new CircuitBreaker(3, 10_000, clock);
    for (let i = 0; i < 3; i++) {
      expect(b.tryPass()).toBe(true);
      b.onFailure();
    }
    expect(b.state).toBe('open');
    expect(b.tryPass()).toBe(false);
    clock.advance(10_000);
    expect(b.state).toBe('half_open');
    expect(b.tryPass()).toBe(true);
    expect(b.tryPass()).toBe(false); // one probe at a time
    b.onFailure();
    expect(b.state).toBe('open');
    clock.advance(10_000);
    expect(b.tryPass()).toBe(true);
    b.onSuccess();
    expect(b.state).toBe('closed');
  });
});

describe('HMA client robustness (against the HMA test double: faults a real HMA cannot produce on demand)', () => {
  let double: HmaDouble;
  const KEY = 'super-secret-key-4d1e';
  beforeAll(async () => {
    double = await startHmaDouble({ apiKey: KEY, autoRebuildIndex: true });
  });
  afterEach(() => double.clearFault());
  afterAll(() => double.close());

  const make = (extra: Partial<HmaClientOptions> = {}) => {
    const clock = fakeClock();
    const fetch = countingFetch();
    const client = new HmaClient({ baseUrl: double.url, apiKey: KEY, clock, fetch, random: () => 1, requestsPerMinute: 0, timeoutMs: 2_000, ...extra });
    return { client, clock, fetch };
  };

  it('connection refused → HmaNetworkError (ECONNREFUSED); idempotent GETs are retried with backoff, POSTs are not', async () => {
    const { client, clock, fetch } = make({ retry: { maxAttempts: 3, baseDelayMs: 100 } });
    await double.setFault({ kind: 'down' });
    const e = await rejection(client.listBanks());
    expect(e).toBeInstanceOf(HmaNetworkError);
    expect((e as HmaNetworkError).errno).toBe('ECONNREFUSED');
    expect(e.retryable).toBe(true);
    expect(fetch.calls).toBe(3);
    expect(clock.sleeps).toEqual([100, 200]);
    fetch.calls = 0;
    expect(await rejection(client.addSignals('ANY', { pdq: randomPdq() }))).toBeInstanceOf(HmaNetworkError);
    expect(fetch.calls).toBe(1);
    await double.clearFault();
    expect(Array.isArray(await client.listBanks())).toBe(true);
  });

  it('connection reset mid-request → HmaNetworkError', async () => {
    const { client } = make({ retry: { maxAttempts: 1 } });
    await double.setFault({ kind: 'reset' });
    expect(await rejection(client.listBanks())).toBeInstanceOf(HmaNetworkError);
  });

  it('slow server → HmaTimeoutError per attempt; retried for GETs', async () => {
    const { client, fetch } = make({ timeoutMs: 50, retry: { maxAttempts: 2, baseDelayMs: 1 } });
    await double.setFault({ kind: 'slow', delayMs: 400 });
    const e = await rejection(client.listBanks());
    expect(e).toBeInstanceOf(HmaTimeoutError);
    expect((e as HmaTimeoutError).timeoutMs).toBe(50);
    expect(fetch.calls).toBe(2);
    await double.setFault({ kind: 'slow', delayMs: 30, times: 1 });
    expect(Array.isArray(await client.listBanks({ timeoutMs: 2_000 }))).toBe(true);
  });

  it('caller abort → HmaAbortedError, not retried', async () => {
    const { client, fetch } = make();
    await double.setFault({ kind: 'slow', delayMs: 400 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    expect(await rejection(client.listBanks({ signal: ac.signal }))).toBeInstanceOf(HmaAbortedError);
    expect(fetch.calls).toBe(1);
  });

  it('garbage body → HmaInvalidJsonError; well-formed JSON of the wrong shape → HmaSchemaError (zod issues); neither retried', async () => {
    const { client, fetch } = make();
    await double.setFault({ kind: 'garbage' });
    expect(await rejection(client.listBanks())).toBeInstanceOf(HmaInvalidJsonError);
    await double.setFault({ kind: 'bad_shape' });
    const e = await rejection(client.lookupSignal('pdq', randomPdq()));
    expect(e).toBeInstanceOf(HmaSchemaError);
    expect((e as HmaSchemaError).issues.length).toBeGreaterThan(0);
    expect(e.status).toBe(200);
    expect(await rejection(client.listBanks())).toBeInstanceOf(HmaSchemaError);
    expect(fetch.calls).toBe(3);
  });

  it("a proxy's HTML 502 → HmaHtmlError (status 502), retried for GETs until it clears, not retried for POSTs", async () => {
    const { client, fetch } = make();
    await double.setFault({ kind: 'html502', times: 2 });
    expect(Array.isArray(await client.listBanks())).toBe(true);
    expect(fetch.calls).toBe(3);
    await double.setFault({ kind: 'html502', times: 1 });
    fetch.calls = 0;
    const e = await rejection(client.createBank('NEVER_CREATED_502'));
    expect(e).toBeInstanceOf(HmaHtmlError);
    expect(e.status).toBe(502);
    expect(fetch.calls).toBe(1);
    expect((await client.listBanks()).map((b) => b.name)).not.toContain('NEVER_CREATED_502');
  });

  it('5xx: 503/504 are retried, a plain 500 (an HMA bug) is not', async () => {
    const { client, fetch } = make();
    await double.setFault({ kind: 'status', status: 503, body: '{"message":"upstream busy"}', times: 1 });
    expect(Array.isArray(await client.listBanks())).toBe(true);
    expect(fetch.calls).toBe(2);
    fetch.calls = 0;
    await double.setFault({ kind: 'status', status: 500, body: '{"message":"boom"}' });
    const e = await rejection(client.listBanks());
    expect(e).toBeInstanceOf(HmaServerError);
    expect(e.serverMessage).toBe('boom');
    expect(fetch.calls).toBe(1);
  });

  it('429: Retry-After (seconds or HTTP date) is honoured before the retry; a non-idempotent call fails but later calls wait', async () => {
    const { client, clock, fetch } = make();
    await double.setFault({ kind: 'rate_limit', retryAfter: 2, times: 1 });
    expect(Array.isArray(await client.listBanks())).toBe(true);
    expect(fetch.calls).toBe(2);
    expect(clock.sleeps.some((s) => s >= 2000)).toBe(true);

    clock.sleeps.length = 0;
    await double.setFault({ kind: 'rate_limit', retryAfter: new Date(Date.now() + 3_000).toUTCString(), times: 1 });
    const e = await rejection(client.addSignals('NOPE', { pdq: randomPdq() }));
    expect(e).toBeInstanceOf(HmaRateLimitError);
    expect((e as HmaRateLimitError).retryAfterMs).toBeGreaterThan(1_000);
    await client.listBanks(); // waits out the pause first
    expect(clock.sleeps[0]).toBeGreaterThan(1_000);
  });

  it('429 with a Retry-After beyond maxRetryAfterMs fails fast, and following calls fail fast without being sent', async () => {
    const { client, fetch } = make({ retry: { maxRetryAfterMs: 10_000 } });
    await double.setFault({ kind: 'rate_limit', retryAfter: 3600, times: 1 });
    const e = await rejection(client.listBanks());
    expect(e).toBeInstanceOf(HmaRateLimitError);
    expect((e as HmaRateLimitError).retryAfterMs).toBe(3_600_000);
    expect(fetch.calls).toBe(1);
    expect(await rejection(client.listBanks())).toBeInstanceOf(HmaRateLimitError);
    expect(fetch.calls).toBe(1);
  });

  it('circuit breaker opens after consecutive outages, fails fast without sending, and closes after a good probe', async () => {
    const { client, clock, fetch } = make({ retry: { maxAttempts: 1 }, circuitBreaker: { failureThreshold: 3, cooldownMs: 10_000 } });
    await double.setFault({ kind: 'down' });
    for (let i = 0; i < 3; i++) expect(await rejection(client.listBanks())).toBeInstanceOf(HmaNetworkError);
    expect(client.circuitState('curator')).toBe('open');
    const e = await rejection(client.listBanks());
    expect(e).toBeInstanceOf(HmaCircuitOpenError);
    expect(fetch.calls).toBe(3);
    clock.advance(10_000);
    expect(await rejection(client.listBanks())).toBeInstanceOf(HmaNetworkError); // failed probe re-opens
    expect(await rejection(client.listBanks())).toBeInstanceOf(HmaCircuitOpenError);
    await double.clearFault();
    clock.advance(10_000);
    expect(Array.isArray(await client.listBanks())).toBe(true);
    expect(client.circuitState('curator')).toBe('closed');
    // 4xx answers are not outages
    for (let i = 0; i < 5; i++) await rejection(client.getBank('NO_SUCH_BANK'));
    expect(client.circuitState('curator')).toBe('closed');
  });

  it('concurrency limit: never more than maxConcurrent requests in flight', async () => {
    const { client, fetch } = make({ maxConcurrent: 2 });
    await double.setFault({ kind: 'slow', delayMs: 40 });
    await Promise.all(Array.from({ length: 6 }, () => client.listBanks()));
    expect(fetch.calls).toBe(6);
    expect(fetch.peak).toBe(2);
  });

  it('rate limit: requests beyond the burst wait for tokens (requests/minute)', async () => {
    const { client, clock } = make({ requestsPerMinute: 120, burst: 2 });
    for (let i = 0; i < 6; i++) await client.statusLive();
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(2_000); // 4 over the burst at 2/s
  });

  it('index not ready: /status 503 INDEX-NOT-LOADED and lookups 503 → HmaIndexNotReadyError, not retried; stale → only /status', async () => {
    const d = await startHmaDouble({ indexLoaded: false });
    try {
      const fetch = countingFetch();
      const c = new HmaClient({ baseUrl: d.url, fetch, clock: fakeClock() });
      const s = await rejection(c.status());
      expect(s).toBeInstanceOf(HmaIndexNotReadyError);
      expect((s as HmaIndexNotReadyError).reason).toBe('INDEX-NOT-LOADED');
      expect(s.status).toBe(503);
      expect(await c.statusLive()).toBe('I-AM-ALIVE');
      fetch.calls = 0;
      const l = await rejection(c.lookupSignal('pdq', randomPdq()));
      expect(l).toBeInstanceOf(HmaIndexNotReadyError);
      expect((l as HmaIndexNotReadyError).reason).toBe('index not yet ready');
      expect(fetch.calls).toBe(1);
      expect(c.circuitState()).toBe('closed');
      expect((await c.indexStatus()).pdq).toEqual({ present: false, builtTo: -1, size: 0 });
      d.rebuildIndex();
      expect(await c.status()).toBe('I-AM-ALIVE');
      expect((await c.indexStatus()).pdq).toEqual({ present: true, builtTo: -1, size: 0 });
      d.setIndexState('stale');
      expect(((await rejection(c.status())) as HmaIndexNotReadyError).reason).toBe('INDEX-STALE');
      expect(await c.lookupSignal('pdq', randomPdq())).toEqual({});
      const h = await c.health();
      expect(h).toEqual([expect.objectContaining({ ok: false, code: 'index_not_ready' })]);
    } finally {
      await d.close();
    }
  });

  it('negative cache: an empty lookup is reused for its TTL, expires, and is cleared by the client’s own writes', async () => {
    const { client, clock, fetch } = make({ negativeCacheTtlMs: 5_000 });
    const pdq = randomPdq();
    expect(await client.lookupSignal('pdq', pdq)).toEqual({});
    expect(await client.lookupSignal('pdq', pdq)).toEqual({});
    expect(fetch.calls).toBe(1);
    clock.advance(5_001);
    await client.lookupSignal('pdq', pdq);
    expect(fetch.calls).toBe(2);
    await client.createBank('NEG_CACHE_BANK');
    await client.addSignals('NEG_CACHE_BANK', { pdq }); // double auto-rebuilds its index
    await client.addSignals('NEG_CACHE_BANK', { pdq: randomPdq() }); // a second PDQ hash (HMA's one-hash bug)
    expect(Object.keys(await client.lookupSignal('pdq', pdq))).toEqual(['NEG_CACHE_BANK']);
    await client.deleteBank('NEG_CACHE_BANK');
  });

  it('never exposes the API key: not in logs, errors, JSON or inspect output', async () => {
    const lines: string[] = [];
    const logger = { debug: (m: string, f: Record<string, unknown>) => lines.push(m + JSON.stringify(f)), warn: (m: string, f: Record<string, unknown>) => lines.push(m + JSON.stringify(f)) };
    const { client } = make({ logger, retry: { maxAttempts: 2, baseDelayMs: 1 } });
    await client.listBanks();
    await double.setFault({ kind: 'html502', times: 1 });
    await client.listBanks();
    const e = await rejection(new HmaClient({ baseUrl: double.url, apiKey: `${KEY}-wrong`, logger }).listBanks());
    expect(lines.length).toBeGreaterThan(2);
    const surfaces = [lines.join('\n'), JSON.stringify(client), inspect(client, { depth: 10, showHidden: true }), inspect(e, { depth: 10, showHidden: true }), JSON.stringify(e), e.stack ?? ''];
    for (const s of surfaces) expect(s).not.toContain(KEY);
    expect(client.describe().curator).toEqual({ baseUrl: double.url, hasKey: true });
    expect(double.requests.at(-2)?.authorization).toBe(`Bearer ${KEY}`); // …but it is sent
  });
});
