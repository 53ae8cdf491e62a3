import { basename } from 'node:path';
import type { Db } from '../store/database';
import type { AuditLog } from '../audit/audit-log';
import type { MediaRepository } from '../queue/media-repository';
import type { NewMatch, QueueService } from '../queue/queue-service';
import type { MediaVault } from '../media/media-vault';
import { digestFile, HashError, isRefusal, type HashingPool, type MediaHashes } from '../hashing';
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
  match(signals: MediaSignals): Promise<MatcherResult>;
}

/** What matchers look at: the stored hashes, so a failed lookup can be retried without the bytes. */
export interface MediaSignals {
  md5: string;
  sha256: string;
  pdq: string | null;
  /** The 8 dihedral PDQ variants, original first (absent on retries, which only have the stored hash). */
  pdqDihedral?: string[] | null;
}

/** Ingest hashes with the dihedral variants, so rotated and mirrored copies match too. */
export const INGEST_HASH_OPTIONS = { dihedral: true } as const;

const LOOKUP_RETRY_BASE_MS = 15_000;
const LOOKUP_RETRY_MAX_MS = 30 * 60_000;

export function lookupBackoffMs(attempt: number): number {
  return Math.min(LOOKUP_RETRY_MAX_MS, LOOKUP_RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1));
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Why a file was not decoded: a typed code (HashErrorCode) and a sentence for the reviewer. */
export interface Refusal {
  code: string;
  reason: string;
}

export interface IngestSource {
  source: string;
  sourceRef: string;
  fileName: string | null;
  context?: Record<string, unknown>;
  vaultRef?: string | null;
  /** One part of a larger item (a Matrix event's thumbnail): matches queue that item, labelled with the part. */
  partOf?: number | null;
  part?: string | null;
}

/** What the matchers said about one media item. */
export interface MatchOutcome {
  matches: NewMatch[];
  allowListed: boolean;
  /** Matchers that failed (HMA down, slow, garbled): asked again later by retryPendingLookups. */
  failed: { matcher: string; error: string }[];
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

  /**
   * Runs every matcher, merges their matches and stores the item; queues it when something matched. A matcher that
   * fails (HMA down, slow, answering garbage) does not stop the item: it is stored, marked "lookup failed — will
   * retry", and retryPendingLookups() asks that matcher again later. Nothing is dropped.
   */
  async ingestHashed(hashes: MediaHashes, source: IngestSource): Promise<{ mediaId: number; queued: boolean; lookupFailed: string[] }> {
    const outcome = await this.match(hashes);
    return this.deps.db.transaction(() => {
      const stored = this.storeHashed(hashes, source, outcome);
      const queued = stored.matches.length > 0;
      if (queued) this.deps.queue.enqueue(stored.queueMediaId, stored.matches);
      // An allow-listed item is not looked up again, so no lookup is pending for it.
      return { mediaId: stored.mediaId, queued, lookupFailed: outcome.allowListed ? [] : outcome.failed.map((f) => f.matcher) };
    })();
  }

