// The app's HMA flows against a real HMA 1.1.7, in each of the three deployments: Test connection, matches found
// during an import land in the queue with the right bank, distance and HMA's evidence; a confirm adds the hashes to
// an HMA bank exactly once (counted in HMA's own database); a false positive disables the content and an undo
// re-enables it, neither touching its note. Faults a real server cannot produce on demand are tested against the
// double (test/hma-link/hma-in-the-app.test.ts).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hashBytes, pdqHamming } from '../../electron/services/hashing';
import type { HmaClient } from '../../electron/services/hma';
import type { Services } from '../../electron/services/app-services';
import { hmaMarker } from '../../electron/services/hma-link/hma-executors';
import { pollIndexed } from '../hma/contract-suite';
import { uniqueBank } from '../hma/helpers';
import { tempDir } from '../helpers/temp-dir';
import { contentsWithNote } from './harness';
import { deploymentClient } from './deployments';
import { appFor, call, deployment, importAndWait, realHmaSkipNote, writeScenes, type DeploymentInfo, type DeploymentName } from './real-hma';

const ctx = inject('realHma');
realHmaSkipNote(ctx, 'the app flow against a real HMA');

const NOTE = 'known:c.png';
const SEEDS: Record<DeploymentName, number> = { 'all-roles': 7100, 'split-roles': 7200, keyed: 7300 };

