import type { Db } from '../store/database';
import type { Verdict } from '../../../shared/contract';

/** How far back the u key reaches: a working day, so it never undoes yesterday's decision by surprise. */
export const UNDO_HISTORY_MS = 12 * 3600_000;

/**
 * The reviewer's latest decision that can still be undone: not undone yet, still the latest on its item, made in the
 * last UNDO_HISTORY_MS. Read from the store, so the undo history survives a reload and a restart.
 */
export function lastUndoable(db: Db, reviewer: string, now: number): { decisionId: number; queueItemId: number; verdict: Verdict; fileName: string | null } | null {
  const row = db
    .prepare(
      `SELECT d.id, d.queue_item_id, d.verdict, m.file_name
         FROM decisions d
         JOIN queue_items q ON q.id = d.queue_item_id
         JOIN media_items m ON m.id = q.media_id
        WHERE d.reviewer = ? AND d.undone_at IS NULL AND d.decided_at >= ?
          AND d.id = (SELECT MAX(id) FROM decisions WHERE queue_item_id = d.queue_item_id AND undone_at IS NULL)
        ORDER BY d.id DESC LIMIT 1`,
    )
    .get(reviewer, now - UNDO_HISTORY_MS) as { id: number; queue_item_id: number; verdict: Verdict; file_name: string | null } | undefined;
  return row ? { decisionId: row.id, queueItemId: row.queue_item_id, verdict: row.verdict, fileName: row.file_name } : null;
}
