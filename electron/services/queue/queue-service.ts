import type { Db } from '../store/database';
import { ContractError } from '../../../shared/result';
import type { Claim, Decision, EventPart, HistoryEntry, Match, MatchEvidence, OutboxAction, QueueCounts, QueueItem, QueueStatus, Report, Verdict } from '../../../shared/contract';
import { listActions } from '../decisions/action-list';
import { mediaFromRow } from './media-repository';
import { basePriority, PRIORITY_FROM_MATCHES_SQL } from './priority';
import { buildFilter, type QueueListFilter } from './queue-filters';
import type { ChangeFeed } from '../events/change-feed';
import type { AuditLog } from '../audit/audit-log';

/** HMA matches PDQ at distance ≤ 31 (pdq_index.py get_match_threshold), not configurable per bank. */
const HMA_PDQ_THRESHOLD = 31;

export interface NewMatch {
  matcher: 'local' | 'hma';
  bankName: string;
  contentRef: string;
  signalType: string;
  signal: string | null;
  distance: number;
  label: string | null;
  severity: number;
  /** The dihedral transform of the media that matched (PDQ), when the matcher knows it. */
  variant?: string | null;
  /** Which part of the item matched (a Matrix event's 'media', 'thumbnail', 'new_media', 'new_thumbnail'). */
  part?: string | null;
  /** What a remote bank (HMA) said about the matched content when it matched; local banks are read at display time. */
  evidence?: { note: string | null; metadata: Record<string, unknown> } | null;
}

/** One user report of a Matrix event (Synapse's event report). */
export interface NewReport {
  /** Synapse's event report id: the same report delivered twice counts once. */
  id: number;
  eventId: string;
  roomId: string;
  reporter: string;
  reason?: string | null;
  score?: number | null;
  receivedTs: number;
}

/** Exact hash matches outrank near ones; stronger banks outrank weaker ones. (Without the source bonus or age.) */
export function queuePriority(matches: NewMatch[]): number {
  return basePriority(matches);
}

interface QueueRow {
  id: number;
  status: QueueStatus;
  priority: number;
  best_distance: number | null;
  created_at: number;
  updated_at: number;
  media_id: number;
  report_count: number;
  claim_reviewer?: string | null;
  claim_session?: string | null;
  claim_at?: number | null;
  claim_expires?: number | null;
}

interface MatchRow {
  id: number;
  media_id: number;
  matcher: 'local' | 'hma';
  bank_name: string;
  content_ref: string;
  signal_type: string;
  signal: string | null;
  distance: number;
  label: string | null;
  severity: number | null;
  variant: string | null;
  part: string | null;
}

interface MatrixContextFields {
  server?: unknown;
  mediaId?: unknown;
  roomId?: unknown;
  eventId?: unknown;
  sender?: unknown;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

const DECISION_COLUMNS = 'd.id, d.queue_item_id, d.verdict, d.reviewer, d.reason, d.note, d.decided_at, d.undone_at';
const HISTORY_LIMIT = 25;

export type QueueItemDetail = QueueItem & {
  decisions: Decision[];
  actions: OutboxAction[];
  history: HistoryEntry[];
  evidence: MatchEvidence[];
  reports: Report[];
  parts: EventPart[];
};

/**
 * What a new report takes back to the queue: an item judged harmless (false positive) or put aside (skipped). A
 * confirmed item was acted on already; an escalated one is waiting for its second look anyway (the report raises it).
 */
const REOPENED_BY_A_REPORT: readonly QueueStatus[] = ['false_positive', 'skipped'];

export interface QueueServiceOptions {
  /** Where reopenings are recorded, and in whose name (the services' own: a report is not a moderator's act). */
  audit?: AuditLog;
  actor?: () => string;
}

const ITEM_COLUMNS = 'q.id, q.status, q.priority, q.best_distance, q.created_at, q.updated_at, q.media_id, q.report_count';
const REPORTS_SHOWN = 200;

export class QueueService {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
    private readonly events?: ChangeFeed,
    private readonly options: QueueServiceOptions = {},
  ) {}

