// What someone holding the disk can do to the audit log: the attacks the keyed audit tests must catch.
import Database from 'better-sqlite3';
import { auditRowHash, AUDIT_GENESIS_HASH, type AuditRow } from '../../electron/services/audit/audit-log';

/** Drops the append-only triggers of the database file and changes it directly. */
export function tamperWith(dbFile: string, fn: (db: Database.Database) => void): void {
  const db = new Database(dbFile);
  db.exec('DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;');
  fn(db);
  db.close();
}

/** Recomputes every row's SHA-256 chain, as an attacker without the HMAC key would. */
export function rechain(db: Database.Database): void {
  let prev = AUDIT_GENESIS_HASH;
  for (const row of db.prepare('SELECT * FROM audit_log ORDER BY seq').all() as AuditRow[]) {
    const { hash: _h, mac: _m, ...rest } = row;
    const hash = auditRowHash({ ...rest, prev_hash: prev });
    db.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?').run(prev, hash, row.seq);
    prev = hash;
  }
}
