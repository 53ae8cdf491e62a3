import type { IncomingMessage } from 'node:http';
import { BotKeyStore, type BotKey } from '../../services/checks/bot-keys';
import { CheckRequestError, parseCheckContext, parseCheckRequest, type CheckRequest } from '../../services/checks/check-request';
import { CheckService, CheckUnavailableError, type CheckAnswer, type CheckOrigin, type CheckServiceOptions } from '../../services/checks/check-service';
import { HashError } from '../../services/hashing';
import { MatrixApiError } from '../../services/matrix/errors';
import { downloadMedia, parseMxc } from '../../services/matrix/media';
import { MatrixHttp } from '../../services/matrix/http';
import { readSecret } from '../config';
import { bearerToken, errorFor, HttpError, readBody, readJson, sendJson } from '../http-kit';
import { RateLimiter } from '../rate-limit';
import type { Route } from '../routes';
import type { TeamServerApp } from '../team-server';
import { createCheckMetrics, type CheckMetrics } from './check-metrics';

const JSON_BODY_LIMIT = 64 * 1024;
const MAX_MISSED_REPORT = 1_000_000;

export interface CheckApi {
  routes: Route[];
  service: CheckService;
  keys: BotKeyStore;
  metrics: CheckMetrics;
}

/** Per-key token buckets: each key's rate per minute, with a burst of one minute's worth. */
class PerKeyLimits {
  private readonly byRate = new Map<number, RateLimiter>();
  take(key: BotKey): number {
    let limiter = this.byRate.get(key.ratePerMinute);
    if (!limiter) {
      limiter = new RateLimiter(key.ratePerMinute / 60, key.ratePerMinute);
      this.byRate.set(key.ratePerMinute, limiter);
    }
    return limiter.take(key.id);
  }
}

/**
 * The bot check API, mounted on the team server through `extraRoutes`:
 *
 *   POST /api/v1/check         the Mjolnir HMA plugin's request (hashes, or an mxc:// URI) → allow | review | block
 *   POST /api/v1/hash-lookup   the same, for hashes only
 *   POST /api/v1/check/upload  the file's bytes (the Synapse module, before the homeserver stores an upload)
 *
 * Each request carries a bot key (Authorization: Bearer mdk_…), created by a lead; each key has its own rate limit.
 */