  /**
   * Records matches for a media item and makes sure it has a queue item (also with no match: a report). Re-ranks the
   * item from everything it has: its matches and its reports. Returns the queue item id.
   */
  enqueue(mediaId: number, matches: NewMatch[]): number {
    const at = this.now();
    const insertMatch = this.db.prepare(
      `INSERT INTO matches (media_id, matcher, bank_name, content_ref, signal_type, signal, distance, label, severity, variant, part, evidence_json, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (media_id, matcher, bank_name, content_ref, signal_type) DO UPDATE SET distance = MIN(distance, excluded.distance),
         severity = excluded.severity, variant = CASE WHEN excluded.distance < distance THEN excluded.variant ELSE variant END,
         part = CASE WHEN excluded.distance < distance OR part IS NULL THEN excluded.part
                     WHEN excluded.distance = distance AND excluded.part IS NOT NULL AND instr(',' || part || ',', ',' || excluded.part || ',') = 0
                     THEN part || ',' || excluded.part ELSE part END,
         evidence_json = COALESCE(excluded.evidence_json, evidence_json)`,
    );
    for (const m of matches) {
      const evidence = m.evidence ? JSON.stringify(m.evidence) : null;
      insertMatch.run(mediaId, m.matcher, m.bankName, m.contentRef, m.signalType, m.signal, m.distance, m.label, m.severity, m.variant ?? null, m.part ?? null, evidence, at);
    }
    const media = this.db.prepare('SELECT source, context_json FROM media_items WHERE id = ?').get(mediaId) as { source: string; context_json: string } | undefined;
    const source = media?.source ?? '';
    const matrix = ((media ? (JSON.parse(media.context_json) as { matrix?: MatrixContextFields }) : {}).matrix ?? {}) as MatrixContextFields;
    const server = str(matrix.server);
    const mxcMediaId = str(matrix.mediaId);
    const bestDistance = matches.length > 0 ? Math.min(...matches.map((m) => m.distance)) : null;
    this.db
      .prepare(
        `INSERT INTO queue_items (media_id, status, priority, best_distance, created_at, updated_at, source, room_id, sender, event_id, mxc, rank)
         VALUES (@mediaId, 'pending', 0, @bestDistance, @at, @at, @source, @roomId, @sender, @eventId, @mxc, 0)
         ON CONFLICT (media_id) DO UPDATE SET updated_at = excluded.updated_at,
           best_distance = CASE WHEN excluded.best_distance IS NULL THEN best_distance WHEN best_distance IS NULL THEN excluded.best_distance
                                ELSE MIN(best_distance, excluded.best_distance) END`,
      )
      .run({
        mediaId,
        bestDistance: bestDistance !== null && Number.isFinite(bestDistance) ? bestDistance : null,
        at,
        source,
        roomId: str(matrix.roomId),
        sender: str(matrix.sender),
        eventId: str(matrix.eventId),
        mxc: server && mxcMediaId ? `${server}/${mxcMediaId}` : null,
      });
    const id = this.rerank(mediaId);
    this.events?.publish({ type: 'queue', queueItemIds: [id] });
    return id;
  }

