import { createHash } from 'node:crypto';
import type { Db } from '../store/database';
import { canonicalJson } from './canonical-json';

export const AUDIT_GENESIS_HASH = '0'.repeat(64);

export interface AuditRecord {
  actor: string;
  action: string;
  subject?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditRow {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subject: string | null;
  details_json: string;
  prev_hash: string;
  hash: string;
}

export function auditRowHash(row: Omit<AuditRow, 'hash'>): string {
  const body = canonicalJson({
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    details: row.details_json,
    prev: row.prev_hash,
  });
  return createHash('sha256').update(body).digest('hex');
}

/**
 * Append-only audit trail. Each row carries the SHA-256 of its content and the previous row's hash,
 * so editing, deleting or reordering any row breaks the chain from that point on.
 * Call append() inside the same transaction as the change it records.
 */
export class AuditLog {
  private readonly lastStmt;
  private readonly insertStmt;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    this.lastStmt = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
    this.insertStmt = db.prepare(
      'INSERT INTO audit_log (seq, at, actor, action, subject, details_json, prev_hash, hash) VALUES (@seq, @at, @actor, @action, @subject, @details_json, @prev_hash, @hash)',
    );
  }

  append(record: AuditRecord): AuditRow {
    const last = this.lastStmt.get() as { seq: number; hash: string } | undefined;
    const partial = {
      seq: (last?.seq ?? 0) + 1,
      at: this.now(),
      actor: record.actor,
      action: record.action,
      subject: record.subject ?? null,
      details_json: canonicalJson(record.details ?? {}),
      prev_hash: last?.hash ?? AUDIT_GENESIS_HASH,
    };
    const row: AuditRow = { ...partial, hash: auditRowHash(partial) };
    this.insertStmt.run(row);
    return row;
  }

  list(limit: number, beforeSeq?: number): AuditRow[] {
    if (beforeSeq) {
      return this.db.prepare('SELECT * FROM audit_log WHERE seq < ? ORDER BY seq DESC LIMIT ?').all(beforeSeq, limit) as AuditRow[];
    }
    return this.db.prepare('SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?').all(limit) as AuditRow[];
  }

  forSubject(subject: string): AuditRow[] {
    return this.db.prepare('SELECT * FROM audit_log WHERE subject = ? ORDER BY seq').all(subject) as AuditRow[];
  }

  verify(): { ok: boolean; rows: number; firstBadSeq: number | null; problem: string | null } {
    let prev = AUDIT_GENESIS_HASH;
    let expectedSeq = 1;
    let rows = 0;
    for (const row of this.db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as Iterable<AuditRow>) {
      rows++;
      if (row.seq !== expectedSeq) return { ok: false, rows, firstBadSeq: row.seq, problem: `row ${expectedSeq} is missing` };
      if (row.prev_hash !== prev) return { ok: false, rows, firstBadSeq: row.seq, problem: 'chain broken: prev_hash does not match the previous row' };
      const { hash, ...rest } = row;
      if (auditRowHash(rest) !== hash) return { ok: false, rows, firstBadSeq: row.seq, problem: 'row content does not match its hash' };
      prev = hash;
      expectedSeq++;
    }
    return { ok: true, rows, firstBadSeq: null, problem: null };
  }
}
