import type { Db } from '../store/database';
import type { ReviewSession } from '../../../shared/contract';

const SNOOZE_MS = 10 * 60_000;
/** Away at least this long (or a break's length, if longer), the reviewer starts a new session when they return. */
const MIN_IDLE_RESET_MS = 5 * 60_000;

interface Row {
  started_at: number;
  last_seen_at: number;
  break_started_at: number | null;
  snoozed_until: number | null;
}

/**
 * A reviewer's review session, kept in the store so a reload changes nothing: when it started (for the session timer
 * and the break reminder), whether they are on a break, and a snoozed reminder. The console says it is there every
 * half minute; coming back after being away longer than a break starts a new session.
 */
export class ReviewSessions {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  private row(reviewer: string): Row | undefined {
    return this.db.prepare('SELECT started_at, last_seen_at, break_started_at, snoozed_until FROM review_sessions WHERE reviewer = ?').get(reviewer) as Row | undefined;
  }

  private view(row: Row, now: number): ReviewSession {
    return { startedAt: row.started_at, onBreakSince: row.break_started_at, snoozedUntil: row.snoozed_until, now };
  }

  private start(reviewer: string, at: number): Row {
    this.db
      .prepare(
        `INSERT INTO review_sessions (reviewer, started_at, last_seen_at, break_started_at, snoozed_until) VALUES (?, ?, ?, NULL, NULL)
         ON CONFLICT (reviewer) DO UPDATE SET started_at = excluded.started_at, last_seen_at = excluded.last_seen_at, break_started_at = NULL, snoozed_until = NULL`,
      )
      .run(reviewer, at, at);
    return this.row(reviewer)!;
  }

  /** The current session (a new one after an absence longer than a break), noting that the reviewer is here. */
  touch(reviewer: string, breakMinutes: number): ReviewSession {
    const now = this.now();
    return this.db.transaction(() => {
      const row = this.row(reviewer);
      const idleResetMs = Math.max(MIN_IDLE_RESET_MS, breakMinutes * 60_000);
      if (!row || now - row.last_seen_at > idleResetMs) return this.view(this.start(reviewer, now), now);
      this.db.prepare('UPDATE review_sessions SET last_seen_at = ? WHERE reviewer = ?').run(now, reviewer);
      return this.view({ ...row, last_seen_at: now }, now);
    })();
  }

  event(reviewer: string, event: 'start_break' | 'end_break' | 'snooze', breakMinutes: number): ReviewSession {
    const now = this.now();
    this.touch(reviewer, breakMinutes);
    return this.db.transaction(() => {
      if (event === 'end_break') return this.view(this.start(reviewer, now), now);
      if (event === 'start_break') this.db.prepare('UPDATE review_sessions SET break_started_at = COALESCE(break_started_at, ?) WHERE reviewer = ?').run(now, reviewer);
      else this.db.prepare('UPDATE review_sessions SET snoozed_until = ? WHERE reviewer = ?').run(now + SNOOZE_MS, reviewer);
      return this.view(this.row(reviewer)!, now);
    })();
  }
}
