import { csvCell, uncsvCell } from '../export/csv-cell';
import type { Db } from '../store/database';
import type { Statement } from 'better-sqlite3';
import { ContractError } from '../../../shared/result';
import { readCsv } from './csv';
import { normaliseSignal, signalKey, type LocalSignalType } from './bank-signals';
import { checkImportBytes, describeCheck } from './import-check';

/** A bank's settings: what lookups by name need. */
export interface BankInfo {
  id: number;
  name: string;
  kind: 'positive' | 'negative';
  severity: number;
  pdqThreshold: number;
  enabled: boolean;
}

/** A bank with how much it holds: what views show (counting a large bank's rows is not free). */
export interface BankRow extends BankInfo {
  contentCount: number;
  signalCount: number;
}

const BANK_COLUMNS = 'b.id, b.name, b.kind, b.severity, b.pdq_threshold AS pdqThreshold, b.enabled';
const COUNT_COLUMNS = `(SELECT COUNT(*) FROM bank_content c WHERE c.bank_id = b.id) AS contentCount,
                (SELECT COUNT(*) FROM bank_signals s WHERE s.bank_id = b.id) AS signalCount`;

export interface NewBank {
  name: string;
  kind?: 'positive' | 'negative';
  severity?: number;
  pdqThreshold?: number;
}

export interface CsvImportResult {
  bank: BankRow;
  added: number;
  duplicates: number;
  rejected: { line: number; message: string }[];
}

const MAX_REJECTIONS_REPORTED = 100;

/** Local banks in SQLite, modelled like HMA's: bank → content → signals. */
export class BankRepository {
  /** Bumped on every change so matchers know to rebuild their in-memory indexes. */
  version = 0;

  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /** A prepared statement, compiled once. */
  private stmt(sql: string): Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  /** Whether the bank holds this (normalised) signal. Signals are unique per bank, checked here before every insert. */
  hasSignal(bankId: number, type: LocalSignalType, signal: string): boolean {
    return this.stmt('SELECT 1 FROM bank_signals WHERE skey = ? AND bank_id = ? AND signal_type = ? AND signal = ?').get(signalKey(signal), bankId, type, signal) !== undefined;
  }

  /** Every bank with its counts (the Banks view). */
  list(): BankRow[] {
    const rows = this.stmt(`SELECT ${BANK_COLUMNS}, ${COUNT_COLUMNS} FROM banks b ORDER BY b.name`).all() as (Omit<BankRow, 'enabled'> & { enabled: number })[];
    return rows.map((r) => ({ ...r, enabled: r.enabled === 1 }));
  }

  /** A bank by name, without counts: one indexed row (outbox actions and imports look banks up per action). */
  find(name: string): BankInfo | null {
    const row = this.stmt(`SELECT ${BANK_COLUMNS} FROM banks b WHERE b.name = ?`).get(name) as (Omit<BankInfo, 'enabled'> & { enabled: number }) | undefined;
    return row ? { ...row, enabled: row.enabled === 1 } : null;
  }

  /** A bank by name with its counts (answers that show the bank); counts this bank only. */
  byName(name: string): BankRow | null {
    const row = this.stmt(`SELECT ${BANK_COLUMNS}, ${COUNT_COLUMNS} FROM banks b WHERE b.name = ?`).get(name) as (Omit<BankRow, 'enabled'> & { enabled: number }) | undefined;
    return row ? { ...row, enabled: row.enabled === 1 } : null;
  }

  create(bank: NewBank): BankRow {
    this.db
      .prepare('INSERT INTO banks (name, kind, severity, pdq_threshold, enabled, created_at) VALUES (?, ?, ?, ?, 1, ?)')
      .run(bank.name, bank.kind ?? 'positive', bank.severity ?? 50, bank.pdqThreshold ?? 31, this.now());
    this.version++;
    return this.byName(bank.name)!;
  }

  ensure(bank: NewBank): BankInfo {
    return this.find(bank.name) ?? this.create(bank);
  }

