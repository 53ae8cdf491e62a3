import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { CallContext } from '../../shared/call-context';
import type { ContractHandlers } from '../../shared/contract';
import { ContractError } from '../../shared/result';
import type { Services } from '../services/app-services';
import type { ContextDispatch } from '../services/api/dispatcher';
import { authorise } from '../services/api/authorisation';
import { bankImportUploadRoute } from '../services/api/upload-routes';
import { refuseUpload, serveUpload } from '../web/serve-upload';
import { STATUS_FOR } from '../http/status';
import { bearerToken, errorFor, HttpError, readJson, sendJson } from './http-kit';
import type { EventStreams } from './event-streams';
import { OpenIdError, openIdTokenSchema, verifyOpenIdToken } from './openid';
import type { RateLimiter } from './rate-limit';
import type { ManagementRoomRoles } from './roles';
import type { Route } from './routes';
import type { SessionStore, TeamSession } from './sessions';
import type { TeamMetrics } from './team-metrics';

export interface TeamApiDeps {
  services: Services;
  dispatch: ContextDispatch;
  sessions: SessionStore;
  roles: ManagementRoomRoles;
  streams: EventStreams;
  metrics: TeamMetrics;
  perSession: RateLimiter;
  perAddress: RateLimiter;
  /** Server name → the URL that answers its OpenID userinfo. */
  trustedHomeservers: () => Promise<ReadonlyMap<string, string>>;
  /** uploadBytes: ingest.uploadFiles (base64 media, read into memory); bankImportBytes: a bank file (streamed to disk). */
  limits: { bodyBytes: number; uploadBytes: number; bankImportBytes: number };
  fetchFn?: typeof fetch;
}

const signInSchema = z.object({ openid: openIdTokenSchema, client: z.string().max(200).optional() }).strict();
const CALL_PATH = /^\/api\/v1\/call\/([A-Za-z]+\.[A-Za-z]+)$/;

/** The session a request carries, its caller, or the HTTP error to answer with. */
export function authenticate(deps: Pick<TeamApiDeps, 'sessions' | 'roles' | 'perSession'>, req: IncomingMessage): { session: TeamSession; ctx: CallContext } {
  const token = bearerToken(req);
  if (!token) throw errorFor('unauthorized', 'Sign in: this call needs a Matchdesk session (Authorization: Bearer …)');
  const session = deps.sessions.authenticate(token);
  if (!session) throw errorFor('unauthorized', 'Your session has ended (signed out, expired, or revoked by a lead). Sign in again.');
  const wait = deps.perSession.take(session.id);
  if (wait > 0) throw errorFor('rate_limited', 'Too many requests from this console; slow down.', { 'Retry-After': String(Math.ceil(wait / 1000)) });
  const role = deps.roles.lookup(session.userId);
  if (role.kind === 'unknown') throw errorFor('unavailable', role.message);
  if (role.kind === 'none') throw errorFor('no_access', role.message);
  return { session, ctx: { actor: session.userId, role: role.role, host: 'team', sessionId: session.id } };
}

/** Contract calls the team server answers itself: its sessions. */
export function sessionHandlers(deps: Pick<TeamApiDeps, 'sessions' | 'roles' | 'services'>, onRevoked: (session: TeamSession, by: string) => void): Partial<ContractHandlers> {
  return {
    'sessions.list': (_input, ctx) =>
      deps.sessions.listActive(ctx.role === 'lead' ? undefined : ctx.actor).map((s) => {
        const role = deps.roles.lookup(s.userId);
        return { id: s.id, userId: s.userId, client: s.client, role: role.kind === 'role' ? role.role : null, createdAt: s.createdAt, lastSeenAt: s.lastSeenAt, expiresAt: s.expiresAt, current: s.id === ctx.sessionId };
      }),
    'sessions.revoke': ({ id }, ctx) => {
      const target = deps.sessions.get(id);
      if (!target) throw new ContractError('not_found', 'No such session');
      if (target.userId !== ctx.actor && ctx.role !== 'lead') throw new ContractError('forbidden', 'Only a lead can end someone else’s session');
      const ended = deps.sessions.revoke(id, ctx.actor);
      if (ended) {
        deps.services.audit.append({ actor: ctx.actor, action: 'team.session.revoke', subject: `session:${id}`, details: { userId: ended.userId } });
        onRevoked(ended, ctx.actor);
      }
      return { revoked: ended !== null };
    },
  };
}

