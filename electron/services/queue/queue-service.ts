import type { Db } from '../store/database';
import { ContractError } from '../../../shared/result';
import type { Decision, Match, OutboxAction, QueueCounts, QueueItem, QueueStatus, Verdict } from '../../../shared/contract';
import { listActions } from '../decisions/action-list';
import { mediaFromRow } from './media-repository';

export interface NewMatch {
  matcher: 'local' | 'hma';
  bankName: string;
  contentRef: string;
  signalType: string;
  signal: string | null;
  distance: number;
  label: string | null;
  severity: number;
}

/** Exact hash matches outrank near ones; stronger banks outrank weaker ones. */
export function queuePriority(matches: NewMatch[]): number {
  let best = 0;
  for (const m of matches) {
    const strength = m.signalType === 'pdq' ? 64 - Math.min(m.distance, 64) : 100;
    best = Math.max(best, m.severity * 1000 + strength);
  }
  return best;
}

interface QueueRow {
  id: number;
  status: QueueStatus;
  priority: number;
  best_distance: number | null;
  created_at: number;
  updated_at: number;
  media_id: number;
}

export class QueueService {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records matches for a media item and makes sure it has a queue item. Returns the queue item id. */
  enqueue(mediaId: number, matches: NewMatch[]): number {
    const at = this.now();
    const insertMatch = this.db.prepare(
      `INSERT INTO matches (media_id, matcher, bank_name, content_ref, signal_type, signal, distance, label, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (media_id, matcher, bank_name, content_ref, signal_type) DO UPDATE SET distance = MIN(distance, excluded.distance)`,
    );
    for (const m of matches) insertMatch.run(mediaId, m.matcher, m.bankName, m.contentRef, m.signalType, m.signal, m.distance, m.label, at);
    const bestDistance = Math.min(...matches.map((m) => m.distance));
    const priority = queuePriority(matches);
    this.db
      .prepare(
        `INSERT INTO queue_items (media_id, status, priority, best_distance, created_at, updated_at) VALUES (?, 'pending', ?, ?, ?, ?)
         ON CONFLICT (media_id) DO UPDATE SET priority = MAX(priority, excluded.priority),
           best_distance = MIN(COALESCE(best_distance, excluded.best_distance), excluded.best_distance), updated_at = excluded.updated_at`,
      )
      .run(mediaId, priority, bestDistance, at, at);
    return (this.db.prepare('SELECT id FROM queue_items WHERE media_id = ?').get(mediaId) as { id: number }).id;
  }

  counts(): QueueCounts {
    const counts: QueueCounts = { pending: 0, confirmed: 0, false_positive: 0, escalated: 0, skipped: 0 };
    for (const row of this.db.prepare('SELECT status, COUNT(*) AS n FROM queue_items GROUP BY status').all() as { status: QueueStatus; n: number }[]) {
      counts[row.status] = row.n;
    }
    return counts;
  }

  list(filter: { status?: QueueStatus; limit: number; offset: number }): { items: QueueItem[]; total: number } {
    const where = filter.status ? 'WHERE status = @status' : '';
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM queue_items ${where}`).get({ status: filter.status }) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT * FROM queue_items ${where} ORDER BY priority DESC, created_at ASC, id ASC LIMIT @limit OFFSET @offset`)
      .all({ status: filter.status, limit: filter.limit, offset: filter.offset }) as QueueRow[];
    return { items: rows.map((row) => this.hydrate(row)), total };
  }

  get(id: number): QueueItem & { decisions: Decision[]; actions: OutboxAction[] } {
    const row = this.db.prepare('SELECT * FROM queue_items WHERE id = ?').get(id) as QueueRow | undefined;
    if (!row) throw new ContractError('not_found', `Queue item ${id} does not exist`);
    return { ...this.hydrate(row), decisions: this.decisions(id), actions: listActions(this.db, { queueItemId: id, limit: 200 }) };
  }

  private decisions(queueItemId: number): Decision[] {
    const rows = this.db
      .prepare('SELECT id, queue_item_id, verdict, reviewer, reason, note, decided_at, undone_at, undone_by FROM decisions WHERE queue_item_id = ? ORDER BY id')
      .all(queueItemId) as {
      id: number;
      queue_item_id: number;
      verdict: Verdict;
      reviewer: string;
      reason: string | null;
      note: string | null;
      decided_at: number;
      undone_at: number | null;
      undone_by: string | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      queueItemId: r.queue_item_id,
      verdict: r.verdict,
      reviewer: r.reviewer,
      reason: r.reason,
      note: r.note,
      decidedAt: r.decided_at,
      undoneAt: r.undone_at,
      undoneBy: r.undone_by,
    }));
  }

  private hydrate(row: QueueRow): QueueItem {
    const media = mediaFromRow(this.db.prepare('SELECT * FROM media_items WHERE id = ?').get(row.media_id) as Parameters<typeof mediaFromRow>[0]);
    const matches = this.db
      .prepare('SELECT id, matcher, bank_name, content_ref, signal_type, signal, distance, label FROM matches WHERE media_id = ? ORDER BY distance, id')
      .all(row.media_id) as { id: number; matcher: 'local' | 'hma'; bank_name: string; content_ref: string; signal_type: string; signal: string | null; distance: number; label: string | null }[];
    return {
      id: row.id,
      status: row.status,
      priority: row.priority,
      bestDistance: row.best_distance,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      media,
      matches: matches.map(
        (m): Match => ({ id: m.id, matcher: m.matcher, bankName: m.bank_name, contentRef: m.content_ref, signalType: m.signal_type, signal: m.signal, distance: m.distance, label: m.label }),
      ),
    };
  }
}