  /** Adds one piece of content with its signals; signals already in the bank are skipped. Returns null if all were duplicates. */
  addContent(
    bankId: number,
    signals: { type: LocalSignalType; signal: string }[],
    meta: { label?: string | null; note?: string | null; metadata?: Record<string, unknown> } = {},
  ): { contentId: number | null; added: number; duplicates: number } {
    const fresh: { type: LocalSignalType; signal: string }[] = [];
    for (const s of signals) {
      if (!this.hasSignal(bankId, s.type, s.signal) && !fresh.some((f) => f.type === s.type && f.signal === s.signal)) fresh.push(s);
    }
    if (fresh.length === 0) return { contentId: null, added: 0, duplicates: signals.length };
    const contentId = Number(
      this.stmt('INSERT INTO bank_content (bank_id, label, note, metadata_json, created_at) VALUES (?, ?, ?, ?, ?)').run(
        bankId,
        meta.label ?? null,
        meta.note ?? null,
        JSON.stringify(meta.metadata ?? {}),
        this.now(),
      ).lastInsertRowid,
    );
    const insert = this.stmt('INSERT INTO bank_signals (content_id, bank_id, signal_type, signal) VALUES (?, ?, ?, ?)');
    for (const s of fresh) insert.run(contentId, bankId, s.type, s.signal);
    this.version++;
    return { contentId, added: fresh.length, duplicates: signals.length - fresh.length };
  }

  /**
   * Imports `signal_type,signal,label` rows (a header row is recognised and skipped); one content per row. The text is
   * checked first: a binary paste, a wrong header or rows that are mostly not signals create nothing (ContractError
   * invalid_input naming the first bad lines, escaped).
   */
  importCsv(bankName: string, csv: string, defaults: Omit<NewBank, 'name'> = {}): CsvImportResult {
    const bytes = Buffer.from(csv, 'utf8');
    const check = checkImportBytes(bytes, bytes.length, 'csv');
    if (!check.ok) {
      const { message, issues } = describeCheck(check);
      throw new ContractError('invalid_input', message, issues);
    }
    const tally = newTally();
    this.db.transaction(() => {
      const bank = this.ensure({ name: bankName, ...defaults });
      this.importItems(bank.id, csvItems(csv), tally);
    })();
    return this.result(bankName, tally);
  }

  /** Adds import items (one content each) to a bank, counting into the tally. Call inside a transaction. */
  importItems(bankId: number, items: Iterable<ImportItem>, tally: ImportTally): void {
    for (const item of items) {
      const valid: { type: LocalSignalType; signal: string }[] = [];
      for (const s of item.signals) {
        const checked = normaliseSignal(s.type, s.signal);
        if ('error' in checked) {
          tally.rejectedCount++;
          if (tally.rejected.length < MAX_REJECTIONS_REPORTED) tally.rejected.push({ line: item.line, message: checked.error });
        } else valid.push({ type: s.type.trim().toLowerCase() as LocalSignalType, signal: checked.signal });
      }
      if (valid.length === 0) continue;
      const result = this.addContent(bankId, valid, { label: item.label, note: item.note, metadata: item.metadata });
      if (result.contentId !== null && item.disabledUntil) this.setContentDisabledUntil(result.contentId, item.disabledUntil);
      tally.added += result.added;
      tally.duplicates += result.duplicates;
    }
  }

  result(bankName: string, tally: ImportTally): CsvImportResult {
    const rejected = [...tally.rejected];
    if (tally.rejectedCount > rejected.length) rejected.push({ line: 0, message: `${tally.rejectedCount - rejected.length} more rows rejected` });
    return { bank: this.byName(bankName)!, added: tally.added, duplicates: tally.duplicates, rejected };
  }

