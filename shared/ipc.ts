// The single namespaced IPC channel. The preload exposes only the contract's call names over it.
export const IPC_CALL_CHANNEL = 'matchdesk:call';
/** Key under which the preload exposes the API object on window. */
export const PRELOAD_GLOBAL = 'matchdesk';
