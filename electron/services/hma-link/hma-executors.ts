import { HmaError, HmaRateLimitError, type HmaClient } from '../hma';
import type { ActionContext, ActionResult, ExecutorRegistry, SignalRef } from '../decisions/action-types';

/** A disabled item stays disabled for just under HMA's 5-year limit on disable_until_ts. */
const DISABLE_FOR_S = 5 * 365 * 24 * 3600 - 24 * 3600;
const WAIT_FOR_INDEX_MS = 30_000;

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

function marker(key: string): string {
  return `[matchdesk:${key}]`;
}

function hmaSignals(signals: SignalRef[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of signals) if (s.type === 'pdq' || s.type === 'video_md5') out[s.type] = s.signal;
  return out;
}

/**
 * HMA has no idempotent "add": a retried POST creates a second content item. So a retry first looks for the content
 * an earlier attempt may have created (same signal in the bank, our idempotency marker in its note) — but only once
 * the matcher's index provably covers everything in HMA's database; until then the action waits.
 */
async function findEarlierAdd(
  client: HmaClient,
  bank: string,
  signals: Record<string, string>,
  ctx: ActionContext,
  timeoutMs: number,
  now: () => number,
): Promise<number | null | { waitMs: number }> {
  // An earlier request may still be in flight at HMA until its timeout has passed.
  if (ctx.previousAttemptAt !== null && now() < ctx.previousAttemptAt + timeoutMs) return { waitMs: ctx.previousAttemptAt + timeoutMs - now() };
  const [type, signal] = Object.entries(signals)[0]!;
  const dbIndex = (await client.signalTypeIndexStatus(type))[type];
  const served = (await client.indexStatus(type))[type];
  if (!dbIndex || !served || !served.present || served.builtTo < dbIndex.newestDbItem) return { waitMs: WAIT_FOR_INDEX_MS };
  for (const id of await client.rawLookup(type, signal, { banks: [bank] })) {
    const content = await client.getContent(bank, id);
    if (content.note?.includes(marker(ctx.idempotencyKey))) return id;
  }
  return null;
}

export function hmaExecutors(client: () => HmaClient | null, opts: { timeoutMs: () => number; now?: () => number } = { timeoutMs: () => 10_000 }): ExecutorRegistry {
  const now = opts.now ?? Date.now;
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
    'hma.add_to_bank': (p, ctx) =>
      run(async (c) => {
        const signals = hmaSignals(p.signals);
        if (Object.keys(signals).length === 0) return { status: 'permanent_failure', error: 'No signal HMA can bank (pdq or video_md5)' };
        if (ctx.attempt > 1) {
          const earlier = await findEarlierAdd(c, p.bankName, signals, ctx, opts.timeoutMs(), now);
          if (earlier !== null && typeof earlier === 'object') {
            return { status: 'retryable', error: 'Waiting for the HMA index to show whether an earlier attempt already added this', retryAfterMs: earlier.waitMs };
          }
          if (earlier !== null) return { status: 'ok', detail: { contentId: earlier, bank: p.bankName, found: 'earlier attempt' } };
        }
        const note = `${p.note.slice(0, 180)} ${marker(ctx.idempotencyKey)}`.slice(0, 255);
        const added = await c.addSignals(p.bankName, signals, { note });
        return { status: 'ok', detail: { contentId: added.id, bank: p.bankName } };
      }),
    'hma.disable_content': (p) =>
      run(async (c) => {
        await c.updateContent(p.bankName, p.contentId, { disableUntilTs: Math.floor(now() / 1000) + DISABLE_FOR_S, note: p.note.slice(0, 255) });
        return { status: 'ok' };
      }),
    'hma.enable_content': (p) =>
      run(async (c) => {
        await c.updateContent(p.bankName, p.contentId, { disableUntilTs: 1, note: p.note.slice(0, 255) });
        return { status: 'ok' };
      }),
  };
}