  /** Removes these signals from a bank (content left without signals goes too). Returns how many went. */
  removeSignals(bankId: number, signals: { type: LocalSignalType; signal: string }[]): number {
    let removed = 0;
    this.db.transaction(() => {
      const find = this.stmt('SELECT id, content_id AS contentId FROM bank_signals WHERE skey = ? AND bank_id = ? AND signal_type = ? AND signal = ?');
      const del = this.stmt('DELETE FROM bank_signals WHERE id = ?');
      const orphan = this.stmt('DELETE FROM bank_content WHERE id = ? AND NOT EXISTS (SELECT 1 FROM bank_signals WHERE content_id = ?)');
      for (const s of signals) {
        for (const row of find.all(signalKey(s.signal), bankId, s.type, s.signal) as { id: number; contentId: number }[]) {
          removed += del.run(row.id).changes;
          orphan.run(row.contentId, row.contentId);
        }
      }
    })();
    if (removed > 0) this.version++;
    return removed;
  }

  /** Disables content until a time (HMA's disable_until_ts), or re-enables it with null. */
  setContentDisabledUntil(contentId: number, until: number | null, note?: string): boolean {
    const changed = this.db
      .prepare('UPDATE bank_content SET disabled_until = ?, note = COALESCE(?, note) WHERE id = ?')
      .run(until, note ?? null, contentId).changes;
    if (changed > 0) this.version++;
    return changed > 0;
  }

  /** Removes the bank's content whose metadata has this key and value (e.g. the mxc URI of unquarantined media). */
  /**
   * Adds one content entry per item, each tagged (metadata `actionTag`, `part`) so that running it again adds nothing
   * twice and removeTaggedContent takes away exactly these entries — never signals that were banked before.
   * Signals already in the bank (from another entry) are left where they are and counted as duplicates.
   */
  addTaggedContent(
    bankId: number,
    tag: string,
    items: { part: string | null; label: string | null; note: string | null; metadata: Record<string, unknown>; signals: { type: LocalSignalType; signal: string }[] }[],
  ): { contentIds: number[]; added: number; duplicates: number } {
    return this.db.transaction(() => {
      const existing = this.db.prepare(
        "SELECT id FROM bank_content WHERE bank_id = ? AND json_extract(metadata_json, '$.actionTag') = ? AND json_extract(metadata_json, '$.part') IS ?",
      );
      const out = { contentIds: [] as number[], added: 0, duplicates: 0 };
      for (const item of items) {
        const found = existing.get(bankId, tag, item.part) as { id: number } | undefined;
        if (found) {
          out.contentIds.push(found.id);
          continue;
        }
        const r = this.addContent(bankId, item.signals, { label: item.label, note: item.note, metadata: { ...item.metadata, actionTag: tag, part: item.part } });
        if (r.contentId !== null) out.contentIds.push(r.contentId);
        out.added += r.added;
        out.duplicates += r.duplicates;
      }
      return out;
    })();
  }

  /** Removes the entries addTaggedContent made under this tag (with their signals). */
  removeTaggedContent(bankId: number, tag: string): number {
    // The path is written out (not a parameter) so that the bank_content_action_tag index answers.
    const removed = this.stmt("DELETE FROM bank_content WHERE bank_id = ? AND json_extract(metadata_json, '$.actionTag') = ?").run(bankId, tag).changes;
    if (removed > 0) this.version++;
    return removed;
  }

  removeContentByMetadata(bankId: number, key: string, value: string): number {
    const removed = this.db
      .prepare('DELETE FROM bank_content WHERE bank_id = ? AND json_extract(metadata_json, ?) = ?')
      .run(bankId, `$.${key}`, value).changes;
    if (removed > 0) this.version++;
    return removed;
  }

