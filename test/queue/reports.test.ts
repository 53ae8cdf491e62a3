import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, runMigrations, type Db } from '../../electron/services/store/database';
import { migrations } from '../../electron/services/store/migrations';
import { AuditLog } from '../../electron/services/audit/audit-log';
import { QueueService, type NewMatch } from '../../electron/services/queue/queue-service';
import { DecisionService } from '../../electron/services/decisions/decision-service';
import { actionPlanSchema } from '../../electron/services/decisions/action-plans';
import { statsOverview } from '../../electron/services/queue/stats';
import { ChangeFeed } from '../../electron/services/events/change-feed';
import { EXTRA_REPORT_BONUS, MAX_COUNTED_REPORTS, REPORT_BONUS, reportBonus } from '../../electron/services/queue/priority';

const T0 = 1_700_000_000_000;

function setup() {
  const db = openDatabase(':memory:');
  const clock = { now: T0 };
  const now = () => clock.now;
  const audit = new AuditLog(db, now);
  const feed = new ChangeFeed(now);
  const queue = new QueueService(db, now, feed, { audit, actor: () => 'matchdesk-test' });
  const decisions = new DecisionService(db, audit, () => actionPlanSchema.parse(undefined), now);
  let n = 0;
  let reportId = 0;
  /** A Matrix event's media row; matches and reports are added separately. */
  const media = () => {
    n++;
    const context = { matrix: { server: 'hs.test', mediaId: `m${n}`, roomId: '!r:hs.test', eventId: `$e${n}`, sender: '@s:hs.test' } };
    return Number(
      db
        .prepare("INSERT INTO media_items (source, source_ref, file_name, byte_length, md5, sha256, context_json, created_at) VALUES ('matrix_live', ?, ?, 1, ?, ?, ?, ?)")
        .run(`ref${n}`, `f${n}.png`, n.toString(16).padStart(32, '0'), n.toString(16).padStart(64, '0'), JSON.stringify(context), clock.now).lastInsertRowid,
    );
  };
  const match = (m: Partial<NewMatch> = {}): NewMatch => ({ matcher: 'local', bankName: 'B', contentRef: '1', signalType: 'md5', signal: null, distance: 0, label: null, severity: 50, ...m });
  const report = (mediaId: number, opts: { reporter?: string; reason?: string; id?: number } = {}) =>
    queue.recordReport(mediaId, { id: opts.id ?? ++reportId, eventId: `$e${mediaId}`, roomId: '!r:hs.test', reporter: opts.reporter ?? `@u${reportId}:hs.test`, reason: opts.reason ?? 'spam', score: -100, receivedTs: clock.now });
  return { db, clock, audit, feed, queue, decisions, media, match, report };
}

const ids = (r: { items: { id: number }[] }) => r.items.map((i) => i.id);

