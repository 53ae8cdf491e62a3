import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../store/database';

/** A bot's key as a lead sees it: never the key itself, which is shown once when created. */
export interface BotKey {
  id: string;
  name: string;
  /** What the key starts with (`mdk_<id>`), so a lead can tell which one a bot holds. */
  prefix: string;
  ratePerMinute: number;
  createdBy: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  revokedBy: string | null;
}

interface BotKeyRow {
  id: string;
  name: string;
  rate_per_minute: number;
  created_by: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  revoked_by: string | null;
}

export const DEFAULT_BOT_RATE_PER_MINUTE = 600;
const KEY_RE = /^mdk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;
/** Writing last_used_at once a minute per key is enough to see which bots are alive. */
const LAST_USED_RESOLUTION_MS = 60_000;

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

function fromRow(r: BotKeyRow): BotKey {
  return {
    id: r.id,
    name: r.name,
    prefix: `mdk_${r.id}`,
    ratePerMinute: r.rate_per_minute,
    createdBy: r.created_by,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
    revokedBy: r.revoked_by,
  };
}

/**
 * Bearer keys for bots and the Synapse module. A key is `mdk_<12 hex id>_<256 random bits>`; only its SHA-256 is
 * stored, so a copy of the database gives no one a working key. Revoking is immediate: every request looks the key up.
 */
export class BotKeyStore {
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  list(): BotKey[] {
    return (this.db.prepare('SELECT * FROM bot_keys ORDER BY revoked_at IS NOT NULL, created_at DESC').all() as BotKeyRow[]).map(fromRow);
  }

  get(id: string): BotKey | null {
    const row = this.db.prepare('SELECT * FROM bot_keys WHERE id = ?').get(id) as BotKeyRow | undefined;
    return row ? fromRow(row) : null;
  }

  /** Creates a key and returns it in clear, the only time it exists outside the bot. */
  create(input: { name: string; ratePerMinute?: number; createdBy: string }): { key: string; botKey: BotKey } {
    const id = randomBytes(6).toString('hex');
    const key = `mdk_${id}_${randomBytes(32).toString('base64url')}`;
    this.db
      .prepare('INSERT INTO bot_keys (id, name, key_hash, rate_per_minute, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, input.name, hashKey(key), input.ratePerMinute ?? DEFAULT_BOT_RATE_PER_MINUTE, input.createdBy, this.now());
    return { key, botKey: this.get(id)! };
  }

  revoke(id: string, by: string): BotKey | null {
    this.db.prepare('UPDATE bot_keys SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL').run(this.now(), by, id);
    return this.get(id);
  }

  /** The live key a bearer token names, or null (unknown, malformed or revoked). */
  authenticate(token: string): BotKey | null {
    if (!KEY_RE.test(token)) return null;
    const row = this.db.prepare('SELECT * FROM bot_keys WHERE key_hash = ? AND revoked_at IS NULL').get(hashKey(token)) as BotKeyRow | undefined;
    if (!row) return null;
    const at = this.now();
    if (at - (this.lastUsedWritten.get(row.id) ?? 0) >= LAST_USED_RESOLUTION_MS) {
      this.lastUsedWritten.set(row.id, at);
      this.db.prepare('UPDATE bot_keys SET last_used_at = ? WHERE id = ?').run(at, row.id);
      row.last_used_at = at;
    }
    return fromRow(row);
  }
}
