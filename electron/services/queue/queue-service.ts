import type { Db } from '../store/database';
import type { AuditLog } from '../audit/audit-log';
import { ContractError } from '../../../shared/result';
import type { Decision, Match, QueueCounts, QueueItem, QueueStatus, Verdict } from '../../../shared/contract';
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

const VERDICT_STATUS: Record<Verdict, QueueStatus> = {
  confirm: 'confirmed',
  false_positive: 'false_positive',
  escalate: 'escalated',
  skip: 'skipped',
};

/** States from which a reviewer may still decide: final verdicts (confirmed, false positive) need an undo first. */
const DECIDABLE: QueueStatus[] = ['pending', 'escalated', 'skipped'];

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
    private readonly audit: AuditLog,
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

  get(id: number): QueueItem & { decisions: Decision[] } {
    const row = this.db.prepare('SELECT * FROM queue_items WHERE id = ?').get(id) as QueueRow | undefined;
    if (!row) throw new ContractError('not_found', `Queue item ${id} does not exist`);
    return { ...this.hydrate(row), decisions: this.decisions(id) };
  }

  decide(input: { id: number; verdict: Verdict; reason?: string; note?: string; reviewer: string }): { decision: Decision; status: QueueStatus } {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT * FROM queue_items WHERE id = ?').get(input.id) as QueueRow | undefined;
      if (!row) throw new ContractError('not_found', `Queue item ${input.id} does not exist`);
      if (!DECIDABLE.includes(row.status)) {
        throw new ContractError('conflict', `Queue item ${input.id} was already decided (${row.status})`);
      }
      const at = this.now();
      const status = VERDICT_STATUS[input.verdict];
      const decisionId = Number(
        this.db
          .prepare('INSERT INTO decisions (queue_item_id, verdict, reviewer, reason, note, decided_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(input.id, input.verdict, input.reviewer, input.reason ?? null, input.note ?? null, at).lastInsertRowid,
      );
      this.db.prepare('UPDATE queue_items SET status = ?, updated_at = ? WHERE id = ?').run(status, at, input.id);
      const media = this.db.prepare('SELECT sha256, md5, pdq FROM media_items WHERE id = ?').get(row.media_id) as {
        sha256: string;
        md5: string;
        pdq: string | null;
      };
      this.audit.append({
        actor: input.reviewer,
        action: `decision.${input.verdict}`,
        subject: `queue:${input.id}`,
        details: { decisionId, from: row.status, to: status, reason: input.reason ?? null, note: input.note ?? null, sha256: media.sha256, pdq: media.pdq },
      });
      const decision: Decision = {
        id: decisionId,
        queueItemId: input.id,
        verdict: input.verdict,
        reviewer: input.reviewer,
        reason: input.reason ?? null,
        note: input.note ?? null,
        decidedAt: at,
      };
      return { decision, status };
    })();
  }

  private decisions(queueItemId: number): Decision[] {
    const rows = this.db
      .prepare('SELECT id, queue_item_id, verdict, reviewer, reason, note, decided_at FROM decisions WHERE queue_item_id = ? ORDER BY id')
      .all(queueItemId) as { id: number; queue_item_id: number; verdict: Verdict; reviewer: string; reason: string | null; note: string | null; decided_at: number }[];
    return rows.map((r) => ({ id: r.id, queueItemId: r.queue_item_id, verdict: r.verdict, reviewer: r.reviewer, reason: r.reason, note: r.note, decidedAt: r.decided_at }));
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
