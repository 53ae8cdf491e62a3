import type { Db } from '../store/database';
import { stmt } from '../store/statements';
import { ContractError } from '../../../shared/result';
import type { Claim, QueueStatus } from '../../../shared/contract';
import type { ChangeFeed } from '../events/change-feed';
import { buildFilter, type QueueListFilter } from './queue-filters';

/** How long a lease lasts without renewal on this machine. The renderer renews an open item's lease well before this. */
export const CLAIM_LEASE_MS = 120_000;
/** On a team server: 10 minutes, as a shared queue's job lock usually is (the console renews it while the item is open). */
export const TEAM_CLAIM_LEASE_MS = 10 * 60_000;

/** How a team shares its queue. On one machine all of it is off: there is only one reviewer. */
export interface QueuePolicy {
  /** An item a reviewer escalated is decided by someone else. */
  distinctSecondReviewer: boolean;
  /** A skip hands the item back to the team: it stays open for the others, not for the one who skipped it. */
  sharedSkips: boolean;
}

export const LOCAL_POLICY: QueuePolicy = { distinctSecondReviewer: false, sharedSkips: false };
export const TEAM_POLICY: QueuePolicy = { distinctSecondReviewer: true, sharedSkips: true };

interface ClaimRow {
  queue_item_id: number;
  reviewer: string;
  session_id: string;
  claimed_at: number;
  expires_at: number;
}

const toClaim = (r: ClaimRow): Claim => ({ queueItemId: r.queue_item_id, reviewer: r.reviewer, sessionId: r.session_id, claimedAt: r.claimed_at, expiresAt: r.expires_at });

/**
 * Leases on queue items, in the shared SQLite store, so that two windows (and two moderators of a team server)
 * never decide the same item at once. A lease belongs to a reviewer and a window's session id and expires unless renewed.
 */
