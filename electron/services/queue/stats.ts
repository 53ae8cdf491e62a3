import type { Db } from '../store/database';
import type { QueueStatus, StatsOverview, Verdict } from '../../../shared/contract';

const HOUR = 3_600_000;
const VERDICT_STATUS: Record<Verdict, QueueStatus> = { confirm: 'confirmed', false_positive: 'false_positive', escalate: 'escalated', skip: 'skipped' };
const TTD_BUCKETS: { bucket: string; upToMs: number | null }[] = [
  { bucket: '< 1 min', upToMs: 60_000 },
  { bucket: '1–5 min', upToMs: 5 * 60_000 },
  { bucket: '5–15 min', upToMs: 15 * 60_000 },
  { bucket: '15–60 min', upToMs: HOUR },
  { bucket: '1–4 h', upToMs: 4 * HOUR },
  { bucket: '4–24 h', upToMs: 24 * HOUR },
  { bucket: '1–7 d', upToMs: 7 * 24 * HOUR },
  { bucket: '> 7 d', upToMs: null },
];

type Kind = 'open' | 'escalated' | 'closed';
const kindOf = (status: QueueStatus): Kind => (status === 'pending' || status === 'skipped' ? 'open' : status === 'escalated' ? 'escalated' : 'closed');

/**
 * Queue depth over time (replayed from arrivals, decisions and undos, so no sampler is needed), decisions per hour,
 * and time from arrival to decision.
 */
export function statsOverview(db: Db, days: number, now: number): StatsOverview {
  const to = now;
  const from = now - days * 24 * HOUR;
  const bucketMs = Math.max(HOUR, Math.ceil((days * 24) / 168) * HOUR);

  // ---- queue depth: a sweep over every state change -------------------------------------------------------------
  const events: { at: number; open: number; escalated: number }[] = [];
  for (const r of db.prepare('SELECT created_at AS at FROM queue_items').all() as { at: number }[]) events.push({ at: r.at, open: 1, escalated: 0 });
  const decisions = db.prepare('SELECT id, verdict, decided_at, undone_at, previous_status FROM decisions').all() as {
    id: number;
    verdict: Verdict;
    decided_at: number;
    undone_at: number | null;
    previous_status: QueueStatus | null;
  }[];
  const delta = (fromStatus: QueueStatus, toStatus: QueueStatus) => {
    const a = kindOf(fromStatus);
    const b = kindOf(toStatus);
    return { open: (b === 'open' ? 1 : 0) - (a === 'open' ? 1 : 0), escalated: (b === 'escalated' ? 1 : 0) - (a === 'escalated' ? 1 : 0) };
  };
  // A new report took a decided item back to pending (queue_reopenings). The decision stays; if it is undone after
  // that, the undo starts from pending, not from the decision's status.
  const reopenings = db.prepare('SELECT decision_id, previous_status, reopened_at FROM queue_reopenings').all() as {
    decision_id: number | null;
    previous_status: QueueStatus;
    reopened_at: number;
  }[];
  const reopenedAt = new Map<number, number>();
  for (const r of reopenings) {
    events.push({ at: r.reopened_at, ...delta(r.previous_status, 'pending') });
    if (r.decision_id !== null) reopenedAt.set(r.decision_id, Math.min(r.reopened_at, reopenedAt.get(r.decision_id) ?? Infinity));
  }
  for (const d of decisions) {
    const prev = d.previous_status ?? 'pending';
    const next = VERDICT_STATUS[d.verdict];
    events.push({ at: d.decided_at, ...delta(prev, next) });
    if (d.undone_at !== null) {
      const reopened = reopenedAt.get(d.id);
      events.push({ at: d.undone_at, ...delta(reopened !== undefined && reopened <= d.undone_at ? 'pending' : next, prev) });
    }
  }
  events.sort((a, b) => a.at - b.at);
  const queueDepth: StatsOverview['queueDepth'] = [];
  let open = 0;
  let escalated = 0;
  let i = 0;
  const start = Math.floor(from / bucketMs) * bucketMs;
  for (let t = start + bucketMs; t <= to + bucketMs; t += bucketMs) {
    const at = Math.min(t, to);
    while (i < events.length && events[i]!.at <= at) {
      open += events[i]!.open;
      escalated += events[i]!.escalated;
      i++;
    }
    queueDepth.push({ at, open, escalated });
    if (at === to) break;
  }

  // ---- decisions per hour -----------------------------------------------------------------------------------------
  const perHour = new Map<number, Record<Verdict, number>>();
  const firstHour = Math.floor(from / HOUR) * HOUR;
  for (let h = firstHour; h <= to; h += HOUR) perHour.set(h, { confirm: 0, false_positive: 0, escalate: 0, skip: 0 });
  const totals: Record<Verdict, number> = { confirm: 0, false_positive: 0, escalate: 0, skip: 0 };
  const hourRows = db
    .prepare(
      `SELECT (decided_at / ${HOUR}) * ${HOUR} AS hour, verdict, COUNT(*) AS n FROM decisions
        WHERE decided_at >= ? AND decided_at <= ? AND undone_at IS NULL GROUP BY hour, verdict`,
    )
    .all(from, to) as { hour: number; verdict: Verdict; n: number }[];
  for (const r of hourRows) {
    const slot = perHour.get(r.hour) ?? { confirm: 0, false_positive: 0, escalate: 0, skip: 0 };
    slot[r.verdict] += r.n;
    perHour.set(r.hour, slot);
    totals[r.verdict] += r.n;
  }
  const decisionsPerHour = [...perHour.entries()].sort((a, b) => a[0] - b[0]).map(([hour, v]) => ({ hour, ...v }));

  // ---- time to decision -------------------------------------------------------------------------------------------
  const waits = (
    db
      .prepare(
        // Waiting since the item arrived, or since a new report last took it back to the queue.
        `SELECT d.decided_at - COALESCE((SELECT MAX(r.reopened_at) FROM queue_reopenings r WHERE r.queue_item_id = d.queue_item_id AND r.reopened_at <= d.decided_at), q.created_at) AS wait
           FROM decisions d JOIN queue_items q ON q.id = d.queue_item_id
          WHERE d.decided_at >= ? AND d.decided_at <= ? AND d.undone_at IS NULL AND d.verdict <> 'skip' ORDER BY wait`,
      )
      .all(from, to) as { wait: number }[]
  ).map((r) => Math.max(0, r.wait));
  const timeToDecision = TTD_BUCKETS.map((b) => ({ ...b, count: 0 }));
  for (const w of waits) {
    const slot = timeToDecision.find((b) => b.upToMs === null || w < b.upToMs)!;
    slot.count++;
  }
  const pct = (p: number) => (waits.length ? waits[Math.min(waits.length - 1, Math.floor(p * waits.length))]! : null);

  return {
    from,
    to,
    bucketMs,
    queueDepth,
    decisionsPerHour,
    timeToDecision,
    timeToDecisionP50Ms: pct(0.5),
    timeToDecisionP90Ms: pct(0.9),
    totals,
    byTrigger: byTrigger(db, from, to),
  };
}

