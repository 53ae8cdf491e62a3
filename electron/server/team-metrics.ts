import type { Services } from '../services/app-services';
import { MetricsRegistry, type Counter, type Histogram } from './metrics';

export interface TeamMetrics {
  registry: MetricsRegistry;
  requests: Counter;
  callSeconds: Histogram;
  lookupSeconds: Histogram;
  signIns: Counter;
  /** Errors talking to Synapse outside the outbox (reading the management room, checking sign-ins). */
  synapseErrors: Counter;
  /** Errors of HMA lookups (the outbox's HMA failures are read from the store). */
  hmaLookupErrors: Counter;
  pushed: Counter;
}

/** The families /metrics serves. Queue, decisions and outbox figures are read from the store when scraped. */
export function createTeamMetrics(): TeamMetrics {
  const registry = new MetricsRegistry();
  return {
    registry,
    requests: registry.counter('matchdesk_http_requests_total', 'HTTP requests answered, by route and status.'),
    callSeconds: registry.histogram('matchdesk_call_duration_seconds', 'Contract calls, by call name and outcome.'),
    lookupSeconds: registry.histogram('matchdesk_lookup_duration_seconds', 'Media lookups against each matcher (local banks, HMA).'),
    signIns: registry.counter('matchdesk_sign_ins_total', 'Matrix OpenID sign-ins, by outcome.'),
    synapseErrors: registry.counter('matchdesk_synapse_errors_total', 'Synapse requests that failed outside the outbox, by purpose.'),
    hmaLookupErrors: registry.counter('matchdesk_hma_lookup_errors_total', 'HMA lookups that failed (they are retried later).'),
    pushed: registry.counter('matchdesk_pushed_events_total', 'Changes pushed to consoles, by type.'),
  };
}

/** Gauges and counters that live in SQLite: the database is the truth after any restart. */
export function collectFromStore(metrics: TeamMetrics, services: Services, extra: { sessions: () => number; streams: () => number; rolesAgeSeconds: () => number | null }): void {
  const r = metrics.registry;
  const db = services.db;
  r.collected('matchdesk_queue_items', 'Queue items by status (pending is the queue depth).', 'gauge', () =>
    Object.entries(services.queue.counts()).map(([status, value]) => ({ labels: { status }, value })),
  );
  r.collected('matchdesk_claims_active', 'Items held by a moderator right now.', 'gauge', () => [
    { value: (db.prepare('SELECT COUNT(*) AS n FROM claims WHERE expires_at > ?').get(Date.now()) as { n: number }).n },
  ]);
  r.collected('matchdesk_decisions_total', 'Decisions recorded, by verdict (undone ones included).', 'counter', () =>
    ['confirm', 'false_positive', 'escalate', 'skip'].map((verdict) => ({
      labels: { verdict },
      value: (db.prepare('SELECT COUNT(*) AS n FROM decisions WHERE verdict = ?').get(verdict) as { n: number }).n,
    })),
  );
  r.collected('matchdesk_outbox_actions', 'Outbox actions by state (pending + running is the backlog; failed need a retry).', 'gauge', () =>
    ['pending', 'running', 'done', 'failed', 'cancelled'].map((state) => ({
      labels: { state },
      value: (db.prepare('SELECT COUNT(*) AS n FROM actions WHERE state = ?').get(state) as { n: number }).n,
    })),
  );
  r.collected('matchdesk_outbox_attempt_failures_total', 'Outbox attempts that failed, by system (matrix = Synapse, hma, local) and outcome.', 'counter', () =>
    (
      db
        .prepare(
          `SELECT substr(a.kind, 1, instr(a.kind, '.') - 1) AS system, t.outcome, COUNT(*) AS n FROM action_attempts t JOIN actions a ON a.id = t.action_id
            WHERE t.outcome IN ('retryable', 'permanent') GROUP BY system, t.outcome`,
        )
        .all() as { system: string; outcome: string; n: number }[]
    ).map((row) => ({ labels: { system: row.system, outcome: row.outcome }, value: row.n })),
  );
  r.collected('matchdesk_lookups_waiting', 'Media lookups that failed (HMA down or slow) and wait for a retry.', 'gauge', () => [
    { value: (db.prepare('SELECT COUNT(*) AS n FROM pending_lookups').get() as { n: number }).n },
  ]);
  r.collected('matchdesk_sessions_active', 'Team sessions that still work.', 'gauge', () => [{ value: extra.sessions() }]);
  r.collected('matchdesk_event_streams', 'Consoles connected to the live update stream.', 'gauge', () => [{ value: extra.streams() }]);
  r.collected('matchdesk_roles_age_seconds', 'Seconds since the management room power levels were last read.', 'gauge', () => {
    const age = extra.rolesAgeSeconds();
    return age === null ? [] : [{ value: age }];
  });
}
