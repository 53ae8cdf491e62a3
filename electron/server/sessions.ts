import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../services/store/database';

export interface TeamSession {
  id: string;
  userId: string;
  client: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  revokedAt: number | null;
  revokedBy: string | null;
}

interface Row {
  id: string;
  user_id: string;
  client: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoked_by: string | null;
}

const fromRow = (r: Row): TeamSession => ({
  id: r.id,
  userId: r.user_id,
  client: r.client,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  revokedBy: r.revoked_by,
});

const TOKEN_PREFIX = 'mds_';
const TOUCH_EVERY_MS = 60_000;

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * The team server's own sessions, issued after a Matrix OpenID sign-in. The token is 256 random bits shown once to
 * the console; the store keeps only its SHA-256 (a stolen database yields no usable token), with an absolute expiry.
 * Revocation takes effect on the next request: authenticate() never trusts a cache over a revocation.
 */
export class SessionStore {
  private readonly cache = new Map<string, TeamSession>();
  private readonly revokedListeners = new Set<(session: TeamSession) => void>();

  constructor(
    private readonly db: Db,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  create(userId: string, client: string): { token: string; session: TeamSession } {
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const at = this.now();
    const session: TeamSession = { id: randomBytes(12).toString('hex'), userId, client: client.slice(0, 200), createdAt: at, lastSeenAt: at, expiresAt: at + this.ttlMs, revokedAt: null, revokedBy: null };
    this.db
      .prepare('INSERT INTO team_sessions (id, token_hash, user_id, client, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(session.id, hashToken(token), userId, session.client, at, at, session.expiresAt);
    return { token, session };
  }

  /** The live session a token belongs to, or null (unknown, expired or revoked). */
  authenticate(token: string): TeamSession | null {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
    const hash = hashToken(token);
    let session = this.cache.get(hash);
    if (!session) {
      const row = this.db.prepare('SELECT * FROM team_sessions WHERE token_hash = ?').get(hash) as Row | undefined;
      if (!row) return null;
      session = fromRow(row);
      if (session.revokedAt === null) this.cache.set(hash, session);
    }
    const at = this.now();
    if (session.revokedAt !== null || session.expiresAt <= at) {
      this.cache.delete(hash);
      return null;
    }
    if (at - session.lastSeenAt >= TOUCH_EVERY_MS) {
      session.lastSeenAt = at;
      this.db.prepare('UPDATE team_sessions SET last_seen_at = ? WHERE id = ?').run(at, session.id);
    }
    return session;
  }

  get(id: string): TeamSession | null {
    const row = this.db.prepare('SELECT * FROM team_sessions WHERE id = ?').get(id) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  /** Sessions that still work, newest first; one user's only when userId is given. */
  listActive(userId?: string): TeamSession[] {
    const at = this.now();
    const rows = (
      userId === undefined
        ? this.db.prepare('SELECT * FROM team_sessions WHERE revoked_at IS NULL AND expires_at > ? ORDER BY created_at DESC').all(at)
        : this.db.prepare('SELECT * FROM team_sessions WHERE revoked_at IS NULL AND expires_at > ? AND user_id = ? ORDER BY created_at DESC').all(at, userId)
    ) as Row[];
    return rows.map((r) => {
      const cached = [...this.cache.values()].find((s) => s.id === r.id);
      return fromRow({ ...r, last_seen_at: Math.max(r.last_seen_at, cached?.lastSeenAt ?? 0) });
    });
  }

  activeCount(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM team_sessions WHERE revoked_at IS NULL AND expires_at > ?').get(this.now()) as { n: number }).n;
  }

  /** Ends a session at once. Returns it, or null if it did not exist or had already ended. */
  revoke(id: string, by: string): TeamSession | null {
    const at = this.now();
    const row = this.db
      .prepare('UPDATE team_sessions SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL AND expires_at > ? RETURNING *')
      .get(at, by, id, at) as Row | undefined;
    for (const [hash, cached] of this.cache) if (cached.id === id) this.cache.delete(hash);
    if (!row) return null;
    const session = fromRow(row);
    for (const listener of this.revokedListeners) listener(session);
    return session;
  }

  onRevoked(listener: (session: TeamSession) => void): () => void {
    this.revokedListeners.add(listener);
    return () => this.revokedListeners.delete(listener);
  }

  /** Drops rows that ended more than `keepMs` ago (the audit log keeps the sign-ins and revocations). */
  prune(keepMs = 30 * 24 * 3600_000): number {
    const before = this.now() - keepMs;
    return this.db.prepare('DELETE FROM team_sessions WHERE expires_at < ? OR (revoked_at IS NOT NULL AND revoked_at < ?)').run(before, before).changes;
  }
}