describe('reports in the queue', () => {
  it('a report of media that matched nothing becomes a queue item with the reason, score, reporter and time', () => {
    const f = setup();
    const m = f.media();
    const r = f.report(m, { reporter: '@alice:hs.test', reason: 'this is abuse' });
    expect(r).toMatchObject({ added: true, reportCount: 1 });
    const item = f.queue.get(r.queueItemId);
    expect(item).toMatchObject({ status: 'pending', reportCount: 1, bestDistance: null, matches: [], priority: REPORT_BONUS });
    expect(item.reports).toEqual([{ id: expect.any(Number), reporter: '@alice:hs.test', reason: 'this is abuse', score: -100, receivedTs: T0 }]);
  });

  it('the same Synapse report delivered twice counts once', () => {
    const f = setup();
    const m = f.media();
    f.report(m, { id: 7 });
    expect(f.report(m, { id: 7 })).toMatchObject({ added: false, reportCount: 1 });
    expect(f.db.prepare('SELECT COUNT(*) AS n FROM matrix_reports').get()).toEqual({ n: 1 });
  });

  it('joins an item already queued for a match, keeping its match and distance, and raising it', () => {
    const f = setup();
    const m = f.media();
    const id = f.queue.enqueue(m, [f.match({ signalType: 'pdq', distance: 12, severity: 70 })]);
    const before = f.queue.get(id).priority;
    expect(f.report(m).queueItemId).toBe(id);
    const after = f.queue.get(id);
    expect(after).toMatchObject({ bestDistance: 12, reportCount: 1 });
    expect(after.priority - before).toBe(REPORT_BONUS);
    // and a later match on a reported item keeps the report bonus
    f.queue.enqueue(m, [f.match({ contentRef: '2', distance: 0, severity: 70 })]);
    expect(f.queue.get(id)).toMatchObject({ bestDistance: 0, priority: REPORT_BONUS + 70_100 });
  });

  it('ranks by report count: more reports come first, matched reports above unmatched ones, capped so a pile-on cannot pass a severe match', () => {
    const f = setup();
    const severe = f.queue.enqueue(f.media(), [f.match({ severity: 90 })]);
    const once = f.report(f.media()).queueItemId;
    const reportedMatched = f.media();
    f.queue.enqueue(reportedMatched, [f.match({ severity: 50 })]);
    const reportedMatchedId = f.report(reportedMatched).queueItemId;
    const thrice = f.media();
    let thriceItem = 0;
    for (let i = 0; i < 3; i++) thriceItem = f.report(thrice).queueItemId;
    const list = () => ids(f.queue.list({ limit: 10, offset: 0 }));
    expect(list()).toEqual([reportedMatchedId, thriceItem, once, severe]);
    expect(f.queue.get(thriceItem).priority).toBe(REPORT_BONUS + 2 * EXTRA_REPORT_BONUS);

    // four more reports (7 in all) pass the reported item that matched a severity-50 bank
    for (let i = 0; i < 4; i++) f.report(thrice);
    expect(list()[0]).toBe(thriceItem);

    // a pile-on is capped: 25 reports of nothing stay below one report of a severity-100 exact match
    for (let i = 0; i < 18; i++) f.report(thrice);
    expect(f.queue.get(thriceItem)).toMatchObject({ reportCount: 25, priority: reportBonus(MAX_COUNTED_REPORTS) });
    const worst = f.media();
    f.queue.enqueue(worst, [f.match({ severity: 100 })]);
    const worstId = f.report(worst).queueItemId;
    expect(list()[0]).toBe(worstId);
  });

  it('a bank severity change re-ranks reported items without losing their report bonus', () => {
    const f = setup();
    const m = f.media();
    const id = f.queue.enqueue(m, [f.match({ bankName: 'Low', severity: 10 })]);
    f.report(m);
    f.report(m);
    f.db.prepare("INSERT INTO banks (name, severity, created_at) VALUES ('Low', 10, 0)").run();
    f.queue.setBankSeverity('Low', 40);
    expect(f.queue.get(id).priority).toBe(reportBonus(2) + 40_100);
  });

  it('filters and counts reported and matched items apart; unmatched items sort last by distance', () => {
    const f = setup();
    const matchedOnly = f.queue.enqueue(f.media(), [f.match({ signalType: 'pdq', distance: 9 })]);
    const reportedOnly = f.report(f.media()).queueItemId;
    const both = f.media();
    f.queue.enqueue(both, [f.match()]);
    const bothId = f.report(both).queueItemId;
    const list = (trigger: Parameters<QueueService['list']>[0]['trigger']) => ids(f.queue.list({ limit: 10, offset: 0, trigger })).sort((a, b) => a - b);
    expect(list('reported')).toEqual([reportedOnly, bothId]);
    expect(list('matched')).toEqual([matchedOnly, bothId]);
    expect(list('reported_only')).toEqual([reportedOnly]);
    expect(list('matched_only')).toEqual([matchedOnly]);
    expect(list('reported_and_matched')).toEqual([bothId]);
    expect(ids(f.queue.list({ limit: 10, offset: 0, sort: 'distance' }))).toEqual([bothId, matchedOnly, reportedOnly]);
    expect(f.queue.facets().triggers).toEqual({ reported: 2, matched: 2, reportedOnly: 1 });
  });

  it('statistics keep reported and matched apart: arrivals, open items, reports and decisions', () => {
    const f = setup();
    const matched = f.queue.enqueue(f.media(), [f.match()]);
    const reported = f.report(f.media()).queueItemId;
    const both = f.media();
    f.queue.enqueue(both, [f.match()]);
    f.report(both);
    f.report(both);
    f.clock.now += 60_000;
    f.decisions.decide({ id: reported, verdict: 'false_positive', reviewer: 'r' });
    f.decisions.decide({ id: matched, verdict: 'confirm', reviewer: 'r' });
    const s = statsOverview(f.db, 1, f.clock.now);
    const row = (t: string) => s.byTrigger.find((b) => b.trigger === t)!;
    expect(row('reported_only')).toMatchObject({ arrived: 1, open: 0, reports: 1, false_positive: 1, confirm: 0 });
    expect(row('matched_only')).toMatchObject({ arrived: 1, open: 0, reports: 0, confirm: 1 });
    expect(row('reported_and_matched')).toMatchObject({ arrived: 1, open: 1, reports: 2, confirm: 0 });
  });
});

