import { z } from 'zod';

/** What a console hands over: the answer of POST /_matrix/client/v3/user/{userId}/openid/request_token. */
export const openIdTokenSchema = z
  .object({
    access_token: z.string().min(1).max(2048),
    token_type: z.string().max(40).optional(),
    matrix_server_name: z.string().min(1).max(255),
    expires_in: z.number().optional(),
  })
  .passthrough();
export type OpenIdToken = z.output<typeof openIdTokenSchema>;

export class OpenIdError extends Error {
  constructor(
    readonly kind: 'untrusted_server' | 'invalid_token' | 'unavailable',
    message: string,
  ) {
    super(message);
  }
}

const USER_ID = /^@[^:\s]+:([A-Za-z0-9.:\-[\]]+)$/;

/**
 * Asks the moderator's homeserver who an OpenID token belongs to, as integration managers do
 * (GET /_matrix/federation/v1/openid/userinfo). Only homeservers named in the server's config are asked, at the URL
 * the config gives: the token's `matrix_server_name` only selects among them, so a console can never point the
 * server at another host (SSRF), and redirects are not followed. The answer must name a user of that same server.
 */
export async function verifyOpenIdToken(token: OpenIdToken, trusted: ReadonlyMap<string, string>, fetchFn: typeof fetch = fetch): Promise<string> {
  const base = trusted.get(token.matrix_server_name);
  if (!base) throw new OpenIdError('untrusted_server', `This team server does not accept sign-ins from ${token.matrix_server_name}.`);
  let res: Response;
  try {
    res = await fetchFn(`${base.replace(/\/+$/, '')}/_matrix/federation/v1/openid/userinfo?access_token=${encodeURIComponent(token.access_token)}`, {
      headers: { Accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    throw new OpenIdError('unavailable', `The homeserver ${token.matrix_server_name} could not be reached to check the sign-in.`);
  }
  const body = (await res.json().catch(() => null)) as { sub?: unknown; errcode?: unknown } | null;
  if (res.status === 401 || res.status === 403) throw new OpenIdError('invalid_token', 'The homeserver did not recognise this sign-in token (expired or already used?). Sign in again.');
  if (!res.ok || !body) {
    throw new OpenIdError('unavailable', `The homeserver ${token.matrix_server_name} answered ${res.status} when checking the sign-in${res.status === 404 ? ' (is its openid listener resource enabled?)' : ''}.`);
  }
  const sub = typeof body.sub === 'string' ? body.sub : '';
  const server = USER_ID.exec(sub)?.[1];
  if (!server || server !== token.matrix_server_name) {
    throw new OpenIdError('invalid_token', `The homeserver vouched for ${JSON.stringify(sub).slice(0, 100)}, not a user of ${token.matrix_server_name}.`);
  }
  return sub;
}
