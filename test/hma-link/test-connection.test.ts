// Settings → HMA → Test connection: it tests what is typed in the form, with a fresh client whose circuit breaker
// has not seen the live client's failures, and says what went wrong in plain words. Against the HMA test double
// (real HMA cannot run here) and small servers that are not HMA.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDispatch } from '../helpers/local-api';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServices, type Services } from '../../electron/services/app-services';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import { HmaClient, HmaError } from '../../electron/services/hma';
import { startHmaDouble, type HmaDouble } from '../hma-double';
import { tempDir } from '../helpers/temp-dir';

const KEY = 'test-connection-key';
const temp = tempDir('matchdesk-hma-test-');
let double: HmaDouble;
let services: Services;
let deadUrl: string;
let htmlServer: Server;
let htmlUrl: string;

interface TestResult {
  configured: boolean;
  tested: string;
  summary: string;
  error: string | null;
  roles: { role: string; baseUrl: string; ok: boolean; message: string }[];
  banks: { name: string }[];
}

async function call<T = unknown>(name: string, input: unknown = {}): Promise<T> {
  const result = await localDispatch(services)(name, input);
  if (!result.ok) throw new Error(`${name}: ${result.error.message}`);
  return result.value as T;
}

beforeAll(async () => {
  double = await startHmaDouble({ apiKey: KEY });
  await new HmaClient({ baseUrl: double.url, apiKey: KEY }).createBank('TEST_BANK');
  // A port that was just free: nothing listens there.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  deadUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise<void>((r) => probe.close(() => r()));
  htmlServer = createServer((_req, res) => {
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
  });
  await new Promise<void>((r) => htmlServer.listen(0, '127.0.0.1', () => r()));
  htmlUrl = `http://127.0.0.1:${(htmlServer.address() as AddressInfo).port}`;
  services = createServices({
    dataDir: join(temp.dir, 'data'),
    version: 'test',
    transport: 'http',
    secrets: new FileSecretStore(join(temp.dir, 'secrets.json'), plainCodec),
    startDispatcher: false,
    resumeMatrix: false,
    workers: 1,
  });
  // Saved: an address where nothing answers.
  await call('hma.saveSettings', { enabled: true, baseUrl: deadUrl, timeoutMs: 2000, apiKey: KEY });
});

afterAll(async () => {
  await services?.close();
  await double?.close();
  if (htmlServer) await new Promise<void>((r) => htmlServer.close(() => r()));
  temp.cleanup();
});

describe('HMA Test connection', () => {
  it('the live client’s circuit breaker opens after repeated failures of the saved address…', async () => {
    const client = services.hma.client()!;
    let code = '';
    for (let i = 0; i < 30 && code !== 'circuit_open'; i++) {
      code = await client.lookupSignal('md5', `${i}`.padStart(32, '0')).then(
        () => 'ok',
        (e: unknown) => (e instanceof HmaError ? e.code : 'other'),
      );
    }
    expect(code).toBe('circuit_open');
  });

  it('…yet testing the saved settings reaches the server again and says, in words, that nothing answers there', async () => {
    const r = await call<TestResult>('hma.testConnection', {});
    expect(r.tested).toBe('the saved settings');
    expect(r.roles).toHaveLength(1);
    expect(r.roles[0]).toMatchObject({ role: 'hasher, matcher, curator', baseUrl: deadUrl, ok: false });
    expect(r.summary).toBe(`Could not connect to ${deadUrl}: nothing answered there. Check the address, and that HMA is running and reachable from this machine.`);
    expect(r.summary).not.toMatch(/circuit|breaker/i);
  });

  it('tests the address and key typed in the form, not the saved ones, and saves nothing', async () => {
    const r = await call<TestResult>('hma.testConnection', { baseUrl: double.url, apiKey: KEY });
    expect(r.tested).toBe('the address and key in the form (not saved yet)');
    expect(r.error).toBeNull();
    expect(r.summary).toBe(`Connected to ${double.url}: HMA answered and accepted the key (1 bank).`);
    expect(r.banks.map((b) => b.name)).toEqual(['TEST_BANK']);
    expect((await call<{ baseUrl: string }>('hma.getSettings')).baseUrl).toBe(deadUrl);
  });

  it('a typed address with the stored key; a wrong key; a server that is not HMA', async () => {
    expect((await call<TestResult>('hma.testConnection', { baseUrl: double.url })).error).toBeNull();
    const wrongKey = await call<TestResult>('hma.testConnection', { baseUrl: double.url, apiKey: 'not-the-key' });
    expect(wrongKey.summary).toBe(`${double.url} refused the API key (HTTP 401): check the key.`);
    const html = await call<TestResult>('hma.testConnection', { baseUrl: htmlUrl });
    expect(html.summary).toBe(`${htmlUrl} answered with a web page instead of HMA's API (HTTP 502): another server or a proxy error page is at this address.`);
  });

  it('without any address says what to type', async () => {
    await call('hma.saveSettings', { enabled: true, baseUrl: null });
    const r = await call<TestResult>('hma.testConnection', {});
    expect(r).toMatchObject({ configured: false, summary: 'No HMA address is set: type the base URL of your HMA server.' });
  });
});
