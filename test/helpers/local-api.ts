import type { Services } from '../../electron/services/app-services';
import { createLocalApi } from '../../electron/services/api/compose';
import type { Dispatch } from '../../electron/services/api/dispatcher';

const apis = new WeakMap<Services, Dispatch>();

/** The contract over these services as the local console calls it (OS user, every right), outputs checked. */
export function localDispatch(services: Services): Dispatch {
  let api = apis.get(services);
  if (!api) {
    api = createLocalApi(services, { checkOutputs: true, log: (message) => console.error(message) });
    apis.set(services, api);
  }
  return api;
}
