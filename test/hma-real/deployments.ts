// The three real-HMA deployments every `hma` test file can use, started once per test run by global-setup.ts:
//
//   all-roles    one gunicorn with every role (hasher, matcher, curator, indexer), no key
//   split-roles  a curator (+ hasher + indexer) and, beside it, a matcher-only worker (hashing off, as hma-matrix's
//                MATCHER workers run), reached through per-role URLs; the matcher reloads the stored index every 5 s,
//                so the window in which /m/index/status already shows a hash that lookups do not return is wide
//   keyed        every role behind hma-matrix's Bearer-key hook (401 "Authentication required" without it)
//
// Index intervals are short (indexer 1 s; matcher cache 1 s, split matcher 5 s) so an add is matchable in seconds.
import { HmaClient } from '../../electron/services/hma';
import { randomPdq } from '../hma/helpers';
import { ALL_ROLES, createDatabase, startHma, type PgInfo, type RealHma } from './harness';

export type DeploymentName = 'all-roles' | 'split-roles' | 'keyed';

export interface RoleUrls {
  hasher: string;
  matcher: string;
  curator: string;
}

/** Plain data (crosses vitest's provide/inject). */
export interface DeploymentInfo {
  name: DeploymentName;
  description: string;
  database: string;
  apiKey: string | null;
  urls: RoleUrls;
  /** TASK_INDEX_CACHE_INTERVAL_SECONDS of its matcher: the app's "index refresh" setting for this HMA. */
  indexCacheIntervalS: number;
}

export interface RealHmaContext {
  /** Why real-HMA tests skip here, or null. */
  unavailable: string | null;
  /** Why the harness failed to start a real HMA that should run here: every real-HMA test fails with it. */
  startError: string | null;
  pg: PgInfo | null;
  deployments: DeploymentInfo[];
}

declare module 'vitest' {
  interface ProvidedContext {
    realHma: RealHmaContext;
  }
}

export const KEYED_API_KEY = 'matchdesk-test-key-7d1f0b2c';

/**
 * HMA 1.1.7 never matches a PDQ index that holds exactly one hash (upstream #1318, hma-api.md §1.5). Each fresh
 * HMA gets two unrelated PDQ hashes in a bank of their own, so a test that adds one hash matches whatever ran
 * before it. test/hma-real/one-hash-bug.test.ts shows the bug itself on an HMA of its own.
 */
export const BALLAST_BANK = 'MDT_BALLAST';

async function addBallast(urls: RoleUrls, apiKey: string | null): Promise<void> {
  const c = new HmaClient({ curator: { baseUrl: urls.curator }, matcher: { baseUrl: urls.matcher }, hasher: { baseUrl: urls.hasher }, apiKey, requestsPerMinute: 0 });
  await c.createBank(BALLAST_BANK);
  await c.addSignals(BALLAST_BANK, { pdq: randomPdq() }, { note: 'ballast: a second PDQ hash (HMA #1318)' });
  await c.addSignals(BALLAST_BANK, { pdq: randomPdq() }, { note: 'ballast: a second PDQ hash (HMA #1318)' });
}

export interface StartedDeployment {
  info: DeploymentInfo;
  processes: RealHma[];
}

export async function startAllRoles(pg: PgInfo): Promise<StartedDeployment> {
  const database = createDatabase(pg, 'hma_all');
  const hma = await startHma({ pg, database, roles: ALL_ROLES, name: 'all-roles', indexerIntervalS: 1, indexCacheIntervalS: 1 });
  const urls = { hasher: hma.url, matcher: hma.url, curator: hma.url };
  await addBallast(urls, null);
  return { info: { name: 'all-roles', description: 'one HMA with every role', database, apiKey: null, urls, indexCacheIntervalS: 1 }, processes: [hma] };
}

export async function startSplitRoles(pg: PgInfo): Promise<StartedDeployment> {
  const database = createDatabase(pg, 'hma_split');
  const started = await Promise.allSettled([
    startHma({ pg, database, roles: ['CURATOR', 'HASHER', 'CRON'], name: 'split-curator', indexerIntervalS: 1 }),
    startHma({ pg, database, roles: ['MATCHER'], name: 'split-matcher', indexCacheIntervalS: 5 }),
  ]);
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw (failed as PromiseRejectedResult).reason;
  }
  const [curator, matcher] = started.map((r) => (r as PromiseFulfilledResult<RealHma>).value) as [RealHma, RealHma];
  const urls = { hasher: curator.url, matcher: matcher.url, curator: curator.url };
  await addBallast(urls, null);
  return {
    info: { name: 'split-roles', description: 'a matcher-only worker beside a curator, per-role URLs', database, apiKey: null, urls, indexCacheIntervalS: 5 },
    processes: [matcher, curator],
  };
}

export async function startKeyed(pg: PgInfo): Promise<StartedDeployment> {
  const database = createDatabase(pg, 'hma_keyed');
  const hma = await startHma({ pg, database, roles: ALL_ROLES, name: 'keyed', apiKey: KEYED_API_KEY, indexerIntervalS: 1, indexCacheIntervalS: 1 });
  const urls = { hasher: hma.url, matcher: hma.url, curator: hma.url };
  await addBallast(urls, KEYED_API_KEY);
  return { info: { name: 'keyed', description: "every role behind hma-matrix's Bearer key", database, apiKey: KEYED_API_KEY, urls, indexCacheIntervalS: 1 }, processes: [hma] };
}

/** An HmaClient for a deployment (per-role URLs), with the options a test wants on top. */
export function deploymentClient(d: DeploymentInfo, extra: Partial<ConstructorParameters<typeof HmaClient>[0]> = {}): HmaClient {
  return new HmaClient({
    hasher: { baseUrl: d.urls.hasher },
    matcher: { baseUrl: d.urls.matcher },
    curator: { baseUrl: d.urls.curator },
    apiKey: d.apiKey,
    negativeCacheTtlMs: 0,
    requestsPerMinute: 0,
    ...extra,
  });
}
