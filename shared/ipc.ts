// The single namespaced IPC channel. The preload exposes only the contract's call names over it.
export const IPC_CALL_CHANNEL = 'matchdesk:call';
/** Main → renderer: live changes (claims, decisions, new items) and the console's access. */
export const IPC_EVENT_CHANNEL = 'matchdesk:event';
/** Key under which the preload exposes the API object on window. */
export const PRELOAD_GLOBAL = 'matchdesk';
/** Key under which the preload exposes the event subscription on window. */
export const PRELOAD_EVENTS_GLOBAL = 'matchdeskEvents';