export function createCheckApi(app: TeamServerApp, options: CheckServiceOptions = {}): CheckApi {
  const { services } = app;
  const keys = new BotKeyStore(services.db, services.now);
  const uploadLimit = Math.round(app.config.limits.maxUploadMb * 1024 * 1024);
  const service = new CheckService(services, { download: serviceAccountDownload(app, uploadLimit), ...options });
  const metrics = createCheckMetrics(app.metrics.registry, () => service.cacheSize);
  const limits = new PerKeyLimits();

  const authenticate = (req: IncomingMessage, endpoint: string): BotKey => {
    const token = bearerToken(req);
    const key = token ? keys.authenticate(token) : null;
    if (!key) {
      metrics.refused.inc({ endpoint, reason: 'unauthorized' });
      throw errorFor('unauthorized', token ? 'This bot key is unknown or was revoked' : 'Send a bot key: Authorization: Bearer mdk_…', { 'WWW-Authenticate': 'Bearer realm="matchdesk-check"' });
    }
    const waitMs = limits.take(key);
    if (waitMs > 0) {
      metrics.refused.inc({ endpoint, reason: 'rate_limited' });
      throw errorFor('rate_limited', `Bot key ${key.name} is over its rate of ${key.ratePerMinute} checks per minute`, { 'Retry-After': String(Math.max(1, Math.ceil(waitMs / 1000))) });
    }
    noteMissed(req, key);
    return key;
  };

  // A client that failed open (or closed) while this server was away says how many checks it missed on its next request.
  const noteMissed = (req: IncomingMessage, key: BotKey) => {
    const header = req.headers['x-matchdesk-missed'];
    if (typeof header !== 'string') return;
    const m = /^(\d{1,7})(?:;\s*policy=(fail_open|fail_closed))?$/.exec(header.trim());
    if (!m) return;
    const n = Math.min(Number(m[1]), MAX_MISSED_REPORT);
    if (n > 0) metrics.missed.inc({ client: key.name, policy: m[2] ?? 'fail_open' }, n);
  };

  const answer = async (endpoint: string, kind: string, run: () => Promise<CheckAnswer>, res: Parameters<Route['handle']>[0]['res'], headers: Record<string, string>) => {
    const started = performance.now();
    let result: CheckAnswer;
    try {
      result = await run();
    } catch (error) {
      throw refusal(error, endpoint, metrics);
    }
    const ms = performance.now() - started;
    metrics.seconds.observe(ms / 1000, { kind });
    metrics.checks.inc({ endpoint, action: result.action });
    if (result.cached) metrics.cacheHits.inc({ kind });
    for (const matcher of result.degraded) metrics.degraded.inc({ matcher });
    sendJson(res, 200, result, { ...headers, 'Server-Timing': `check;dur=${ms.toFixed(2)}` });
  };

  const jsonCheck = (endpoint: string, allowMxc: boolean): Route => ({
    method: 'POST',
    path: endpoint,
    async handle({ req, res, headers }) {
      const key = authenticate(req, endpoint);
      let request: CheckRequest;
      try {
        request = parseCheckRequest(await readJson(req, res, JSON_BODY_LIMIT), allowMxc);
      } catch (error) {
        throw refusal(error, endpoint, metrics);
      }
      const origin: CheckOrigin = { client: key.name, source: 'bot_check' };
      await answer(
        endpoint,
        request.kind,
        () => (request.kind === 'mxc' ? service.checkMxc(request.mxc, request.context, origin) : service.checkHashes(request.hashes, request.context, origin)),
        res,
        headers,
      );
    },
  });

  const upload: Route = {
    method: 'POST',
    path: '/api/v1/check/upload',
    async handle({ req, res, url, headers }) {
      const endpoint = '/api/v1/check/upload';
      const key = authenticate(req, endpoint);
      const q = Object.fromEntries(url.searchParams) as Record<string, unknown>;
      let context;
      let mxc: { server: string; mediaId: string } | null = null;
      try {
        if (typeof q.timestamp === 'string') q.timestamp = /^\d+$/.test(q.timestamp) ? Number(q.timestamp) : q.timestamp;
        context = parseCheckContext(q);
        if (typeof q.mxc === 'string') {
          mxc = parseMxc(q.mxc);
          if (!mxc) throw new CheckRequestError('mxc', 'expected mxc://server/mediaId');
        }
      } catch (error) {
        throw refusal(error, endpoint, metrics);
      }
      const fileName = typeof q.fileName === 'string' ? q.fileName.slice(0, 255) : null;
      const bytes = await readBody(req, res, uploadLimit).catch((error: unknown) => {
        throw refusal(error, endpoint, metrics);
      });
      if (bytes.length === 0) throw refusal(new CheckRequestError('(body)', 'the file is empty'), endpoint, metrics);
      const origin: CheckOrigin = { client: key.name, source: 'synapse_upload' };
      await answer(endpoint, 'upload', () => service.checkBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), context, origin, { mxc, fileName }), res, headers);
    },
  };

  return { routes: [jsonCheck('/api/v1/check', true), jsonCheck('/api/v1/hash-lookup', false), upload], service, keys, metrics };
}

/** mxc:// checks download through authenticated media as the server's Matrix service account. */
function serviceAccountDownload(app: TeamServerApp, maxBytes: number): (server: string, mediaId: string) => Promise<Uint8Array> {
  const { homeserver } = app.config;
  const http = new MatrixHttp({
    homeserverUrl: homeserver.url,
    ...(homeserver.adminApiUrl ? { adminApiBaseUrl: homeserver.adminApiUrl } : {}),
    accessToken: readSecret(homeserver.serviceAccountToken),
  });
  return async (server, mediaId) => (await downloadMedia(http, server, mediaId, { maxBytes, timeoutMs: 20_000 })).bytes;
}

/** The HTTP error for a check that cannot be answered, counted by reason. */
function refusal(error: unknown, endpoint: string, metrics: CheckMetrics): unknown {
  const refuse = (reason: string, e: HttpError) => {
    metrics.refused.inc({ endpoint, reason });
    return e;
  };
  if (error instanceof CheckRequestError) return refuse('invalid', errorFor('invalid_input', error.message));
  if (error instanceof HttpError) return refuse(error.status === 413 ? 'too_large' : 'invalid', error);
  if (error instanceof HashError && error.code === 'too_large') return refuse('too_large', new HttpError(413, 'invalid_input', error.message));
  if (error instanceof HashError) return refuse('invalid', new HttpError(422, 'hash_failed', `The media cannot be hashed: ${error.message}`));
  if (error instanceof CheckUnavailableError) return refuse('unavailable', errorFor('unavailable', error.message));
  if (error instanceof MatrixApiError) {
    if (error.code === 'not_found') return refuse('invalid', errorFor('not_found', 'The homeserver has no such media (or it is quarantined)'));
    if (error.code === 'too_large') return refuse('too_large', new HttpError(413, 'invalid_input', error.message));
    return refuse('unavailable', new HttpError(502, 'unavailable', `The homeserver did not hand over the media: ${error.message}`));
  }
  return error;
}
