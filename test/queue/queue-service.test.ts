import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatabase, runMigrations, type Db } from '../../electron/services/store/database';
import { migrations } from '../../electron/services/store/migrations';
import { AuditLog } from '../../electron/services/audit/audit-log';
import { QueueService, type NewMatch } from '../../electron/services/queue/queue-service';
import { DecisionService } from '../../electron/services/decisions/decision-service';
import { actionPlanSchema } from '../../electron/services/decisions/action-plans';
import { ClaimService } from '../../electron/services/queue/claims';
import { WellbeingService, WELLBEING_DEFAULTS } from '../../electron/services/queue/wellbeing';
import { statsOverview } from '../../electron/services/queue/stats';
import { REPORT_BONUS } from '../../electron/services/queue/priority';
import { ContractError } from '../../shared/result';
import { tempDir } from '../helpers/temp-dir';
import { seedQueue } from './seed-queue';

const T0 = 1_700_000_000_000;

function setup() {
  const db = openDatabase(':memory:');
  const clock = { now: T0 };
  const now = () => clock.now;
  const queue = new QueueService(db, now);
  const audit = new AuditLog(db, now);
  const decisions = new DecisionService(db, audit, () => actionPlanSchema.parse(undefined), now);
  let n = 0;
  let reportId = 0;
  const add = (opts: { source?: string; sender?: string; room?: string; sha256?: string; matches?: Partial<NewMatch>[]; fileName?: string; reports?: number } = {}) => {
    n++;
    const context = opts.sender || opts.room ? { matrix: { server: 'hs.test', mediaId: `m${n}`, roomId: opts.room ?? '!r:hs.test', eventId: `$e${n}`, sender: opts.sender ?? '@a:hs.test' } } : {};
    const mediaId = Number(
      db
        .prepare('INSERT INTO media_items (source, source_ref, file_name, byte_length, md5, sha256, pdq, context_json, created_at) VALUES (?, ?, ?, 1, ?, ?, NULL, ?, ?)')
        .run(opts.source ?? 'local_file', `ref${n}`, opts.fileName ?? `file${n}.jpg`, n.toString(16).padStart(32, '0'), opts.sha256 ?? n.toString(16).padStart(64, '0'), JSON.stringify(context), clock.now).lastInsertRowid,
    );
    const matches = (opts.matches ?? [{}]).map((m) => ({ matcher: 'local' as const, bankName: 'B', contentRef: '1', signalType: 'md5', signal: null, distance: 0, label: null, severity: 50, ...m }));
    let id = matches.length > 0 ? queue.enqueue(mediaId, matches) : 0;
    for (let r = 0; r < (opts.reports ?? (opts.source === 'matrix_report' ? 1 : 0)); r++) {
      id = queue.recordReport(mediaId, { id: ++reportId, eventId: `$e${n}`, roomId: opts.room ?? '!r:hs.test', reporter: `@reporter${r}:hs.test`, reason: 'spam', receivedTs: clock.now }).queueItemId;
    }
    return id;
  };
  return { db, clock, queue, decisions, audit, add };
}

const ids = (r: { items: { id: number }[] }) => r.items.map((i) => i.id);

