import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
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
  /** `<key id>:<HMAC-SHA256(key, hash) hex>`; null for rows written before the log had a key. */
  mac?: string | null;
}

/**
 * The key of the audit chain, kept in the secret store (never in SQLite). Rows from `since` on carry a MAC made
 * with it: without the key, a rewritten row cannot be given a valid one.
 */
export interface AuditKey {
  /** First 8 hex digits of SHA-256(key): which key made a MAC. */
  id: string;
  key: Buffer;
  /** The first row written with this key; every row from here on must carry its MAC. */
  since: number;
}

/** A head recorded outside the database (the sealed head in the secret store, a notice in the management room). */
export interface AuditHead {
  seq: number;
  hash: string;
  /** Where it was recorded, for the message: e.g. "anchor of 2026-11-30T10:00:00Z", "sealed head". */
  source: string;
}

export interface AuditVerifyResult {
  ok: boolean;
  rows: number;
  firstBadSeq: number | null;
  problem: string | null;
  /** The MACs were checked (the key was available). */
  keyed: boolean;
  /** Recorded heads compared with the log. */
  headsChecked: number;
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

export function auditKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function auditMac(key: AuditKey, hash: string): string {
  return `${key.id}:${createHmac('sha256', key.key).update(hash).digest('hex')}`;
}

function macMatches(key: AuditKey, hash: string, mac: string): boolean {
  const expected = Buffer.from(auditMac(key, hash));
  const given = Buffer.from(mac);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Append-only audit trail. Each row carries the SHA-256 of its content and of the previous row's hash, so editing,
 * deleting or reordering a row breaks the chain from that point on; and, once the log has a key, an HMAC of that
 * hash, so the chain cannot be recomputed by someone without the key. A truncated tail is caught against heads
 * recorded elsewhere (the sealed head in the secret store, anchors posted to the management room).
 * Call append() inside the same transaction as the change it records.
 */
export class AuditLog {
  private readonly lastStmt;
  private readonly insertStmt;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
    private readonly key: AuditKey | null = null,
  ) {
    this.lastStmt = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
    this.insertStmt = key
      ? db.prepare(
          'INSERT INTO audit_log (seq, at, actor, action, subject, details_json, prev_hash, hash, mac) VALUES (@seq, @at, @actor, @action, @subject, @details_json, @prev_hash, @hash, @mac)',
        )
      : db.prepare(
          'INSERT INTO audit_log (seq, at, actor, action, subject, details_json, prev_hash, hash) VALUES (@seq, @at, @actor, @action, @subject, @details_json, @prev_hash, @hash)',
        );
  }

  get keyed(): boolean {
    return this.key !== null;
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
    const hash = auditRowHash(partial);
    const row: AuditRow = { ...partial, hash, mac: this.key && partial.seq >= this.key.since ? auditMac(this.key, hash) : null };
    this.insertStmt.run(this.key ? row : { ...partial, hash });
    return row;
  }

  /** The newest row's number and hash (what anchors and the sealed head record). */
  head(): { seq: number; hash: string } | null {
    return (this.lastStmt.get() as { seq: number; hash: string } | undefined) ?? null;
  }

  hashAt(seq: number): string | null {
    return (this.db.prepare('SELECT hash FROM audit_log WHERE seq = ?').get(seq) as { hash: string } | undefined)?.hash ?? null;
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

  /** Checks the whole log: the SHA-256 chain, the MACs (with a key: this log's, unless one is given) and the heads. */
  verify(opts: { key?: AuditKey | null; heads?: AuditHead[] } = {}): AuditVerifyResult {
    return verifyAuditRows(this.db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as Iterable<AuditRow>, {
      key: opts.key === undefined ? this.key : opts.key,
      heads: opts.heads ?? [],
    });
  }
}

/** The checks behind AuditLog.verify, over rows in seq order (also used by `matchdesk audit verify`). */
export function verifyAuditRows(rowsInOrder: Iterable<AuditRow>, opts: { key: AuditKey | null; heads: AuditHead[] }): AuditVerifyResult {
  const { key } = opts;
  const heads = [...opts.heads].sort((a, b) => a.seq - b.seq);
  const result = (firstBadSeq: number | null, problem: string | null): AuditVerifyResult => ({
    ok: problem === null,
    rows,
    firstBadSeq,
    problem,
    keyed: key !== null,
    headsChecked: heads.length,
  });
  let prev = AUDIT_GENESIS_HASH;
  let expectedSeq = 1;
  let rows = 0;
  let lastGoodHead = 0;
  let h = 0;
  for (const row of rowsInOrder) {
    rows++;
    if (row.seq !== expectedSeq) {
      const missing = row.seq - 1 === expectedSeq ? `row ${expectedSeq} is missing` : `rows ${expectedSeq}…${row.seq - 1} are missing`;
      return result(expectedSeq, `${missing} (deleted)`);
    }
    if (row.prev_hash !== prev) return result(row.seq, 'chain broken: prev_hash does not match the previous row');
    const { hash, mac: _mac, ...rest } = row;
    if (auditRowHash(rest) !== hash) return result(row.seq, 'row content does not match its hash');
    if (key && row.mac && !row.mac.startsWith(`${key.id}:`)) {
      return result(row.seq, `row carries a MAC made with another key (${row.mac.slice(0, 8)}): the audit key in the secret store was removed or replaced`);
    }
    if (key && row.seq >= key.since) {
      if (!row.mac) return result(row.seq, `row has no MAC, but every row from ${key.since} on must carry one: it was written without the key`);
      if (!macMatches(key, hash, row.mac)) return result(row.seq, 'row MAC does not match: the row was rewritten by someone without the audit key');
    }
    while (h < heads.length && heads[h]!.seq === row.seq) {
      const head = heads[h++]!;
      if (head.hash !== hash) {
        return result(
          lastGoodHead + 1,
          `the log no longer leads to the hash the ${head.source} recorded for row ${head.seq}: rows ${lastGoodHead + 1}…${head.seq} were rewritten`,
        );
      }
      lastGoodHead = head.seq;
    }
    while (h < heads.length && heads[h]!.seq < row.seq) h++; // (cannot happen with contiguous seqs; defensive)
    prev = hash;
    expectedSeq++;
  }
  const beyond = heads.filter((x) => x.seq >= expectedSeq);
  if (beyond.length > 0) {
    const last = beyond.at(-1)!;
    return result(expectedSeq, `truncated: the log ends at row ${expectedSeq - 1}, but the ${last.source} recorded row ${last.seq}: rows ${expectedSeq}…${last.seq} were removed`);
  }
  return result(null, null);
}
