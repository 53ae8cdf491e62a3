// vitest globalSetup of the `hma` project: one PostgreSQL and the three real-HMA deployments (deployments.ts) for the
// whole run, stopped at the end. Where a real HMA cannot run (no ../shared beside the checkout, no PostgreSQL), it
// provides the reason and every real-HMA test prints it and skips. A failure to start one that should run is a
// failure of every real-HMA test (with the reason), not a skip, and not the end of the other projects' run.
import type { TestProject } from 'vitest/node';
import { ensureHmaVenv, realHmaUnavailable, startPostgres, type Postgres } from './harness';
import { startAllRoles, startKeyed, startSplitRoles, type StartedDeployment } from './deployments';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const unavailable = realHmaUnavailable();
  if (unavailable) {
    project.provide('realHma', { unavailable, startError: null, pg: null, deployments: [] });
    return async () => undefined;
  }
  const started = Date.now();
  let pg: Postgres | null = null;
  const deployments: StartedDeployment[] = [];
  const teardown = async () => {
    await Promise.all(deployments.flatMap((d) => d.processes.map((p) => p.stop())));
    await pg?.stop();
  };
  try {
    ensureHmaVenv();
    pg = await startPostgres();
    const at = Date.now();
    const results = await Promise.allSettled([startAllRoles(pg), startSplitRoles(pg), startKeyed(pg)]);
    console.log(`[hma] PostgreSQL in ${((at - started) / 1000).toFixed(1)} s, the HMA processes in ${((Date.now() - at) / 1000).toFixed(1)} s`);
    for (const r of results) if (r.status === 'fulfilled') deployments.push(r.value);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  } catch (e) {
    await teardown();
    const startError = e instanceof Error ? e.message : String(e);
    console.error(`[hma] could not start a real HMA: ${startError}`);
    project.provide('realHma', { unavailable: null, startError, pg: null, deployments: [] });
    return async () => undefined;
  }
  console.log(
    `[hma] real HMA 1.1.7 up in ${((Date.now() - started) / 1000).toFixed(1)} s: PostgreSQL on 127.0.0.1:${pg.port}; ` +
      deployments.map((d) => `${d.info.name} ${[...new Set(Object.values(d.info.urls))].join(' + ')}`).join('; '),
  );
  project.provide('realHma', { unavailable: null, startError: null, pg: { port: pg.port, bindir: pg.bindir }, deployments: deployments.map((d) => d.info) });
  return teardown;
}