describe('queue priority', () => {
  it('orders reports first, then bank severity, then exact over near matches, then age', () => {
    const f = setup();
    const oldWeak = f.add({ matches: [{ severity: 20 }] });
    f.clock.now += 3_600_000;
    const pdqFar = f.add({ matches: [{ severity: 50, signalType: 'pdq', distance: 30 }] });
    const pdqNear = f.add({ matches: [{ severity: 50, signalType: 'pdq', distance: 2 }] });
    const exact = f.add({ matches: [{ severity: 50 }] });
    const severe = f.add({ matches: [{ severity: 90, signalType: 'pdq', distance: 31 }] });
    const report = f.add({ source: 'matrix_report', sender: '@r:hs.test', matches: [{ severity: 10, signalType: 'pdq', distance: 31 }] });
    expect(ids(f.queue.list({ limit: 10, offset: 0 }))).toEqual([report, severe, exact, pdqNear, pdqFar, oldWeak]);
    expect(f.queue.get(report).priority).toBeGreaterThanOrEqual(REPORT_BONUS);
  });

  it('lets waiting items climb: an item that has waited long enough passes a slightly stronger newer one', () => {
    const f = setup();
    const old = f.add({ matches: [{ signalType: 'pdq', distance: 10 }] }); // strength 54
    f.clock.now += 30 * 60_000;
    const fresh = f.add({ matches: [{ signalType: 'pdq', distance: 0 }] }); // strength 64, 10 points ahead; old waited 30 min
    expect(ids(f.queue.list({ limit: 10, offset: 0 }))).toEqual([old, fresh]);
  });

  it('re-ranks open items when a bank severity changes', () => {
    const f = setup();
    const a = f.add({ matches: [{ bankName: 'Low', severity: 10 }] });
    const b = f.add({ matches: [{ bankName: 'High', severity: 60 }] });
    expect(ids(f.queue.list({ limit: 10, offset: 0 }))).toEqual([b, a]);
    f.db.prepare("INSERT INTO banks (name, severity, created_at) VALUES ('Low', 10, 0)").run();
    expect(f.queue.setBankSeverity('Low', 95)).toBe(1);
    expect(ids(f.queue.list({ limit: 10, offset: 0 }))).toEqual([a, b]);
    expect(f.queue.get(a).matches[0]!.severity).toBe(95);
    expect(() => f.queue.setBankSeverity('Nope', 5)).toThrow(ContractError);
  });
});

describe('queue filters and search', () => {
  it('filters by status, bank, signal type, source, room, sender, distance and age, and pages with a total', () => {
    const f = setup();
    const a = f.add({ sender: '@x:hs.test', room: '!one:hs.test', matches: [{ bankName: 'Bank A', signalType: 'pdq', distance: 5 }] });
    const b = f.add({ sender: '@y:hs.test', room: '!two:hs.test', source: 'matrix_report', matches: [{ bankName: 'Bank B' }] });
    f.clock.now += 2 * 86_400_000;
    const c = f.add({ matches: [{ bankName: 'Bank A', signalType: 'pdq', distance: 20 }, { bankName: 'Bank C' }] });
    const list = (filter: Parameters<QueueService['list']>[0]) => ids(f.queue.list(filter)).sort((x, y) => x - y);
    const page = { limit: 10, offset: 0 };
    expect(list({ ...page, bank: 'Bank A' })).toEqual([a, c]);
    expect(list({ ...page, bank: 'Bank C' })).toEqual([c]);
    expect(list({ ...page, signalType: 'md5' })).toEqual([b, c]);
    expect(list({ ...page, source: 'matrix_report' })).toEqual([b]);
    expect(list({ ...page, room: '!two:hs.test' })).toEqual([b]);
    expect(list({ ...page, sender: '@x:hs.test' })).toEqual([a]);
    expect(list({ ...page, minDistance: 1, maxDistance: 10 })).toEqual([a]);
    expect(list({ ...page, minAgeMs: 86_400_000 })).toEqual([a, b]);
    expect(list({ ...page, maxAgeMs: 86_400_000 })).toEqual([c]);
    f.decisions.decide({ id: a, verdict: 'confirm', reviewer: 'r' });
    expect(list({ ...page, status: 'pending' })).toEqual([b, c]);
    expect(list({ ...page, status: 'confirmed' })).toEqual([a]);
    const first = f.queue.list({ limit: 2, offset: 0 });
    const second = f.queue.list({ limit: 2, offset: 2 });
    expect(first.total).toBe(3);
    expect(first.items).toHaveLength(2);
    expect(second.items).toHaveLength(1);
    expect(new Set([...ids(first), ...ids(second)]).size).toBe(3);
  });

  it('searches by hash, event id, user id, room id, mxc URI, media id, item number and file name', () => {
    const f = setup();
    const a = f.add({ sender: '@x:hs.test', sha256: 'ab'.repeat(32), fileName: 'holiday.png' });
    const b = f.add({ sender: '@y:hs.test', room: '!other:hs.test' });
    const search = (s: string) => ids(f.queue.list({ limit: 10, offset: 0, search: s })).sort((x, y) => x - y);
    const itemB = f.queue.get(b);
    expect(search('AB'.repeat(32))).toEqual([a]);
    expect(search(itemB.media.md5)).toEqual([b]);
    expect(search('$e2')).toEqual([b]);
    expect(search('@x:hs.test')).toEqual([a]);
    expect(search('!other:hs.test')).toEqual([b]);
    expect(search('mxc://hs.test/m2')).toEqual([b]);
    expect(search('m1')).toEqual([a]);
    expect(search(`#${b}`)).toEqual([b]);
    expect(search('holi')).toEqual([a]);
    expect(search('100%_')).toEqual([]);
  });

  it('finds one item among 20,000 by event id, sender and bank without scanning into a timeout', () => {
    const temp = tempDir();
    try {
      const seeded = seedQueue(temp.dir, { count: 20_000 });
      const db = openDatabase(join(temp.dir, 'matchdesk.sqlite'));
      const queue = new QueueService(db);
      const target = seeded[12_345]!;
      expect(ids(queue.list({ limit: 5, offset: 0, search: target.eventId }))).toEqual([target.id]);
      const bySender = queue.list({ limit: 500, offset: 0, sender: target.sender });
      expect(bySender.total).toBe(seeded.filter((s) => s.sender === target.sender).length);
      expect(queue.list({ limit: 1, offset: 0, bank: target.bank }).total).toBe(seeded.filter((s) => s.bank === target.bank).length);
      const page = queue.list({ limit: 100, offset: 19_950 });
      expect(page.items).toHaveLength(50);
      expect(page.items[0]!.media.context).toHaveProperty('matrix');
      db.close();
    } finally {
      temp.cleanup();
    }
  });
});

