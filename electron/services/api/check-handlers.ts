import type { ContractHandlers } from '../../../shared/contract';
import { ContractError } from '../../../shared/result';
import type { Services } from '../app-services';
import { BotKeyStore } from '../checks/bot-keys';
import { CHECK_RULES_SETTING, checkRulesSchema } from '../checks/check-rules';

type CheckCallName = 'botKeys.list' | 'botKeys.create' | 'botKeys.revoke' | 'checks.getRules' | 'checks.setRules';

/** Bot keys and check rules: a lead manages them; the team server's check API (electron/server/check-api) uses them. */
export function checkHandlers(services: Services): Pick<ContractHandlers, CheckCallName> {
  const keys = new BotKeyStore(services.db, services.now);
  return {
    'botKeys.list': () => keys.list(),
    'botKeys.create': ({ name, ratePerMinute }, ctx) => {
      const created = keys.create({ name, createdBy: ctx.actor, ...(ratePerMinute ? { ratePerMinute } : {}) });
      services.audit.append({ actor: ctx.actor, action: 'botKey.create', subject: `botKey:${created.botKey.id}`, details: { name, ratePerMinute: created.botKey.ratePerMinute } });
      return created;
    },
    'botKeys.revoke': ({ id }, ctx) => {
      const before = keys.get(id);
      if (!before) throw new ContractError('not_found', `No bot key ${id}`);
      const after = keys.revoke(id, ctx.actor)!;
      if (before.revokedAt === null) services.audit.append({ actor: ctx.actor, action: 'botKey.revoke', subject: `botKey:${id}`, details: { name: before.name } });
      return after;
    },
    'checks.getRules': () => services.settings.get(CHECK_RULES_SETTING, checkRulesSchema),
    'checks.setRules': (rules, ctx) => {
      services.settings.set(CHECK_RULES_SETTING, rules);
      services.audit.append({ actor: ctx.actor, action: 'settings.checkRules', subject: null, details: rules });
      return services.settings.get(CHECK_RULES_SETTING, checkRulesSchema);
    },
  };
}
