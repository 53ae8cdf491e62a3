import type { ContractHandlers } from '../../../shared/contract';
import type { Services } from '../app-services';
import { BankAdmin } from '../banks/bank-admin';

type BankAdminCallName = 'banks.rename' | 'banks.delete' | 'banks.content';

/** Renaming and deleting local banks (both audited), and browsing what a bank holds. */
export function bankAdminHandlers(services: Services): Pick<ContractHandlers, BankAdminCallName> {
  const admin = new BankAdmin(services.db, services.banks, services.settings);
  return {
    'banks.rename': ({ bankName, newName }, ctx) => {
      const result = admin.rename(bankName, newName);
      services.audit.append({ actor: ctx.actor, action: 'bank.rename', subject: `bank:${newName}`, details: { from: bankName, to: newName, matches: result.matches } });
      return result;
    },
    'banks.delete': ({ bankName }, ctx) => {
      const result = admin.delete(bankName);
      services.audit.append({ actor: ctx.actor, action: 'bank.delete', subject: `bank:${bankName}`, details: result });
      return { bankName, ...result };
    },
    'banks.content': ({ bankName, search, limit, offset }) => admin.content(bankName, { ...(search ? { search } : {}), limit, offset }),
  };
}