  /**
   * Adds a user's report of a Matrix event to the event's queue item, creating the item when there is none (whether
   * or not anything matched). Several reports count: each raises the item's priority. A report already recorded
   * (same Synapse report id) changes nothing. Returns the queue item id and whether the report was new.
   */
  recordReport(mediaId: number, report: NewReport): { queueItemId: number; added: boolean; reportCount: number; reopenedFrom: QueueStatus | null } {
    const result = this.db.transaction(() => {
      const existing = this.db.prepare('SELECT id FROM queue_items WHERE media_id = ?').get(mediaId) as { id: number } | undefined;
      const queueItemId = existing?.id ?? this.enqueue(mediaId, []);
      let reopenedFrom: QueueStatus | null = null;
      const added =
        this.db
          .prepare(
            `INSERT OR IGNORE INTO matrix_reports (report_id, queue_item_id, event_id, room_id, reporter, reason, score, received_ts, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(report.id, queueItemId, report.eventId, report.roomId, report.reporter, report.reason ?? null, report.score ?? null, report.receivedTs, this.now()).changes === 1;
      if (added) {
        this.db.prepare('UPDATE queue_items SET report_count = (SELECT COUNT(*) FROM matrix_reports WHERE queue_item_id = @id), updated_at = @at WHERE id = @id').run({ id: queueItemId, at: this.now() });
        const { status } = this.db.prepare('SELECT status FROM queue_items WHERE id = ?').get(queueItemId) as { status: QueueStatus };
        if (REOPENED_BY_A_REPORT.includes(status)) {
          this.reopen(queueItemId, status, report);
          reopenedFrom = status;
        }
        this.rerank(mediaId);
      }
      const { report_count: reportCount } = this.db.prepare('SELECT report_count FROM queue_items WHERE id = ?').get(queueItemId) as { report_count: number };
      return { queueItemId, added, reportCount, reopenedFrom };
    })();
    if (result.reopenedFrom) this.events?.publish({ type: 'reopen', queueItemId: result.queueItemId, status: 'pending', previousStatus: result.reopenedFrom });
    if (result.added) this.events?.publish({ type: 'queue', queueItemIds: [result.queueItemId] });
    return result;
  }

  /**
   * A fresh report on an item someone judged harmless or skipped: back to pending, for a moderator to look again. The
   * decision stands (an undo still reverses its actions); the reopening is a row of its own, which the statistics
   * replay, and an audit entry.
   */
  private reopen(queueItemId: number, from: QueueStatus, report: NewReport): void {
    const at = this.now();
    const decision = this.db.prepare('SELECT id, verdict, reviewer FROM decisions WHERE queue_item_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1').get(queueItemId) as
      | { id: number; verdict: Verdict; reviewer: string }
      | undefined;
    this.db
      .prepare('INSERT INTO queue_reopenings (queue_item_id, decision_id, previous_status, report_id, reopened_at) VALUES (?, ?, ?, ?, ?)')
      .run(queueItemId, decision?.id ?? null, from, report.id, at);
    this.db.prepare("UPDATE queue_items SET status = 'pending', updated_at = ? WHERE id = ?").run(at, queueItemId);
    this.options.audit?.append({
      actor: this.options.actor?.() ?? 'matchdesk',
      action: 'queue.reopen',
      subject: `queue:${queueItemId}`,
      details: { from, to: 'pending', decisionId: decision?.id ?? null, verdict: decision?.verdict ?? null, decidedBy: decision?.reviewer ?? null, reportId: report.id, reporter: report.reporter },
    });
  }

  /** Recomputes an item's priority (matches and reports) and its ageing rank. */
  private rerank(mediaId: number): number {
    this.db.prepare(`UPDATE queue_items SET priority = ${PRIORITY_FROM_MATCHES_SQL} WHERE media_id = ?`).run(mediaId);
    this.db.prepare('UPDATE queue_items SET rank = priority - created_at / 60000 WHERE media_id = ?').run(mediaId);
    return (this.db.prepare('SELECT id FROM queue_items WHERE media_id = ?').get(mediaId) as { id: number }).id;
  }

  counts(): QueueCounts {
    const counts: QueueCounts = { pending: 0, confirmed: 0, false_positive: 0, escalated: 0, skipped: 0 };
    for (const row of this.db.prepare('SELECT status, COUNT(*) AS n FROM queue_items GROUP BY status').all() as { status: QueueStatus; n: number }[]) {
      counts[row.status] = row.n;
    }
    return counts;
  }

  /** A page of the queue, and the number of items that match (unless withTotal is false: then -1). */
  list(filter: QueueListFilter & { limit: number; offset: number; withTotal?: boolean }): { items: QueueItem[]; total: number } {
    const now = this.now();
    const built = buildFilter(filter, now);
    const total = filter.withTotal === false ? -1 : (this.db.prepare(`SELECT COUNT(*) AS n FROM queue_items q ${built.where}`).get(built.params) as { n: number }).n;
    const rows = this.db
      .prepare(
        `SELECT ${ITEM_COLUMNS} FROM queue_items q ${built.where} ORDER BY ${built.orderBy} LIMIT @limit OFFSET @offset`,
      )
      .all({ ...built.params, limit: filter.limit, offset: filter.offset }) as QueueRow[];
    return { items: this.hydrateMany(rows, now), total };
  }

  get(id: number): QueueItemDetail {
    const row = this.db.prepare(`SELECT ${ITEM_COLUMNS} FROM queue_items q WHERE q.id = ?`).get(id) as QueueRow | undefined;
    if (!row) throw new ContractError('not_found', `Queue item ${id} does not exist`);
    const item = this.hydrateMany([row], this.now())[0]!;
    return {
      ...item,
      decisions: this.decisions(id),
      actions: listActions(this.db, { queueItemId: id, limit: 200 }),
      history: this.history(id),
      evidence: this.evidence(item.matches),
      reports: this.reports(id),
      parts: this.parts(item.media.id, item.media.context),
    };
  }

  /** The user reports of an item, newest first. */
  reports(queueItemId: number): Report[] {
    const rows = this.db
      .prepare(
        `SELECT report_id, reporter, reason, score, received_ts FROM matrix_reports WHERE queue_item_id = ?
          ORDER BY received_ts DESC, report_id DESC LIMIT ${REPORTS_SHOWN}`,
      )
      .all(queueItemId) as { report_id: number; reporter: string; reason: string | null; score: number | null; received_ts: number }[];
    return rows.map((r) => ({ id: r.report_id, reporter: r.reporter, reason: r.reason, score: r.score, receivedTs: r.received_ts }));
  }

  /**
   * Every mxc:// of a Matrix event (attachment, thumbnail, an edit's new ones): what became of each (hashed, not
   * fetched and why, end-to-end encrypted) and, when hashed, its own media record for a preview.
   */
  private parts(mediaId: number, context: Record<string, unknown>): EventPart[] {
    const listed = ((context.matrix as { parts?: unknown } | undefined)?.parts ?? []) as {
      part?: unknown;
      mxcUri?: unknown;
      encrypted?: unknown;
      state?: unknown;
      error?: unknown;
      mediaItemId?: unknown;
      declaredMime?: unknown;
      width?: unknown;
      height?: unknown;
    }[];
    if (!Array.isArray(listed) || listed.length === 0) return [];
    const ids = listed.map((p) => (typeof p.mediaItemId === 'number' ? p.mediaItemId : null)).filter((v): v is number => v !== null);
    const rows = ids.length
      ? (this.db.prepare(`SELECT * FROM media_items WHERE id IN (${ids.map(() => '?').join(',')}) AND (id = ? OR part_of = ?)`).all(...ids, mediaId, mediaId) as (Parameters<typeof mediaFromRow>[0] & { id: number })[])
      : [];
    const byId = new Map(rows.map((r) => [r.id, mediaFromRow(r)]));
    const state = (v: unknown): EventPart['state'] => (v === 'hashed' || v === 'encrypted' || v === 'skipped' ? v : 'failed');
    return listed.map((p) => ({
      part: typeof p.part === 'string' ? p.part : 'media',
      mxc: typeof p.mxcUri === 'string' ? p.mxcUri : '',
      state: state(p.state),
      error: typeof p.error === 'string' ? p.error : null,
      declaredMime: typeof p.declaredMime === 'string' ? p.declaredMime : null,
      declaredWidth: typeof p.width === 'number' ? Math.round(p.width) : null,
      declaredHeight: typeof p.height === 'number' ? Math.round(p.height) : null,
      media: typeof p.mediaItemId === 'number' ? (byId.get(p.mediaItemId) ?? null) : null,
    }));
  }

  /** Facets for the filter menus. */
  facets(): {
    banks: { name: string; severity: number | null }[];
    signalTypes: string[];
    sources: string[];
    rooms: { roomId: string; roomName: string | null; count: number }[];
    triggers: { reported: number; matched: number; reportedOnly: number };
  } {
    const banks = this.db
      .prepare(
        `SELECT n.name, b.severity FROM (SELECT DISTINCT bank_name AS name FROM matches UNION SELECT name FROM banks WHERE kind = 'positive') n
           LEFT JOIN banks b ON b.name = n.name ORDER BY n.name`,
      )
      .all() as { name: string; severity: number | null }[];
    const signalTypes = (this.db.prepare('SELECT DISTINCT signal_type AS t FROM matches ORDER BY t').all() as { t: string }[]).map((r) => r.t);
    const sources = (this.db.prepare("SELECT DISTINCT source AS s FROM queue_items WHERE source <> '' ORDER BY s").all() as { s: string }[]).map((r) => r.s);
    const rooms = this.db
      .prepare(
        `SELECT r.roomId, r.count, json_extract(m.context_json, '$.matrix.roomName') AS roomName
           FROM (SELECT room_id AS roomId, COUNT(*) AS count, MAX(media_id) AS lastMedia FROM queue_items
                  WHERE room_id IS NOT NULL GROUP BY room_id ORDER BY count DESC LIMIT 200) r
           JOIN media_items m ON m.id = r.lastMedia ORDER BY r.count DESC`,
      )
      .all() as { roomId: string; roomName: string | null; count: number }[];
    const triggers = this.db
      .prepare(
        `SELECT COALESCE(SUM(report_count > 0), 0) AS reported, COALESCE(SUM(best_distance IS NOT NULL), 0) AS matched,
                COALESCE(SUM(report_count > 0 AND best_distance IS NULL), 0) AS reportedOnly
           FROM queue_items WHERE status IN ('pending', 'escalated', 'skipped')`,
      )
      .get() as { reported: number; matched: number; reportedOnly: number };
    return { banks, signalTypes, sources, rooms: rooms.map((r) => ({ ...r, roomName: typeof r.roomName === 'string' ? r.roomName : null })), triggers };
  }

  /** Changes a local bank's severity and re-ranks the open items it matched. */
  setBankSeverity(bankName: string, severity: number): number {
    return this.db.transaction(() => {
      const bank = this.db.prepare('SELECT id FROM banks WHERE name = ?').get(bankName) as { id: number } | undefined;
      const matched = this.db.prepare('SELECT 1 FROM matches WHERE bank_name = ? LIMIT 1').get(bankName);
      if (!bank && !matched) throw new ContractError('not_found', `No bank named ${bankName}`);
      if (bank) this.db.prepare('UPDATE banks SET severity = ? WHERE id = ?').run(severity, bank.id);
      this.db.prepare('UPDATE matches SET severity = ? WHERE bank_name = ?').run(severity, bankName);
      const result = this.db
        .prepare(
          `UPDATE queue_items SET priority = ${PRIORITY_FROM_MATCHES_SQL}
            WHERE status IN ('pending', 'escalated', 'skipped') AND media_id IN (SELECT media_id FROM matches WHERE bank_name = ?)`,
        )
        .run(bankName);
      this.db
        .prepare(
          `UPDATE queue_items SET rank = priority - created_at / 60000
            WHERE status IN ('pending', 'escalated', 'skipped') AND media_id IN (SELECT media_id FROM matches WHERE bank_name = ?)`,
        )
        .run(bankName);
      return result.changes;
    })();
  }

  private decisions(queueItemId: number): Decision[] {
    const rows = this.db
      .prepare('SELECT id, queue_item_id, verdict, reviewer, reason, note, decided_at, undone_at, undone_by FROM decisions WHERE queue_item_id = ? ORDER BY id')
      .all(queueItemId) as DecisionRow[];
    return rows.map(decisionFromRow);
  }

  /** Earlier decisions on other items with the same SHA-256 or PDQ hash, or from the same Matrix sender. (A bot's hash-only check may have no SHA-256: '' matches nothing.) */
  history(queueItemId: number): HistoryEntry[] {
    const self = this.db
      .prepare('SELECT q.sender, m.sha256, m.pdq FROM queue_items q JOIN media_items m ON m.id = q.media_id WHERE q.id = ?')
      .get(queueItemId) as { sender: string | null; sha256: string; pdq: string | null } | undefined;
    if (!self) return [];
    type Row = DecisionRow & { file_name: string | null; sender: string | null };
    const sameHash = this.db
      .prepare(
        `SELECT ${DECISION_COLUMNS}, m.file_name, q.sender FROM decisions d
           JOIN queue_items q ON q.id = d.queue_item_id JOIN media_items m ON m.id = q.media_id
          WHERE d.queue_item_id <> @id AND q.media_id IN (SELECT COALESCE(part_of, id) FROM media_items WHERE (sha256 = @sha256 AND sha256 <> '') ${self.pdq ? 'OR pdq = @pdq' : ''})
          ORDER BY d.decided_at DESC, d.id DESC LIMIT ${HISTORY_LIMIT}`,
      )
      .all({ id: queueItemId, sha256: self.sha256, ...(self.pdq ? { pdq: self.pdq } : {}) }) as Row[];
    const sameSender = self.sender
      ? (this.db
          .prepare(
            `SELECT ${DECISION_COLUMNS}, m.file_name, q.sender FROM decisions d
               JOIN queue_items q ON q.id = d.queue_item_id JOIN media_items m ON m.id = q.media_id
              WHERE d.queue_item_id <> @id AND q.sender = @sender
              ORDER BY d.decided_at DESC, d.id DESC LIMIT ${HISTORY_LIMIT}`,
          )
          .all({ id: queueItemId, sender: self.sender }) as Row[])
      : [];
    const seen = new Set<number>();
    const out: HistoryEntry[] = [];
    for (const [relation, rows] of [['same_hash', sameHash], ['same_sender', sameSender]] as const) {
      for (const r of rows) {
        if (seen.has(r.id)) continue;
        seen.add(r.id);
        const { id: decisionId, undoneBy: _undoneBy, ...decision } = decisionFromRow(r);
        out.push({ ...decision, relation, decisionId, fileName: r.file_name, sender: r.sender });
      }
    }
    return out;
  }

  /** What the bank says about each matched content: its note and metadata, and the bank's severity. */
  private evidence(matches: Match[]): MatchEvidence[] {
    const content = this.db.prepare(
      `SELECT c.note, c.metadata_json, b.severity FROM bank_content c JOIN banks b ON b.id = c.bank_id WHERE c.id = ? AND b.name = ?`,
    );
    const bank = this.db.prepare('SELECT severity, pdq_threshold FROM banks WHERE name = ?');
    const remote = this.db.prepare('SELECT evidence_json FROM matches WHERE id = ?');
    const parse = (json: string | null | undefined): Record<string, unknown> | null => {
      try {
        const v = json ? (JSON.parse(json) as unknown) : null;
        return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
      } catch {
        return null;
      }
    };
    return matches.map((m) => {
      // The distance this bank matches at: the local bank's threshold, or HMA's fixed 31.
      const pdqThreshold = (bankThreshold: number | null) => (m.signalType !== 'pdq' ? null : m.matcher === 'hma' ? HMA_PDQ_THRESHOLD : bankThreshold);
      if (m.matcher !== 'local') {
        // A remote bank's content as it was when it matched (HMA: note and user metadata, exchange provenance).
        const ev = parse((remote.get(m.id) as { evidence_json: string | null } | undefined)?.evidence_json);
        const meta = ev?.metadata;
        const metadata = meta && typeof meta === 'object' && !Array.isArray(meta) ? (meta as Record<string, unknown>) : {};
        return { matchId: m.id, bankSeverity: m.severity ?? null, pdqThreshold: pdqThreshold(null), contentNote: typeof ev?.note === 'string' ? ev.note : null, contentMetadata: metadata };
      }
      const row = /^\d+$/.test(m.contentRef) ? (content.get(Number(m.contentRef), m.bankName) as { note: string | null; metadata_json: string; severity: number } | undefined) : undefined;
      const metadata = parse(row?.metadata_json) ?? {};
      const bankRow = bank.get(m.bankName) as { severity: number; pdq_threshold: number } | undefined;
      const severity = row?.severity ?? bankRow?.severity ?? m.severity ?? null;
      return { matchId: m.id, bankSeverity: severity, pdqThreshold: pdqThreshold(bankRow?.pdq_threshold ?? null), contentNote: row?.note ?? null, contentMetadata: metadata };
    });
  }

  /** Media, matches and active claims for a page of rows in three queries (not three per row). */
  private hydrateMany(rows: QueueRow[], now: number): QueueItem[] {
    if (rows.length === 0) return [];
    const mediaIds = rows.map((r) => r.media_id);
    const placeholders = mediaIds.map(() => '?').join(',');
    const mediaRows = this.db.prepare(`SELECT * FROM media_items WHERE id IN (${placeholders})`).all(...mediaIds) as (Parameters<typeof mediaFromRow>[0] & { id: number })[];
    const mediaById = new Map(mediaRows.map((m) => [m.id, mediaFromRow(m)]));
    const matchRows = this.db
      .prepare(
        `SELECT id, media_id, matcher, bank_name, content_ref, signal_type, signal, distance, label, severity, variant, part
           FROM matches WHERE media_id IN (${placeholders}) ORDER BY distance, id`,
      )
      .all(...mediaIds) as MatchRow[];
    const matchesByMedia = new Map<number, Match[]>();
    for (const m of matchRows) {
      const list = matchesByMedia.get(m.media_id) ?? [];
      list.push({
        id: m.id,
        matcher: m.matcher,
        bankName: m.bank_name,
        contentRef: m.content_ref,
        signalType: m.signal_type,
        signal: m.signal,
        distance: m.distance,
        label: m.label,
        severity: m.severity,
        variant: m.variant,
        part: m.part,
      });
      matchesByMedia.set(m.media_id, list);
    }
    const ids = rows.map((r) => r.id);
    const claimRows = this.db
      .prepare(`SELECT queue_item_id, reviewer, session_id, claimed_at, expires_at FROM claims WHERE expires_at > ? AND queue_item_id IN (${ids.map(() => '?').join(',')})`)
      .all(now, ...ids) as { queue_item_id: number; reviewer: string; session_id: string; claimed_at: number; expires_at: number }[];
    const claims = new Map<number, Claim>(
      claimRows.map((c) => [c.queue_item_id, { queueItemId: c.queue_item_id, reviewer: c.reviewer, sessionId: c.session_id, claimedAt: c.claimed_at, expiresAt: c.expires_at }]),
    );
    const reopenRows = this.db
      .prepare(
        `SELECT r.queue_item_id, r.reopened_at, r.previous_status, d.reviewer FROM queue_reopenings r LEFT JOIN decisions d ON d.id = r.decision_id
          WHERE r.id IN (SELECT MAX(id) FROM queue_reopenings WHERE queue_item_id IN (${ids.map(() => '?').join(',')}) GROUP BY queue_item_id)`,
      )
      .all(...ids) as { queue_item_id: number; reopened_at: number; previous_status: QueueStatus; reviewer: string | null }[];
    const reopened = new Map(reopenRows.map((r) => [r.queue_item_id, { at: r.reopened_at, previousStatus: r.previous_status, decidedBy: r.reviewer }]));
    return rows.map((row) => ({
      id: row.id,
      status: row.status,
      priority: row.priority,
      bestDistance: row.best_distance,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      media: mediaById.get(row.media_id)!,
      matches: matchesByMedia.get(row.media_id) ?? [],
      reportCount: row.report_count,
      claim: claims.get(row.id) ?? null,
      reopened: reopened.get(row.id) ?? null,
    }));
  }
}

function decisionFromRow(r: DecisionRow): Decision {
  return {
    id: r.id,
    queueItemId: r.queue_item_id,
    verdict: r.verdict,
    reviewer: r.reviewer,
    reason: r.reason,
    note: r.note,
    decidedAt: r.decided_at,
    undoneAt: r.undone_at,
    undoneBy: r.undone_by ?? null,
  };
}

interface DecisionRow {
  id: number;
  queue_item_id: number;
  verdict: Verdict;
  reviewer: string;
  reason: string | null;
  note: string | null;
  decided_at: number;
  undone_at: number | null;
  undone_by?: string | null;
}
