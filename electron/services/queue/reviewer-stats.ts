import type { Db } from '../store/database';

export interface ReviewerStats {
  reviewer: string;
  decisions: number;
  confirm: number;
  false_positive: number;
  escalate: number;
  skip: number;
  undone: number;
  lastDecidedAt: number | null;
  holding: number;
}

/** Decisions per reviewer over the last `days` (for leads), and how many items each holds right now. */
export function reviewerStats(db: Db, days: number, now: number): ReviewerStats[] {
  const from = now - days * 24 * 3_600_000;
  const rows = db
    .prepare(
      `SELECT reviewer, COUNT(*) AS decisions,
              SUM(verdict = 'confirm') AS confirm, SUM(verdict = 'false_positive') AS false_positive,
              SUM(verdict = 'escalate') AS escalate, SUM(verdict = 'skip') AS skip,
              SUM(undone_at IS NOT NULL) AS undone, MAX(decided_at) AS lastDecidedAt
         FROM decisions WHERE decided_at >= ? GROUP BY reviewer`,
    )
    .all(from) as Omit<ReviewerStats, 'holding'>[];
  const holding = new Map(
    (db.prepare('SELECT reviewer, COUNT(*) AS n FROM claims WHERE expires_at > ? GROUP BY reviewer').all(now) as { reviewer: string; n: number }[]).map((r) => [r.reviewer, r.n]),
  );
  const out = rows.map((r) => ({ ...r, holding: holding.get(r.reviewer) ?? 0 }));
  for (const [reviewer, n] of holding) {
    if (!out.some((r) => r.reviewer === reviewer)) out.push({ reviewer, decisions: 0, confirm: 0, false_positive: 0, escalate: 0, skip: 0, undone: 0, lastDecidedAt: null, holding: n });
  }
  return out.sort((a, b) => b.decisions - a.decisions || a.reviewer.localeCompare(b.reviewer));
}
