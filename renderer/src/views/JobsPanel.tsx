import { useEffect, useRef } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { call } from '../api';

export function JobsPanel() {
  const queryClient = useQueryClient();
  const jobs = useQuery({
    queryKey: ['ingest.jobs'],
    queryFn: () => call('ingest.jobs', {}),
    refetchInterval: (query) => (query.state.data?.some((j) => j.state === 'running') ? 500 : 3_000),
  });
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
        return (
          <li key={job.id} className={`job job-${job.state}`} data-testid="ingest-job" data-state={job.state}>
            <div className="job-head">
              <span className="job-label" title={job.label}>{job.kind === 'demo' ? 'Demo media' : job.label}</span>
              <span className="job-state">{job.state === 'running' ? `${job.processed} / ${job.total}` : job.state}</span>
            </div>
            <progress max={100} value={pct} aria-label={`Import progress ${pct}%`} />
            <div className="job-stats">
              {job.hashed} hashed · <strong>{job.matched} matched</strong> · {job.refused > 0 && <span data-testid="job-refused">{job.refused} refused · </span>}{job.failed} failed
            </div>
            {job.errors.length > 0 && (
              <details>
                <summary>{job.errors.length} file{job.errors.length === 1 ? '' : 's'} not hashed or not fully checked</summary>
                <ul className="job-errors">
                  {job.errors.map((e, i) => (
                    <li key={i}><code>{e.file}</code>: {e.message} ({e.code})</li>
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
