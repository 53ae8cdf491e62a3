import { discoverHomeserver } from '../services/matrix/auth';
import { MatrixLoginError } from '../services/matrix/errors';

export interface OpenIdTokenAnswer {
  access_token: string;
  token_type: string;
  matrix_server_name: string;
  expires_in: number;
}

export type MatrixCredentials = { homeserverUrl: string; user: string; password: string } | { homeserverUrl: string; accessToken: string };

export class MatrixSignInError extends Error {
  constructor(
    readonly kind: 'unreachable' | 'bad_credentials' | 'not_matrix' | 'refused',
    message: string,
  ) {
    super(message);
  }
}

async function post(base: string, path: string, token: string | null, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
  } catch {
    throw new MatrixSignInError('unreachable', `The homeserver at ${base} could not be reached.`);
  }
  return { status: res.status, json: ((await res.json().catch(() => ({}))) ?? {}) as Record<string, unknown> };
}

/**
 * What a console does to sign its moderator in to a team server: ask their own homeserver for an OpenID token
 * (POST /_matrix/client/v3/user/{userId}/openid/request_token) and hand only that to the server. With a password,
 * the Matrix login made for it is logged out again at once: no Matrix access token is kept, and none ever reaches
 * the team server. With an access token the moderator pasted, it is used once and not stored.
 */
export async function requestOpenIdToken(credentials: MatrixCredentials): Promise<{ userId: string; openid: OpenIdTokenAnswer }> {
  let base: string;
  try {
    base = await discoverHomeserver(credentials.homeserverUrl, { timeoutMs: 15_000 });
  } catch (error) {
    if (error instanceof MatrixLoginError && error.code === 'not_matrix_server') throw new MatrixSignInError('not_matrix', `There is no Matrix homeserver at ${credentials.homeserverUrl}.`);
    throw new MatrixSignInError('unreachable', `The homeserver at ${credentials.homeserverUrl} could not be reached.`);
  }
  let accessToken: string;
  let userId: string;
  const loggedInForThis = 'password' in credentials;
  if ('password' in credentials) {
    const login = await post(base, '/_matrix/client/v3/login', null, {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: credentials.user },
      password: credentials.password,
      initial_device_display_name: 'Matchdesk team sign-in (logged out at once)',
    });
    if (login.status === 403 || login.status === 401) throw new MatrixSignInError('bad_credentials', 'The homeserver refused this user name and password.');
    if (login.status !== 200 || typeof login.json.access_token !== 'string' || typeof login.json.user_id !== 'string') {
      throw new MatrixSignInError('refused', `The homeserver answered ${login.status} to the sign-in${typeof login.json.error === 'string' ? `: ${login.json.error}` : ''}.`);
    }
    accessToken = login.json.access_token;
    userId = login.json.user_id;
  } else {
    accessToken = credentials.accessToken;
    let res: Response;
    try {
      res = await fetch(`${base}/_matrix/client/v3/account/whoami`, { headers: { Authorization: `Bearer ${accessToken}` }, signal: AbortSignal.timeout(15_000) });
    } catch {
      throw new MatrixSignInError('unreachable', `The homeserver at ${base} could not be reached.`);
    }
    const who = (await res.json().catch(() => ({}))) as { user_id?: unknown };
    if (res.status === 401 || res.status === 403) throw new MatrixSignInError('bad_credentials', 'The homeserver did not accept this access token.');
    if (!res.ok || typeof who.user_id !== 'string') throw new MatrixSignInError('refused', `The homeserver answered ${res.status} to whoami.`);
    userId = who.user_id;
  }
  try {
    const answer = await post(base, `/_matrix/client/v3/user/${encodeURIComponent(userId)}/openid/request_token`, accessToken, {});
    const j = answer.json;
    if (answer.status !== 200 || typeof j.access_token !== 'string' || typeof j.matrix_server_name !== 'string') {
      throw new MatrixSignInError('refused', `The homeserver would not issue an OpenID token (${answer.status}).`);
    }
    return {
      userId,
      openid: { access_token: j.access_token, token_type: String(j.token_type ?? 'Bearer'), matrix_server_name: j.matrix_server_name, expires_in: Number(j.expires_in ?? 3600) },
    };
  } finally {
    if (loggedInForThis) await post(base, '/_matrix/client/v3/logout', accessToken, {}).catch(() => undefined);
  }
}
