// No duplicate HMA content on an hma.add_to_bank retry, on a real HMA 1.1.7: the split deployment, whose matcher
// reloads the stored index every 5 s while /m/index/status and /c/signal_type/index report the stored one at once
// (hma-api.md §1.5). A proxy in front of the curator loses attempt 1's answer (or its request); the outbox then
// retries at once and later. Ground truth is HMA's own database: the contents whose note holds the action's marker.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { hashBytes } from '../../electron/services/hashing';
import type { Services } from '../../electron/services/app-services';
import type { HmaClient } from '../../electron/services/hma';
import { uniqueBank } from '../hma/helpers';
import { startDroppingProxy, type DroppingProxy } from '../helpers/dropping-proxy';
import { tempDir } from '../helpers/temp-dir';
import { contentsWithNote } from './harness';
import { deploymentClient } from './deployments';
import { appFor, call, deployment, importAndWait, realHmaSkipNote, waitUntil, writeScenes, type DeploymentInfo } from './real-hma';

const ctx = inject('realHma');
realHmaSkipNote(ctx, 'the hma.add_to_bank retry tests against a real HMA');

describe.skipIf(ctx.unavailable !== null)('hma.add_to_bank retries against a real HMA 1.1.7 (split roles: the matcher lags the stored index)', () => {
  const temp = tempDir('matchdesk-hma-real-retry-');
  let d: DeploymentInfo;
  let admin: HmaClient;
  let proxy: DroppingProxy;
  let services: Services;
  let target: string;
  let md5: string;
  let seed = 7600;

  beforeEach(async () => {
    d = deployment(ctx, 'split-roles');
    admin = deploymentClient(d);
    target = uniqueBank('CONFIRMED');
    await admin.createBank(target);
    proxy = await startDroppingProxy(d.urls.curator);
    // The curator (where adds go) behind the lossy proxy; the matcher reached directly.
    services = await appFor(d, temp.dir, { curatorUrl: proxy.url, timeoutMs: 2_000 });
    const folder = join(temp.dir, `in-${seed}`);
    mkdirSync(folder);
    const [scene] = await writeScenes(folder, [seed++]);
    md5 = (await hashBytes(scene!.jpeg)).md5;
    services.banks.importCsv('Local reference', `md5,${md5},scene\n`); // a local match puts the item in the queue
    const plans = await call<Record<string, Record<string, unknown>>>(services, 'settings.getActionPlans');
    await call(services, 'settings.setActionPlans', { ...plans, undoWindowMs: 0, confirm: { ...plans.confirm, addToLocalBank: null, addToHmaBank: target } });
    expect(await importAndWait(services, folder)).toMatchObject({ matched: 1 });
    const item = (await call<{ items: { id: number }[] }>(services, 'queue.list', { limit: 1 })).items[0]!;
    await call(services, 'queue.decide', { id: item.id, verdict: 'confirm' });
  });

  afterEach(async () => {
    await services.close();
    await proxy.close();
    await admin.deleteBank(target);
  });

  const action = () =>
    services.db.prepare("SELECT id, state, attempts, idempotency_key, result_json, last_error FROM actions WHERE kind = 'hma.add_to_bank'").get() as {
      id: number;
      state: string;
      attempts: number;
      idempotency_key: string;
      result_json: string | null;
      last_error: string | null;
    };
  const inHma = () => contentsWithNote(ctx.pg!, d.database, `[matchdesk:${action().idempotency_key}]`);
  /** Run the add now, whatever its backoff says: "retry at once" (sparingly: each attempt counts towards the outbox's 20). */
  const retryNow = async () => {
    services.db.prepare("UPDATE actions SET not_before = 0 WHERE id = ? AND state = 'pending'").run(action().id);
    await services.outbox.drain();
  };
  const storedIndexHolds = async () => (await admin.signalTypeIndexStatus('video_md5')).video_md5?.indexOutOfDate === false;

  it('attempt 1 lands, its answer is lost; retries at once and later: exactly one content, found as the earlier attempt', async () => {
    proxy.drop({ mode: 'answer', method: 'POST', pathPrefix: `/c/bank/${target}/signal` });
    await services.outbox.drain();
    expect(proxy.dropped).toEqual([{ mode: 'answer', method: 'POST', path: `/c/bank/${target}/signal`, status: 200 }]);
    expect(action()).toMatchObject({ state: 'pending', attempts: 1 });
    const [landed] = inHma();
    expect(inHma()).toEqual([landed]);

    await retryNow(); // at once: the request may still be in flight (our 2 s timeout, then gunicorn's)
    expect(action().last_error).toMatch(/earlier attempt may still be in flight/);
    expect(inHma()).toEqual([landed]);

    // The window that fooled the old check: HMA's stored index already holds attempt 1, the matcher may not serve it.
    await waitUntil("HMA's stored index to hold attempt 1", storedIndexHolds, 30_000, 50);
    const servedYet = (await admin.rawLookup('video_md5', md5, { banks: [target] })).includes(landed!);
    console.log(`[hma] retry test: when the stored index held attempt 1, the split matcher ${servedYet ? 'already served it' : 'did not serve it yet'}`);

    // Retry at once again, then let the outbox retry when it says: never a second content.
    const reasons = new Set<string>([action().last_error!.replace(/^.*: /, '')]);
    const started = Date.now();
    await retryNow();
    await waitUntil('the retry to finish', async () => {
      await services.outbox.drain();
      expect(inHma()).toEqual([landed]);
      if (action().last_error) reasons.add(action().last_error!.replace(/^.*: /, ''));
      return action().state === 'done';
    }, 90_000, 250);
    console.log(`[hma] retry test: done ${((Date.now() - started) / 1000).toFixed(1)} s later, after ${action().attempts} attempts`);
    expect([...reasons]).toEqual(['an earlier attempt may still be in flight at HMA', "HMA's matchers have not reloaded the index yet"]);
    expect(JSON.parse(action().result_json!)).toEqual({ contentId: landed, bank: target, found: 'earlier attempt' });
    expect(inHma()).toEqual([landed]);
  });

  it('attempt 1 never reaches HMA; the retry adds it once the matcher provably does not hold it: exactly one content', async () => {
    proxy.drop({ mode: 'request', method: 'POST', pathPrefix: `/c/bank/${target}/signal` });
    await services.outbox.drain();
    expect(proxy.dropped.map((x) => x.mode)).toEqual(['request']);
    expect(inHma()).toEqual([]);
    await retryNow();
    expect(inHma()).toEqual([]);
    await waitUntil('the retry to finish', async () => {
      await services.outbox.drain();
      expect(inHma().length).toBeLessThanOrEqual(1);
      return action().state === 'done';
    }, 90_000, 250);
    const added = inHma();
    expect(added).toHaveLength(1);
    expect(JSON.parse(action().result_json!)).toEqual({ contentId: added[0], bank: target });
  });
});
