import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { CallContext } from '../../shared/call-context';
import type { Pushed } from '../../shared/events';
import { createServices, type Services } from '../../electron/services/app-services';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import { createApi } from '../../electron/services/api/compose';
import type { ContextDispatch } from '../../electron/services/api/dispatcher';
import { TEAM_CLAIM_LEASE_MS, TEAM_POLICY } from '../../electron/services/queue/claims';
import { tempDir } from '../helpers/temp-dir';

const ann: CallContext = { actor: '@ann:hs.test', role: 'reviewer', host: 'team', sessionId: 'sa' };
const bob: CallContext = { actor: '@bob:hs.test', role: 'reviewer', host: 'team', sessionId: 'sb' };
const lea: CallContext = { actor: '@lea:hs.test', role: 'lead', host: 'team', sessionId: 'sl' };
const W = { ann: 'ann-window-1', bob: 'bob-window-1', lea: 'lea-window-1' };

describe('one shared queue for a team (the team server policy)', () => {
  let temp: ReturnType<typeof tempDir>;
  let services: Services;
  let api: ContextDispatch;
  const clock = { now: 1_700_000_000_000 };
  let events: Pushed[];

  const call = async <T = unknown>(ctx: CallContext, name: string, input: unknown = {}): Promise<T> => {
    const r = await api(name, input, ctx);
    if (!r.ok) throw Object.assign(new Error(`${name}: ${r.error.message}`), { code: r.error.code });
    return r.value as T;
  };
  const add = (n: number) => {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      const mediaId = Number(
        services.db
          .prepare("INSERT INTO media_items (source, source_ref, byte_length, md5, sha256, created_at) VALUES ('upload', ?, 1, ?, ?, ?)")
          .run(`f${i}`, `${i}`.padStart(32, '0'), `${i}`.padStart(64, '0'), clock.now).lastInsertRowid,
      );
      // Descending severity: item 0 ranks first.
      ids.push(services.queue.enqueue(mediaId, [{ matcher: 'local', bankName: 'B', contentRef: String(i), signalType: 'md5', signal: null, distance: 0, label: null, severity: 90 - i }]));
    }
    return ids;
  };

  beforeEach(() => {
    temp = tempDir();
    services = createServices({
      dataDir: temp.dir,
      version: 'test',
      transport: 'http',
      secrets: new FileSecretStore(join(temp.dir, 'secrets.json'), plainCodec),
      workers: 1,
      startDispatcher: false,
      resumeMatrix: false,
      queuePolicy: TEAM_POLICY,
      claimLeaseMs: TEAM_CLAIM_LEASE_MS,
      now: () => clock.now,
    });
    api = createApi(services, { checkOutputs: true });
    events = [];
    services.changes.subscribe((e) => events.push(e));
  });
  afterEach(async () => {
    await services.close();
    temp.cleanup();
  });

  it('serves each moderator a different item, leased for 10 minutes, renewed while open', async () => {
    const [first, second] = add(3);
    const a = await call<{ claim: { queueItemId: number; expiresAt: number } }>(ann, 'claims.next', { sessionId: W.ann });
    const b = await call<{ claim: { queueItemId: number } }>(bob, 'claims.next', { sessionId: W.bob });
    expect(a.claim.queueItemId).toBe(first);
    expect(b.claim.queueItemId).toBe(second);
    expect(a.claim.expiresAt - clock.now).toBe(10 * 60_000);
    clock.now += 9 * 60_000;
    const renewed = await call<{ acquired: boolean; claim: { expiresAt: number } }>(ann, 'claims.acquire', { queueItemId: first, sessionId: W.ann });
    expect(renewed.acquired).toBe(true);
    expect(renewed.claim.expiresAt).toBe(clock.now + 10 * 60_000);
    expect(await call(bob, 'claims.acquire', { queueItemId: first, sessionId: W.bob })).toMatchObject({ acquired: false, claim: { reviewer: ann.actor } });
    // An unrenewed lease runs out and the item is served to someone else.
    clock.now += 10 * 60_000 + 1;
    expect(await call(bob, 'claims.acquire', { queueItemId: first, sessionId: W.bob })).toMatchObject({ acquired: true });
  });

  it('a decision holds the lease first: the other console is refused and told who decided', async () => {
    const [id] = add(1);
    await call(ann, 'claims.acquire', { queueItemId: id, sessionId: W.ann });
    await expect(call(bob, 'queue.decide', { id, verdict: 'confirm', sessionId: W.bob })).rejects.toThrow(`being reviewed by ${ann.actor}`);
    await expect(call(bob, 'queue.decide', { id, verdict: 'confirm' })).rejects.toThrow(/says which console window/);
    await call(ann, 'queue.decide', { id, verdict: 'false_positive', sessionId: W.ann });
    await expect(call(bob, 'queue.decide', { id, verdict: 'confirm', sessionId: W.bob })).rejects.toThrow(`already decided by ${ann.actor} (false positive)`);
    expect(services.queue.get(id!).decisions).toHaveLength(1);
    expect(services.claims.active(id!)).toBeNull();
  });

  it('two consoles deciding the same item at the same moment: exactly one decision, one set of actions', async () => {
    const [id] = add(1);
    const results = await Promise.all([api('queue.decide', { id, verdict: 'confirm', sessionId: W.ann }, ann), api('queue.decide', { id, verdict: 'confirm', sessionId: W.bob }, bob)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const loser = results.find((r) => !r.ok);
    expect(loser && !loser.ok && loser.error.code).toBe('conflict');
    expect(services.queue.get(id!).decisions).toHaveLength(1);
    const actions = services.db.prepare('SELECT COUNT(*) AS n FROM actions').get() as { n: number };
    expect(actions.n).toBe(1); // the default plan's local bank addition, planned once
  });

  it('a skipped item goes back to the team and is not served to the skipper until someone else has had it', async () => {
    const [top, next] = add(2);
    await call(ann, 'claims.next', { sessionId: W.ann });
    const skipped = await call<{ status: string }>(ann, 'queue.decide', { id: top, verdict: 'skip', sessionId: W.ann });
    expect(skipped.status).toBe('pending');
    // Ann is served the next item, not the one she skipped; the list tells her so.
    expect(await call(ann, 'claims.next', { sessionId: W.ann })).toMatchObject({ claim: { queueItemId: next } });
    const list = await call<{ items: { id: number; skippedByMe?: boolean }[] }>(ann, 'queue.list', { status: 'pending' });
    expect(list.items.find((i) => i.id === top)?.skippedByMe).toBe(true);
    await call(ann, 'claims.release', { sessionId: W.ann });
    expect(await call(ann, 'claims.next', { sessionId: W.ann, afterId: next })).toMatchObject({ claim: null });
    // Bob has it; once he lets it go, Ann may be served it again.
    expect(await call(bob, 'claims.next', { sessionId: W.bob })).toMatchObject({ claim: { queueItemId: top } });
    await call(bob, 'claims.release', { sessionId: W.bob, queueItemId: top });
    expect(await call(ann, 'claims.next', { sessionId: W.ann })).toMatchObject({ claim: { queueItemId: top } });
    const audit = services.audit.list(50).filter((r) => r.action === 'decision.skip');
    expect(audit.map((r) => r.actor)).toEqual([ann.actor]);
  });

  it('second review goes to someone other than the first reviewer', async () => {
    const [id] = add(1);
    await call(ann, 'claims.acquire', { queueItemId: id, sessionId: W.ann });
    await call(ann, 'queue.decide', { id, verdict: 'escalate', sessionId: W.ann });
    expect(await call(ann, 'claims.next', { sessionId: W.ann, status: 'escalated' })).toMatchObject({ claim: null });
    await expect(call(ann, 'claims.acquire', { queueItemId: id, sessionId: W.ann })).rejects.toThrow(/second review goes to someone else/);
    await expect(call(ann, 'queue.decide', { id, verdict: 'confirm', sessionId: W.ann })).rejects.toThrow(/second review goes to someone else/);
    const list = await call<{ items: { escalatedBy?: string | null }[] }>(bob, 'queue.list', { status: 'escalated' });
    expect(list.items[0]?.escalatedBy).toBe(ann.actor);
    expect(await call(bob, 'claims.next', { sessionId: W.bob, status: 'escalated' })).toMatchObject({ claim: { queueItemId: id } });
    await call(bob, 'queue.decide', { id, verdict: 'confirm', sessionId: W.bob });
    expect(services.queue.get(id!).status).toBe('confirmed');
  });

  it('bulk decisions claim each item first; items others hold are reported, not decided', async () => {
    const ids = add(3);
    await call(ann, 'claims.acquire', { queueItemId: ids[1], sessionId: W.ann });
    const r = await call<{ results: { id: number; ok: boolean; error: string | null }[] }>(bob, 'queue.decideMany', { ids, verdict: 'false_positive', sessionId: W.bob });
    expect(r.results.map((x) => x.ok)).toEqual([true, false, true]);
    expect(r.results[1]!.error).toContain(ann.actor);
    expect(services.claims.list().map((c) => c.reviewer)).toEqual([ann.actor]);
  });

  it('undo: a reviewer undoes their own decisions, a lead anyone’s', async () => {
    const [id] = add(1);
    const d = await call<{ decision: { id: number } }>(ann, 'queue.decide', { id, verdict: 'confirm', sessionId: W.ann });
    await expect(call(bob, 'decisions.undo', { decisionId: d.decision.id })).rejects.toThrow(/only they or a lead/);
    await call(lea, 'decisions.undo', { decisionId: d.decision.id });
    expect(services.queue.get(id!).status).toBe('pending');
    expect(events.some((e) => e.type === 'undo' && e.by === lea.actor)).toBe(true);
  });

  it('a lead frees an item someone else holds; reviewers cannot', async () => {
    const [id] = add(1);
    await call(ann, 'claims.acquire', { queueItemId: id, sessionId: W.ann });
    expect((await api('claims.releaseOthers', { queueItemId: id }, bob)).ok).toBe(false);
    expect(await call(lea, 'claims.releaseOthers', { queueItemId: id })).toMatchObject({ released: { reviewer: ann.actor } });
    expect(services.claims.active(id!)).toBeNull();
    expect(services.audit.list(10).find((r) => r.action === 'claim.release_other')?.details_json).toContain(ann.actor);
  });

  it('pushes claims, decisions, new items and shared settings; never wellbeing figures', async () => {
    const [id] = add(1);
    await call(ann, 'claims.acquire', { queueItemId: id, sessionId: W.ann });
    await call(ann, 'media.preview', { mediaId: 1, reveal: true });
    await call(ann, 'queue.decide', { id, verdict: 'confirm', sessionId: W.ann });
    await call(lea, 'banks.create', { name: 'Team bank' });
    const types = events.map((e) => e.type);
    expect(types).toEqual(['queue', 'claim', 'decision', 'settings']);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(JSON.stringify(events)).not.toMatch(/reveal|wellbeing/);
  });

  it('wellbeing: each moderator sees their own figures; a lead sees only team totals', async () => {
    const [id] = add(1);
    await call(ann, 'claims.acquire', { queueItemId: id, sessionId: W.ann });
    clock.now += 60_000;
    await call(ann, 'claims.acquire', { queueItemId: id, sessionId: W.ann });
    await call(bob, 'claims.next', { sessionId: W.bob });
    const mine = await call<{ activeMinutesToday: number; revealedToday: number }>(ann, 'wellbeing.get');
    expect(mine.activeMinutesToday).toBe(2);
    const team = await call(lea, 'wellbeing.team');
    expect(team).toMatchObject({ reviewersActive: 2, activeMinutesToday: 3 });
    expect(JSON.stringify(team)).not.toContain('@ann');
    expect((await api('wellbeing.team', {}, ann)).ok).toBe(false);
    const stats = await call<{ reviewer: string; holding: number }[]>(lea, 'stats.reviewers', { days: 1 });
    expect(stats.find((s) => s.reviewer === ann.actor)?.holding).toBe(1);
  });
});
