import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startHttpTransport, type HttpTransport } from '../../electron/web/http-transport';
import type { Dispatch } from '../../electron/services/api/dispatcher';
import { tempDir } from '../helpers/temp-dir';
import { rawRequest } from '../helpers/raw-http';

describe('loopback HTTP transport', () => {
  const temp = tempDir();
  const calls: { name: string; input: unknown }[] = [];
  const dispatch: Dispatch = async (name, input) => {
    calls.push({ name, input });
    if (name === 'queue.counts') return { ok: true, value: { pending: 1 } };
    return { ok: false, error: { code: 'unknown_call', message: `Unknown call: ${name}` } };
  };
  let http: HttpTransport;
  let base: string;
  let host: string;

  beforeAll(async () => {
    const root = join(temp.dir, 'static');
    mkdirSync(root);
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(temp.dir, 'secret.txt'), 'outside the root');
    http = await startHttpTransport({ dispatch, staticRoot: root, maxBodyBytes: 1024 });
    base = http.url.replace(/\/$/, '');
    host = new URL(http.url).host;
  });
  afterAll(async () => {
    await http.close();
    temp.cleanup();
  });

  const post = (path: string, headers: Record<string, string>, body = '{}') =>
    rawRequest(base + path, { method: 'POST', headers: { Host: host, 'Content-Type': 'application/json', ...headers }, body });
  const auth = () => ({ Authorization: `Bearer ${http.token}` });

  it('listens on 127.0.0.1 only, with the token in the launch URL fragment', () => {
    expect((http.server.address() as AddressInfo).address).toBe('127.0.0.1');
    expect(http.launchUrl).toBe(`${http.url}#token=${http.token}`);
    expect(http.token.length).toBeGreaterThanOrEqual(40);
  });

  it('refuses /api/ without the token with 401 before looking at anything else', async () => {
    const before = calls.length;
    for (const headers of [{} as Record<string, string>, { Authorization: 'Bearer wrong' }, { Authorization: `bearer ${http.token}` }, { Authorization: http.token }]) {
      const res = await post('/api/queue.counts', headers);
      expect(res.status).toBe(401);
    }
    // Even a request that is wrong in every other way gets 401 first.
    const bad = await rawRequest(base + '/api/nope', { method: 'GET', headers: { Host: 'evil.example', Origin: 'https://evil.example' } });
    expect(bad.status).toBe(401);
    expect(calls.length).toBe(before);
  });

  it('answers a call with the token', async () => {
    const res = await post('/api/queue.counts', auth());
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true, value: { pending: 1 } });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin, even with the token', async () => {
    expect((await post('/api/queue.counts', { ...auth(), Host: 'evil.example' })).status).toBe(403);
    expect((await post('/api/queue.counts', { ...auth(), Host: `attacker.test:${new URL(http.url).port}` })).status).toBe(403);
    expect((await post('/api/queue.counts', { ...auth(), Origin: 'https://evil.example' })).status).toBe(403);
    expect((await post('/api/queue.counts', { ...auth(), Origin: 'http://127.0.0.1:1' })).status).toBe(403);
    expect((await post('/api/queue.counts', { ...auth(), Origin: http.url.replace(/\/$/, '') })).status).toBe(200);
    expect((await rawRequest(base + '/', { headers: { Host: 'evil.example' } })).status).toBe(403);
  });

  it('gives typed errors for wrong method, content type, bad JSON, oversize bodies and unknown calls', async () => {
    expect((await rawRequest(base + '/api/queue.counts', { method: 'GET', headers: { Host: host, ...auth() } })).status).toBe(405);
    expect((await post('/api/queue.counts', { ...auth(), 'Content-Type': 'text/plain' })).status).toBe(415);
    const badJson = await post('/api/queue.counts', auth(), '{"unterminated');
    expect(badJson.status).toBe(400);
    expect(JSON.parse(badJson.body).error.code).toBe('invalid_input');
    expect((await post('/api/queue.counts', auth(), JSON.stringify({ pad: 'x'.repeat(4096) }))).status).toBe(413);
    const unknown = await post('/api/does.not.exist', auth());
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error.code).toBe('unknown_call');
  });

  it('serves the renderer with the CSP and refuses path traversal', async () => {
    const index = await rawRequest(base + '/', { headers: { Host: host } });
    expect(index.status).toBe(200);
    expect(index.headers['content-security-policy']).toContain("default-src 'none'");
    expect(index.headers['x-frame-options']).toBe('DENY');
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%2e%2e%5csecret.txt', '/%00index.html', '/%E0%A4%A']) {
      const res = await rawRequest(base + '/', { path, headers: { Host: host } });
      expect(res.status, path).toBe(404);
      expect(res.body).not.toContain('outside the root');
    }
  });
});
