import type { ContractHandlers } from '../../../shared/contract';
import type { CallContext } from '../../../shared/call-context';
import type { Services } from '../app-services';
import { createDispatcher, type ContextDispatch, type Dispatch, type DispatcherOptions } from './dispatcher';
import { createHandlers } from './handlers';

export interface ApiOptions extends DispatcherOptions {
  /** Calls a host answers itself (the team server's sessions, for instance), in place of the services' own. */
  overrides?: Partial<ContractHandlers>;
  log?: (message: string) => void;
}

/**
 * The contract over a set of services. Composed here, above the service layer, so that app-services never imports
 * the handlers that import it. Each host calls this once and passes every call's caller.
 */
export function createApi(services: Services, options: ApiOptions = {}): ContextDispatch {
  const { overrides, log, ...dispatcher } = options;
  const dispatch = createDispatcher({ ...createHandlers(services), ...overrides } as ContractHandlers, {
    onInternalError: (name, error) => log?.(`call ${name} failed: ${error instanceof Error ? error.stack : String(error)}`),
    ...dispatcher,
  });
  return async (name, input, ctx) => {
    const envelope = await dispatch(name, input, ctx);
    const area = envelope.ok ? SHARED_SETTINGS[name] : undefined;
    if (area) services.changes.publish({ type: 'settings', area });
    return envelope;
  };
}

/** Calls that change what every console shows (banks, plans, defaults): the others are told to refetch it. */
const SHARED_SETTINGS: Record<string, string> = {
  'banks.create': 'banks',
  'banks.update': 'banks',
  'banks.importCsv': 'banks',
  'banks.importJson': 'banks',
  'banks.rename': 'banks',
  'banks.delete': 'banks',
  'banks.cancelImport': 'banks',
  'queue.setBankSeverity': 'banks',
  'demo.load': 'banks',
  'settings.setActionPlans': 'actionPlans',
  'wellbeing.setDefaults': 'wellbeing',
  'hma.saveSettings': 'hma',
  'checks.setRules': 'checks',
  'botKeys.create': 'botKeys',
  'botKeys.revoke': 'botKeys',
  'settings.setDesktop': 'desktop',
  'matrix.signIn': 'matrix',
  'matrix.signOut': 'matrix',
  'matrix.updateOptions': 'matrix',
};

/** The caller on a desktop or browser-shell console working on this machine: its OS user, with every right. */
export function localContext(services: Pick<Services, 'reviewer'>): CallContext {
  return { actor: services.reviewer, role: 'lead', host: 'local' };
}

/** The contract bound to the local caller: what the IPC bridge and the loopback shell serve. */
export function createLocalApi(services: Services, options: ApiOptions = {}): Dispatch {
  const dispatch = createApi(services, options);
  const ctx = localContext(services);
  return (name, input) => dispatch(name, input, ctx);
}
