// Transport: service URLs are https unless loopback, parsed with URL, and refuse credentials and whitespace; through
// the contract (what the renderer sends), the Matrix sign-in and .well-known discovery, and the HMA client.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkServiceUrl, isLoopbackHost, redactUrl } from '../../shared/url-policy';
import { contract } from '../../shared/contract';
import { discoverHomeserver, MatrixLoginError } from '../../electron/services/matrix';
import { HmaClient } from '../../electron/services/hma';

describe('checkServiceUrl', () => {
  it('accepts https anywhere and http only on loopback', () => {
    for (const ok of ['https://matrix.example.org', 'https://hma.example.org:8443/api', 'http://127.0.0.1:8008', 'http://localhost:5000/', 'http://[::1]:8080', 'http://127.3.4.5']) {
      expect(checkServiceUrl(ok), ok).toMatchObject({ ok: true });
    }
    for (const bad of ['http://matrix.example.org', 'http://10.0.0.5:8008', 'http://127.0.0.1.evil.example', 'http://localhost.evil.example', 'ftp://x.example', 'javascript:alert(1)', 'matrix.example.org']) {
      expect(checkServiceUrl(bad), bad).toMatchObject({ ok: false });
    }
  });

  it('refuses credentials, whitespace, control characters, queries and fragments', () => {
    for (const bad of ['https://user:pw@matrix.example.org', 'https://user@matrix.example.org', 'http://u:p@127.0.0.1:8008', ' https://matrix.example.org', 'https://matrix.example.org ', 'https://matrix.exa\tmple.org', 'https://matrix.example.org/\npath', 'https://x.example/?a=1', 'https://x.example/#f']) {
      expect(checkServiceUrl(bad), JSON.stringify(bad)).toMatchObject({ ok: false });
    }
    expect(checkServiceUrl('https://u:p@x.example')).toMatchObject({ reason: expect.stringMatching(/user name or password/) });
  });

  it('loopback hosts and redaction', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
    expect(redactUrl('https://alice:hunter2@hma.example.org/api')).toBe('https://***@hma.example.org/api');
    expect(redactUrl('https://hma.example.org/api')).toBe('https://hma.example.org/api');
  });
});

describe('the contract refuses such URLs before any handler runs', () => {
  it('matrix.signIn and hma.saveSettings', () => {
    const signIn = contract['matrix.signIn'].input;
    expect(signIn.safeParse({ homeserverUrl: 'http://matrix.example.org', accessToken: 't' }).success).toBe(false);
    expect(signIn.safeParse({ homeserverUrl: 'https://u:p@matrix.example.org', accessToken: 't' }).success).toBe(false);
    expect(signIn.safeParse({ homeserverUrl: 'https://matrix.example.org', adminApiBaseUrl: 'http://admin.example.org', accessToken: 't' }).success).toBe(false);
    expect(signIn.safeParse({ homeserverUrl: 'https://matrix.example.org', accessToken: 't' }).success).toBe(true);
    const hma = contract['hma.saveSettings'].input;
    expect(hma.safeParse({ enabled: true, baseUrl: 'http://hma.example.org' }).success).toBe(false);
    expect(hma.safeParse({ enabled: true, baseUrl: 'https://key:secret@hma.example.org' }).success).toBe(false);
    expect(hma.safeParse({ enabled: true, baseUrl: 'https://hma.example.org', matcherUrl: 'http://m.example.org' }).success).toBe(false);
    expect(hma.safeParse({ enabled: true, baseUrl: 'https://hma.example.org' }).success).toBe(true);
  });
});

describe('the services refuse them too', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    // A loopback "homeserver" whose .well-known points to plain http on another host.
    server = createServer((req, res) => {
      if (req.url === '/.well-known/matrix/client') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ 'm.homeserver': { base_url: 'http://matrix.example.org' } }));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"errcode":"M_UNRECOGNIZED"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sign-in refuses plain http to a remote host and credentials in the URL', async () => {
    for (const url of ['http://matrix.example.org', 'https://u:p@matrix.example.org']) {
      const e = await discoverHomeserver(url).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(MatrixLoginError);
      expect((e as MatrixLoginError).code).toBe('invalid_url');
    }
  });

  it('.well-known cannot send the client to plain http', async () => {
    const e = await discoverHomeserver(base, { timeoutMs: 2000 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MatrixLoginError);
    expect((e as MatrixLoginError).code).toBe('insecure_discovery');
    expect((e as Error).message).toMatch(/http:\/\/matrix\.example\.org/);
  });

  it('the HMA client refuses plain http to a remote host and credentials', () => {
    expect(() => new HmaClient({ baseUrl: 'http://hma.example.org', apiKey: 'k' })).toThrow(/https/);
    expect(() => new HmaClient({ baseUrl: 'https://k:s@hma.example.org' })).toThrow(/user name or password/);
    expect(() => new HmaClient({ baseUrl: 'http://127.0.0.1:5000', apiKey: 'k' })).not.toThrow();
  });
});
