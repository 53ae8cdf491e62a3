// Sign-in: homeserver discovery, password or access-token login (matrix-js-sdk), whoami and
// the Synapse admin check, with typed errors (MatrixLoginError).
import { createClient, MatrixError } from 'matrix-js-sdk';
import { errorFromFetchFailure, errorFromResponse, MatrixApiError, MatrixLoginError } from './errors';
import { MatrixHttp, normalizeBaseUrl, seg } from './http';
import type { LoginErrorCode, MatrixSession } from './types';
import { checkServiceUrl } from '../../../shared/url-policy';

export type LoginCredentials =
  | { accessToken: string }
  | { user: string; password: string; deviceId?: string; deviceDisplayName?: string };

export interface LoginOptions {
  homeserverUrl: string;
  /** separate base URL for /_synapse/admin (default: the homeserver URL) */
  adminApiBaseUrl?: string;
  credentials: LoginCredentials;
  /** throw `not_admin` when the account is not a server admin (default true) */
  requireAdmin?: boolean;
  /** per request, default 15 s */
  timeoutMs?: number;
  fetchFn?: typeof fetch;
}

type Logger = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['logger']>;

const noop = () => undefined;
const silentLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  getChild: () => silentLogger,
};

/** https (or http on loopback), no credentials, no whitespace: see shared/url-policy.ts. */
function parseHttpUrl(raw: string, what = 'The homeserver URL'): URL {
  const checked = checkServiceUrl(raw, what);
  if (!checked.ok) throw new MatrixLoginError('invalid_url', checked.reason);
  return checked.url;
}

function loginErrorFromApi(e: MatrixApiError, context: string): MatrixLoginError {
  const extra = {
    ...(e.httpStatus !== undefined ? { httpStatus: e.httpStatus } : {}),
    ...(e.errcode !== undefined ? { errcode: e.errcode } : {}),
    ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
    cause: e,
  };
  let code: LoginErrorCode;
  switch (e.code) {
    case 'network':
    case 'timeout':
      code = 'unreachable';
      break;
    case 'rate_limited':
      code = 'rate_limited';
      break;
    case 'server_error':
      code = 'server_error';
      break;
    case 'token_expired':
      code = e.softLogout ? 'soft_logout' : 'token_expired';
      break;
    case 'forbidden':
    case 'bad_request':
    case 'not_found':
      code = 'bad_credentials';
      break;
    default:
      code = 'unknown';
  }
  return new MatrixLoginError(code, `${context}: ${e.message}`, extra);
}

/** Convert whatever matrix-js-sdk threw into a MatrixApiError. */
function fromSdkError(err: unknown, what: string): MatrixApiError {
  if (err instanceof MatrixError) {
    const status = err.httpStatus ?? 0;
    const retryAfter = err.getRetryAfterMs();
    const headers = { get: (n: string) => (n === 'retry-after' && retryAfter !== null ? String(retryAfter / 1000) : null) };
    const data = { ...err.data, ...(retryAfter !== null ? { retry_after_ms: retryAfter } : {}) };
    if (status === 0) return new MatrixApiError('network', `${what}: ${err.message}`, { cause: err });
    return errorFromResponse(status, data, headers, what);
  }
  const name = (err as { name?: string })?.name;
  if (name === 'ConnectionError') {
    return new MatrixApiError('network', `${what}: ${(err as Error).message}`, { cause: err });
  }
  return errorFromFetchFailure(err, what);
}

/** GET /_matrix/client/versions; true when it answers like a Matrix homeserver. */
async function looksLikeMatrix(http: MatrixHttp): Promise<boolean> {
  try {
    const v = await http.request<{ versions?: unknown }>('GET', '/_matrix/client/versions', { anonymous: true });
    return Array.isArray(v.versions);
  } catch (err) {
    if (err instanceof MatrixApiError && (err.code === 'network' || err.code === 'timeout')) throw err;
    return false;
  }
}

/**
 * Resolve the client-server API base URL: the URL itself when it serves /_matrix/client/versions,
 * else the m.homeserver.base_url of its /.well-known/matrix/client.
 */
