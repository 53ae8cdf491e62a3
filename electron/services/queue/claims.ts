import type { Db } from '../store/database';
import { ContractError } from '../../../shared/result';
import type { Claim } from '../../../shared/contract';

/** How long a lease lasts without renewal. The renderer renews an open item's lease well before this. */
export const CLAIM_LEASE_MS = 120_000;

interface ClaimRow {
  queue_item_id: number;
  reviewer: string;
  session_id: string;
  claimed_at: number;
  expires_at: number;
}

const toClaim = (r: ClaimRow): Claim => ({ queueItemId: r.queue_item_id, reviewer: r.reviewer, sessionId: r.session_id, claimedAt: r.claimed_at, expiresAt: r.expires_at });

/**
 * Leases on queue items, in the shared SQLite store, so that two windows (and two workstations sharing the store)
 * never decide the same item at once. A lease belongs to a reviewer and a window's session id and expires unless renewed.
 */
export class ClaimService {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
    private readonly leaseMs = CLAIM_LEASE_MS,
  ) {}

  active(queueItemId: number): Claim | null {
    const row = this.db.prepare('SELECT * FROM claims WHERE queue_item_id = ? AND expires_at > ?').get(queueItemId, this.now()) as ClaimRow | undefined;
    return row ? toClaim(row) : null;
  }

  /** Takes or renews the lease unless someone else (another reviewer, or another window) holds it. */
  acquire(queueItemId: number, reviewer: string, sessionId: string): { acquired: boolean; claim: Claim | null } {
    return this.db.transaction(() => {
      const exists = this.db.prepare('SELECT 1 FROM queue_items WHERE id = ?').get(queueItemId);
      if (!exists) throw new ContractError('not_found', `Queue item ${queueItemId} does not exist`);
      const at = this.now();
      const current = this.db.prepare('SELECT * FROM claims WHERE queue_item_id = ?').get(queueItemId) as ClaimRow | undefined;
      if (current && current.expires_at > at && (current.reviewer !== reviewer || current.session_id !== sessionId)) {
        return { acquired: false, claim: toClaim(current) };
      }
      const claimedAt = current && current.expires_at > at ? current.claimed_at : at;
      this.db
        .prepare(
          `INSERT INTO claims (queue_item_id, reviewer, session_id, claimed_at, expires_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (queue_item_id) DO UPDATE SET reviewer = excluded.reviewer, session_id = excluded.session_id,
             claimed_at = excluded.claimed_at, expires_at = excluded.expires_at`,
        )
        .run(queueItemId, reviewer, sessionId, claimedAt, at + this.leaseMs);
      return { acquired: true, claim: { queueItemId, reviewer, sessionId, claimedAt, expiresAt: at + this.leaseMs } };
    }).immediate();
  }

  /** Releases one item's lease, or every lease of the session. Only the holder's own leases are released. */
  release(reviewer: string, sessionId: string, queueItemId?: number): number {
    if (queueItemId !== undefined) {
      return this.db.prepare('DELETE FROM claims WHERE queue_item_id = ? AND reviewer = ? AND session_id = ?').run(queueItemId, reviewer, sessionId).changes;
    }
    return this.db.prepare('DELETE FROM claims WHERE reviewer = ? AND session_id = ?').run(reviewer, sessionId).changes;
  }

  /** Ends the lease after a decision, whoever held it (the decision itself checked the holder). */
  releaseItem(queueItemId: number): void {
    this.db.prepare('DELETE FROM claims WHERE queue_item_id = ?').run(queueItemId);
  }

  list(): Claim[] {
    const at = this.now();
    this.db.prepare('DELETE FROM claims WHERE expires_at <= ?').run(at);
    return (this.db.prepare('SELECT * FROM claims ORDER BY claimed_at').all() as ClaimRow[]).map(toClaim);
  }

  /**
   * Before a decision: refuses it when the item is leased to another reviewer, or to another window of this reviewer;
   * otherwise takes the lease for the deciding window (when it says which one it is).
   */
  guardDecision(queueItemId: number, reviewer: string, sessionId: string | undefined): void {
    this.db.transaction(() => {
      const held = this.active(queueItemId);
      if (held && held.reviewer !== reviewer) {
        throw new ContractError('conflict', `Queue item ${queueItemId} is being reviewed by ${held.reviewer}`);
      }
      if (held && sessionId && held.sessionId !== sessionId) {
        throw new ContractError('conflict', `Queue item ${queueItemId} is open in another window of yours`);
      }
      if (sessionId) this.acquire(queueItemId, reviewer, sessionId);
    }).immediate();
  }
}
