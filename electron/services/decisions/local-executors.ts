import type { BankRepository } from '../banks/bank-repository';
import type { ExecutorRegistry } from './action-types';

/** "Disabled" locally means disabled until the far future, mirroring HMA's disable_until_ts. */
export const DISABLED_FOREVER = 8_640_000_000_000_000;

/** Executors for actions on the local banks. Each is idempotent: re-running after a crash changes nothing twice. */
export function localExecutors(banks: BankRepository): ExecutorRegistry {
  return {
    'local.add_to_bank': async (params) => {
      const bank = banks.ensure({ name: params.bankName, kind: params.negative ? 'negative' : 'positive' });
      if (bank.kind !== (params.negative ? 'negative' : 'positive')) {
        return { status: 'permanent_failure', error: `Bank ${params.bankName} is a ${bank.kind} bank` };
      }
      const result = banks.addContent(bank.id, params.signals, { label: params.label, note: params.note, metadata: params.metadata });
      return { status: 'ok', detail: { bankId: bank.id, contentId: result.contentId, added: result.added, alreadyThere: result.duplicates } };
    },
    'local.add_media_to_bank': async (params, ctx) => {
      const bank = banks.ensure({ name: params.bankName });
      if (bank.kind !== 'positive') return { status: 'permanent_failure', error: `Bank ${params.bankName} is an allow-list (negative) bank` };
      const result = banks.addTaggedContent(
        bank.id,
        ctx.idempotencyKey,
        params.parts.map((p) => ({ part: p.part, label: p.label, note: params.note, metadata: { ...params.metadata, ...(p.origin ? { origin: p.origin } : {}) }, signals: p.signals })),
      );
      return { status: 'ok', detail: { bankId: bank.id, contentIds: result.contentIds, added: result.added, alreadyThere: result.duplicates } };
    },
    'local.remove_media_from_bank': async (params) => {
      const bank = banks.find(params.bankName);
      if (!bank) return { status: 'ok', detail: { removed: 0, note: 'bank no longer exists' } };
      return { status: 'ok', detail: { removed: banks.removeTaggedContent(bank.id, params.tag) } };
    },
    'local.remove_signals': async (params) => {
      const bank = banks.find(params.bankName);
      if (!bank) return { status: 'ok', detail: { removed: 0, note: 'bank no longer exists' } };
      return { status: 'ok', detail: { removed: banks.removeSignals(bank.id, params.signals) } };
    },
    'local.disable_content': async (params) => {
      const found = banks.setContentDisabledUntil(params.contentId, DISABLED_FOREVER, params.note);
      return found ? { status: 'ok' } : { status: 'permanent_failure', error: `Local bank content ${params.contentId} no longer exists` };
    },
    'local.enable_content': async (params) => {
      const found = banks.setContentDisabledUntil(params.contentId, null, params.note);
      return found ? { status: 'ok' } : { status: 'permanent_failure', error: `Local bank content ${params.contentId} no longer exists` };
    },
  };
}
