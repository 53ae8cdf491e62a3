import { randomUUID } from 'node:crypto';
import type { IngestJob } from '../../../shared/contract';

const MAX_ERRORS_KEPT = 200;
const FINISHED_JOBS_KEPT = 20;

/** In-memory progress of running and recent ingest jobs; the renderer polls it for the progress bar. */
export class IngestJobs {
  private readonly jobs = new Map<string, IngestJob>();

  constructor(private readonly now: () => number = Date.now) {}

  start(kind: IngestJob['kind'], label: string, actor: string): IngestJob {
    const job: IngestJob = {
      id: randomUUID(),
      kind,
      label,
      actor,
      state: 'running',
      total: 0,
      processed: 0,
      hashed: 0,
      matched: 0,
      failed: 0,
      refused: 0,
      lookupFailed: 0,
      errors: [],
      startedAt: this.now(),
      finishedAt: null,
    };
    this.jobs.set(job.id, job);
    this.prune();
    return job;
  }

  fail(job: IngestJob, file: string, code: string, message: string): void {
    job.failed++;
    if (job.errors.length < MAX_ERRORS_KEPT) job.errors.push({ file, code, message });
  }

  /** A problem that did not stop the file (e.g. a matcher to be asked again later). */
  note(job: IngestJob, file: string, code: string, message: string): void {
    if (job.errors.length < MAX_ERRORS_KEPT) job.errors.push({ file, code, message });
  }

  finish(job: IngestJob, state: 'done' | 'failed'): void {
    job.state = state;
    job.finishedAt = this.now();
  }

  list(): IngestJob[] {
    return [...this.jobs.values()].sort((a, b) => b.startedAt - a.startedAt).map((j) => ({ ...j, errors: [...j.errors] }));
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((j) => j.state !== 'running').sort((a, b) => b.startedAt - a.startedAt);
    for (const job of finished.slice(FINISHED_JOBS_KEPT)) this.jobs.delete(job.id);
  }
}