describe('history and evidence', () => {
  it('lists earlier decisions on the same hash and from the same sender, and the bank content note', () => {
    const f = setup();
    f.db.prepare("INSERT INTO banks (id, name, severity, created_at) VALUES (1, 'B', 80, 0)").run();
    f.db.prepare("INSERT INTO bank_content (id, bank_id, label, note, metadata_json, created_at) VALUES (1, 1, 'x', 'from partner', '{\"batch\":3}', 0)").run();
    const first = f.add({ sender: '@s:hs.test', sha256: 'cd'.repeat(32) });
    const sameSender = f.add({ sender: '@s:hs.test' });
    const target = f.add({ sender: '@s:hs.test', sha256: 'cd'.repeat(32) });
    f.add({ sender: '@other:hs.test' });
    f.decisions.decide({ id: first, verdict: 'confirm', reviewer: 'ann', reason: 'Known abuse material' });
    f.decisions.decide({ id: sameSender, verdict: 'false_positive', reviewer: 'bob' });
    const item = f.queue.get(target);
    expect(item.history.map((h) => [h.relation, h.queueItemId, h.verdict, h.reviewer])).toEqual([
      ['same_hash', first, 'confirm', 'ann'],
      ['same_sender', sameSender, 'false_positive', 'bob'],
    ]);
    expect(item.evidence[0]).toMatchObject({ bankSeverity: 80, contentNote: 'from partner', contentMetadata: { batch: 3 } });
  });
});

describe('claims', () => {
  it('leases an item to one reviewer and window; others are refused until it is released or expires', () => {
    const f = setup();
    const claims = new ClaimService(f.db, () => f.clock.now, 60_000);
    const id = f.add();
    expect(claims.acquire(id, 'ann', 'window-a1').acquired).toBe(true);
    expect(claims.acquire(id, 'ann', 'window-a1').acquired).toBe(true); // renewal
    const other = claims.acquire(id, 'bob', 'window-b1');
    expect(other).toMatchObject({ acquired: false, claim: { reviewer: 'ann', sessionId: 'window-a1' } });
    expect(claims.acquire(id, 'ann', 'window-a2').acquired).toBe(false); // same reviewer, another window
    expect(f.queue.list({ limit: 1, offset: 0 }).items[0]!.claim).toMatchObject({ reviewer: 'ann' });
    expect(() => claims.guardDecision(id, 'bob', 'window-b1')).toThrow(/being reviewed by ann/);
    expect(() => claims.guardDecision(id, 'ann', 'window-a2')).toThrow(/another window/);
    expect(() => claims.guardDecision(id, 'ann', 'window-a1')).not.toThrow();
    expect(claims.release('bob', 'window-b1', id)).toBe(0);
    expect(claims.release('ann', 'window-a1', id)).toBe(1);
    expect(claims.acquire(id, 'bob', 'window-b1').acquired).toBe(true);
    f.clock.now += 61_000;
    expect(claims.active(id)).toBeNull();
    expect(claims.acquire(id, 'ann', 'window-a1').acquired).toBe(true);
    expect(claims.list()).toHaveLength(1);
    expect(() => claims.acquire(9999, 'ann', 'window-a1')).toThrow(ContractError);
  });
});

