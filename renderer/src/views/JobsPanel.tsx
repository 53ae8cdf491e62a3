import { useEffect, useRef } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { call } from '../api';

/** The code the ingest service gives a file whose hashes were stored but whose lookup failed (and will be retried). */
const LOOKUP_FAILED = 'lookup_failed';
/** How the ingest service words a decoder's refusal (ingest-service.ts record()). */
const REFUSED_PREFIX = 'refused: ';

export function JobsPanel() {
  const queryClient = useQueryClient();
  const jobs = useQuery({
    queryKey: ['ingest.jobs'],
    queryFn: () => call('ingest.jobs', {}),
    refetchInterval: (query) => (query.state.data?.some((j) => j.state === 'running') ? 500 : 3_000),
  });
  // On a team server everyone's imports are listed: say whose each is.
  const info = useQuery({ queryKey: ['app.info'], queryFn: () => call('app.info', {}), staleTime: Infinity });
  const team = info.data?.host === 'team';
  // When an import makes progress, the queue and its counts change: refresh them rather than wait for their poll.
  const progress = jobs.data?.reduce((sum, j) => sum + j.processed + (j.state === 'running' ? 0 : 1), 0) ?? 0;
  const lastProgress = useRef(progress);
  useEffect(() => {
    if (progress === lastProgress.current) return;
    lastProgress.current = progress;
    void queryClient.invalidateQueries({ queryKey: ['queue.counts'] });
    void queryClient.invalidateQueries({ queryKey: ['queue.list'] });
  }, [progress, queryClient]);
  if (!jobs.data || jobs.data.length === 0) return <p className="muted">No imports yet.</p>;
  return (
    <ul className="jobs" aria-label="Imports">
      {jobs.data.map((job) => {
        const pct = job.total > 0 ? Math.round((job.processed / job.total) * 100) : job.state === 'running' ? 0 : 100;
        // Refused: the decoder would not open the file (kept by its digests, with the reason); failed: not even that.
        const refusals = job.errors.filter((e) => e.message.startsWith(REFUSED_PREFIX));
        const hashErrors = job.errors.filter((e) => e.code !== LOOKUP_FAILED && !e.message.startsWith(REFUSED_PREFIX));
        const lookupErrors = job.errors.filter((e) => e.code === LOOKUP_FAILED);
        return (
          <li key={job.id} className={`job job-${job.state}`} data-testid="ingest-job" data-state={job.state}>
            <div className="job-head">
              <span className="job-label" title={job.label}>
                {job.kind === 'demo' ? 'Demo media' : job.label}
                {team && <span className="muted" data-testid="ingest-job-actor"> · by {job.actor}</span>}
              </span>
              <span className="job-state">{job.state === 'running' ? `${job.processed} / ${job.total}` : job.state}</span>
            </div>
            <progress max={100} value={pct} aria-label={`Import progress ${pct}%`} />
            {/* "could not be hashed" (the file itself) and "lookup failed" (a matcher such as HMA was down: the file is
                hashed and stored, and the lookup is retried) are different problems and are counted apart. */}
            <div className="job-stats" data-testid="ingest-job-stats">
              {job.hashed} hashed · <strong>{job.matched} matched</strong> · {job.refused > 0 && <span data-testid="job-refused">{job.refused} refused · </span>}{job.failed} could not be hashed
              {job.lookupFailed > 0 && <> · <span className="warn-text">{job.lookupFailed} lookup{job.lookupFailed === 1 ? '' : 's'} failed, will retry</span></>}
            </div>
            {refusals.length > 0 && (
              <details>
                <summary>{refusals.length} file{refusals.length === 1 ? ' was' : 's were'} refused by the decoder: kept by {refusals.length === 1 ? 'its' : 'their'} digests, not decoded</summary>
                <ul className="job-errors">
                  {refusals.map((e, i) => (
                    <li key={i}><code>{e.file}</code>: {e.message} ({e.code})</li>
                  ))}
                </ul>
              </details>
            )}
            {hashErrors.length > 0 && (
              <details>
                <summary>{hashErrors.length} file{hashErrors.length === 1 ? '' : 's'} could not be hashed</summary>
                <ul className="job-errors">
                  {hashErrors.map((e, i) => (
                    <li key={i}><code>{e.file}</code>: {e.message} ({e.code})</li>
                  ))}
                </ul>
              </details>
            )}
            {lookupErrors.length > 0 && (
              <details>
                <summary>{lookupErrors.length} file{lookupErrors.length === 1 ? ' was' : 's were'} hashed, but the lookup failed: it is retried until it answers</summary>
                <ul className="job-errors">
                  {lookupErrors.map((e, i) => (
                    <li key={i}><code>{e.file}</code>: {e.message}</li>
                  ))}
                </ul>
              </details>
            )}
          </li>
        );
      })}
    </ul>
  );
}
