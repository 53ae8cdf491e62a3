// Who is making a contract call. The host builds it for every call and the dispatcher hands it to the handler:
// the desktop and the browser shell pass the OS user with every right; the team server passes the moderator its
// session authenticated (a Matrix ID) and the role their power level in the management room gives them.

/** Team roles, weakest first. A local console acts as a lead: it is the only one at the desk. */
export const ROLES = ['reviewer', 'lead'] as const;
export type Role = (typeof ROLES)[number];

export interface CallContext {
  /** Who the audit log names: the OS user locally, the Matrix ID on a team server. */
  readonly actor: string;
  readonly role: Role;
  /** local: this machine's own data (IPC or the loopback shell); team: a moderator's call to the team server. */
  readonly host: 'local' | 'team';
  /** The team server's session id (not its token) the call came with. */
  readonly sessionId?: string;
}

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}
