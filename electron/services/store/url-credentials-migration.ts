/**
 * Migration 6: URLs in settings used to be stored as typed, so `https://user:password@host` kept its credentials in
 * plain SQLite (and in the audit rows that recorded the change). This removes the user:password@ part from the stored
 * homeserver, admin API and HMA URLs. Audit rows are append-only and cannot be changed: the migration leaves a note
 * (redacted URLs, and which audit rows hold credentials, so they can be rotated) that the app appends to the audit log
 * at start-up, when it holds the audit key (flushPendingAuditNotes).
 */
import type Database from 'better-sqlite3';
import { redactUrl } from '../../../shared/url-policy';

export const PENDING_AUDIT_NOTES = 'security.pendingAuditNotes';

const URL_FIELDS: Record<string, string[]> = {
  matrix: ['homeserverUrl', 'adminApiBaseUrl'],
  hma: ['baseUrl', 'hasherUrl', 'matcherUrl', 'curatorUrl'],
};

/** A URL with the user:password@ part removed, or null when it has none. */
function withoutCredentials(raw: string): string | null {
  try {
    const url = new URL(raw.trim());
    if (!url.username && !url.password) return null;
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return null;
  }
}

const CREDENTIALS_IN_URL = /[a-z][a-z0-9+.-]*:\/\/[^\s/"'@]+@/i;

export function removeUrlCredentialsFromSettings(db: Database.Database): void {
  const removed: { setting: string; was: string; now: string }[] = [];
  for (const [key, fields] of Object.entries(URL_FIELDS)) {
    const row = db.prepare('SELECT value_json FROM settings WHERE key = ?').get(key) as { value_json: string } | undefined;
    if (!row) continue;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(row.value_json) as Record<string, unknown>;
    } catch {
      continue;
    }
    let changed = false;
    for (const field of fields) {
      const v = value[field];
      if (typeof v !== 'string') continue;
      const clean = withoutCredentials(v);
      if (clean === null) continue;
      removed.push({ setting: `${key}.${field}`, was: redactUrl(v), now: clean });
      value[field] = clean;
      changed = true;
    }
    if (changed) db.prepare('UPDATE settings SET value_json = ? WHERE key = ?').run(JSON.stringify(value), key);
  }
  const auditRows = (db.prepare('SELECT seq, subject, details_json FROM audit_log ORDER BY seq').all() as { seq: number; subject: string | null; details_json: string }[])
    .filter((r) => CREDENTIALS_IN_URL.test(r.subject ?? '') || CREDENTIALS_IN_URL.test(r.details_json))
    .map((r) => r.seq);
  if (removed.length === 0 && auditRows.length === 0) return;
  const note = {
    action: 'security.urlCredentialsRemoved',
    details: {
      settings: removed,
      auditRowsWithCredentials: auditRows,
      advice:
        auditRows.length > 0
          ? 'Audit rows are append-only and still hold these credentials: rotate the passwords or keys they contain.'
          : 'Rotate the credentials that were stored in these URLs.',
    },
  };
  const existing = db.prepare('SELECT value_json FROM settings WHERE key = ?').get(PENDING_AUDIT_NOTES) as { value_json: string } | undefined;
  const notes = existing ? (JSON.parse(existing.value_json) as unknown[]) : [];
  notes.push(note);
  db.prepare('INSERT INTO settings (key, value_json) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json').run(PENDING_AUDIT_NOTES, JSON.stringify(notes));
}