  /** The bank as JSON: its settings and every content item with its signals (the format importJson reads). */
  exportJson(bankName: string): BankExport | null {
    const bank = this.find(bankName);
    if (!bank) return null;
    const contents = this.db
      .prepare('SELECT id, label, note, metadata_json, disabled_until FROM bank_content WHERE bank_id = ? ORDER BY id')
      .all(bank.id) as { id: number; label: string | null; note: string | null; metadata_json: string; disabled_until: number | null }[];
    const signals = this.db.prepare('SELECT content_id, signal_type, signal FROM bank_signals WHERE bank_id = ? ORDER BY id').all(bank.id) as {
      content_id: number;
      signal_type: LocalSignalType;
      signal: string;
    }[];
    const byContent = new Map<number, { type: LocalSignalType; signal: string }[]>();
    for (const s of signals) byContent.set(s.content_id, [...(byContent.get(s.content_id) ?? []), { type: s.signal_type, signal: s.signal }]);
    return {
      format: 'matchdesk-bank/1',
      bank: { name: bank.name, kind: bank.kind, severity: bank.severity, pdqThreshold: bank.pdqThreshold },
      content: contents.map((c) => ({
        label: c.label,
        note: c.note,
        metadata: JSON.parse(c.metadata_json) as Record<string, unknown>,
        disabledUntil: c.disabled_until,
        signals: byContent.get(c.id) ?? [],
      })),
    };
  }

  /** Signals as CSV rows of signal_type,signal,label (what importCsv reads). */
  exportCsv(bankName: string): string | null {
    const data = this.exportJson(bankName);
    if (!data) return null;
    const lines = ['signal_type,signal,label'];
    for (const c of data.content) for (const s of c.signals) lines.push([s.type, s.signal, c.label ?? ''].map(csvCell).join(','));
    return `${lines.join('\n')}\n`;
  }

  /** Imports a matchdesk-bank/1 JSON export into the named bank (created with the export's settings if new). */
  importJson(bankName: string, data: BankExport): CsvImportResult {
    const tally = newTally();
    this.db.transaction(() => {
      const bank = this.ensure({ name: bankName, kind: data.bank.kind, severity: data.bank.severity, pdqThreshold: data.bank.pdqThreshold });
      this.importItems(bank.id, jsonItems(data), tally);
    })();
    return this.result(bankName, tally);
  }

  update(bankName: string, patch: { kind?: 'positive' | 'negative'; severity?: number; pdqThreshold?: number; enabled?: boolean }): BankRow | null {
    const bank = this.find(bankName);
    if (!bank) return null;
    this.db
      .prepare('UPDATE banks SET kind = ?, severity = ?, pdq_threshold = ?, enabled = ? WHERE id = ?')
      .run(patch.kind ?? bank.kind, patch.severity ?? bank.severity, patch.pdqThreshold ?? bank.pdqThreshold, (patch.enabled ?? bank.enabled) ? 1 : 0, bank.id);
    this.version++;
    return this.byName(bankName);
  }
}

export interface BankExport {
  format: 'matchdesk-bank/1';
  bank: { name: string; kind: 'positive' | 'negative'; severity: number; pdqThreshold: number };
  content: { label: string | null; note: string | null; metadata: Record<string, unknown>; disabledUntil: number | null; signals: { type: string; signal: string }[] }[];
}

/** One content item to import, from a CSV row or a JSON export entry. */
export interface ImportItem {
  line: number;
  signals: { type: string; signal: string }[];
  label: string | null;
  note?: string | null;
  metadata?: Record<string, unknown>;
  disabledUntil?: number | null;
}

export interface ImportTally {
  added: number;
  duplicates: number;
  rejectedCount: number;
  rejected: { line: number; message: string }[];
}

export function newTally(): ImportTally {
  return { added: 0, duplicates: 0, rejectedCount: 0, rejected: [] };
}

/** CSV rows of signal_type,signal,label as import items (a header row is recognised and skipped). */
export function* csvItems(csv: string): Generator<ImportItem> {
  for (const [line, fields] of readCsv(csv)) {
    const [type = '', signal = '', label = ''] = fields;
    if (line === 1 && type.trim().toLowerCase() === 'signal_type') continue;
    yield { line, signals: [{ type, signal }], label: uncsvCell(label.trim()) || null };
  }
}

export function* jsonItems(data: BankExport): Generator<ImportItem> {
  let line = 0;
  for (const c of data.content) yield { line: ++line, signals: c.signals, label: c.label, note: c.note, metadata: c.metadata, disabledUntil: c.disabledUntil };
}