type Trigger = StatsOverview['byTrigger'][number]['trigger'];
const TRIGGERS: Trigger[] = ['reported_only', 'matched_only', 'reported_and_matched'];
const TRIGGER_SQL = `CASE WHEN q.report_count > 0 AND q.best_distance IS NOT NULL THEN 'reported_and_matched'
                          WHEN q.report_count > 0 THEN 'reported_only' ELSE 'matched_only' END`;

/** Reported items (a user asked a moderator to look) and matched ones (a bank said so) counted apart. */
function byTrigger(db: Db, from: number, to: number): StatsOverview['byTrigger'] {
  const rows = new Map<Trigger, StatsOverview['byTrigger'][number]>(
    TRIGGERS.map((trigger) => [trigger, { trigger, arrived: 0, open: 0, reports: 0, confirm: 0, false_positive: 0, escalate: 0, skip: 0 }]),
  );
  const queued = 'q.report_count > 0 OR q.best_distance IS NOT NULL';
  for (const r of db
    .prepare(
      `SELECT ${TRIGGER_SQL} AS trigger, SUM(q.created_at >= @from AND q.created_at <= @to) AS arrived,
              SUM(q.status IN ('pending', 'escalated', 'skipped')) AS open
         FROM queue_items q WHERE ${queued} GROUP BY trigger`,
    )
    .all({ from, to }) as { trigger: Trigger; arrived: number; open: number }[]) {
    Object.assign(rows.get(r.trigger)!, { arrived: r.arrived, open: r.open });
  }
  for (const r of db
    .prepare(
      `SELECT ${TRIGGER_SQL} AS trigger, COUNT(*) AS n FROM matrix_reports mr JOIN queue_items q ON q.id = mr.queue_item_id
        WHERE mr.received_ts >= @from AND mr.received_ts <= @to GROUP BY trigger`,
    )
    .all({ from, to }) as { trigger: Trigger; n: number }[]) {
    rows.get(r.trigger)!.reports = r.n;
  }
  for (const r of db
    .prepare(
      `SELECT ${TRIGGER_SQL} AS trigger, d.verdict, COUNT(*) AS n FROM decisions d JOIN queue_items q ON q.id = d.queue_item_id
        WHERE d.decided_at >= @from AND d.decided_at <= @to AND d.undone_at IS NULL AND (${queued}) GROUP BY trigger, d.verdict`,
    )
    .all({ from, to }) as { trigger: Trigger; verdict: Verdict; n: number }[]) {
    rows.get(r.trigger)![r.verdict] = r.n;
  }
  return TRIGGERS.map((t) => rows.get(t)!);
}