describe('a report on an item already decided', () => {
  it('takes an item judged a false positive or skipped back to pending, with an audit entry, an event and a marker', () => {
    const f = setup();
    const pushed: unknown[] = [];
    f.feed.subscribe((e) => pushed.push(e));
    const fp = f.report(f.media()).queueItemId;
    const skipped = f.queue.enqueue(f.media(), [f.match()]);
    f.clock.now += 60_000;
    const decision = f.decisions.decide({ id: fp, verdict: 'false_positive', reviewer: '@rita:hs.test' });
    f.decisions.decide({ id: skipped, verdict: 'skip', reviewer: '@rita:hs.test' });
    expect(f.queue.get(fp).reopened).toBeNull();
    f.clock.now += 60_000;
    expect(f.report(f.queue.get(fp).media.id, { reporter: '@bob:hs.test' })).toMatchObject({ added: true, reportCount: 2, reopenedFrom: 'false_positive' });
    expect(f.report(f.queue.get(skipped).media.id)).toMatchObject({ added: true, reopenedFrom: 'skipped' });
    expect(f.queue.get(fp)).toMatchObject({ status: 'pending', reportCount: 2, reopened: { at: f.clock.now, previousStatus: 'false_positive', decidedBy: '@rita:hs.test' } });
    expect(f.queue.get(skipped)).toMatchObject({ status: 'pending', reopened: { previousStatus: 'skipped' } });
    expect(ids(f.queue.list({ limit: 10, offset: 0, status: 'pending' })).sort()).toEqual([fp, skipped].sort());
    // The decision stands (its actions are not undone by a report); the item can be decided again.
    expect(f.queue.get(fp).decisions).toMatchObject([{ id: decision.decision.id, verdict: 'false_positive', undoneAt: null }]);
    expect(f.decisions.decide({ id: fp, verdict: 'confirm', reviewer: '@lena:hs.test' }).status).toBe('confirmed');
    const entry = f.audit.list(20).find((a) => a.action === 'queue.reopen' && a.subject === `queue:${fp}`)!;
    expect(entry.actor).toBe('matchdesk-test');
    expect(JSON.parse(entry.details_json)).toMatchObject({ from: 'false_positive', to: 'pending', decisionId: decision.decision.id, decidedBy: '@rita:hs.test', reporter: '@bob:hs.test' });
    expect(pushed).toContainEqual(expect.objectContaining({ type: 'reopen', queueItemId: fp, status: 'pending', previousStatus: 'false_positive' }));
  });

  it('leaves a confirmed item (already acted on) and an escalated one (already awaiting a second look) where they are; a report delivered again reopens nothing', () => {
    const f = setup();
    const confirmed = f.report(f.media()).queueItemId;
    const escalated = f.report(f.media()).queueItemId;
    const fp = f.media();
    const fpId = f.report(fp, { id: 900 }).queueItemId;
    f.decisions.decide({ id: confirmed, verdict: 'confirm', reviewer: 'r' });
    f.decisions.decide({ id: escalated, verdict: 'escalate', reviewer: 'r' });
    f.decisions.decide({ id: fpId, verdict: 'false_positive', reviewer: 'r' });
    expect(f.report(f.queue.get(confirmed).media.id).reopenedFrom).toBeNull();
    expect(f.report(f.queue.get(escalated).media.id).reopenedFrom).toBeNull();
    expect(f.report(fp, { id: 900 })).toMatchObject({ added: false, reopenedFrom: null });
    expect(f.queue.get(confirmed)).toMatchObject({ status: 'confirmed', reportCount: 2, reopened: null });
    expect(f.queue.get(escalated)).toMatchObject({ status: 'escalated', reportCount: 2, reopened: null });
    expect(f.queue.get(fpId)).toMatchObject({ status: 'false_positive', reopened: null });
    expect(f.audit.list(50).filter((a) => a.action === 'queue.reopen')).toEqual([]);
  });

  it('queue-depth history replays reopenings, and an undo after one, to the counts the queue has', () => {
    const f = setup();
    const depth = () => {
      const last = statsOverview(f.db, 1, f.clock.now).queueDepth.at(-1)!;
      return { open: last.open, escalated: last.escalated };
    };
    const actual = () => {
      const c = f.queue.counts();
      return { open: c.pending + c.skipped, escalated: c.escalated };
    };
    const step = () => {
      f.clock.now += 60_000;
      expect(depth()).toEqual(actual());
    };
    const a = f.media();
    const b = f.media();
    const aId = f.report(a).queueItemId;
    const bId = f.queue.enqueue(b, [f.match()]);
    f.queue.enqueue(f.media(), [f.match()]);
    step();
    const fpA = f.decisions.decide({ id: aId, verdict: 'false_positive', reviewer: 'r' }).decision.id;
    f.decisions.decide({ id: bId, verdict: 'escalate', reviewer: 'r' });
    step();
    f.report(a); // reopened: false positive → pending
    step();
    f.decisions.undo(fpA, 'r'); // the undo starts from pending now, not from false positive
    step();
    f.decisions.decide({ id: aId, verdict: 'false_positive', reviewer: 'r' });
    step();
    f.report(a);
    step();
    f.decisions.decide({ id: aId, verdict: 'skip', reviewer: 'r' });
    step();
    f.report(a); // skipped → pending: open either way
    step();
    f.decisions.decide({ id: bId, verdict: 'false_positive', reviewer: 'r' });
    f.report(b); // escalated, then false positive: reopened from false positive
    step();
    expect(actual()).toEqual({ open: 3, escalated: 0 });
    const s = statsOverview(f.db, 1, f.clock.now);
    // Time to decision counts from the reopening, not from the item's first arrival.
    expect(s.timeToDecisionP90Ms).toBeLessThanOrEqual(2 * 60_000);
  });
});

