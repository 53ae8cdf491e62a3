// The queue's order. One integer per item, so that the main listing is an index walk, never a sort of 100,000 rows.
//
//   priority = reports bonus + max over its matches (bank severity × 1000 + match strength)
//   rank     = priority − created_at / AGE_UNIT_MS
//
// Ranking by `rank` is the same as ranking by `priority + minutes waited` at any instant (the "now" term is common to
// every item), so items age upward in the queue without ever being rewritten.

/** Items reported by users (Matrix reports) come before anything found by scanning. Outweighs any bank severity. */
export const REPORT_BONUS = 200_000;
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

export function sourceBonus(source: string): number {
  return source === 'matrix_report' ? REPORT_BONUS : 0;
}

export function basePriority(matches: PriorityMatch[]): number {
  let best = 0;
  for (const m of matches) best = Math.max(best, m.severity * 1000 + matchStrength(m.signalType, m.distance));
  return best;
}

export function rankFor(priority: number, createdAt: number): number {
  return priority - Math.floor(createdAt / AGE_UNIT_MS);
}

/** SQL for an item's priority from its stored matches (used when a bank's severity changes). */
export const PRIORITY_FROM_MATCHES_SQL = `
  (SELECT COALESCE(MAX(COALESCE(m.severity, ${DEFAULT_SEVERITY}) * 1000 +
           CASE WHEN m.signal_type = 'pdq' THEN 64 - MIN(MAX(m.distance, 0), 64) ELSE 100 END), 0)
     FROM matches m WHERE m.media_id = queue_items.media_id)
  + CASE WHEN queue_items.source = 'matrix_report' THEN ${REPORT_BONUS} ELSE 0 END`;
