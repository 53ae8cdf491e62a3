import { HmaError, HmaRateLimitError, type HmaClient } from '../hma';
import type { ActionContext, ActionResult, ExecutorRegistry, SignalRef } from '../decisions/action-types';

/** A disabled item stays disabled for just under HMA's 5-year limit on disable_until_ts. */
const DISABLE_FOR_S = 5 * 365 * 24 * 3600 - 24 * 3600;
/** How long to wait for HMA's indexer when its stored index does not hold everything in its database yet. */
const WAIT_FOR_INDEXER_MS = 15_000;

export function hmaFailure(error: unknown): ActionResult {
  if (error instanceof HmaError) {
    const message = `${error.code}: ${error.message}`;
    if (error instanceof HmaRateLimitError) return { status: 'retryable', error: message, retryAfterMs: error.retryAfterMs ?? 30_000 };
    if (error.retryable || error.isOutage || error.code === 'circuit_open' || error.code === 'index_not_ready') return { status: 'retryable', error: message };
    if (error.code === 'unauthorized' || error.code === 'forbidden') return { status: 'retryable', error: `${message} (check the HMA key in Settings)`, retryAfterMs: 5 * 60_000 };
    return { status: 'permanent_failure', error: message };
  }
  return { status: 'retryable', error: error instanceof Error ? error.message : String(error) };
}

/** The idempotency marker in the note of content we add: this installation's scope and the action's key. */
export function hmaMarker(scope: string, key: string): string {
  return `[matchdesk:${scope}:${key}]`;
}

function hmaSignals(signals: SignalRef[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of signals) if (s.type === 'pdq' || s.type === 'video_md5') out[s.type] = s.signal;
  return out;
}

/** How long after seeing HMA's stored index up to date a lookup can be trusted: one matcher refresh, plus slack. */
export function matcherSettleMs(refreshMs: number): number {
  return refreshMs + Math.max(2_000, Math.round(refreshMs / 5));
}

export interface HmaExecutorOptions {
  /** The client's per-request timeout: an earlier attempt may still be in flight at HMA until it has passed. */
  timeoutMs: () => number;
  /**
   * How long HMA may go on working on a request the client stopped waiting for: gunicorn's worker timeout (default
   * 30 s), after which the worker is killed and its transaction rolled back. Default 30 s.
   */
  serverTimeoutMs?: () => number;
  /** Tags our markers in HMA notes with this installation (HmaConnection.markerScope()). */
  markerScope: () => string;
  /** HMA's TASK_INDEX_CACHE_INTERVAL_SECONDS, in ms (HMA's default 30 s): how often its matchers reload the index. */
  indexRefreshMs?: () => number;
  now?: () => number;
}

type EarlierAdd = { found: number } | { notAdded: true } | { waitMs: number; why: string; observedIndexAt?: number };

/** Marks an attempt that did not send the add: recorded with the attempt, so later attempts (and restarts) know. */
const NOT_SENT = { hmaAddSent: false } as const;

/**
 * HMA has no idempotent "add": a retried POST creates a second content item. So a retry first looks for the content
 * an earlier attempt may have created: the same signal in the bank, with our idempotency marker in its note.
 *
 * A lookup that finds nothing proves nothing until the matcher serves an index that holds every earlier attempt.
 * /m/index/status and /c/signal_type/index report the index *stored* in HMA's database, while /m/raw_lookup answers
 * from each matcher's in-memory copy, reloaded only every TASK_INDEX_CACHE_INTERVAL_SECONDS (hma-api.md §1.5). So:
 *  1. wait until the latest attempt that may have sent the add can no longer be in flight: our timeout, then HMA's
 *     own (gunicorn's worker timeout); an attempt that died without a record may have sent it;
 *  2. wait until the stored index holds everything in the database (index_out_of_date false), and note when we saw it
 *     (recorded with the attempt, so it survives a restart);
 *  3. wait a whole matcher refresh interval (plus slack) from that moment: every matcher has reloaded since, so it
 *     serves an index at least that new;
 *  4. only then does an empty lookup mean "not added".
 */
