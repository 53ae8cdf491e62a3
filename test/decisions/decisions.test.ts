import { describe, expect, it } from 'vitest';
import { fixture } from './seed';
import { OutboxDispatcher } from '../../electron/services/decisions/outbox-dispatcher';
import { localExecutors } from '../../electron/services/decisions/local-executors';
import type { ActionResult, ExecutorRegistry } from '../../electron/services/decisions/action-types';
import { feedbackCsv, feedbackReport } from '../../electron/services/decisions/feedback';
import { listActions } from '../../electron/services/decisions/action-list';

/** In-memory stand-ins for the homeserver's effects, for dispatcher unit tests (the real Synapse is in test/synapse and test/crash). */
function recordingExecutors(script: Record<string, ActionResult[]> = {}) {
  const calls: { kind: string; key: string; params: unknown }[] = [];
  const make = (kind: string) => async (params: unknown, ctx: { idempotencyKey: string }) => {
    calls.push({ kind, key: ctx.idempotencyKey, params });
    return script[kind]?.shift() ?? { status: 'ok' as const };
  };
  const kinds = ['matrix.quarantine_media', 'matrix.unquarantine_media', 'matrix.redact_event', 'matrix.notify', 'matrix.protect_media', 'hma.disable_content', 'hma.enable_content'];
  return { calls, executors: Object.fromEntries(kinds.map((k) => [k, make(k)])) as ExecutorRegistry };
}

