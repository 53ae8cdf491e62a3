import type { Db } from '../store/database';
import type { BankRepository, BankRow } from './bank-repository';
import type { SettingsRepository } from '../settings/settings-repository';
import { actionPlanSchema } from '../decisions/action-plans';
import { ContractError } from '../../../shared/result';

/** Where a bank is named outside the bank tables: matches, feedback and suppressions keep the name, not the id. */
const TABLES_NAMING_LOCAL_BANKS = ['matches', 'fp_feedback', 'suppressions'] as const;
/** Outbox actions that name a local bank in their parameters. */
const LOCAL_BANK_ACTIONS = ['local.add_to_bank', 'local.remove_signals', 'local.add_media_to_bank', 'local.remove_media_from_bank'];
const ACTION_PLANS_KEY = 'actionPlans';

export interface BankContentItem {
  id: number;
  label: string | null;
  note: string | null;
  disabledUntil: number | null;
  createdAt: number;
  signals: { type: string; signal: string }[];
}

/** Renaming, deleting and browsing local banks. */
export class BankAdmin {
  constructor(
    private readonly db: Db,
    private readonly banks: BankRepository,
    private readonly settings: SettingsRepository,
  ) {}

  /** Which decision setting sends media to this bank, if one does. */
  private usedByPlans(name: string): 'confirm' | 'falsePositive' | null {
    const p = this.settings.get(ACTION_PLANS_KEY, actionPlanSchema);
    if (p.confirm.addToLocalBank === name) return 'confirm';
    if (p.falsePositive.addToNegativeBank === name) return 'falsePositive';
    return null;
  }

  /**
   * Renames a bank everywhere its name is kept: queue matches (so filters and evidence still find it), feedback,
   * suppressions, the decision settings, and actions not yet carried out.
   */
  rename(name: string, newName: string): { bank: BankRow; matches: number } {
    return this.db.transaction(() => {
      const bank = this.banks.find(name);
      if (!bank) throw new ContractError('not_found', `No bank named ${name}`);
      if (newName === name) return { bank: this.banks.byName(name)!, matches: 0 };
      if (this.banks.find(newName)) throw new ContractError('conflict', `A bank named ${newName} already exists`);
      this.db.prepare('UPDATE banks SET name = ? WHERE id = ?').run(newName, bank.id);
      let matches = 0;
      for (const table of TABLES_NAMING_LOCAL_BANKS) {
        const changed = this.db.prepare(`UPDATE ${table} SET bank_name = ? WHERE matcher = 'local' AND bank_name = ?`).run(newName, name).changes;
        if (table === 'matches') matches = changed;
      }
      const actions = this.db
        .prepare(`SELECT id, params_json FROM actions WHERE kind IN (${LOCAL_BANK_ACTIONS.map(() => '?').join(',')}) AND state IN ('pending', 'failed')`)
        .all(...LOCAL_BANK_ACTIONS) as { id: number; params_json: string }[];
      const setParams = this.db.prepare('UPDATE actions SET params_json = ? WHERE id = ?');
      for (const a of actions) {
        const params = JSON.parse(a.params_json) as { bankName?: string };
        if (params.bankName === name) setParams.run(JSON.stringify({ ...params, bankName: newName }), a.id);
      }
      const plans = this.settings.get(ACTION_PLANS_KEY, actionPlanSchema);
      const planUses = this.usedByPlans(name);
      if (planUses === 'confirm') this.settings.set(ACTION_PLANS_KEY, { ...plans, confirm: { ...plans.confirm, addToLocalBank: newName } });
      if (planUses === 'falsePositive') this.settings.set(ACTION_PLANS_KEY, { ...plans, falsePositive: { ...plans.falsePositive, addToNegativeBank: newName } });
      this.banks.version++;
      return { bank: this.banks.byName(newName)!, matches };
    })();
  }

  /**
   * Deletes a bank with its content and signals. Queue items it matched stay, with their evidence. A bank the decision
   * settings send media to is refused: deleting it would only have the next decision create it again.
   */
  delete(name: string): { content: number; signals: number; openItems: number } {
    return this.db.transaction(() => {
      const bank = this.banks.byName(name);
      if (!bank) throw new ContractError('not_found', `No bank named ${name}`);
      const uses = this.usedByPlans(name);
      if (uses) {
        const what = uses === 'confirm' ? 'confirmed media are added to it' : 'false positives are added to it';
        throw new ContractError('conflict', `${name} is used by Settings → What a decision does (${what}): choose another bank there first`);
      }
      const openItems = (
        this.db
          .prepare(
            `SELECT COUNT(DISTINCT q.id) AS n FROM queue_items q JOIN matches m ON m.media_id = q.media_id
              WHERE m.matcher = 'local' AND m.bank_name = ? AND q.status IN ('pending', 'escalated', 'skipped')`,
          )
          .get(name) as { n: number }
      ).n;
      this.db.prepare('DELETE FROM banks WHERE id = ?').run(bank.id);
      this.banks.version++;
      return { content: bank.contentCount, signals: bank.signalCount, openItems };
    })();
  }

  /** A page of a bank's content, newest first; `search` matches a label or note (substring) or a hash (prefix). */
  content(name: string, options: { search?: string; limit: number; offset: number }): { total: number; items: BankContentItem[] } {
    const bank = this.banks.find(name);
    if (!bank) throw new ContractError('not_found', `No bank named ${name}`);
    const search = options.search?.trim() ?? '';
    const like = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const hex = /^[0-9a-f]{4,64}$/i.test(search) ? search.toLowerCase() : null;
    const where = search
      ? `c.bank_id = @bank AND (c.label LIKE @like ESCAPE '\\' OR c.note LIKE @like ESCAPE '\\'
           ${hex ? 'OR EXISTS (SELECT 1 FROM bank_signals s WHERE s.content_id = c.id AND s.signal >= @hex AND s.signal < @hexEnd)' : ''})`
      : 'c.bank_id = @bank';
    const params = { bank: bank.id, like, hex, hexEnd: hex ? `${hex}g` : null };
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM bank_content c WHERE ${where}`).get(params) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT c.id, c.label, c.note, c.disabled_until, c.created_at FROM bank_content c WHERE ${where} ORDER BY c.id DESC LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit: options.limit, offset: options.offset }) as { id: number; label: string | null; note: string | null; disabled_until: number | null; created_at: number }[];
    const signals = this.db.prepare('SELECT signal_type AS type, signal FROM bank_signals WHERE content_id = ? ORDER BY id');
    return {
      total,
      items: rows.map((r) => ({
        id: r.id,
        label: r.label,
        note: r.note,
        disabledUntil: r.disabled_until,
        createdAt: r.created_at,
        signals: signals.all(r.id) as { type: string; signal: string }[],
      })),
    };
  }
}
