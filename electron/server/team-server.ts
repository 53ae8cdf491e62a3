import { mkdirSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import type { CallContext } from '../../shared/call-context';
import { createServices, type Services } from '../services/app-services';
import { createApi } from '../services/api/compose';
import type { ContextDispatch } from '../services/api/dispatcher';
import { TEAM_CLAIM_LEASE_MS, TEAM_POLICY } from '../services/queue/claims';
import { FileSecretStore, plainCodec } from '../services/secrets/secret-store';
import type { ServerConfig } from './config';
import { readSecret } from './config';
import { EventStreams } from './event-streams';
import { baseHeaders, bearerToken, clientAddress, errorFor, HttpError, isLoopbackAddress, sendError, sendJson, sendText } from './http-kit';
import { RateLimiter } from './rate-limit';
import { ManagementRoomRoles } from './roles';
import { matchRoute, type Route } from './routes';
import { SessionStore, type TeamSession } from './sessions';
import { sessionHandlers, teamApiRoutes } from './team-api';
import { collectFromStore, createTeamMetrics, type TeamMetrics } from './team-metrics';

/** What extra routes are given to do their work (the bot check API of a later release, a Synapse module's callbacks). */
export interface TeamServerApp {
  readonly config: ServerConfig;
  readonly services: Services;
  readonly dispatch: ContextDispatch;
  readonly sessions: SessionStore;
  readonly roles: ManagementRoomRoles;
  readonly metrics: TeamMetrics;
  log(line: string): void;
}

export interface TeamServerOptions {
  config: ServerConfig;
  version: string;
  log?: (line: string) => void;
  /** Routes mounted beside the built-in ones, each with its own authentication (e.g. Bearer bot keys). */
  extraRoutes?: (app: TeamServerApp) => Route[];
  fetchFn?: typeof fetch;
  /** Outbox timing (tests and the crash run). */
  outbox?: Parameters<typeof createServices>[0]['outbox'];
}

export interface TeamServer {
  readonly url: string;
  readonly app: TeamServerApp;
  readonly server: Server;
  close(): Promise<void>;
}

const SERVER_ACTOR = 'matchdesk-server';
const ROLE_MAX_AGE_MS = 60_000;

/**
 * `matchdesk serve`: the same services as the desktop, headless, for a whole team. Moderators sign in with Matrix
 * OpenID; their role comes from the management room; every call is authorised per role and attributed to them.
 * Only this server runs actions (one outbox); consoles get changes pushed over Server-Sent Events.
 */
export async function startTeamServer(options: TeamServerOptions): Promise<TeamServer> {
  const { config } = options;
  const log = options.log ?? ((line: string) => console.error(line));
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const serviceToken = readSecret(config.homeserver.serviceAccountToken);
  const metrics = createTeamMetrics();
  const services = createServices({
    dataDir: config.dataDir,
    version: options.version,
    transport: 'http',
    secrets: new FileSecretStore(join(config.dataDir, 'secrets.json'), plainCodec),
    reviewer: SERVER_ACTOR,
    role: 'server',
    // Consoles upload bank files (POST /upload/bank-import); a path names a file on the caller's machine, not here.
    localFileImports: false,
    workers: config.workers ?? Math.max(1, availableParallelism() - 1),
    resumeMatrix: false,
    // The outbox starts once the service account is signed in: Matrix actions claimed before would find no client.
    startDispatcher: false,
    claimLeaseMs: config.claims.leaseMinutes * 60_000 || TEAM_CLAIM_LEASE_MS,
    queuePolicy: TEAM_POLICY,
    observeLookup: (matcher, ms, ok) => {
      metrics.lookupSeconds.observe(ms / 1000, { matcher });
      if (!ok && matcher === 'hma') metrics.hmaLookupErrors.inc();
    },
    log,
    outbox: { leaseMs: config.outbox.leaseSeconds * 1000, ...options.outbox },
  });

  const sessions = new SessionStore(services.db, config.sessions.ttlHours * 3_600_000);
  sessions.prune();
  const roles = new ManagementRoomRoles({
    homeserverUrl: config.homeserver.url,
    token: () => serviceToken,
    room: config.managementRoom,
    levels: { reviewer: config.roles.reviewer, lead: config.roles.lead },
    refreshMs: config.roles.refreshSeconds * 1000,
    maxAgeMs: ROLE_MAX_AGE_MS,
    ...(options.fetchFn ? { fetchFn: options.fetchFn } : {}),
    log: (line) => {
      metrics.synapseErrors.inc({ purpose: 'management_room' });
      log(line);
    },
  });

  const streams = new EventStreams(services.changes, (event) => metrics.pushed.inc({ type: event.type }));
  const endSession = (session: TeamSession, by: string) => {
    streams.close({ sessionId: session.id }, { type: 'access', state: 'signed_out', message: by === session.userId ? 'Signed out.' : `Your session was ended by ${by}. Sign in again.` });
    if (sessions.listActive(session.userId).length === 0) services.claims.releaseAllOf(session.userId);
  };
  roles.onChange((userId, _before, after) => {
    if (after.kind === 'role') return;
    if (after.kind === 'none') {
      services.audit.append({ actor: SERVER_ACTOR, action: 'team.access.lost', subject: userId, details: { reason: after.message } });
      streams.close({ userId }, { type: 'access', state: 'no_access', message: after.message });
      services.claims.releaseAllOf(userId);
    }
  });

  const dispatch = createApi(services, {
    overrides: sessionHandlers({ sessions, roles, services }, endSession),
    onCall: (name, ms, outcome) => metrics.callSeconds.observe(ms / 1000, { call: name, outcome }),
    log,
  });
  const system: CallContext = { actor: SERVER_ACTOR, role: 'lead', host: 'team' };

  // The service account: it ingests from the homeserver, reads the management room, and carries out Matrix actions.
  let matrixReady = false;
  let homeServerName: string | null = null;
  let stopped = false;
  let signInTimer: NodeJS.Timeout | null = null;
  let outboxStarted = false;
  const startOutbox = () => {
    if (outboxStarted || stopped) return;
    outboxStarted = true;
    services.outbox.start();
  };
  const signInServiceAccount = async (attempt: number): Promise<void> => {
    const result = await dispatch(
      'matrix.signIn',
      { homeserverUrl: config.homeserver.url, adminApiBaseUrl: config.homeserver.adminApiUrl, accessToken: serviceToken, managementRoom: config.managementRoom },
      system,
    );
    if (result.ok) {
      matrixReady = true;
      startOutbox();
      const userId = (result.value as { userId: string | null }).userId;
      homeServerName = userId ? userId.slice(userId.indexOf(':') + 1) : null;
      log(`service account ${userId} signed in to ${config.homeserver.url}`);
      return;
    }
    metrics.synapseErrors.inc({ purpose: 'service_account' });
    // Local actions need no homeserver: after a few failed tries the outbox runs anyway (Matrix ones retry).
    if (attempt === 2) startOutbox();
    const wait = Math.min(60_000, 2_000 * 2 ** Math.min(attempt, 5));
    log(`service account sign-in failed (${result.error.message}); retrying in ${Math.round(wait / 1000)} s`);
    if (!stopped) signInTimer = setTimeout(() => void signInServiceAccount(attempt + 1), wait);
  };
  await signInServiceAccount(0);
  if (config.hma) {
    const apiKey = config.hma.apiKey ? readSecret(config.hma.apiKey) : undefined;
    const applied = await dispatch('hma.saveSettings', { enabled: true, baseUrl: config.hma.baseUrl, ...(apiKey ? { apiKey } : {}), ...(config.hma.timeoutMs ? { timeoutMs: config.hma.timeoutMs } : {}) }, system);
    if (!applied.ok) log(`HMA settings from the config were refused: ${applied.error.message}`);
  }
  roles.start();

  const trustedHomeservers = async (): Promise<ReadonlyMap<string, string>> => {
    const map = new Map(Object.entries(config.trustedHomeservers));
    if (!homeServerName) homeServerName = await whoamiServerName(config.homeserver.url, serviceToken, options.fetchFn).catch(() => null);
    if (homeServerName && !map.has(homeServerName)) map.set(homeServerName, config.homeserver.url);
    return map;
  };

  const app: TeamServerApp = { config, services, dispatch, sessions, roles, metrics, log };
  collectFromStore(metrics, services, {
    sessions: () => sessions.activeCount(),
    streams: () => streams.count,
    rolesAgeSeconds: () => (roles.lastRefreshAt === null ? null : (Date.now() - roles.lastRefreshAt) / 1000),
  });
  const metricsToken = config.metricsToken ? readSecret(config.metricsToken) : null;
  const routes: Route[] = [
    ...opsRoutes({ services, roles, metrics, metricsToken, matrixReady: () => matrixReady }),
    ...teamApiRoutes({
      services,
      dispatch,
      sessions,
      roles,
      streams,
      metrics,
      perSession: new RateLimiter(config.sessions.ratePerSecond, config.sessions.burst),
      perAddress: new RateLimiter(1, 30),
      trustedHomeservers,
      limits: {
        bodyBytes: Math.round(config.limits.maxBodyMb * 1024 * 1024),
        uploadBytes: Math.round(config.limits.maxUploadMb * 1024 * 1024),
        bankImportBytes: Math.round(config.limits.maxBankImportMb * 1024 * 1024),
      },
      ...(options.fetchFn ? { fetchFn: options.fetchFn } : {}),
    }),
    ...(options.extraRoutes?.(app) ?? []),
  ];

  const tls = config.tls ? { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) } : null;
  const headers = baseHeaders(tls !== null);
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    let routeLabel = 'other';
    res.once('finish', () => metrics.requests.inc({ route: routeLabel, status: String(res.statusCode) }));
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://placeholder');
      if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) throw new HttpError(421, 'forbidden', 'This server does not answer for that Host');
      const origin = req.headers.origin;
      if (origin !== undefined && !allowedOrigins.has(origin)) throw errorFor('forbidden', 'Cross-origin requests are refused');
      const match = matchRoute(routes, req.method ?? 'GET', url.pathname);
      if (!match) throw errorFor('not_found', 'Not found');
      if ('allowed' in match) throw new HttpError(405, 'invalid_input', 'Method not allowed', { Allow: match.allowed.join(', ') });
      routeLabel = typeof match.route.path === 'string' ? match.route.path : match.route.path.source.replace(/\\\//g, '/');
      await match.route.handle({ req, res, url, params: match.params, clientAddress: clientAddress(req, config.trustProxy), headers });
    })().catch((error: unknown) => {
      if (error instanceof HttpError) return sendError(res, new HttpError(error.status, error.code, error.message, { ...headers, ...error.headers }));
      log(`request ${req.method} ${req.url?.split('?')[0]} failed after ${Math.round(performance.now() - started)} ms: ${error instanceof Error ? error.stack : String(error)}`);
      sendJson(res, 500, { ok: false, error: { code: 'internal', message: 'The request failed' } }, headers);
    });
  };
  const server: Server = tls ? createHttpsServer({ ...tls, minVersion: 'TLSv1.2' }, handler) : createHttpServer(handler);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listenPort, config.listenHost, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const bracket = config.listenHost.includes(':') ? `[${config.listenHost}]` : config.listenHost;
  const scheme = tls ? 'https' : 'http';
  const url = `${scheme}://${bracket}:${port}`;
  const hosts = [`${bracket}:${port}`.toLowerCase()];
  if (isLoopbackAddress(config.listenHost) || config.listenHost === 'localhost') hosts.push(`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`);
  const origins = [url];
  if (config.publicUrl) {
    const pub = new URL(config.publicUrl);
    hosts.push(pub.host.toLowerCase());
    if (!pub.port) hosts.push(`${pub.hostname}:${pub.protocol === 'https:' ? 443 : 80}`.toLowerCase());
    origins.push(pub.origin);
  }
  allowedHosts = new Set(hosts);
  allowedOrigins = new Set(origins);

  return {
    url,
    app,
    server,
    close: async () => {
      stopped = true;
      if (signInTimer) clearTimeout(signInTimer);
      roles.stop();
      streams.closeAll();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      });
      await services.close();
    },
  };
}