  /** Asks every matcher about one media item's hashes; a failing matcher is noted, not thrown. */
  async match(hashes: MediaHashes): Promise<MatchOutcome> {
    const signals: MediaSignals = { md5: hashes.md5, sha256: hashes.sha256, pdq: hashes.pdq, pdqDihedral: hashes.pdqDihedral ?? null };
    const settled = await Promise.allSettled(this.deps.matchers.map((m) => m.match(signals)));
    const results: MatcherResult[] = [];
    const failed: MatchOutcome['failed'] = [];
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') results.push(r.value);
      else failed.push({ matcher: this.deps.matchers[i]!.name, error: errorText(r.reason) });
    });
    return { matches: results.flatMap((r) => r.matches), allowListed: results.some((r) => r.allowListed), failed };
  }

  /**
   * Stores a hashed media item with what the matchers said (call inside a transaction): the row, its failed lookups
   * (to retry), and the matches that should queue it — none when an allow-list covers it, and none a reviewer already
   * called false positives for these bytes. For a part of a larger item the matches carry the part's name and are
   * for the larger item's queue entry (queueMediaId).
   */
  storeHashed(hashes: MediaHashes, source: IngestSource, outcome: MatchOutcome): { mediaId: number; queueMediaId: number; matches: NewMatch[] } {
    const { db, media } = this.deps;
    const now = this.now();
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
      context: { ...(source.context ?? {}), ...(outcome.allowListed ? { allowListed: true } : {}) },
      vaultRef: source.vaultRef ?? null,
      partOf: source.partOf ?? null,
      part: source.part ?? null,
    });
    const queueMediaId = source.partOf ?? id;
    if (outcome.allowListed) return { mediaId: id, queueMediaId, matches: [] };
    const pending = db.prepare(
      `INSERT INTO pending_lookups (media_id, matcher, attempts, next_at, last_error, created_at) VALUES (?, ?, 1, ?, ?, ?)
       ON CONFLICT (media_id, matcher) DO UPDATE SET last_error = excluded.last_error`,
    );
    for (const f of outcome.failed) pending.run(id, f.matcher, now + lookupBackoffMs(1), f.error, now);
    return { mediaId: id, queueMediaId, matches: this.unsuppressed(hashes.sha256, outcome.matches, source.part ?? null) };
  }

  /** The matches minus pairs a reviewer already called false positives, labelled with the part that matched. */
  private unsuppressed(sha256: string, matches: NewMatch[], part: string | null): NewMatch[] {
    const suppressed = this.deps.db.prepare('SELECT 1 FROM suppressions WHERE media_sha256 = ? AND matcher = ? AND bank_name = ? AND content_ref = ?');
    return matches.filter((m) => !suppressed.get(sha256, m.matcher, m.bankName, m.contentRef)).map((m) => (part ? { ...m, part } : m));
  }

  /** Asks failed matchers again for the items whose retry is due. */
  async retryPendingLookups(limit = 100): Promise<{ retried: number; recovered: number; queued: number }> {
    const { db } = this.deps;
    const due = db
      .prepare(
        `SELECT p.media_id, p.matcher, p.attempts, m.md5, m.sha256, m.pdq, m.part_of, m.part FROM pending_lookups p JOIN media_items m ON m.id = p.media_id
          WHERE p.next_at <= ? ORDER BY p.next_at LIMIT ?`,
      )
      .all(this.now(), limit) as {
      media_id: number;
      matcher: string;
      attempts: number;
      md5: string;
      sha256: string;
      pdq: string | null;
      part_of: number | null;
      part: string | null;
    }[];
    let recovered = 0;
    let queued = 0;
    for (const row of due) {
      const matcher = this.deps.matchers.find((m) => m.name === row.matcher);
      if (!matcher) {
        db.prepare('DELETE FROM pending_lookups WHERE media_id = ? AND matcher = ?').run(row.media_id, row.matcher);
        continue;
      }
      try {
        const result = await matcher.match({ md5: row.md5, sha256: row.sha256, pdq: row.pdq });
        db.transaction(() => {
          db.prepare('DELETE FROM pending_lookups WHERE media_id = ? AND matcher = ?').run(row.media_id, row.matcher);
          const kept = result.allowListed ? [] : this.unsuppressed(row.sha256, result.matches, row.part);
          if (kept.length > 0) {
            this.deps.queue.enqueue(row.part_of ?? row.media_id, kept);
            queued++;
          }
        })();
        recovered++;
      } catch (error) {
        db.prepare('UPDATE pending_lookups SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE media_id = ? AND matcher = ?').run(
          this.now() + lookupBackoffMs(row.attempts + 1),
          errorText(error),
          row.media_id,
          row.matcher,
        );
      }
    }
    return { retried: due.length, recovered, queued };
  }

  pendingLookups(): { count: number; lastError: string | null } {
    const row = this.deps.db.prepare('SELECT COUNT(*) AS n, (SELECT last_error FROM pending_lookups ORDER BY next_at DESC LIMIT 1) AS e FROM pending_lookups').get() as {
      n: number;
      e: string | null;
    };
    return { count: row.n, lastError: row.e };
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /**
   * Hashes in an isolated decoder. A file the decoder refuses (over the pixel cap, broken, an unsupported format, or
   * one that made the decoder run out of memory, time out or crash) is not lost: its digests are computed here, from
   * the bytes, without decoding, so it is still stored and matched by MD5/SHA-256, and it carries the refusal.
   */
  async hashOrRefuse(input: string | Uint8Array): Promise<{ hashes: MediaHashes; refused: Refusal | null }> {
    const pool = this.deps.pool;
    try {
      const hashes =
        typeof input === 'string'
          ? await pool.hashFile(input, INGEST_HASH_OPTIONS)
          : await pool.hashBytes(pool.isolation === 'thread' ? input.slice() : input, INGEST_HASH_OPTIONS);
      return { hashes, refused: null };
    } catch (error) {
      if (!(error instanceof HashError) || !isRefusal(error.code)) throw error;
      return { hashes: await digestFile(input), refused: { code: error.code, reason: error.message } };
    }
  }

  /** `actor`: who started it (the caller of a contract call); background work defaults to the services' own name. */
  importFolder(path: string, kind: IngestJob['kind'] = 'folder', source = 'local_file', actor = this.deps.actor()): IngestJob {
    const job = this.jobs.start(kind, path, actor);
    this.deps.audit.append({ actor, action: 'ingest.folder', subject: path, details: { jobId: job.id } });
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
          const { hashes, refused } = await this.hashOrRefuse(file);
          await this.record(job, hashes, { source, sourceRef: file, fileName: basename(file), ...(refused ? { context: { refused } } : {}) }, refused);
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
  importUploads(files: { name: string; bytes: Uint8Array }[], actor = this.deps.actor()): IngestJob {
    const job = this.jobs.start('upload', `${files.length} dropped file${files.length === 1 ? '' : 's'}`, actor);
    job.total = files.length;
    this.deps.audit.append({ actor, action: 'ingest.upload', subject: null, details: { jobId: job.id, files: files.length } });
    void (async () => {
      await this.forEachLimited(files, async (file) => {
        try {
          const { hashes, refused } = await this.hashOrRefuse(file.bytes);
          const vaultRef = this.deps.vault.put(file.bytes);
          await this.record(job, hashes, { source: 'upload', sourceRef: `upload:${hashes.sha256}`, fileName: file.name, vaultRef, ...(refused ? { context: { refused } } : {}) }, refused);
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

  private async record(job: IngestJob, hashes: MediaHashes, source: IngestSource, refused: Refusal | null = null): Promise<void> {
    if (refused) {
      job.refused++;
      this.jobs.note(job, source.fileName ?? source.sourceRef, refused.code, `refused: ${refused.reason}`);
    } else {
      job.hashed++;
    }
    const { queued, lookupFailed } = await this.ingestHashed(hashes, source);
    if (queued) job.matched++;
    if (lookupFailed.length > 0) {
      job.lookupFailed++;
      this.jobs.note(job, source.fileName ?? source.sourceRef, 'lookup_failed', `${lookupFailed.join(', ')} lookup failed — will retry`);
    }
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
