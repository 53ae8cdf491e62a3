/**
 * The audit log's secrets: its HMAC key and its sealed head, both in the secret store (the OS keychain on the
 * desktop, a 0600 file in the browser shell), never in SQLite. Someone who can edit the database file cannot make
 * valid MACs, and cannot cut rows off the end without the sealed head (and the anchors) showing it.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../store/database';
import type { SecretStore } from '../secrets/secret-store';
import type { SettingsRepository } from '../settings/settings-repository';
import { z } from 'zod';
import { auditKeyId, type AuditHead, type AuditKey, type AuditLog } from './audit-log';
import { PENDING_AUDIT_NOTES } from '../store/url-credentials-migration';

/**
 * One secret holds the key and the sealed head together: removing the head from the secrets file removes the key
 * with it, and rows keyed with a key the store no longer holds fail verification.
 */
export const AUDIT_KEY_SECRET = 'audit.hmacKey';

const storedHead = z.object({ seq: z.number().int().min(1), hash: z.string().regex(/^[0-9a-f]{64}$/), at: z.number().int() });
const storedKey = z.object({ key: z.string().min(40), since: z.number().int().min(1), head: storedHead.optional() });

export function parseAuditKey(value: string | null): AuditKey | null {
  if (!value) return null;
  const parsed = storedKey.safeParse(JSON.parse(value));
  if (!parsed.success) return null;
  const key = Buffer.from(parsed.data.key, 'base64');
  return { id: auditKeyId(key), key, since: parsed.data.since };
}

/** The log's key, created on first use: rows from the next one on carry MACs. */
export function ensureAuditKey(secrets: SecretStore, db: Db): AuditKey {
  const existing = parseAuditKey(secrets.get(AUDIT_KEY_SECRET));
  if (existing) return existing;
  const last = db.prepare('SELECT MAX(seq) AS seq FROM audit_log').get() as { seq: number | null };
  const key = randomBytes(32);
  const since = (last.seq ?? 0) + 1;
  secrets.set(AUDIT_KEY_SECRET, JSON.stringify({ key: key.toString('base64'), since }));
  return { id: auditKeyId(key), key, since };
}

export function parseSealedHead(value: string | null): AuditHead | null {
  if (!value) return null;
  const parsed = storedKey.safeParse(JSON.parse(value));
  const head = parsed.success ? parsed.data.head : undefined;
  if (!head) return null;
  return { seq: head.seq, hash: head.hash, source: `head sealed in the secret store at ${new Date(head.at).toISOString()}` };
}

/**
 * Copies the log's head into the secret store every few seconds (only committed rows are ever seen), and on close.
 * Verification then catches a tail cut off the database after it was sealed.
 */
export class AuditSeal {
  private timer: NodeJS.Timeout | null = null;
  private lastSealed: string | null = null;

  constructor(
    private readonly audit: AuditLog,
    private readonly secrets: SecretStore,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Records the current head, if it extends the sealed one. A log that no longer holds the sealed head (rows cut off
   * or rewritten) is never sealed over: the evidence stays for verify to report.
   */
  sealNow(): void {
    const head = this.audit.head();
    if (!head || head.hash === this.lastSealed) return;
    const value = this.secrets.get(AUDIT_KEY_SECRET);
    if (!value) return;
    const stored = storedKey.parse(JSON.parse(value));
    if (stored.head && this.audit.hashAt(stored.head.seq) !== stored.head.hash) return;
    this.secrets.set(AUDIT_KEY_SECRET, JSON.stringify({ ...stored, head: { seq: head.seq, hash: head.hash, at: this.now() } }));
    this.lastSealed = head.hash;
  }

  sealed(): AuditHead | null {
    return parseSealedHead(this.secrets.get(AUDIT_KEY_SECRET));
  }

  start(intervalMs = 10_000): void {
    this.stop();
    this.timer = setInterval(() => {
      try {
        this.sealNow();
      } catch {
        // a locked keychain must not take the app down; the next tick tries again
      }
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** Appends the notes migrations left for the audit log (they run before the key is at hand), then forgets them. */
export function flushPendingAuditNotes(db: Db, settings: SettingsRepository, audit: AuditLog, actor: string): number {
  const notes = settings.get(PENDING_AUDIT_NOTES, z.array(z.object({ action: z.string(), details: z.record(z.string(), z.unknown()) })).default([]));
  if (notes.length === 0) return 0;
  db.transaction(() => {
    for (const n of notes) audit.append({ actor, action: n.action, subject: null, details: n.details });
    db.prepare('DELETE FROM settings WHERE key = ?').run(PENDING_AUDIT_NOTES);
  })();
  return notes.length;
}