async function whoamiServerName(homeserverUrl: string, token: string, fetchFn: typeof fetch = fetch): Promise<string | null> {
  const res = await fetchFn(`${homeserverUrl.replace(/\/+$/, '')}/_matrix/client/v3/account/whoami`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) return null;
  const body = (await res.json()) as { user_id?: string };
  return body.user_id ? body.user_id.slice(body.user_id.indexOf(':') + 1) : null;
}

function tokenEquals(given: string | null, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function opsRoutes(deps: { services: Services; roles: ManagementRoomRoles; metrics: TeamMetrics; metricsToken: string | null; matrixReady: () => boolean }): Route[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      async handle({ res, headers }) {
        sendJson(res, 200, { status: 'ok' }, headers);
      },
    },
    {
      method: 'GET',
      path: '/readyz',
      async handle({ res, headers }) {
        let database = true;
        try {
          deps.services.db.prepare('SELECT 1').get();
        } catch {
          database = false;
        }
        const checks = {
          database,
          managementRoom: deps.roles.fresh(),
          serviceAccount: deps.matrixReady(),
        };
        const ready = Object.values(checks).every(Boolean);
        sendJson(res, ready ? 200 : 503, { ready, checks, ...(deps.roles.lastError ? { managementRoomError: deps.roles.lastError } : {}) }, headers);
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      async handle({ req, res, headers }) {
        // Loopback means this machine, not a reverse proxy passing someone on (it says so in a forwarding header).
        const proxied = req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined;
        const allowed = (isLoopbackAddress(req.socket.remoteAddress) && !proxied) || (deps.metricsToken !== null && tokenEquals(bearerToken(req), deps.metricsToken));
        if (!allowed) throw errorFor('unauthorized', 'Metrics are for loopback clients or the configured metrics token');
        sendText(res, 200, deps.metrics.registry.render(), 'text/plain; version=0.0.4; charset=utf-8', headers);
      },
    },
  ];
}
