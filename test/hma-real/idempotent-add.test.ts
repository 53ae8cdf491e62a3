// No duplicate HMA content on an hma.add_to_bank retry, on a real HMA 1.1.7: the split deployment, whose matcher
// reloads the stored index every 5 s while /m/index/status and /c/signal_type/index report the stored one at once
// (hma-api.md §1.5). A proxy in front of the curator loses attempt 1's answer (or its request); the outbox then
// retries at once and later. Ground truth is HMA's own database: the contents whose note holds the action's marker.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { afterAll, describe, inject, it } from 'vitest';
import { hashBytes } from '../../electron/services/hashing';
import { uniqueBank } from '../hma/helpers';
import { startDroppingProxy } from '../helpers/dropping-proxy';
import { tempDir } from '../helpers/temp-dir';
import { hmaMarker } from '../../electron/services/hma-link/hma-executors';
import { contentsWithNote } from './harness';
import { deploymentClient } from './deployments';
import { appFor, call, deployment, importAndWait, realHmaSkipNote, waitUntil, writeScenes, type DeploymentInfo } from './real-hma';

const ctx = inject('realHma');
realHmaSkipNote(ctx, 'the hma.add_to_bank retry tests against a real HMA');

const temp = tempDir('matchdesk-hma-real-retry-');
let seed = 7600;

/** The split deployment's curator (where adds go) behind a lossy proxy, its matcher reached directly; one confirm planned. */
async function confirmBehindProxy(d: DeploymentInfo) {
  const admin = deploymentClient(d);
  const target = uniqueBank('CONFIRMED');
  await admin.createBank(target);
  const proxy = await startDroppingProxy(d.urls.curator);
  const services = await appFor(d, temp.dir, { curatorUrl: proxy.url, timeoutMs: 2_000 });
  const folder = join(temp.dir, `in-${seed}`);
  mkdirSync(folder);
  const [scene] = await writeScenes(folder, [seed++]);
  const md5 = (await hashBytes(scene!.jpeg)).md5;
  services.banks.importCsv('Local reference', `md5,${md5},scene\n`); // a local match puts the item in the queue
  const plans = await call<Record<string, Record<string, unknown>>>(services, 'settings.getActionPlans');
  await call(services, 'settings.setActionPlans', { ...plans, undoWindowMs: 0, confirm: { ...plans.confirm, addToLocalBank: null, addToHmaBank: target } });
  const job = await importAndWait(services, folder);
  if (job.matched !== 1) throw new Error(`expected one match, got ${JSON.stringify(job)}`);
  const item = (await call<{ items: { id: number }[] }>(services, 'queue.list', { limit: 1 })).items[0]!;
  await call(services, 'queue.decide', { id: item.id, verdict: 'confirm' });
  const action = () =>
    services.db.prepare("SELECT id, state, attempts, idempotency_key, result_json, last_error FROM actions WHERE kind = 'hma.add_to_bank'").get() as {
      id: number;
      state: string;
      attempts: number;
      idempotency_key: string;
      result_json: string | null;
      last_error: string | null;
    };
  return {
    admin,
    target,
    proxy,
    services,
    md5,
    action,
    /** HMA's own record: contents whose note holds this action's idempotency marker. */
    inHma: () => contentsWithNote(ctx.pg!, d.database, hmaMarker(services.hma.markerScope(), action().idempotency_key)),
    /** Run the add now, whatever its backoff says: "retry at once" (sparingly: failures count towards the outbox's 20). */
    retryNow: async () => {
      services.db.prepare("UPDATE actions SET not_before = 0 WHERE id = ? AND state = 'pending'").run(action().id);
      await services.outbox.drain();
    },
    close: async () => {
      await services.close();
      await proxy.close();
      await admin.deleteBank(target);
    },
  };
}

const reason = (error: string | null) => (error ?? '').replace(/^.*: /, '');
const WAITS = new Set(['an earlier attempt may still be in flight at HMA', "HMA's indexer has not indexed its latest content yet", "HMA's matchers have not reloaded the index yet"]);