export async function discoverHomeserver(
  homeserverUrl: string,
  opts: { timeoutMs?: number; fetchFn?: typeof fetch } = {},
): Promise<string> {
  const u = parseHttpUrl(homeserverUrl);
  const base = normalizeBaseUrl(u.origin + u.pathname);
  const mk = (url: string) =>
    new MatrixHttp({ homeserverUrl: url, timeoutMs: opts.timeoutMs ?? 15_000, ...(opts.fetchFn ? { fetchFn: opts.fetchFn } : {}) });
  try {
    if (await looksLikeMatrix(mk(base))) return base;
  } catch (err) {
    throw new MatrixLoginError('unreachable', `Cannot reach ${base}: ${(err as Error).message}`, { cause: err });
  }
  // .well-known on the origin
  try {
    const wk = await mk(u.origin).request<{ 'm.homeserver'?: { base_url?: unknown } }>(
      'GET',
      '/.well-known/matrix/client',
      { anonymous: true },
    );
    const found = wk['m.homeserver']?.base_url;
    if (typeof found === 'string') {
      // .well-known is served by whoever holds the domain's web server: it may not lead to plain http (where the
      // token would travel in clear text), nor to a URL with credentials in it.
      const checked = checkServiceUrl(found.trim(), 'The homeserver URL from .well-known');
      if (!checked.ok || (u.protocol === 'https:' && checked.url.protocol !== 'https:')) {
        throw new MatrixLoginError('insecure_discovery', `${base}/.well-known/matrix/client points to ${JSON.stringify(found)}: ${checked.ok ? 'an https homeserver cannot be moved to http' : checked.reason}`);
      }
      const target = normalizeBaseUrl(checked.url.toString());
      if (target !== base && (await looksLikeMatrix(mk(target)))) return target;
    }
  } catch (err) {
    if (err instanceof MatrixLoginError) throw err;
    /* fall through */
  }
  throw new MatrixLoginError('not_matrix_server', `${base} does not serve the Matrix client-server API`);
}

/**
 * GET /_synapse/admin/v1/users/{userId}/admin for the session's own user.
 * Returns true/false; throws MatrixLoginError('admin_api_unreachable' | 'token_expired' | …).
 */
export async function checkServerAdmin(http: MatrixHttp, userId: string): Promise<boolean> {
  try {
    const r = await http.request<{ admin?: unknown }>('GET', `/_synapse/admin/v1/users/${seg(userId)}/admin`);
    return r.admin === true;
  } catch (err) {
    const e = err instanceof MatrixApiError ? err : errorFromFetchFailure(err, 'admin check');
    if (e.code === 'forbidden' && e.errcode === 'M_FORBIDDEN') return false;
    if (e.code === 'token_expired' || e.code === 'rate_limited' || e.code === 'server_error') {
      throw loginErrorFromApi(e, 'Admin check');
    }
    throw new MatrixLoginError(
      'admin_api_unreachable',
      `The Synapse admin API is not reachable at ${http.adminApiBaseUrl}: ${e.message}`,
      { cause: e, ...(e.httpStatus !== undefined ? { httpStatus: e.httpStatus } : {}) },
    );
  }
}

function serverNameOf(userId: string): string {
  const i = userId.indexOf(':');
  return i >= 0 ? userId.slice(i + 1) : '';
}

/**
 * Sign in and verify the account. Returns the session including the access token (the caller
 * stores it). Throws MatrixLoginError with a typed `code`.
 */
