import type { Db } from '../store/database';
import { readCsv } from './csv';
import { normaliseSignal, type LocalSignalType } from './bank-signals';

export interface BankRow {
  id: number;
  name: string;
  kind: 'positive' | 'negative';
  severity: number;
  pdqThreshold: number;
  enabled: boolean;
  contentCount: number;
  signalCount: number;
}

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

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  list(): BankRow[] {
    const rows = this.db
      .prepare(
        `SELECT b.id, b.name, b.kind, b.severity, b.pdq_threshold AS pdqThreshold, b.enabled,
                (SELECT COUNT(*) FROM bank_content c WHERE c.bank_id = b.id) AS contentCount,
                (SELECT COUNT(*) FROM bank_signals s WHERE s.bank_id = b.id) AS signalCount
           FROM banks b ORDER BY b.name`,
      )
      .all() as (Omit<BankRow, 'enabled'> & { enabled: number })[];
    return rows.map((r) => ({ ...r, enabled: r.enabled === 1 }));
  }

  byName(name: string): BankRow | null {
    return this.list().find((b) => b.name === name) ?? null;
  }

  create(bank: NewBank): BankRow {
    this.db
      .prepare('INSERT INTO banks (name, kind, severity, pdq_threshold, enabled, created_at) VALUES (?, ?, ?, ?, 1, ?)')
      .run(bank.name, bank.kind ?? 'positive', bank.severity ?? 50, bank.pdqThreshold ?? 31, this.now());
    this.version++;
    return this.byName(bank.name)!;
  }

  ensure(bank: NewBank): BankRow {
    return this.byName(bank.name) ?? this.create(bank);
  }

  /** Adds one piece of content with its signals; signals already in the bank are skipped. Returns null if all were duplicates. */
  addContent(
    bankId: number,
    signals: { type: LocalSignalType; signal: string }[],
    meta: { label?: string | null; note?: string | null; metadata?: Record<string, unknown> } = {},
  ): { contentId: number | null; added: number; duplicates: number } {
    const exists = this.db.prepare('SELECT 1 FROM bank_signals WHERE bank_id = ? AND signal_type = ? AND signal = ?');
    const fresh = signals.filter((s) => !exists.get(bankId, s.type, s.signal));
    if (fresh.length === 0) return { contentId: null, added: 0, duplicates: signals.length };
    const contentId = Number(
      this.db
        .prepare('INSERT INTO bank_content (bank_id, label, note, metadata_json, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(bankId, meta.label ?? null, meta.note ?? null, JSON.stringify(meta.metadata ?? {}), this.now()).lastInsertRowid,
    );
    const insert = this.db.prepare('INSERT INTO bank_signals (content_id, bank_id, signal_type, signal) VALUES (?, ?, ?, ?)');
    for (const s of fresh) insert.run(contentId, bankId, s.type, s.signal);
    this.version++;
    return { contentId, added: fresh.length, duplicates: signals.length - fresh.length };
  }

  /** Imports `signal_type,signal,label` rows (a header row is recognised and skipped); one content per row. */
  importCsv(bankName: string, csv: string, defaults: Omit<NewBank, 'name'> = {}): CsvImportResult {
    const rejected: CsvImportResult['rejected'] = [];
    let added = 0;
    let duplicates = 0;
    let rejectedCount = 0;
    const run = this.db.transaction(() => {
      const bank = this.ensure({ name: bankName, ...defaults });
      for (const [line, fields] of readCsv(csv)) {
        const [type = '', signal = '', label = ''] = fields;
        if (line === 1 && type.trim().toLowerCase() === 'signal_type') continue;
        const checked = normaliseSignal(type, signal);
        if ('error' in checked) {
          rejectedCount++;
          if (rejected.length < MAX_REJECTIONS_REPORTED) rejected.push({ line, message: checked.error });
          continue;
        }
        const result = this.addContent(bank.id, [{ type: type.trim().toLowerCase() as LocalSignalType, signal: checked.signal }], {
          label: label.trim() || null,
        });
        added += result.added;
        duplicates += result.duplicates;
      }
      return bank.id;
    });
    run();
    if (rejectedCount > rejected.length) {
      rejected.push({ line: 0, message: `${rejectedCount - rejected.length} more rows rejected` });
    }
    return { bank: this.byName(bankName)!, added, duplicates, rejected };
  }

  /** Removes these signals from a bank (content left without signals goes too). Returns how many went. */
  removeSignals(bankId: number, signals: { type: LocalSignalType; signal: string }[]): number {
    let removed = 0;
    this.db.transaction(() => {
      const del = this.db.prepare('DELETE FROM bank_signals WHERE bank_id = ? AND signal_type = ? AND signal = ?');
      for (const s of signals) removed += del.run(bankId, s.type, s.signal).changes;
      this.db.prepare('DELETE FROM bank_content WHERE bank_id = ? AND id NOT IN (SELECT content_id FROM bank_signals)').run(bankId);
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
  removeContentByMetadata(bankId: number, key: string, value: string): number {
    const removed = this.db
      .prepare('DELETE FROM bank_content WHERE bank_id = ? AND json_extract(metadata_json, ?) = ?')
      .run(bankId, `$.${key}`, value).changes;
    if (removed > 0) this.version++;
    return removed;
  }
}
