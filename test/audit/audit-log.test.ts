import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatabase } from '../../electron/services/store/database';
import { AuditLog } from '../../electron/services/audit/audit-log';
import { tempDir } from '../helpers/temp-dir';

function seeded(file: string) {
  const db = openDatabase(file);
  let t = 1_700_000_000_000;
  const log = new AuditLog(db, () => t++);
  for (let i = 0; i < 5; i++) log.append({ actor: 'alice', action: 'decision.confirm', subject: `queue:${i}`, details: { i, note: 'x' } });
  return { db, log };
}

describe('audit log', () => {
  const temp = tempDir();

  it('chains rows by SHA-256 and verifies an untouched log', () => {
    const { db, log } = seeded(join(temp.dir, 'ok.sqlite'));
    const rows = log.list(10).reverse();
    expect(rows).toHaveLength(5);
    expect(rows[0]!.prev_hash).toBe('0'.repeat(64));
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
    expect(log.verify()).toEqual({ ok: true, rows: 5, firstBadSeq: null, problem: null, keyed: false, headsChecked: 0 });
    db.close();
  });

  it('refuses UPDATE and DELETE through SQL (append-only triggers)', () => {
    const { db } = seeded(join(temp.dir, 'ro.sqlite'));
    expect(() => db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log WHERE seq = 2').run()).toThrow(/append-only/);
    db.close();
  });

  it('detects a row edited in the database file behind its back', () => {
    const file = join(temp.dir, 'tamper.sqlite');
    seeded(file).db.close();
    const raw = openDatabase(file);
    raw.exec('DROP TRIGGER audit_log_no_update');
    raw.prepare(`UPDATE audit_log SET details_json = '{"i":2,"note":"edited"}' WHERE seq = 3`).run();
    raw.close();
    const { log, db } = (() => {
      const d = openDatabase(file);
      return { db: d, log: new AuditLog(d) };
    })();
    expect(log.verify()).toMatchObject({ ok: false, firstBadSeq: 3, problem: 'row content does not match its hash' });
    db.close();
  });

  it('detects a deleted row', () => {
    const file = join(temp.dir, 'deleted.sqlite');
    seeded(file).db.close();
    const raw = openDatabase(file);
    raw.exec('DROP TRIGGER audit_log_no_delete');
    raw.prepare('DELETE FROM audit_log WHERE seq = 2').run();
    const result = new AuditLog(raw).verify();
    expect(result.ok).toBe(false);
    expect(result.firstBadSeq).toBe(2);
    expect(result.problem).toMatch(/row 2 is missing/);
    raw.close();
  });
});
