import type { CallName } from '../../../shared/contract';
import { roleAtLeast, type CallContext, type Role } from '../../../shared/call-context';
import type { ApiError } from '../../../shared/result';

/**
 * Who may make each call. `reviewer`: claim, reveal, decide and read what that needs. `lead`: also banks, action
 * plans, settings, credentials, other people's claims and sessions, per-reviewer statistics. `local`: only on this
 * machine's own data (a path on the caller's disk, the native folder dialog): never over the team server.
 *
 * A call missing here needs a lead (fail closed); test/api/authorisation.test.ts asks every call to be listed.
 */
export type Requirement = Role | 'local';

export const CALL_REQUIREMENTS: { readonly [N in CallName]?: Requirement } = {
  'app.info': 'reviewer',
  'demo.load': 'lead',
  'ingest.pickFolder': 'local',
  'ingest.importFolder': 'local',
  'ingest.uploadFiles': 'reviewer',
  'ingest.jobs': 'reviewer',
  'ingest.lookupStatus': 'reviewer',

  'queue.counts': 'reviewer',
  'queue.list': 'reviewer',
  'queue.get': 'reviewer',
  'queue.facets': 'reviewer',
  'queue.decide': 'reviewer',
  'queue.decideMany': 'reviewer',
  'queue.setBankSeverity': 'lead',
  'claims.acquire': 'reviewer',
  'claims.release': 'reviewer',
  'claims.list': 'reviewer',
  'claims.next': 'reviewer',
  'claims.releaseOthers': 'lead',
  'decisions.undo': 'reviewer',
  'decisions.undoLast': 'reviewer',
  'media.preview': 'reviewer',

  'stats.overview': 'reviewer',
  'stats.reviewers': 'lead',
  'wellbeing.get': 'reviewer',
  'wellbeing.setMine': 'reviewer',
  'wellbeing.setDefaults': 'lead',
  'wellbeing.team': 'lead',
  'wellbeing.session': 'reviewer',
  'wellbeing.sessionEvent': 'reviewer',

  'actions.list': 'reviewer',
  'actions.retry': 'lead',
  'feedback.report': 'reviewer',
  'feedback.export': 'lead',
  'settings.getActionPlans': 'reviewer',
  'settings.setActionPlans': 'lead',
  'settings.getDesktop': 'reviewer',
  'settings.setDesktop': 'lead',

  'banks.list': 'reviewer',
  'banks.create': 'lead',
  'banks.importCsv': 'lead',
  'banks.importJson': 'lead',
  'banks.startImport': 'lead',
  'banks.importJobs': 'lead',
  'banks.export': 'lead',
  'banks.update': 'lead',
  'banks.rename': 'lead',
  'banks.delete': 'lead',
  'banks.content': 'reviewer',
  'banks.pickImportFile': 'local',
  'banks.cancelImport': 'lead',

  'hma.getSettings': 'lead',
  'hma.saveSettings': 'lead',
  'hma.testConnection': 'lead',
  'matrix.status': 'lead',
  'matrix.signIn': 'lead',
  'matrix.signOut': 'lead',
  'matrix.updateOptions': 'lead',
  'matrix.pollNow': 'lead',

  'audit.list': 'lead',
  'audit.verify': 'lead',
  'audit.anchor': 'lead',
  'sessions.list': 'reviewer',
  'sessions.revoke': 'reviewer',

  'botKeys.list': 'lead',
  'botKeys.create': 'lead',
  'botKeys.revoke': 'lead',
  'checks.getRules': 'reviewer',
  'checks.setRules': 'lead',
};

export function requirementFor(name: CallName): Requirement {
  return CALL_REQUIREMENTS[name] ?? 'lead';
}

/** null when the caller may make the call; otherwise the error to answer with. */
export function authorise(name: CallName, ctx: CallContext): ApiError | null {
  const needed = requirementFor(name);
  if (needed === 'local') {
    return ctx.host === 'local' ? null : { code: 'forbidden', message: `${name} works only on this machine's own data, not on a team server` };
  }
  if (roleAtLeast(ctx.role, needed)) return null;
  return { code: 'forbidden', message: `${name} needs the ${needed} role; ${ctx.actor} is a ${ctx.role}` };
}
