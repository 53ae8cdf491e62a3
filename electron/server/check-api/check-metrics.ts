import type { Counter, Histogram, MetricsRegistry } from '../metrics';

export interface CheckMetrics {
  /** Answered checks by endpoint and action; refused ones by endpoint and reason. */
  checks: Counter;
  refused: Counter;
  seconds: Histogram;
  cacheHits: Counter;
  /** Checks whose HMA lookup did not answer in time (answered from the local banks). */
  degraded: Counter;
  /** Checks a client could not make (this server down or slow) and let through or refused by its own rule. */
  missed: Counter;
}

/** The check API's families, on the team server's /metrics. */
export function createCheckMetrics(registry: MetricsRegistry, cacheEntries: () => number): CheckMetrics {
  const metrics: CheckMetrics = {
    checks: registry.counter('matchdesk_check_requests_total', 'Bot and Synapse checks answered, by endpoint and action.'),
    refused: registry.counter('matchdesk_check_refused_total', 'Check requests refused, by endpoint and reason (unauthorized, rate_limited, invalid, too_large, unavailable).'),
    seconds: registry.histogram('matchdesk_check_duration_seconds', 'Time to answer a check, by kind (hashes, mxc, upload).', [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5]),
    cacheHits: registry.counter('matchdesk_check_cache_hits_total', 'Checks answered from the cache of clean media, by kind.'),
    degraded: registry.counter('matchdesk_check_degraded_total', 'Checks answered without a matcher that did not answer in time, by matcher.'),
    missed: registry.counter(
      'matchdesk_check_missed_total',
      'Checks a client could not make (this server unreachable or too slow), as the client reports them afterwards, by client and policy (fail_open, fail_closed).',
    ),
  };
  registry.collected('matchdesk_check_clean_cache_entries', 'Clean answers remembered.', 'gauge', () => [{ value: cacheEntries() }]);
  return metrics;
}