/** Sign-in (Matrix OpenID), sign-out, who-am-I, the contract, and the live stream. */
export function teamApiRoutes(deps: TeamApiDeps): Route[] {
  const { services, sessions, roles, metrics } = deps;
  return [
    {
      method: 'POST',
      path: '/api/v1/session',
      async handle({ req, res, clientAddress, headers }) {
        const wait = deps.perAddress.take(clientAddress);
        if (wait > 0) throw errorFor('rate_limited', 'Too many sign-in attempts from this address; wait a moment.', { 'Retry-After': String(Math.ceil(wait / 1000)) });
        const parsed = signInSchema.safeParse(await readJson(req, res, 16 * 1024));
        if (!parsed.success) throw errorFor('invalid_input', 'Send {"openid": <the answer of /openid/request_token>, "client": "…"}');
        let userId: string;
        try {
          userId = await verifyOpenIdToken(parsed.data.openid, await deps.trustedHomeservers(), deps.fetchFn);
        } catch (error) {
          if (!(error instanceof OpenIdError)) throw error;
          metrics.signIns.inc({ outcome: error.kind });
          if (error.kind === 'unavailable') metrics.synapseErrors.inc({ purpose: 'openid' });
          throw errorFor(error.kind === 'unavailable' ? 'unavailable' : error.kind === 'untrusted_server' ? 'forbidden' : 'unauthorized', error.message);
        }
        await roles.ensureFresh(5_000);
        const role = roles.lookup(userId);
        if (role.kind !== 'role') {
          metrics.signIns.inc({ outcome: role.kind === 'none' ? 'no_access' : 'roles_unknown' });
          services.audit.append({ actor: userId, action: 'team.signIn.refused', subject: null, details: { reason: role.message } });
          throw errorFor(role.kind === 'none' ? 'no_access' : 'unavailable', role.message);
        }
        const { token, session } = sessions.create(userId, parsed.data.client ?? '');
        metrics.signIns.inc({ outcome: 'ok' });
        services.audit.append({ actor: userId, action: 'team.signIn', subject: `session:${session.id}`, details: { role: role.role, powerLevel: role.powerLevel, client: session.client } });
        sendJson(res, 200, { token, session: { id: session.id, userId, role: role.role, expiresAt: session.expiresAt } }, headers);
      },
    },
    {
      method: 'GET',
      path: '/api/v1/session',
      async handle({ req, res, headers }) {
        const { session, ctx } = authenticate(deps, req);
        sendJson(res, 200, { session: { id: session.id, userId: session.userId, role: ctx.role, expiresAt: session.expiresAt } }, headers);
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/session',
      async handle({ req, res, headers }) {
        const token = bearerToken(req);
        const session = token ? sessions.authenticate(token) : null;
        if (session && sessions.revoke(session.id, session.userId)) {
          services.audit.append({ actor: session.userId, action: 'team.signOut', subject: `session:${session.id}`, details: {} });
          deps.streams.close({ sessionId: session.id }, { type: 'access', state: 'signed_out', message: 'Signed out.' });
        }
        sendJson(res, 200, { ok: true }, headers);
      },
    },
    {
      method: 'POST',
      path: CALL_PATH,
      async handle({ req, res, params, headers }) {
        const name = params[0]!;
        const { ctx } = authenticate(deps, req);
        const input = await readJson(req, res, name === 'ingest.uploadFiles' ? deps.limits.uploadBytes : deps.limits.bodyBytes);
        const envelope = await deps.dispatch(name, input, ctx);
        sendJson(res, envelope.ok ? 200 : STATUS_FOR[envelope.error.code], envelope, headers);
      },
    },
    {
      // A bank file, streamed to the server's disk (never held whole) and imported in the background as the caller.
      method: 'POST',
      path: '/upload/bank-import',
      async handle({ req, res, url, headers }) {
        let ctx: CallContext;
        try {
          ({ ctx } = authenticate(deps, req));
          const denied = authorise('banks.startImport', ctx);
          if (denied) throw errorFor(denied.code, denied.message);
        } catch (error) {
          // Refused before reading: a small body is drained (the console reads the answer), a large one cut off.
          if (error instanceof HttpError) return refuseUpload(req, res, error.status, error.code, error.message, { ...headers, ...error.headers });
          throw error;
        }
        const route = bankImportUploadRoute(services, { maxBytes: deps.limits.bankImportBytes, actor: () => ctx.actor });
        await serveUpload(req, res, route, url.searchParams, headers);
      },
    },
    {
      method: 'GET',
      path: '/api/v1/events',
      async handle({ req, res, headers }) {
        const { session } = authenticate(deps, req);
        deps.streams.open(req, res, { id: session.id, userId: session.userId }, headers);
      },
    },
  ];
}

export { HttpError };
