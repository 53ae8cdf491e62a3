// The check-before-add of hma.add_to_bank, attempt by attempt, as the outbox records them (against the HMA test double
// with a matcher that reloads the stored index every 30 s of a fake clock, like HMA's default).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HmaClient } from '../../electron/services/hma';
import { hmaExecutors, hmaMarker, matcherSettleMs } from '../../electron/services/hma-link/hma-executors';
import type { ActionContext, ActionResult, PreviousAttempt } from '../../electron/services/decisions/action-types';
import { startHmaDouble, type HmaDouble } from '../hma-double';
import { randomMd5, randomPdq } from '../hma/helpers';

const TIMEOUT = 1_000;
const SERVER_TIMEOUT = 30_000;
const REFRESH = 30_000;
const KEY = 'd7:0:hma.add_to_bank';
const SCOPE = '0123456789abcdef';

describe('hma.add_to_bank: when a retry may conclude "not added" (against the HMA test double with a lagging matcher)', () => {
  let clock: number;
  let double: HmaDouble;
  let client: HmaClient;
  const params = () => ({ bankName: 'CONFIRMED', signals: [{ type: 'pdq' as const, signal: randomPdq() }, { type: 'video_md5' as const, signal: randomMd5() }], note: 'Confirmed in Matchdesk by r' });
  // A fresh executor registry each time: what a restarted process has (nothing in memory).
  const run = (p: ReturnType<typeof params>, attempts: PreviousAttempt[]): Promise<ActionResult> => {
    const ctx: ActionContext = { actionId: 1, idempotencyKey: KEY, attempt: attempts.length + 1, previousAttemptAt: attempts.at(-1)?.startedAt ?? null, previousAttempts: attempts };
    const ex = hmaExecutors(() => client, { markerScope: () => SCOPE, timeoutMs: () => TIMEOUT, serverTimeoutMs: () => SERVER_TIMEOUT, indexRefreshMs: () => REFRESH, now: () => clock });
    return ex['hma.add_to_bank']!(p, ctx);
  };
  const recorded = (startedAt: number, r: ActionResult | null): PreviousAttempt => ({
    startedAt,
    outcome: r === null ? null : r.status === 'ok' ? 'ok' : r.status === 'retryable' ? 'retryable' : 'permanent',
    detail: r && r.status !== 'permanent_failure' ? (r.detail ?? null) : null,
  });
  const marked = () => [...double.state.contents.values()].filter((c) => c.note?.includes(hmaMarker(SCOPE, KEY)));

  beforeEach(async () => {
    clock = 1_800_000_000_000;
    double = await startHmaDouble({ autoRebuildIndex: true, matcherRefreshMs: REFRESH, now: () => clock });
    client = new HmaClient({ baseUrl: double.url, negativeCacheTtlMs: 0, requestsPerMinute: 0 });
    await client.createBank('CONFIRMED');
    double.rebuildIndex();
  });
  afterEach(() => double.close());

  it('attempt 1 died after sending: waits out both timeouts, observes, survives a restart, then finds the content', async () => {
    const p = params();
    clock += 1;
    expect(await run(p, [])).toMatchObject({ status: 'ok' }); // the add landed…
    const attempts = [recorded(clock, null)]; // …and the process died before recording it
    expect(marked()).toHaveLength(1);

    clock += 5_000;
    const inFlight = await run(p, attempts);
    expect(inFlight).toMatchObject({ status: 'retryable', retryAfterMs: TIMEOUT + SERVER_TIMEOUT - 5_000, detail: { hmaAddSent: false } });
    expect(inFlight.status === 'retryable' && inFlight.error).toMatch(/may still be in flight/);
    attempts.push(recorded(clock, inFlight));

    clock += TIMEOUT + SERVER_TIMEOUT;
    const observed = await run(p, attempts);
    expect(observed).toMatchObject({ status: 'retryable', retryAfterMs: matcherSettleMs(REFRESH), detail: { hmaAddSent: false, observedIndexAt: clock } });
    attempts.push(recorded(clock, observed));

    clock += 10_000; // a restart in between: the observation comes from the record, the wait does not start over
    const waiting = await run(p, attempts);
    expect(waiting).toMatchObject({ status: 'retryable', retryAfterMs: matcherSettleMs(REFRESH) - 10_000 });
    attempts.push(recorded(clock, waiting));

    clock += matcherSettleMs(REFRESH);
    expect(await run(p, attempts)).toEqual({ status: 'ok', detail: { contentId: marked()[0]!.id, bank: 'CONFIRMED', found: 'earlier attempt' } });
    expect(marked()).toHaveLength(1);
  });

  it('an attempt that died after an observation may have sent the add: the wait starts over', async () => {
    const p = params();
    const attempts: PreviousAttempt[] = [recorded(clock, { status: 'retryable', error: 'network' })];
    clock += TIMEOUT + SERVER_TIMEOUT;
    const observed = await run(p, attempts);
    attempts.push(recorded(clock, observed));
    clock += 1_000;
    const diedAt = clock;
    attempts.push(recorded(diedAt, null)); // died: we cannot tell whether it sent the add
    clock += matcherSettleMs(REFRESH); // long enough for the first observation, but it no longer counts
    const again = await run(p, attempts);
    expect(again).toMatchObject({ status: 'retryable', retryAfterMs: matcherSettleMs(REFRESH), detail: { hmaAddSent: false, observedIndexAt: clock } });
    expect(clock).toBeGreaterThanOrEqual(diedAt + TIMEOUT + SERVER_TIMEOUT);
  });

  it('nothing landed: after the wait, the retry adds the content once', async () => {
    const p = params();
    const attempts: PreviousAttempt[] = [recorded(clock, { status: 'retryable', error: 'network: ECONNRESET' })];
    clock += TIMEOUT + SERVER_TIMEOUT;
    const observed = await run(p, attempts);
    attempts.push(recorded(clock, observed));
    clock += matcherSettleMs(REFRESH);
    const added = await run(p, attempts);
    expect(added).toEqual({ status: 'ok', detail: { contentId: marked()[0]!.id, bank: 'CONFIRMED' } });
    expect(marked()).toHaveLength(1);
  });

  it("another installation's content with the same action key is not ours: ours is added beside it", async () => {
    const p = params();
    const signals = Object.fromEntries(p.signals.map((s) => [s.type, s.signal]));
    // Decision ids start at 1 everywhere: another Matchdesk sharing this HMA used the same key.
    const theirs = await client.addSignals('CONFIRMED', signals, { note: `Confirmed in Matchdesk by someone else ${hmaMarker('fedcba9876543210', KEY)}` });
    const attempts: PreviousAttempt[] = [recorded(clock, { status: 'retryable', error: 'network' })];
    clock += TIMEOUT + SERVER_TIMEOUT;
    attempts.push(recorded(clock, await run(p, attempts)));
    clock += matcherSettleMs(REFRESH);
    const added = await run(p, attempts);
    expect(added).toEqual({ status: 'ok', detail: { contentId: marked()[0]!.id, bank: 'CONFIRMED' } });
    expect(marked().map((c) => c.id)).not.toContain(theirs.id);
    expect(marked()[0]!.note).toBe(`Confirmed in Matchdesk by r ${hmaMarker(SCOPE, KEY)}`);
  });

  it('a failure while checking (HMA down) is recorded as "not sent"', async () => {
    const p = params();
    const attempts: PreviousAttempt[] = [recorded(clock, { status: 'retryable', error: 'network' })];
    clock += TIMEOUT + SERVER_TIMEOUT;
    await double.setFault({ kind: 'down' });
    const r = await run(p, attempts);
    expect(r).toMatchObject({ status: 'retryable', detail: { hmaAddSent: false } });
    await double.clearFault();
  });
});