export async function login(opts: LoginOptions): Promise<MatrixSession> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const homeserverUrl = await discoverHomeserver(opts.homeserverUrl, {
    timeoutMs,
    ...(opts.fetchFn ? { fetchFn: opts.fetchFn } : {}),
  });
  let adminApiBaseUrl = homeserverUrl;
  if (opts.adminApiBaseUrl && opts.adminApiBaseUrl.trim() !== '') {
    const a = parseHttpUrl(opts.adminApiBaseUrl, 'The admin API URL');
    adminApiBaseUrl = normalizeBaseUrl(a.origin + a.pathname);
  }

  const sdkOpts = {
    baseUrl: homeserverUrl,
    logger: silentLogger,
    localTimeoutMs: timeoutMs,
    ...(opts.fetchFn ? { fetchFn: opts.fetchFn } : {}),
  };

  let userId: string;
  let deviceId: string | undefined;
  let accessToken: string;
  let createdByUs = false;
  const creds = opts.credentials;
  if ('accessToken' in creds) {
    if (!creds.accessToken) throw new MatrixLoginError('bad_credentials', 'No access token given');
    accessToken = creds.accessToken;
    const client = createClient({ ...sdkOpts, accessToken });
    try {
      const who = await client.whoami();
      userId = who.user_id;
      deviceId = who.device_id;
    } catch (err) {
      throw loginErrorFromApi(fromSdkError(err, 'GET /_matrix/client/v3/account/whoami'), 'Token check');
    } finally {
      client.stopClient();
    }
  } else {
    if (!creds.user || !creds.password) throw new MatrixLoginError('bad_credentials', 'User and password are required');
    const client = createClient(sdkOpts);
    try {
      const res = await client.loginRequest({
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: creds.user },
        password: creds.password,
        initial_device_display_name: creds.deviceDisplayName ?? 'Matchdesk',
        ...(creds.deviceId ? { device_id: creds.deviceId } : {}),
      });
      userId = res.user_id;
      deviceId = res.device_id;
      accessToken = res.access_token;
      createdByUs = true;
    } catch (err) {
      throw loginErrorFromApi(fromSdkError(err, 'POST /_matrix/client/v3/login'), 'Login');
    } finally {
      client.stopClient();
    }
  }

  const http = new MatrixHttp({
    homeserverUrl,
    adminApiBaseUrl,
    accessToken,
    timeoutMs,
    ...(opts.fetchFn ? { fetchFn: opts.fetchFn } : {}),
  });
  const requireAdmin = opts.requireAdmin ?? true;
  let isAdmin = false;
  try {
    isAdmin = await checkServerAdmin(http, userId);
  } catch (err) {
    if (requireAdmin || !(err instanceof MatrixLoginError) || err.code !== 'admin_api_unreachable') {
      if (createdByUs) await logoutQuietly(http);
      throw err;
    }
  }
  if (requireAdmin && !isAdmin) {
    if (createdByUs) await logoutQuietly(http);
    throw new MatrixLoginError('not_admin', `${userId} is not a server admin; Matchdesk needs a Synapse admin account`);
  }
  const session: MatrixSession = {
    homeserverUrl,
    adminApiBaseUrl,
    userId,
    accessToken,
    isAdmin,
    serverName: serverNameOf(userId),
  };
  if (deviceId) session.deviceId = deviceId;
  return session;
}

async function logoutQuietly(http: MatrixHttp): Promise<void> {
  try {
    await http.request('POST', '/_matrix/client/v3/logout', { body: {} });
  } catch {
    /* best effort */
  }
}

/** POST /logout for the session's token (invalidates it and deletes its device on the server). */
export async function logout(
  session: Pick<MatrixSession, 'homeserverUrl' | 'accessToken'>,
  opts: { fetchFn?: typeof fetch; timeoutMs?: number } = {},
): Promise<void> {
  const http = new MatrixHttp({
    homeserverUrl: session.homeserverUrl,
    accessToken: session.accessToken,
    timeoutMs: opts.timeoutMs ?? 15_000,
    ...(opts.fetchFn ? { fetchFn: opts.fetchFn } : {}),
  });
  try {
    await http.request('POST', '/_matrix/client/v3/logout', { body: {} });
  } catch (err) {
    // A token the server no longer knows is as logged out as it gets.
    if (err instanceof MatrixApiError && err.code === 'token_expired') return;
    throw err;
  }
}

/** An authenticated MatrixHttp for a session. */
export function httpForSession(
  session: MatrixSession,
  opts: { timeoutMs?: number; fetchFn?: typeof fetch } = {},
): MatrixHttp {
  return new MatrixHttp({
    homeserverUrl: session.homeserverUrl,
    adminApiBaseUrl: session.adminApiBaseUrl,
    accessToken: session.accessToken,
    ...opts,
  });
}
