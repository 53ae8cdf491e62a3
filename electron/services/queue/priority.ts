// The queue's order. One integer per item, so that the main listing is an index walk, never a sort of 100,000 rows.
//
//   priority = reports bonus (by the number of reports) + max over its matches (bank severity × 1000 + match strength)
//   rank     = priority − created_at / AGE_UNIT_MS
//
// Ranking by `rank` is the same as ranking by `priority + minutes waited` at any instant (the "now" term is common to
// every item), so items age upward in the queue without ever being rewritten.

/** Items reported by users (Matrix reports) come before anything found by scanning. Outweighs any bank severity. */
export const REPORT_BONUS = 200_000;
/**
 * Each further report of the same event: worth 10 severity points (about a week of waiting). Counted up to
 * MAX_COUNTED_REPORTS, so a pile-on of reports cannot outrank a reported item that matched a severe bank.
 */
export const EXTRA_REPORT_BONUS = 10_000;
export const MAX_COUNTED_REPORTS = 10;
/** One priority point per minute waited. A day of waiting ≈ 1.4 severity points; an exact match beats PDQ 0 by 36. */
export const AGE_UNIT_MS = 60_000;
export const DEFAULT_SEVERITY = 50;

export interface PriorityMatch {
  signalType: string;
  distance: number;
  severity: number;
}

/** Exact hashes (100) outrank any PDQ match (64 − distance). */
export function matchStrength(signalType: string, distance: number): number {
  return signalType === 'pdq' ? 64 - Math.min(Math.max(distance, 0), 64) : 100;
}

/** The bonus for an item reported `reports` times: none without a report, more with each report up to a cap. */
export function reportBonus(reports: number): number {
  if (reports <= 0) return 0;
  return REPORT_BONUS + (Math.min(reports, MAX_COUNTED_REPORTS) - 1) * EXTRA_REPORT_BONUS;
}

export function basePriority(matches: PriorityMatch[]): number {
  let best = 0;
  for (const m of matches) best = Math.max(best, m.severity * 1000 + matchStrength(m.signalType, m.distance));
  return best;
}

export function rankFor(priority: number, createdAt: number): number {
  return priority - Math.floor(createdAt / AGE_UNIT_MS);
}

/** SQL for reportBonus(queue_items.report_count). */
export const REPORT_BONUS_SQL = `
  (CASE WHEN queue_items.report_count > 0
        THEN ${REPORT_BONUS} + (MIN(queue_items.report_count, ${MAX_COUNTED_REPORTS}) - 1) * ${EXTRA_REPORT_BONUS} ELSE 0 END)`;

/** SQL for an item's priority from its stored matches and its report count (used when either changes). */
export const PRIORITY_FROM_MATCHES_SQL = `
  (SELECT COALESCE(MAX(COALESCE(m.severity, ${DEFAULT_SEVERITY}) * 1000 +
           CASE WHEN m.signal_type = 'pdq' THEN 64 - MIN(MAX(m.distance, 0), 64) ELSE 100 END), 0)
     FROM matches m WHERE m.media_id = queue_items.media_id)
  + ${REPORT_BONUS_SQL}`;
