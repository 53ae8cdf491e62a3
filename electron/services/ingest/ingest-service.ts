import { basename } from 'node:path';
import type { Db } from '../store/database';
import type { AuditLog } from '../audit/audit-log';
import type { MediaRepository } from '../queue/media-repository';
import type { NewMatch, QueueService } from '../queue/queue-service';
import type { MediaVault } from '../media/media-vault';
import { HashError, type HashingPool, type MediaHashes } from '../hashing';
import type { IngestJob } from '../../../shared/contract';
import { IngestJobs } from './ingest-jobs';
import { walkFiles } from './folder-walk';

/** One matcher's verdict on a media item: positive matches, and whether an allow-list (negative bank) covers it. */
export interface MatcherResult {
  matches: NewMatch[];
  allowListed: boolean;
}

export interface MediaMatcher {
  readonly name: string;
  match(hashes: MediaHashes): Promise<MatcherResult>;
}

export interface IngestSource {
  source: string;
  sourceRef: string;
  fileName: string | null;
  context?: Record<string, unknown>;
  vaultRef?: string | null;
}

const IN_FLIGHT_PER_WORKER = 2;

export class IngestService {
  readonly jobs: IngestJobs;

  constructor(
    private readonly deps: {
      db: Db;
      pool: HashingPool;
      media: MediaRepository;
      queue: QueueService;
      audit: AuditLog;
      vault: MediaVault;
      matchers: MediaMatcher[];
      actor: () => string;
      workers: number;
      now?: () => number;
    },
  ) {
    this.jobs = new IngestJobs(deps.now);
  }

  /** Runs every matcher, merges their matches and stores the item; queues it when something matched. */
  async ingestHashed(hashes: MediaHashes, source: IngestSource): Promise<{ mediaId: number; queued: boolean }> {
    const results = await Promise.all(this.deps.matchers.map((m) => m.match(hashes)));
    const allowListed = results.some((r) => r.allowListed);
    const { db, media, queue } = this.deps;
    // A pair (this content, that bank entry) a reviewer already called a false positive does not come back.
    const suppressed = db.prepare('SELECT 1 FROM suppressions WHERE media_sha256 = ? AND matcher = ? AND bank_name = ? AND content_ref = ?');
    const matches = allowListed ? [] : results.flatMap((r) => r.matches).filter((m) => !suppressed.get(hashes.sha256, m.matcher, m.bankName, m.contentRef));
    return db.transaction(() => {
      const { id } = media.upsert({
        source: source.source,
        sourceRef: source.sourceRef,
        fileName: source.fileName,
        mime: hashes.mime,
        format: hashes.format,
        byteLength: hashes.byteLength,
        width: hashes.width,
        height: hashes.height,
        exifOrientation: hashes.exifOrientation,
        md5: hashes.md5,
        sha1: hashes.sha1,
        sha256: hashes.sha256,
        pdq: hashes.pdq,
        pdqQuality: hashes.pdqQuality,
        context: { ...(source.context ?? {}), ...(allowListed ? { allowListed: true } : {}) },
        vaultRef: source.vaultRef ?? null,
      });
      if (matches.length === 0) return { mediaId: id, queued: false };
      queue.enqueue(id, matches);
      return { mediaId: id, queued: true };
    })();
  }

  importFolder(path: string, kind: IngestJob['kind'] = 'folder', source = 'local_file'): IngestJob {
    const job = this.jobs.start(kind, path);
    this.deps.audit.append({ actor: this.deps.actor(), action: 'ingest.folder', subject: path, details: { jobId: job.id } });
    void this.runFolder(job, path, source);
    return job;
  }

  private async runFolder(job: IngestJob, path: string, source: string): Promise<void> {
    try {
      const files: string[] = [];
      for await (const file of walkFiles(path)) files.push(file);
      job.total = files.length;
      await this.forEachLimited(files, async (file) => {
        try {
          const hashes = await this.deps.pool.hashFile(file);
          await this.record(job, hashes, { source, sourceRef: file, fileName: basename(file) });
        } catch (error) {
          this.fail(job, file, error);
        } finally {
          job.processed++;
        }
      });
      this.jobs.finish(job, 'done');
    } catch (error) {
      this.fail(job, path, error);
      this.jobs.finish(job, 'failed');
    }
  }

  /** Browser drag-and-drop: the bytes are hashed in memory and kept only encrypted in the vault, for the preview. */
  importUploads(files: { name: string; bytes: Uint8Array }[]): IngestJob {
    const job = this.jobs.start('upload', `${files.length} dropped file${files.length === 1 ? '' : 's'}`);
    job.total = files.length;
    this.deps.audit.append({ actor: this.deps.actor(), action: 'ingest.upload', subject: null, details: { jobId: job.id, files: files.length } });
    void (async () => {
      await this.forEachLimited(files, async (file) => {
        try {
          const hashes = await this.deps.pool.hashBytes(new Uint8Array(file.bytes));
          const vaultRef = this.deps.vault.put(file.bytes);
          await this.record(job, hashes, { source: 'upload', sourceRef: `upload:${hashes.sha256}`, fileName: file.name, vaultRef });
        } catch (error) {
          this.fail(job, file.name, error);
        } finally {
          job.processed++;
        }
      });
      this.jobs.finish(job, 'done');
    })();
    return job;
  }

  private async record(job: IngestJob, hashes: MediaHashes, source: IngestSource): Promise<void> {
    job.hashed++;
    const { queued } = await this.ingestHashed(hashes, source);
    if (queued) job.matched++;
  }

  private fail(job: IngestJob, file: string, error: unknown): void {
    const code = error instanceof HashError ? error.code : 'error';
    this.jobs.fail(job, file, code, error instanceof Error ? error.message : String(error));
  }

  private async forEachLimited<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const limit = Math.max(1, this.deps.workers * IN_FLIGHT_PER_WORKER);
    const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    });
    await Promise.all(runners);
  }
}