describe('decisions and their planned actions', () => {
  it('a confirm on Matrix media plans quarantine, redaction, bank add and notice in the same transaction, held for the undo window', () => {
    const f = fixture();
    const id = f.addItem({ matrix: true });
    const result = f.decisions.decide({ id, verdict: 'confirm', reason: 'Known abuse material', reviewer: 'alice' });
    expect(result.actions.map((a) => a.kind)).toEqual(['matrix.quarantine_media', 'matrix.redact_event', 'local.add_to_bank', 'matrix.notify']);
    const rows = f.db.prepare('SELECT state, not_before, idempotency_key FROM actions').all() as { state: string; not_before: number; idempotency_key: string }[];
    expect(rows.every((r) => r.state === 'pending' && r.not_before === f.clock.now + f.plan.undoWindowMs)).toBe(true);
    expect(new Set(rows.map((r) => r.idempotency_key)).size).toBe(4);
    expect(f.queue.get(id).status).toBe('confirmed');
    expect(f.audit.list(1)[0]).toMatchObject({ action: 'decision.confirm', actor: 'alice' });
  });

  it('a failing plan rolls the whole decision back: no decision without its actions', () => {
    const f = fixture();
    const id = f.addItem({ matrix: true });
    f.db.exec("CREATE TRIGGER boom BEFORE INSERT ON actions WHEN NEW.kind = 'matrix.notify' BEGIN SELECT RAISE(ABORT, 'disk full'); END;");
    expect(() => f.decisions.decide({ id, verdict: 'confirm', reviewer: 'alice' })).toThrow(/disk full/);
    expect(f.db.prepare('SELECT COUNT(*) AS n FROM decisions').get()).toEqual({ n: 0 });
    expect(f.db.prepare('SELECT COUNT(*) AS n FROM actions').get()).toEqual({ n: 0 });
    expect(f.queue.get(id).status).toBe('pending');
  });

  it('the background loop works through a backlog without waiting a tick between batches, and waits when nothing is due', async () => {
    const f = fixture();
    const { calls, executors } = recordingExecutors();
    const outbox = new OutboxDispatcher(f.db, f.audit, { ...executors, ...localExecutors(f.banks) }, { now: () => f.clock.now });
    for (let i = 0; i < 40; i++) f.decisions.decide({ id: f.addItem({ matrix: true }), verdict: 'confirm', reviewer: 'alice' });
    f.clock.now += f.plan.undoWindowMs;
    const open = () => (f.db.prepare("SELECT COUNT(*) AS n FROM actions WHERE state != 'done'").get() as { n: number }).n;
    expect(open()).toBe(160); // more than three batches of 50
    outbox.start(60_000); // a tick a minute: only going on at once after a full batch can finish in time
    try {
      for (const deadline = Date.now() + 10_000; open() > 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
      expect(open()).toBe(0);
      // Idle now: a new action waits for the next tick (a minute away), the loop does not spin.
      f.decisions.decide({ id: f.addItem({ matrix: true }), verdict: 'confirm', reviewer: 'alice' });
      f.clock.now += f.plan.undoWindowMs;
      const before = calls.length;
      await new Promise((r) => setTimeout(r, 300));
      expect(calls.length).toBe(before);
      expect(open()).toBe(4);
    } finally {
      await outbox.stop();
    }
  });

  it('undo inside the window cancels every action: nothing reaches the homeserver', async () => {
    const f = fixture();
    const { calls, executors } = recordingExecutors();
    const outbox = new OutboxDispatcher(f.db, f.audit, { ...executors, ...localExecutors(f.banks) }, { now: () => f.clock.now });
    const id = f.addItem({ matrix: true });
    const { decision } = f.decisions.decide({ id, verdict: 'confirm', reviewer: 'alice' });
    expect(await outbox.drain()).toBe(0); // still inside the window
    f.clock.now += 5_000;
    const undo = f.decisions.undo(decision.id, 'alice');
    expect(undo).toMatchObject({ cancelled: 4, compensations: [], irreversible: [] });
    f.clock.now += f.plan.undoWindowMs * 2;
    expect(await outbox.drain()).toBe(0);
    expect(calls).toEqual([]);
    expect(f.queue.get(id).status).toBe('pending');
    expect(f.banks.list()).toEqual([]);
  });

  it('undo after the window issues compensations and names what cannot be reversed', async () => {
    const f = fixture();
    const { calls, executors } = recordingExecutors();
    const outbox = new OutboxDispatcher(f.db, f.audit, { ...executors, ...localExecutors(f.banks) }, { now: () => f.clock.now });
    const id = f.addItem({ matrix: true });
    const { decision } = f.decisions.decide({ id, verdict: 'confirm', reviewer: 'alice' });
    f.clock.now += f.plan.undoWindowMs;
    expect(await outbox.drain()).toBe(4);
    expect(f.banks.byName('Confirmed by reviewers')?.signalCount).toBe(2);
    const undo = f.decisions.undo(decision.id, 'bob');
    expect(undo.cancelled).toBe(0);
    expect(undo.compensations.map((c) => c.kind).sort()).toEqual(['local.remove_signals', 'matrix.notify', 'matrix.unquarantine_media']);
    expect(undo.irreversible.map((c) => c.kind)).toEqual(['matrix.redact_event']);
    expect(await outbox.drain()).toBe(3);
    expect(calls.map((c) => c.kind)).toEqual(['matrix.quarantine_media', 'matrix.redact_event', 'matrix.notify', 'matrix.unquarantine_media', 'matrix.notify']);
    expect(f.banks.byName('Confirmed by reviewers')?.signalCount).toBe(0);
    expect(f.queue.get(id).status).toBe('pending');
    expect(f.queue.get(id).decisions[0]).toMatchObject({ undoneBy: 'bob' });
  });

  it('retries retryable failures with backoff honouring Retry-After, and fails permanently on a permanent error', async () => {
    const f = fixture({ undoWindowMs: 0 });
    const { calls, executors } = recordingExecutors({
      'matrix.quarantine_media': [{ status: 'retryable', error: '429', retryAfterMs: 60_000 }, { status: 'retryable', error: 'ECONNREFUSED' }, { status: 'ok' }],
      'matrix.redact_event': [{ status: 'permanent_failure', error: 'M_FORBIDDEN' }],
    });
    const outbox = new OutboxDispatcher(f.db, f.audit, { ...executors, ...localExecutors(f.banks) }, { now: () => f.clock.now, random: () => 1 });
    f.addItem({ matrix: true });
    f.decisions.decide({ id: 1, verdict: 'confirm', reviewer: 'alice' });
    await outbox.drain();
    const q = () => f.db.prepare("SELECT state, attempts, not_before, last_error FROM actions WHERE kind = 'matrix.quarantine_media'").get() as { state: string; attempts: number; not_before: number; last_error: string };
    expect(q()).toMatchObject({ state: 'pending', attempts: 1, last_error: '429', not_before: f.clock.now + 60_000 });
    f.clock.now += 59_999;
    expect(await outbox.drain()).toBe(0);
    f.clock.now += 1;
    await outbox.drain();
    expect(q()).toMatchObject({ state: 'pending', attempts: 2, last_error: 'ECONNREFUSED' });
    f.clock.now += 10 * 60_000;
    await outbox.drain();
    expect(q()).toMatchObject({ state: 'done', attempts: 3 });
    const failed = listActions(f.db, { state: 'failed', limit: 10 });
    expect(failed).toMatchObject([{ kind: 'matrix.redact_event', lastError: 'M_FORBIDDEN' }]);
    expect(calls.filter((c) => c.kind === 'matrix.redact_event')).toHaveLength(1);
    expect(outbox.retry(failed[0]!.id)).toBe(true);
    await outbox.drain();
    expect(calls.filter((c) => c.kind === 'matrix.redact_event')).toHaveLength(2);
    const attempts = f.db.prepare('SELECT COUNT(*) AS n FROM action_attempts').get() as { n: number };
    expect(attempts.n).toBe(calls.length + 1); // + the local bank add
    expect(f.audit.verify().ok).toBe(true);
  });

  it('deliberate waits do not use up the attempts before giving up; their details reach later attempts', async () => {
    const f = fixture({ undoWindowMs: 0 });
    const seen: unknown[] = [];
    let n = 0;
    const executors: ExecutorRegistry = {
      'matrix.quarantine_media': async (_p, ctx) => {
        seen.push(ctx.previousAttempts.map((a) => a.detail));
        n++;
        if (n <= 5) return { status: 'retryable', error: 'waiting for the remote index', retryAfterMs: 1_000, waiting: true, detail: { step: n } };
        return { status: 'retryable', error: 'ECONNREFUSED' };
      },
    };
    const outbox = new OutboxDispatcher(f.db, f.audit, executors, { now: () => f.clock.now, maxAttempts: 3, random: () => 1, baseBackoffMs: 1_000, maxBackoffMs: 1_000 });
    f.addItem({ matrix: true });
    f.decisions.decide({ id: 1, verdict: 'confirm', reviewer: 'alice' });
    const q = () => f.db.prepare("SELECT state, attempts FROM actions WHERE kind = 'matrix.quarantine_media'").get() as { state: string; attempts: number };
    for (let i = 0; i < 20 && q().state === 'pending'; i++) {
      await outbox.drain();
      f.clock.now += 1_000;
    }
    // 5 waits, then 3 failures: given up after the third failure, not after the third attempt.
    expect(q()).toEqual({ state: 'failed', attempts: 8 });
    expect(seen[2]).toEqual([{ step: 1 }, { step: 2 }]);
  });

  it('an action claimed by a dispatcher that died is taken over when its lease runs out, with the same idempotency key', async () => {
    const f = fixture({ undoWindowMs: 0 });
    const { calls, executors } = recordingExecutors();
    f.addItem({ matrix: true });
    f.decisions.decide({ id: 1, verdict: 'confirm', reviewer: 'alice' });
    // A dispatcher claims the first action and "crashes" before recording the outcome.
    f.db.prepare("UPDATE actions SET state = 'running', lease_until = ?, attempts = 1 WHERE id = 1").run(f.clock.now + 60_000);
    const outbox = new OutboxDispatcher(f.db, f.audit, { ...executors, ...localExecutors(f.banks) }, { now: () => f.clock.now, leaseMs: 60_000 });
    await outbox.drain();
    expect(calls.map((c) => c.kind)).not.toContain('matrix.quarantine_media');
    f.clock.now += 60_001;
    await outbox.drain();
    const quarantine = calls.filter((c) => c.kind === 'matrix.quarantine_media');
    expect(quarantine).toHaveLength(1);
    expect(quarantine[0]!.key).toBe('d1:0:matrix.quarantine_media');
  });

  it('an action with no configured executor waits, visible with the reason, instead of being dropped', async () => {
    const f = fixture({ undoWindowMs: 0 });
    const outbox = new OutboxDispatcher(f.db, f.audit, localExecutors(f.banks), { now: () => f.clock.now });
    f.addItem({ matrix: true });
    f.decisions.decide({ id: 1, verdict: 'confirm', reviewer: 'alice' });
    await outbox.drain();
    const waiting = listActions(f.db, { state: 'pending', limit: 10 });
    expect(waiting.map((a) => a.kind).sort()).toEqual(['matrix.notify', 'matrix.quarantine_media', 'matrix.redact_event']);
    expect(waiting[0]!.lastError).toMatch(/Not configured/);
  });
});

describe('false positives', () => {
  it('records feedback per matched bank content, disables it locally when configured, and suppresses the pair', async () => {
    const f = fixture({ undoWindowMs: 0 });
    f.plan.falsePositive = { ...f.plan.falsePositive, disableLocalContent: true, addToNegativeBank: 'Allow-list' };
    const bank = f.banks.create({ name: 'Bank' });
    const { contentId } = f.banks.addContent(bank.id, [{ type: 'md5', signal: 'a'.repeat(32) }]);
    const id = f.addItem({ contentRef: String(contentId), sha256: 'e'.repeat(64) });
    f.decisions.decide({ id, verdict: 'false_positive', reason: 'Meme or sticker', reviewer: 'alice' });
    expect(f.db.prepare('SELECT bank_name, content_ref, distance FROM fp_feedback').all()).toEqual([{ bank_name: 'Bank', content_ref: String(contentId), distance: 0 }]);
    expect(f.db.prepare('SELECT media_sha256, bank_name, content_ref FROM suppressions').all()).toEqual([{ media_sha256: 'e'.repeat(64), bank_name: 'Bank', content_ref: String(contentId) }]);
    const outbox = new OutboxDispatcher(f.db, f.audit, localExecutors(f.banks), { now: () => f.clock.now });
    expect(await outbox.drain()).toBe(2);
    expect(f.db.prepare('SELECT disabled_until FROM bank_content WHERE id = ?').get(contentId)).not.toEqual({ disabled_until: null });
    expect(f.banks.byName('Allow-list')).toMatchObject({ kind: 'negative', signalCount: 2 });
  });
});

describe('feedback report', () => {
  it('matches counts computed independently for a seeded history, ignoring undone decisions', () => {
    const f = fixture({ undoWindowMs: 60_000 });
    const expected = new Map<string, { c: number; fp: number }>();
    let seed = 7;
    const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let i = 0; i < 120; i++) {
      const bankName = rnd() < 0.5 ? 'Alpha' : 'Beta';
      const distance = Math.floor(rnd() * 32);
      const id = f.addItem({ bankName, distance, contentRef: String(1 + Math.floor(rnd() * 5)) });
      const r = rnd();
      const verdict = r < 0.45 ? 'confirm' : r < 0.85 ? 'false_positive' : 'escalate';
      const { decision } = f.decisions.decide({ id, verdict, reviewer: 'alice' });
      const undone = rnd() < 0.1 && verdict !== 'escalate';
      if (undone) f.decisions.undo(decision.id, 'alice');
      if (undone || verdict === 'escalate') continue;
      const key = `${bankName}|${distance}`;
      const e = expected.get(key) ?? { c: 0, fp: 0 };
      if (verdict === 'confirm') e.c++;
      else e.fp++;
      expected.set(key, e);
    }
    const report = feedbackReport(f.db);
    const got = new Map(report.byBankAndDistance.map((r) => [`${r.bankName}|${r.distance}`, { c: r.confirmed, fp: r.falsePositive }]));
    expect(got).toEqual(expected);
    for (const b of report.byBank) {
      const rows = [...expected].filter(([k]) => k.startsWith(`${b.bankName}|`)).map(([, v]) => v);
      expect(b.confirmed).toBe(rows.reduce((s, r) => s + r.c, 0));
      expect(b.falsePositive).toBe(rows.reduce((s, r) => s + r.fp, 0));
    }
    const csv = feedbackCsv(report).trim().split('\n');
    expect(csv[0]).toBe('matcher,bank,signal_type,distance,confirmed,false_positive');
    expect(csv).toHaveLength(report.byBankAndDistance.length + 1);
  });
});