describe('searching by a part', () => {
  it("finds an event by its thumbnail's mxc:// URI and by its thumbnail's hash", () => {
    const f = setup();
    const m = f.media();
    f.db
      .prepare("INSERT INTO media_items (source, source_ref, byte_length, md5, sha256, context_json, part_of, part, created_at) VALUES ('matrix_live', 'mxc://hs.test/Thumb9#$e1', 1, ?, ?, '{}', ?, 'thumbnail', 0)")
      .run('f'.repeat(32), 'e'.repeat(64), m);
    const id = f.queue.enqueue(m, [f.match({ part: 'thumbnail' })]);
    const search = (s: string) => ids(f.queue.list({ limit: 10, offset: 0, search: s }));
    expect(search('mxc://hs.test/Thumb9')).toEqual([id]);
    expect(search('mxc://hs.test/Thumb')).toEqual([]);
    expect(search('e'.repeat(64))).toEqual([id]);
    expect(search('F'.repeat(32))).toEqual([id]);
    expect(f.queue.get(id).matches[0]!.part).toBe('thumbnail');
  });
});

describe('migration 5', () => {
  let db: Db | undefined;
  afterEach(() => db?.close());
  it('turns the report stored on reported items into a counted report, and labels Matrix matches as the attachment', () => {
    db = openDatabase(':memory:', { migrations: migrations.filter((m) => m.version <= 4) });
    const context = { matrix: { server: 'hs', mediaId: 'x', roomId: '!r:hs', eventId: '$e', sender: '@s:hs', report: { id: 42, reporter: '@alice:hs', reason: 'abuse', score: -50, receivedTs: 1000 } } };
    db.prepare("INSERT INTO media_items (id, source, source_ref, byte_length, md5, sha256, context_json, created_at) VALUES (1, 'matrix_report', 'mxc://hs/x#$e', 1, 'a', 'b', ?, 120000)").run(JSON.stringify(context));
    db.prepare("INSERT INTO media_items (id, source, source_ref, byte_length, md5, sha256, context_json, created_at) VALUES (2, 'local_file', '/x.png', 1, 'c', 'd', '{}', 120000)").run();
    db.prepare("INSERT INTO queue_items (media_id, status, priority, best_distance, created_at, updated_at, source, rank) VALUES (1, 'pending', 250100, 0, 120000, 120000, 'matrix_report', 250098)").run();
    db.prepare("INSERT INTO matches (media_id, matcher, bank_name, content_ref, signal_type, distance, created_at) VALUES (1, 'local', 'B', '1', 'md5', 0, 0), (2, 'local', 'B', '1', 'md5', 0, 0)").run();
    expect(runMigrations(db, migrations)).toContain(5);
    expect(db.prepare('SELECT report_count FROM queue_items').get()).toEqual({ report_count: 1 });
    expect(db.prepare('SELECT report_id, reporter, reason, score, received_ts, event_id FROM matrix_reports').all()).toEqual([
      { report_id: 42, reporter: '@alice:hs', reason: 'abuse', score: -50, received_ts: 1000, event_id: '$e' },
    ]);
    expect(db.prepare('SELECT media_id, part FROM matches ORDER BY media_id').all()).toEqual([
      { media_id: 1, part: 'media' },
      { media_id: 2, part: null },
    ]);
    expect(db.prepare('SELECT event_id, media_id FROM matrix_events').all()).toEqual([{ event_id: '$e', media_id: 1 }]);
    const queue = new QueueService(db);
    expect(queue.get(1)).toMatchObject({ reportCount: 1, reports: [{ id: 42, reporter: '@alice:hs' }] });
  });
});