// Both cases at once: they wait on HMA, not on the CPU (and each sees the other's adds, as a busy HMA would).
describe.skipIf(ctx.unavailable !== null).concurrent('hma.add_to_bank retries against a real HMA 1.1.7 (split roles: the matcher lags the stored index)', () => {
  afterAll(() => temp.cleanup());

  it('attempt 1 lands, its answer is lost; retries at once and later: exactly one content, found as the earlier attempt', async ({ expect }) => {
    const t = await confirmBehindProxy(deployment(ctx, 'split-roles'));
    try {
      t.proxy.drop({ mode: 'answer', method: 'POST', pathPrefix: `/c/bank/${t.target}/signal` });
      await t.services.outbox.drain();
      expect(t.proxy.dropped).toEqual([{ mode: 'answer', method: 'POST', path: `/c/bank/${t.target}/signal`, status: 200 }]);
      expect(t.action()).toMatchObject({ state: 'pending', attempts: 1 });
      const [landed] = t.inHma();
      expect(t.inHma()).toEqual([landed]);

      await t.retryNow(); // at once: the request may still be in flight (our 2 s timeout, then gunicorn's)
      expect(reason(t.action().last_error)).toBe('an earlier attempt may still be in flight at HMA');
      expect(t.inHma()).toEqual([landed]);

      // The window that fooled the old check: HMA's stored index already holds attempt 1, the matcher may not serve it.
      await waitUntil("HMA's stored index to hold attempt 1", async () => (await t.admin.signalTypeIndexStatus('video_md5')).video_md5?.indexOutOfDate === false, 30_000, 50);
      const servedYet = (await t.admin.rawLookup('video_md5', t.md5, { banks: [t.target] })).includes(landed!);
      console.log(`[hma] retry test: when the stored index held attempt 1, the split matcher ${servedYet ? 'already served it' : 'did not serve it yet'}`);

      // Retry at once again, then let the outbox retry when it says: never a second content.
      const reasons = new Set<string>();
      const started = Date.now();
      await t.retryNow();
      await waitUntil('the retry to finish', async () => {
        await t.services.outbox.drain();
        expect(t.inHma()).toEqual([landed]);
        if (t.action().last_error) reasons.add(reason(t.action().last_error));
        return t.action().state === 'done';
      }, 90_000, 250);
      console.log(`[hma] retry test: done ${((Date.now() - started) / 1000).toFixed(1)} s later, after ${t.action().attempts} attempts`);
      expect([...reasons].every((r) => WAITS.has(r))).toBe(true);
      expect(reasons.has("HMA's matchers have not reloaded the index yet")).toBe(true);
      expect(JSON.parse(t.action().result_json!)).toEqual({ contentId: landed, bank: t.target, found: 'earlier attempt' });
      expect(t.inHma()).toEqual([landed]);
    } finally {
      await t.close();
    }
  });

  it('attempt 1 never reaches HMA; the retry adds it once the matcher provably does not hold it: exactly one content', async ({ expect }) => {
    const t = await confirmBehindProxy(deployment(ctx, 'split-roles'));
    try {
      t.proxy.drop({ mode: 'request', method: 'POST', pathPrefix: `/c/bank/${t.target}/signal` });
      await t.services.outbox.drain();
      expect(t.proxy.dropped.map((x) => x.mode)).toEqual(['request']);
      expect(t.inHma()).toEqual([]);
      await t.retryNow();
      expect(t.inHma()).toEqual([]);
      await waitUntil('the retry to finish', async () => {
        await t.services.outbox.drain();
        expect(t.inHma().length).toBeLessThanOrEqual(1);
        return t.action().state === 'done';
      }, 90_000, 250);
      const added = t.inHma();
      expect(added).toHaveLength(1);
      expect(JSON.parse(t.action().result_json!)).toEqual({ contentId: added[0], bank: t.target });
    } finally {
      await t.close();
    }
  });
});