describe('wellbeing settings', () => {
  it('uses install defaults, per-reviewer overrides (null clears one), and counts reveals per day', () => {
    const f = setup();
    const w = new WellbeingService(f.db, () => f.clock.now);
    expect(w.state('ann').effective).toEqual(WELLBEING_DEFAULTS);
    w.setDefaults({ ...WELLBEING_DEFAULTS, blurPx: 40, quietMode: true });
    w.setMine('ann', { quietMode: false, breakEveryMinutes: 30 });
    expect(w.effective('ann')).toMatchObject({ blurPx: 40, quietMode: false, breakEveryMinutes: 30 });
    expect(w.effective('bob')).toMatchObject({ blurPx: 40, quietMode: true, breakEveryMinutes: 50 });
    w.setMine('ann', { quietMode: null });
    expect(w.state('ann')).toMatchObject({ mine: { breakEveryMinutes: 30 }, effective: { quietMode: true } });
    expect(w.countReveal('ann')).toBe(1);
    expect(w.countReveal('ann')).toBe(2);
    expect(w.state('bob').revealedToday).toBe(0);
    f.clock.now += 86_400_000;
    expect(w.state('ann').revealedToday).toBe(0);
  });
});

describe('statistics', () => {
  it('replays queue depth through decisions and undos, and counts decisions per hour and time to decision', () => {
    const f = setup();
    const a = f.add();
    const b = f.add();
    f.add();
    f.clock.now += 2 * 3_600_000;
    f.decisions.decide({ id: a, verdict: 'confirm', reviewer: 'r' });
    f.clock.now += 3_600_000;
    const esc = f.decisions.decide({ id: b, verdict: 'escalate', reviewer: 'r' });
    f.clock.now += 3_600_000;
    f.decisions.undo(esc.decision.id, 'r');
    f.clock.now += 3_600_000;
    const s = statsOverview(f.db, 1, f.clock.now);
    const last = s.queueDepth.at(-1)!;
    expect(last).toMatchObject({ open: 2, escalated: 0 });
    expect(Math.max(...s.queueDepth.map((p) => p.escalated))).toBe(1);
    expect(Math.max(...s.queueDepth.map((p) => p.open))).toBe(3);
    expect(s.totals).toEqual({ confirm: 1, false_positive: 0, escalate: 0, skip: 0 });
    expect(s.decisionsPerHour.reduce((n, h) => n + h.confirm, 0)).toBe(1);
    expect(s.timeToDecision.find((b) => b.bucket === '1–4 h')!.count).toBe(1);
    expect(s.timeToDecisionP50Ms).toBe(2 * 3_600_000);
  });
});

describe('migration 3', () => {
  let db: Db | undefined;
  afterEach(() => db?.close());
  it('backfills the filter columns and rank of items queued before it', () => {
    db = openDatabase(':memory:', { migrations: migrations.filter((m) => m.version <= 2) });
    db.prepare(
      `INSERT INTO media_items (id, source, source_ref, byte_length, md5, sha256, context_json, created_at)
       VALUES (1, 'matrix_report', 'mxc://hs/x', 1, 'a', 'b', '{"matrix":{"server":"hs","mediaId":"x","roomId":"!r:hs","eventId":"$e","sender":"@s:hs"}}', 120000)`,
    ).run();
    db.prepare("INSERT INTO queue_items (media_id, status, priority, best_distance, created_at, updated_at) VALUES (1, 'pending', 50100, 0, 120000, 120000)").run();
    expect(runMigrations(db, migrations)).toContain(3);
    const row = db.prepare('SELECT source, room_id, sender, event_id, mxc, priority, rank FROM queue_items').get();
    expect(row).toEqual({ source: 'matrix_report', room_id: '!r:hs', sender: '@s:hs', event_id: '$e', mxc: 'hs/x', priority: 50100 + REPORT_BONUS, rank: 50100 + REPORT_BONUS - 2 });
  });
});
