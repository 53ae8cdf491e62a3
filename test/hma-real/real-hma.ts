// Helpers for the test files of the `hma` project (a real HMA 1.1.7 started by global-setup.ts).
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { createServices, type Services } from '../../electron/services/app-services';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import { renderScene } from '../../electron/services/demo/demo-media';
import type { HmaClientOptions } from '../../electron/services/hma';
import type { DeploymentInfo, RealHmaContext } from './deployments';
import { GUNICORN_TIMEOUT_S } from './harness';
import { localDispatch } from '../helpers/local-api';

export type { DeploymentInfo, DeploymentName, RealHmaContext } from './deployments';

/** Prints, once per file, why the real-HMA tests of that file skip (a user's own clone without ../shared). */
export function realHmaSkipNote(ctx: RealHmaContext, what: string): void {
  if (ctx.unavailable) console.log(`[hma] Skipping ${what}: ${ctx.unavailable}`);
}

export function deployment(ctx: RealHmaContext, name: DeploymentInfo['name']): DeploymentInfo {
  const d = ctx.deployments.find((x) => x.name === name);
  if (!d) throw new Error(`no ${name} deployment: ${ctx.startError ?? ctx.unavailable ?? 'not started'}`);
  return d;
}

/** The app's service layer with HMA settings for `d` (one base URL, or per-role URLs for a split deployment). */
export async function appFor(
  d: DeploymentInfo,
  dir: string,
  o: { hmaClient?: Partial<HmaClientOptions>; curatorUrl?: string; timeoutMs?: number } = {},
): Promise<Services> {
  const id = Math.random().toString(36).slice(2);
  const services = createServices({
    dataDir: join(dir, `data-${id}`),
    version: 'test',
    transport: 'http',
    secrets: new FileSecretStore(join(dir, `secrets-${id}.json`), plainCodec),
    startDispatcher: false,
    resumeMatrix: false,
    hmaClient: o.hmaClient,
  });
  const split = d.urls.matcher !== d.urls.curator || o.curatorUrl !== undefined;
  const urls = split
    ? { baseUrl: null, hasherUrl: d.urls.hasher, matcherUrl: d.urls.matcher, curatorUrl: o.curatorUrl ?? d.urls.curator }
    : { baseUrl: d.urls.curator };
  const r = await localDispatch(services)('hma.saveSettings', {
    enabled: true,
    ...urls,
    apiKey: d.apiKey,
    timeoutMs: o.timeoutMs ?? 5_000,
    indexRefreshSeconds: d.indexCacheIntervalS,
    serverTimeoutSeconds: GUNICORN_TIMEOUT_S,
  });
  if (!r.ok) throw new Error(`hma.saveSettings: ${r.error.message}`);
  return services;
}

export async function call<T = unknown>(services: Services, name: string, input: unknown = {}): Promise<T> {
  const result = await localDispatch(services)(name, input);
  if (!result.ok) throw new Error(`${name}: ${result.error.code} ${result.error.message}`);
  return result.value as T;
}

export async function importAndWait(services: Services, path: string) {
  const { jobId } = await call<{ jobId: string }>(services, 'ingest.importFolder', { path });
  for (;;) {
    const job = (await call<{ id: string; state: string; hashed: number; matched: number; lookupFailed: number }[]>(services, 'ingest.jobs')).find((j) => j.id === jobId)!;
    if (job.state !== 'running') return job;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Writes generated scenes as JPEG files (what a moderator imports) and returns each one's lossless PNG too. */
export async function writeScenes(folder: string, seeds: number[]): Promise<Array<{ file: string; jpeg: Buffer; png: Buffer }>> {
  const out: Array<{ file: string; jpeg: Buffer; png: Buffer }> = [];
  for (const seed of seeds) {
    const jpeg = await renderScene(seed);
    const file = `scene-${seed}.jpg`;
    writeFileSync(join(folder, file), jpeg);
    out.push({ file, jpeg, png: await sharp(jpeg).png().toBuffer() });
  }
  return out;
}

export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
