import { describe, expect, it } from 'vitest';
import { OpenIdError, verifyOpenIdToken } from '../../electron/server/openid';

const trusted = new Map([['example.org', 'https://matrix.example.org']]);
const token = (server: string) => ({ access_token: 'tok', token_type: 'Bearer', matrix_server_name: server, expires_in: 3600 });

function fakeFetch(answer: { status: number; body: unknown }) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const fn = (async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { 'Content-Type': 'application/json' } });
  }) as unknown as typeof fetch;
  return { fn, calls };
}

describe('OpenID sign-in checks (no SSRF: only configured homeservers are asked) — a fake fetch, since Synapse cannot be made to vouch for another server or to redirect; the real exchange is in test/synapse/team-server', () => {
  it('asks the configured URL of the named homeserver, without following redirects', async () => {
    const f = fakeFetch({ status: 200, body: { sub: '@ann:example.org' } });
    await expect(verifyOpenIdToken(token('example.org'), trusted, f.fn)).resolves.toBe('@ann:example.org');
    expect(f.calls).toHaveLength(1);
    expect(f.calls[0]!.url).toBe('https://matrix.example.org/_matrix/federation/v1/openid/userinfo?access_token=tok');
    expect(f.calls[0]!.init?.redirect).toBe('error');
  });

  it('never contacts a homeserver the config does not name', async () => {
    const f = fakeFetch({ status: 200, body: { sub: '@eve:evil.example' } });
    await expect(verifyOpenIdToken(token('evil.example'), trusted, f.fn)).rejects.toMatchObject({ kind: 'untrusted_server' });
    await expect(verifyOpenIdToken(token('127.0.0.1:8008'), trusted, f.fn)).rejects.toBeInstanceOf(OpenIdError);
    expect(f.calls).toHaveLength(0);
  });

  it('refuses an answer naming a user of another server, and unknown tokens', async () => {
    await expect(verifyOpenIdToken(token('example.org'), trusted, fakeFetch({ status: 200, body: { sub: '@ann:other.org' } }).fn)).rejects.toMatchObject({ kind: 'invalid_token' });
    await expect(verifyOpenIdToken(token('example.org'), trusted, fakeFetch({ status: 200, body: { sub: 'not-a-user-id' } }).fn)).rejects.toMatchObject({ kind: 'invalid_token' });
    await expect(verifyOpenIdToken(token('example.org'), trusted, fakeFetch({ status: 401, body: { errcode: 'M_UNKNOWN_TOKEN' } }).fn)).rejects.toMatchObject({ kind: 'invalid_token' });
    await expect(verifyOpenIdToken(token('example.org'), trusted, fakeFetch({ status: 404, body: {} }).fn)).rejects.toThrow(/openid listener resource/);
  });
});