// The three deployments at once (they mostly wait on HMA's indexers); each one's steps in order.
for (const name of ['all-roles', 'split-roles', 'keyed'] as DeploymentName[]) {
  describe.skipIf(ctx.unavailable !== null).concurrent(`the app with a real HMA 1.1.7: ${name}`, () => {
    describe.sequential('one step at a time', () => {
      const temp = tempDir(`matchdesk-hma-real-app-${name}-`);
      let d: DeploymentInfo;
      let admin: HmaClient;
      let folder: string;
      let known: string;
      let knownId: number;
      let storedPdq: string;
      let jpegPdq: string;
      let services: Services;

      beforeAll(async () => {
        d = deployment(ctx, name);
        admin = deploymentClient(d);
        folder = join(temp.dir, 'incoming');
        mkdirSync(folder);
        const seed = SEEDS[name];
        const scenes = await writeScenes(folder, [seed, seed + 1, seed + 2]);
        known = uniqueBank('KNOWN');
        await admin.createBank(known);
        // HMA hashes the upload itself (the only add route that takes metadata); the moderator imports the JPEG.
        const added = await admin.addContentByUpload(known, scenes[0]!.png, 'photo', {
          note: NOTE,
          metadata: { content_id: `case-${seed}`, content_uri: `https://reports.example.org/${seed}`, json: { partner: 'example' } },
          mimeType: 'image/png',
        });
        knownId = added.id;
        storedPdq = added.signals.pdq!;
        expect(storedPdq).toBe((await hashBytes(scenes[0]!.png)).pdq);
        jpegPdq = (await hashBytes(scenes[0]!.jpeg)).pdq!;
        await pollIndexed(admin, 'pdq', storedPdq, knownId, 60_000);
        services = await appFor(d, temp.dir);
      });

      afterAll(async () => {
        await services?.close();
        await admin?.deleteBank(known).catch(() => undefined);
        temp.cleanup();
      });

      it('Test connection reports every role OK, the index and the banks, and no warning', async () => {
        const t = await call<{ roles: { role: string; ok: boolean; baseUrl: string }[]; indexStatus: Record<string, { present: boolean; size: number }>; banks: { name: string }[]; warnings: string[]; error: string | null }>(services, 'hma.testConnection');
        expect(t.error).toBeNull();
        expect(t.roles.every((r) => r.ok)).toBe(true);
        expect(new Set(t.roles.map((r) => r.baseUrl))).toEqual(new Set(Object.values(d.urls)));
        expect(t.indexStatus.pdq).toMatchObject({ present: true });
        expect(t.indexStatus.pdq!.size).toBeGreaterThanOrEqual(2);
        expect(t.banks.map((b) => b.name)).toContain(known);
        expect(t.warnings).toEqual([]);
      });

      it("an import queues HMA's match with the right bank, distance, matched signal and HMA's evidence", async () => {
        const job = await importAndWait(services, folder);
        expect(job).toMatchObject({ hashed: 3, matched: 1, lookupFailed: 0 });
        const list = await call<{ items: { id: number; media: { fileName: string } }[] }>(services, 'queue.list', { limit: 10 });
        expect(list.items.map((i) => i.media.fileName)).toEqual([`scene-${SEEDS[name]}.jpg`]);
        const item = await call<{
          matches: { id: number; matcher: string; bankName: string; contentRef: string; signalType: string; signal: string | null; distance: number; label: string | null }[];
          evidence: { matchId: number; contentNote: string | null; contentMetadata: Record<string, unknown> }[];
        }>(services, 'queue.get', { id: list.items[0]!.id });
        const hma = item.matches.filter((m) => m.matcher === 'hma');
        expect(hma).toEqual([
          expect.objectContaining({ bankName: known, contentRef: String(knownId), signalType: 'pdq', signal: storedPdq, distance: pdqHamming(jpegPdq, storedPdq), label: `case-${SEEDS[name]}` }),
        ]);
        expect(item.evidence.find((e) => e.matchId === hma[0]!.id)).toEqual({
          matchId: hma[0]!.id,
          bankSeverity: 50,
          pdqThreshold: 31, // HMA's fixed PDQ threshold
          contentNote: NOTE,
          contentMetadata: { content_id: `case-${SEEDS[name]}`, content_uri: `https://reports.example.org/${SEEDS[name]}`, json: { partner: 'example' } },
        });
      });

      it("a false positive disables the HMA content and an undo re-enables it; HMA's note is never touched", async () => {
        const plans = await call<Record<string, Record<string, unknown>>>(services, 'settings.getActionPlans');
        await call(services, 'settings.setActionPlans', { ...plans, undoWindowMs: 0, falsePositive: { ...plans.falsePositive, disableHmaContent: true } });
        const item = (await call<{ items: { id: number }[] }>(services, 'queue.list', { limit: 1 })).items[0]!;
        const { decision } = await call<{ decision: { id: number } }>(services, 'queue.decide', { id: item.id, verdict: 'false_positive', reason: 'Meme or sticker' });
        await services.outbox.drain();
        expect(await admin.getContent(known, knownId)).toMatchObject({ enabled: false, note: NOTE });
        expect(await admin.lookupSignal('pdq', storedPdq, { banks: [known] })).toEqual({});
        await call(services, 'decisions.undo', { decisionId: decision.id });
        await services.outbox.drain();
        expect(await admin.getContent(known, knownId)).toMatchObject({ enabled: true, note: NOTE, metadata: expect.objectContaining({ contentId: `case-${SEEDS[name]}` }) });
        expect(Object.keys(await admin.lookupSignal('pdq', storedPdq, { banks: [known] }))).toEqual([known]);
        const done = services.db.prepare("SELECT kind, state FROM actions WHERE kind LIKE 'hma.%' ORDER BY id").all();
        expect(done).toEqual([
          { kind: 'hma.disable_content', state: 'done' },
          { kind: 'hma.enable_content', state: 'done' },
        ]);
      });

      it('a confirm adds the hashes to an HMA bank exactly once, and HMA matches them from then on', async () => {
        const target = uniqueBank('CONFIRMED');
        await admin.createBank(target);
        const plans = await call<Record<string, Record<string, unknown>>>(services, 'settings.getActionPlans');
        await call(services, 'settings.setActionPlans', { ...plans, undoWindowMs: 0, confirm: { ...plans.confirm, addToHmaBank: target } });
        // The item whose false positive was undone above is back in the queue.
        const item = (await call<{ items: { id: number }[] }>(services, 'queue.list', { limit: 1 })).items[0]!;
        await call(services, 'queue.decide', { id: item.id, verdict: 'confirm' });
        await services.outbox.drain();
        const action = services.db.prepare("SELECT state, idempotency_key, result_json FROM actions WHERE kind = 'hma.add_to_bank'").get() as { state: string; idempotency_key: string; result_json: string };
        expect(action.state).toBe('done');
        const contentId = JSON.parse(action.result_json).contentId as number;
        expect(contentsWithNote(ctx.pg!, d.database, hmaMarker(services.hma.markerScope(), action.idempotency_key))).toEqual([contentId]);
        const md5 = (services.db.prepare('SELECT m.md5 FROM media_items m JOIN queue_items q ON q.media_id = m.id WHERE q.id = ?').get(item.id) as { md5: string }).md5;
        expect(await admin.getContent(target, contentId)).toMatchObject({ signals: { pdq: jpegPdq, video_md5: md5 }, metadata: null });
        await pollIndexed(admin, 'video_md5', md5, contentId, 60_000);
        expect(await admin.lookupSignal('video_md5', md5, { banks: [target] })).toEqual({ [target]: [{ bankContentId: contentId, distance: 0, rawDistance: '-' }] });
        await admin.deleteBank(target);
      });
    });
  });
}