async function findEarlierAdd(
  client: HmaClient,
  bank: string,
  signals: Record<string, string>,
  ctx: ActionContext,
  o: { timeoutMs: number; serverTimeoutMs: number; refreshMs: number; now: () => number; marker: string },
): Promise<EarlierAdd> {
  const now = o.now();
  // video_md5 is an exact-match index: unlike PDQ's, it does not lose a lone hash (HMA's one-hash bug, #1318).
  const type = 'video_md5' in signals ? 'video_md5' : 'pdq';
  const signal = signals[type]!;
  let lastMaybeSent = -1;
  ctx.previousAttempts.forEach((a, i) => {
    if (a.detail?.hmaAddSent !== false) lastMaybeSent = i;
  });
  const sentAt = lastMaybeSent >= 0 ? ctx.previousAttempts[lastMaybeSent]!.startedAt : 0;
  const inFlightUntil = sentAt + o.timeoutMs + o.serverTimeoutMs;
  if (now < inFlightUntil) return { waitMs: inFlightUntil - now, why: 'an earlier attempt may still be in flight at HMA' };
  // The first observation since that attempt (each one was made once it could no longer be in flight).
  let since = ctx.previousAttempts
    .slice(lastMaybeSent + 1)
    .map((a) => a.detail?.observedIndexAt)
    .find((t): t is number => typeof t === 'number' && t >= inFlightUntil);
  if (since === undefined) {
    const stored = (await client.signalTypeIndexStatus(type))[type];
    if (!stored || stored.indexOutOfDate) return { waitMs: WAIT_FOR_INDEXER_MS, why: "HMA's indexer has not indexed its latest content yet" };
    if (type === 'pdq' && stored.indexSize === 1) {
      return { waitMs: 5 * 60_000, why: "HMA's PDQ index holds a single hash, which HMA 1.1.7 never matches (upstream bug #1318): add a second PDQ hash to any bank" };
    }
    since = now;
  }
  const settle = matcherSettleMs(o.refreshMs);
  if (now < since + settle) return { waitMs: since + settle - now, why: "HMA's matchers have not reloaded the index yet", observedIndexAt: since };
  for (const id of await client.rawLookup(type, signal, { banks: [bank] })) {
    const content = await client.getContent(bank, id);
    if (content.note?.includes(o.marker)) return { found: id };
  }
  return { notAdded: true };
}

export function hmaExecutors(client: () => HmaClient | null, opts: HmaExecutorOptions): ExecutorRegistry {
  const now = opts.now ?? Date.now;
  const refreshMs = opts.indexRefreshMs ?? (() => 30_000);
  const serverTimeoutMs = opts.serverTimeoutMs ?? (() => 30_000);
  const run = async (fn: (c: HmaClient) => Promise<ActionResult>): Promise<ActionResult> => {
    const c = client();
    if (!c) return { status: 'retryable', error: 'HMA is not configured (Settings → HMA)', retryAfterMs: 5 * 60_000 };
    try {
      return await fn(c);
    } catch (error) {
      return hmaFailure(error);
    }
  };
  return {
    'hma.add_to_bank': async (p, ctx) => {
      const c = client();
      if (!c) return { status: 'retryable', error: 'HMA is not configured (Settings → HMA)', retryAfterMs: 5 * 60_000, detail: NOT_SENT };
      const signals = hmaSignals(p.signals);
      if (Object.keys(signals).length === 0) return { status: 'permanent_failure', error: 'No signal HMA can bank (pdq or video_md5)' };
      const marker = hmaMarker(opts.markerScope(), ctx.idempotencyKey);
      if (ctx.attempt > 1) {
        let earlier: EarlierAdd;
        try {
          earlier = await findEarlierAdd(c, p.bankName, signals, ctx, { timeoutMs: opts.timeoutMs(), serverTimeoutMs: serverTimeoutMs(), refreshMs: refreshMs(), now, marker });
        } catch (error) {
          const failure = hmaFailure(error);
          return failure.status === 'retryable' ? { ...failure, detail: NOT_SENT } : failure;
        }
        if ('waitMs' in earlier) {
          return {
            status: 'retryable',
            error: `Checking whether an earlier attempt already added this: ${earlier.why}`,
            retryAfterMs: earlier.waitMs,
            waiting: true,
            detail: earlier.observedIndexAt === undefined ? NOT_SENT : { ...NOT_SENT, observedIndexAt: earlier.observedIndexAt },
          };
        }
        if ('found' in earlier) return { status: 'ok', detail: { contentId: earlier.found, bank: p.bankName, found: 'earlier attempt' } };
      }
      try {
        const note = `${p.note.slice(0, 255 - marker.length - 1)} ${marker}`;
        const added = await c.addSignals(p.bankName, signals, { note });
        return { status: 'ok', detail: { contentId: added.id, bank: p.bankName } };
      } catch (error) {
        return hmaFailure(error); // may have reached HMA: no NOT_SENT
      }
    },
    // The note is HMA's only free-text field (curators' and partners' provenance): never sent, so never replaced.
    // Why content was disabled or re-enabled lives in Matchdesk's audit log and false-positive records.
    'hma.disable_content': (p) =>
      run(async (c) => {
        await c.updateContent(p.bankName, p.contentId, { disableUntilTs: Math.floor(now() / 1000) + DISABLE_FOR_S });
        return { status: 'ok' };
      }),
    'hma.enable_content': (p) =>
      run(async (c) => {
        await c.updateContent(p.bankName, p.contentId, { disableUntilTs: 1 });
        return { status: 'ok' };
      }),
  };
}
