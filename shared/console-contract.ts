import { z } from 'zod';
import { ROLES } from './call-context';

// Calls the console's own host answers (the desktop main process, the browser shell's loopback host), never a
// server: where this console works (this machine, or a team server) and its sign-in. Same envelope as the contract.

export const consoleStatusSchema = z.object({
  /** local: "Work on this machine"; team: "Connect to a team server". The two never mix data. */
  mode: z.enum(['local', 'team']),
  serverUrl: z.string().nullable(),
  signedIn: z.boolean(),
  userId: z.string().nullable(),
  role: z.enum(ROLES).nullable(),
  expiresAt: z.number().int().nullable(),
  /** Why this console cannot work on the server right now (signed out by a lead, no role in the room…). */
  access: z.object({ state: z.enum(['signed_out', 'no_access']), message: z.string() }).nullable(),
  /** Where the session token is kept on this machine. */
  tokenProtection: z.enum(['os-keychain', 'file-0600']),
});
export type ConsoleStatus = z.output<typeof consoleStatusSchema>;

const serverUrl = z.string().trim().min(8).max(2048);
const homeserverUrl = z.string().trim().min(8).max(2048).regex(/^https?:\/\//i, 'an http(s) URL');

export const consoleContract = {
  'console.status': { input: z.object({}).strict(), output: consoleStatusSchema },
  'console.useLocal': { input: z.object({}).strict(), output: consoleStatusSchema },
  'console.connect': { input: z.object({ serverUrl }).strict(), output: consoleStatusSchema },
  'console.signIn': {
    // The console asks the moderator's homeserver for an OpenID token and hands only that to the team server.
    input: z.union([
      z.object({ homeserverUrl, user: z.string().trim().min(1).max(255), password: z.string().min(1).max(1024) }).strict(),
      z.object({ homeserverUrl, accessToken: z.string().trim().min(1).max(4096) }).strict(),
    ]),
    output: consoleStatusSchema,
  },
  'console.signOut': { input: z.object({}).strict(), output: consoleStatusSchema },
} as const;

export type ConsoleContract = typeof consoleContract;
export type ConsoleCallName = keyof ConsoleContract;
export type ConsoleCallInput<N extends ConsoleCallName> = z.input<ConsoleContract[N]['input']>;
export type ConsoleCallOutput<N extends ConsoleCallName> = z.output<ConsoleContract[N]['output']>;
export const consoleCallNames = Object.keys(consoleContract) as ConsoleCallName[];

export function isConsoleCallName(name: string): name is ConsoleCallName {
  return Object.prototype.hasOwnProperty.call(consoleContract, name);
}