export class ClaimService {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
    private readonly leaseMs = CLAIM_LEASE_MS,
    private readonly events?: ChangeFeed,
    private readonly policy: QueuePolicy = LOCAL_POLICY,
  ) {}

  active(queueItemId: number): Claim | null {
    const row = stmt(this.db, 'SELECT * FROM claims WHERE queue_item_id = ? AND expires_at > ?').get(queueItemId, this.now()) as ClaimRow | undefined;
    return row ? toClaim(row) : null;
  }

  /** Takes or renews the lease unless someone else (another reviewer, or another window) holds it. */
  acquire(queueItemId: number, reviewer: string, sessionId: string): { acquired: boolean; claim: Claim | null } {
    let fresh = false;
    const result = this.db.transaction(() => {
      const item = stmt(this.db, 'SELECT status FROM queue_items WHERE id = ?').get(queueItemId) as { status: QueueStatus } | undefined;
      if (!item) throw new ContractError('not_found', `Queue item ${queueItemId} does not exist`);
      const at = this.now();
      const current = stmt(this.db, 'SELECT * FROM claims WHERE queue_item_id = ?').get(queueItemId) as ClaimRow | undefined;
      if (current && current.expires_at > at && (current.reviewer !== reviewer || current.session_id !== sessionId)) {
        return { acquired: false, claim: toClaim(current) };
      }
      this.refuseOwnEscalation(queueItemId, item.status, reviewer);
      const renewing = current !== undefined && current.expires_at > at;
      const claimedAt = renewing ? current.claimed_at : at;
      stmt(this.db, 
          `INSERT INTO claims (queue_item_id, reviewer, session_id, claimed_at, expires_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (queue_item_id) DO UPDATE SET reviewer = excluded.reviewer, session_id = excluded.session_id,
             claimed_at = excluded.claimed_at, expires_at = excluded.expires_at`,
        )
        .run(queueItemId, reviewer, sessionId, claimedAt, at + this.leaseMs);
      // Someone else has now had the item: whoever skipped it may be served it again.
      stmt(this.db, 'DELETE FROM queue_skips WHERE queue_item_id = ? AND reviewer <> ?').run(queueItemId, reviewer);
      fresh = !renewing;
      return { acquired: true, claim: { queueItemId, reviewer, sessionId, claimedAt, expiresAt: at + this.leaseMs } };
    }).immediate();
    if (fresh) this.events?.publish({ type: 'claim', queueItemId, claim: result.claim });
    return result;
  }

  /**
   * Serves the caller the next item: the highest ranked open item matching the filter that nobody else holds, that
   * the caller did not escalate (second review) and did not skip (unless someone else has had it since), and leases it.
   */
  next(reviewer: string, sessionId: string, filter: QueueListFilter, afterId?: number): { acquired: boolean; claim: Claim | null } {
    const status = filter.status ?? 'pending';
    for (let attempt = 0; attempt < 5; attempt++) {
      const at = this.now();
      const built = buildFilter({ ...filter, status: undefined }, at);
      const where = [
        built.where ? built.where.replace(/^WHERE /, '') : '1 = 1',
        'q.status = @status',
        'NOT EXISTS (SELECT 1 FROM claims c WHERE c.queue_item_id = q.id AND c.expires_at > @at AND (c.reviewer <> @reviewer OR c.session_id <> @sessionId))',
        'NOT EXISTS (SELECT 1 FROM queue_skips s WHERE s.queue_item_id = q.id AND s.reviewer = @reviewer)',
        ...(this.policy.distinctSecondReviewer ? [`NOT (q.status = 'escalated' AND ${LATEST_ESCALATOR_SQL} = @reviewer)`] : []),
        ...(afterId !== undefined ? ['q.id <> @afterId'] : []),
      ].join(' AND ');
      const row = stmt(this.db, `SELECT q.id FROM queue_items q WHERE ${where} ORDER BY ${built.orderBy} LIMIT 1`)
        .get({ ...built.params, status, at, reviewer, sessionId, ...(afterId !== undefined ? { afterId } : {}) }) as { id: number } | undefined;
      if (!row) return { acquired: false, claim: null };
      const result = this.acquire(row.id, reviewer, sessionId);
      if (result.acquired) return result;
    }
    return { acquired: false, claim: null };
  }

  /** Releases one item's lease, or every lease of the session. Only the holder's own leases are released. */
  release(reviewer: string, sessionId: string, queueItemId?: number): number {
    const rows = (
      queueItemId !== undefined
        ? stmt(this.db, 'DELETE FROM claims WHERE queue_item_id = ? AND reviewer = ? AND session_id = ? RETURNING queue_item_id').all(queueItemId, reviewer, sessionId)
        : stmt(this.db, 'DELETE FROM claims WHERE reviewer = ? AND session_id = ? RETURNING queue_item_id').all(reviewer, sessionId)
    ) as { queue_item_id: number }[];
    for (const r of rows) this.events?.publish({ type: 'claim', queueItemId: r.queue_item_id, claim: null });
    return rows.length;
  }

  /** A lead frees an item someone else holds (they left, or went on a break with it open). */
  releaseHeldBy(queueItemId: number): Claim | null {
    const row = stmt(this.db, 'DELETE FROM claims WHERE queue_item_id = ? AND expires_at > ? RETURNING *').get(queueItemId, this.now()) as ClaimRow | undefined;
    if (row) this.events?.publish({ type: 'claim', queueItemId, claim: null });
    return row ? toClaim(row) : null;
  }

  /** Every lease of a reviewer (their session ended or their access did). */
  releaseAllOf(reviewer: string): number {
    const rows = stmt(this.db, 'DELETE FROM claims WHERE reviewer = ? RETURNING queue_item_id').all(reviewer) as { queue_item_id: number }[];
    for (const r of rows) this.events?.publish({ type: 'claim', queueItemId: r.queue_item_id, claim: null });
    return rows.length;
  }

  /**
   * Ends the lease after a decision, whoever held it (the decision itself checked the holder). Consoles are not told
   * separately: the pushed decision already frees the item on their screens.
   */
  releaseItem(queueItemId: number): void {
    stmt(this.db, 'DELETE FROM claims WHERE queue_item_id = ?').run(queueItemId);
  }

  /** A reviewer skipped the item: on a team, it is not served to them again until someone else has had it. */
  recordSkip(queueItemId: number, reviewer: string): void {
    if (!this.policy.sharedSkips) return;
    stmt(this.db, 'INSERT INTO queue_skips (queue_item_id, reviewer, skipped_at) VALUES (?, ?, ?) ON CONFLICT (queue_item_id, reviewer) DO UPDATE SET skipped_at = excluded.skipped_at')
      .run(queueItemId, reviewer, this.now());
  }

  /** Items this reviewer skipped that nobody else has had since (the console does not serve them to them). */
  skippedBy(reviewer: string, ids: number[]): Set<number> {
    if (!this.policy.sharedSkips || ids.length === 0) return new Set();
    const rows = stmt(this.db, `SELECT queue_item_id FROM queue_skips WHERE reviewer = ? AND queue_item_id IN (${ids.map(() => '?').join(',')})`)
      .all(reviewer, ...ids) as { queue_item_id: number }[];
    return new Set(rows.map((r) => r.queue_item_id));
  }

  list(): Claim[] {
    const at = this.now();
    stmt(this.db, 'DELETE FROM claims WHERE expires_at <= ?').run(at);
    return (stmt(this.db, 'SELECT * FROM claims ORDER BY claimed_at').all() as ClaimRow[]).map(toClaim);
  }

  /**
   * Before a decision: refuses it when the item is leased to another reviewer, or to another window of this reviewer;
   * otherwise takes the lease for the deciding window (when it says which one it is). On a team, the deciding window
   * must say which it is: a decision always holds the item's lease first.
   */
  guardDecision(queueItemId: number, reviewer: string, sessionId: string | undefined): void {
    this.db.transaction(() => {
      const item = stmt(this.db, 'SELECT status FROM queue_items WHERE id = ?').get(queueItemId) as { status: QueueStatus } | undefined;
      if (item && item.status !== 'pending' && item.status !== 'escalated' && item.status !== 'skipped') {
        const by = stmt(this.db, 'SELECT reviewer FROM decisions WHERE queue_item_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1').get(queueItemId) as { reviewer: string } | undefined;
        throw new ContractError('conflict', `Queue item ${queueItemId} was already decided${by ? ` by ${by.reviewer}` : ''} (${item.status.replace('_', ' ')})`);
      }
      const held = this.active(queueItemId);
      if (held && held.reviewer !== reviewer) {
        throw new ContractError('conflict', `Queue item ${queueItemId} is being reviewed by ${held.reviewer}`);
      }
      if (held && sessionId && held.sessionId !== sessionId) {
        throw new ContractError('conflict', `Queue item ${queueItemId} is open in another window of yours`);
      }
      if (sessionId) {
        const taken = this.acquire(queueItemId, reviewer, sessionId);
        if (!taken.acquired) throw new ContractError('conflict', `Queue item ${queueItemId} is being reviewed by ${taken.claim?.reviewer ?? 'someone else'}`);
      } else if (item) {
        this.refuseOwnEscalation(queueItemId, item.status, reviewer);
      }
    }).immediate();
  }

  private refuseOwnEscalation(queueItemId: number, status: QueueStatus, reviewer: string): void {
    if (!this.policy.distinctSecondReviewer || status !== 'escalated') return;
    const row = stmt(this.db, `SELECT ${LATEST_ESCALATOR_SQL} AS by FROM queue_items q WHERE q.id = ?`).get(queueItemId) as { by: string | null } | undefined;
    if (row?.by === reviewer) {
      throw new ContractError('conflict', `You escalated queue item ${queueItemId}: its second review goes to someone else`);
    }
  }
}

/** Who escalated an escalated item (its latest decision that was not undone). */
const LATEST_ESCALATOR_SQL = `(SELECT d.reviewer FROM decisions d WHERE d.queue_item_id = q.id AND d.undone_at IS NULL AND d.verdict = 'escalate' ORDER BY d.id DESC LIMIT 1)`;
