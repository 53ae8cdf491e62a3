// Bank imports from files of any size, in the background, resumable after a crash.
//
// Two phases, in short steps so the rest of the app keeps working on the same database:
//  1. reading: the file is streamed in 1 MB chunks (never whole, never as one string). Each chunk's valid rows are
//     appended to one stage file per partition of the hash space (rows whose signals share their first hex digits),
//     then the job's checkpoint (byte offset, line, parser state, counts, the stage files' lengths) is committed. A
//     resumed job cuts the stage files back to the committed lengths and reopens the import file at the committed
//     offset: rows already committed are never read again.
//  2. adding: partition by partition, rows are added to the bank in transactions of ~10k rows, each committing its
//     rows and the position reached together. One partition touches one slice of the signal index, so each
//     transaction writes a few hundred index pages instead of random pages all over a large B-tree — the difference
//     between ~30k and a few hundred thousand rows per second at millions of rows. Duplicates (in the bank already,
//     or earlier in the file) are counted, not added.
//
// An uploaded file (browser shell, team server) is first spooled to the data directory and read from there, so it
// resumes the same way; the spool and stage files are deleted when the job ends.

import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rm, stat, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Statement } from 'better-sqlite3';
import { ContractError } from '../../../shared/result';
import type { Db } from '../store/database';
import type { BankRepository } from './bank-repository';
import { normaliseSignal, signalKey, type LocalSignalType } from './bank-signals';
import { checkImportFile, describeCheck } from './import-check';
import { createReader, ImportFormatError, initialState, type ReaderState } from './import-reader';

export type ImportFormat = 'csv' | 'json';

export interface BankImportJob {
  id: string;
  bankName: string;
  format: ImportFormat;
  fileName: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  phase: 'reading' | 'adding' | 'finished';
  /** Rows (CSV) or content items (JSON) read so far; the final count once reading ends. */
  total: number;
  /** Rows read so far (reading), then rows through the adding phase. */
  processed: number;
  bytesTotal: number;
  bytesRead: number;
  /** Rows waiting to be added, and rows added or found duplicate so far. */
  staged: number;
  merged: number;
  added: number;
  duplicates: number;
  rejectedCount: number;
  /** The first rejected rows with their line numbers (escaped text). */
  rejected: { line: number; message: string }[];
  error: string | null;
  actor: string;
  startedAt: number;
  finishedAt: number | null;
}

export interface StartImport {
  bankName: string;
  /** Detected from the name or the first byte when absent. */
  format?: ImportFormat;
  actor: string;
  /** Settings of the bank if this import creates it. */
  newBank?: { kind?: 'positive' | 'negative' };
}

export interface BankImportJobsOptions {
  db: Db;
  banks: BankRepository;
  /** Where uploads and pasted text are spooled (inside the data directory). */
  spoolDir: string;
  onDone?: (job: BankImportJob) => void;
  /** A job started (its bank may be new). */
  onStart?: (job: BankImportJob) => void;
  /** A job committed a step (a chunk read, a batch added). */
  onProgress?: (jobId: string) => void;
  now?: () => number;
  log?: (message: string) => void;
  /** Rows per transaction in the adding phase (tests use small values). */
  mergeBatch?: number;
  /** Rows per partition of the hash space (tests use small values to get many partitions). */
  partitionRows?: number;
  /** Bytes read per chunk (and per reading transaction). */
  readChunk?: number;
}

/** Largest upload accepted by default (a 5-million-row CSV is about 330 MB). */
export const DEFAULT_MAX_UPLOAD_BYTES = 4 * 1024 ** 3;
const READ_CHUNK = 1 << 20;
const MAX_REJECTED_KEPT = 100;
const ROWS_PER_PARTITION = 10_000;
const KEPT_FINISHED = 20;
const INSERT_BATCH = 100;

interface JobRow {
  id: string;
  bank_name: string;
  bank_id: number | null;
  format: ImportFormat;
  file_name: string;
  source_path: string;
  source_size: number;
  source_mtime_ms: number;
  delete_source: number;
  actor: string;
  new_bank_json: string;
  state: BankImportJob['state'];
  phase: BankImportJob['phase'];
  partitions: number;
  part_sizes_json: string;
  byte_offset: number;
  line: number;
  parser_json: string;
  rows_read: number;
  staged: number;
  merged: number;
  merge_part: number;
  merge_offset: number;
  added: number;
  duplicates: number;
  rejected_count: number;
  rejected_json: string;
  error: string | null;
  started_at: number;
  finished_at: number | null;
}

interface StageRow {
  line: number;
  item: number;
  signal_type: LocalSignalType;
  signal: string;
  label: string | null;
  extra_json: string | null;
}

function toJob(r: JobRow): BankImportJob {
  return {
    id: r.id,
    bankName: r.bank_name,
    format: r.format,
    fileName: r.file_name,
    state: r.state,
    phase: r.phase,
    total: r.rows_read,
    processed: r.phase === 'reading' ? r.rows_read : r.rows_read - Math.max(0, r.staged - r.merged),
    bytesTotal: r.source_size,
    bytesRead: r.phase === 'reading' ? r.byte_offset : r.source_size,
    staged: r.staged,
    merged: r.merged,
    added: r.added,
    duplicates: r.duplicates,
    rejectedCount: r.rejected_count,
    rejected: JSON.parse(r.rejected_json) as { line: number; message: string }[],
    error: r.error,
    actor: r.actor,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

/** Partitions of the hash space for an import of about `rows` rows: a power of two, 1..256. */
export function partitionsFor(rows: number, perPartition = ROWS_PER_PARTITION): number {
  let p = 1;
  while (p < 256 && p * perPartition < rows) p *= 2;
  return p;
}

export class BankImportJobs {
  private readonly db: Db;
  private readonly banks: BankRepository;
  private readonly now: () => number;
  private readonly running = new Map<string, Promise<void>>();
  private readonly statements = new Map<string, Statement>();
  private closed = false;

  constructor(private readonly options: BankImportJobsOptions) {
    this.db = options.db;
    this.banks = options.banks;
    this.now = options.now ?? Date.now;
  }

  private stmt(sql: string): Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  list(): BankImportJob[] {
    const rows = this.stmt(
      `SELECT * FROM bank_import_jobs WHERE state = 'running'
       UNION ALL SELECT * FROM (SELECT * FROM bank_import_jobs WHERE state != 'running' ORDER BY started_at DESC LIMIT ${KEPT_FINISHED})
       ORDER BY started_at DESC`,
    ).all() as JobRow[];
    return rows.map(toJob);
  }

  get(id: string): BankImportJob | null {
    const row = this.stmt('SELECT * FROM bank_import_jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row ? toJob(row) : null;
  }

  /**
   * Checks a file and starts importing it. A file that fails the check (binary, wrong header, not a bank export,
   * mostly invalid rows) creates nothing: ContractError invalid_input with the first bad lines, escaped.
   */
  async startFromFile(path: string, start: StartImport & { fileName?: string; deleteSource?: boolean }): Promise<BankImportJob> {
    let info;
    try {
      info = await stat(path);
    } catch (e) {
      throw new ContractError('not_found', `Cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    if (!info.isFile()) throw new ContractError('invalid_input', `${path} is not a file`);
    const fileName = start.fileName ?? path.split(/[\\/]/).pop() ?? 'import';
    const check = await checkImportFile(path, start.format, fileName);
    if (!check.ok) {
      const { message, issues } = describeCheck(check);
      throw new ContractError('invalid_input', message, issues);
    }
    const format = check.format;
    const jsonBank = check.bank ?? {};
    const newBank = {
      kind: start.newBank?.kind ?? (jsonBank.kind === 'negative' || jsonBank.kind === 'positive' ? jsonBank.kind : undefined),
      severity: Number.isInteger(jsonBank.severity) && (jsonBank.severity as number) >= 0 && (jsonBank.severity as number) <= 100 ? (jsonBank.severity as number) : undefined,
      pdqThreshold:
        Number.isInteger(jsonBank.pdqThreshold) && (jsonBank.pdqThreshold as number) >= 0 && (jsonBank.pdqThreshold as number) <= 128 ? (jsonBank.pdqThreshold as number) : undefined,
    };
    const id = randomBytes(9).toString('base64url');
    const now = this.now();
    this.db.transaction(() => {
      const bank = this.banks.ensure({ name: start.bankName, ...newBank });
      this.stmt(
        `INSERT INTO bank_import_jobs (id, bank_name, bank_id, format, file_name, source_path, source_size, source_mtime_ms, delete_source, actor,
                                       new_bank_json, state, phase, partitions, parser_json, started_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', 'reading', ?, ?, ?)`,
      ).run(
        id,
        start.bankName,
        bank.id,
        format,
        fileName.slice(0, 300),
        path,
        info.size,
        info.mtimeMs,
        start.deleteSource ? 1 : 0,
        start.actor,
        JSON.stringify(newBank),
        partitionsFor(info.size / 60, this.options.partitionRows),
        JSON.stringify(initialState(format)),
        now,
      );
    })();
    this.launch(id);
    const job = this.get(id)!;
    this.options.onStart?.(job);
    return job;
  }

  /** Spools a stream (an HTTP upload) into the data directory, cut at maxBytes while reading, then imports it. */
  async startFromStream(body: Readable, start: StartImport & { fileName: string; maxBytes?: number }): Promise<BankImportJob> {
    const limit = start.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
    await mkdir(this.options.spoolDir, { recursive: true, mode: 0o700 });
    const spool = join(this.options.spoolDir, `upload-${randomBytes(9).toString('base64url')}`);
    let size = 0;
    const cap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > limit) done(new ContractError('invalid_input', `The file is larger than the limit of ${limit} bytes`));
        else done(null, chunk);
      },
    });
    // The body is piped, not handed to pipeline(): on an error the host still owns it (to answer, then close).
    const source = new PassThrough();
    body.pipe(source);
    body.once('error', (e) => source.destroy(e));
    try {
      await pipeline(source, cap, createWriteStream(spool, { mode: 0o600 }));
    } catch (e) {
      body.unpipe(source);
      await rm(spool, { force: true });
      if (e instanceof ContractError) throw e;
      throw new ContractError('invalid_input', `The upload did not complete: ${e instanceof Error ? e.message : String(e)}`);
    }
    try {
      return await this.startFromFile(spool, { ...start, deleteSource: true });
    } catch (e) {
      await rm(spool, { force: true });
      throw e;
    }
  }

  /** Imports text already in memory (small pastes and older callers): spooled, then read like a file. */
  async startFromText(text: string, start: StartImport & { fileName?: string }): Promise<BankImportJob> {
    const { Readable } = await import('node:stream');
    return this.startFromStream(Readable.from([Buffer.from(text, 'utf8')]), { ...start, fileName: start.fileName ?? `pasted.${start.format ?? 'csv'}` });
  }

  /** Stops a running import; rows already added stay in the bank. */
  cancel(id: string): boolean {
    const changed = this.stmt("UPDATE bank_import_jobs SET state = 'cancelled', finished_at = ? WHERE id = ? AND state = 'running'").run(this.now(), id).changes;
    return changed > 0;
  }

  /** Continues every import that was running when the app stopped. */
  resume(): void {
    for (const { id } of this.stmt("SELECT id FROM bank_import_jobs WHERE state = 'running' ORDER BY started_at").all() as { id: string }[]) this.launch(id);
    // Stage files of jobs that ended are removed too (a crash may have left some).
    void this.sweep();
  }

  /** Resolves when no import is running in this process (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /** Stops the loops at their next transaction boundary; a running job resumes on the next start. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }

  private launch(id: string): void {
    if (this.running.has(id)) return;
    const run = this.run(id)
      .catch((error: unknown) => this.fail(id, error))
      .finally(() => this.running.delete(id));
    this.running.set(id, run);
  }

  private row(id: string): JobRow | undefined {
    return this.stmt('SELECT * FROM bank_import_jobs WHERE id = ?').get(id) as JobRow | undefined;
  }

  private async run(id: string): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const job = this.row(id);
      if (!job) return;
      if (job.state !== 'running') {
        await this.finishSideEffects(job);
        return;
      }
      if (job.phase === 'reading') await this.readPhase(job);
      else if (job.phase === 'adding') await this.addPhase(job);
      else return;
    }
  }

  private async fail(id: string, error: unknown): Promise<void> {
    const message = error instanceof ImportFormatError ? `line ${error.line}: ${error.message}` : error instanceof Error ? error.message : String(error);
    this.options.log?.(`bank import ${id} failed: ${message}`);
    this.stmt("UPDATE bank_import_jobs SET state = 'failed', error = ?, finished_at = ? WHERE id = ? AND state = 'running'").run(message, this.now(), id);
    const job = this.row(id);
    if (job) await this.finishSideEffects(job);
  }

  /** After a job ends: its staged rows go, its spool file goes, the audit hears about it. */
  private async finishSideEffects(job: JobRow): Promise<void> {
    await this.clearStage(job.id);
    if (job.delete_source) await rm(job.source_path, { force: true });
    this.options.onDone?.(toJob(job));
  }

  private stageDir(jobId: string): string {
    return join(this.options.spoolDir, `stage-${jobId}`);
  }

  private async clearStage(jobId: string): Promise<void> {
    await rm(this.stageDir(jobId), { recursive: true, force: true });
  }

  private async sweep(): Promise<void> {
    const running = new Set((this.stmt("SELECT id FROM bank_import_jobs WHERE state = 'running'").all() as { id: string }[]).map((r) => r.id));
    const entries = await readdir(this.options.spoolDir).catch(() => [] as string[]);
    for (const name of entries) if (name.startsWith('stage-') && !running.has(name.slice(6))) await rm(join(this.options.spoolDir, name), { recursive: true, force: true });
  }

  // ---- phase 1: reading -----------------------------------------------------------------------------------------

  private async readPhase(job: JobRow): Promise<void> {
    let info;
    try {
      info = await stat(job.source_path);
    } catch {
      throw new Error(`The file ${job.file_name} is gone; ${job.rows_read} rows had been read. Start the import again.`);
    }
    if (info.size !== job.source_size || info.mtimeMs !== job.source_mtime_ms) {
      throw new Error(`The file ${job.file_name} changed since the import started; ${job.rows_read} rows had been read. Start the import again.`);
    }
    const dir = this.stageDir(job.id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const sizes = JSON.parse(job.part_sizes_json) as number[];
    while (sizes.length < job.partitions) sizes.push(0);
    // Stage files back to their committed lengths: whatever was written after the last checkpoint goes.
    const parts: FileHandle[] = [];
    const fh = await open(job.source_path, 'r');
    try {
      for (let p = 0; p < job.partitions; p++) {
        const h = await open(join(dir, `p${p}`), 'a+', 0o600);
        parts.push(h);
        const { size } = await h.stat();
        if (size < sizes[p]!) throw new Error(`The staged rows of ${job.file_name} were lost (a disk or system crash). Start the import again.`);
        if (size > sizes[p]!) await h.truncate(sizes[p]);
      }
      const reader = createReader(JSON.parse(job.parser_json) as ReaderState);
      const bits = Math.log2(job.partitions);
      const rejected = JSON.parse(job.rejected_json) as { line: number; message: string }[];
      // The next byte to read. The reader keeps a partial record between chunks; its state is the checkpoint.
      let offset = job.byte_offset;
      let rowsRead = job.rows_read;
      let staged = job.staged;
      let rejectedCount = job.rejected_count;
      const chunk = this.options.readChunk ?? READ_CHUNK;
      const checkpoint = this.stmt(
        `UPDATE bank_import_jobs SET byte_offset = ?, line = ?, parser_json = ?, rows_read = ?, staged = ?, rejected_count = ?, rejected_json = ?, part_sizes_json = ?,
                phase = CASE WHEN ? THEN 'adding' ELSE phase END
          WHERE id = ? AND state = 'running'`,
      );
      const reject = (line: number, message: string) => {
        rejectedCount++;
        if (rejected.length < MAX_REJECTED_KEPT) rejected.push({ line, message });
      };
      for (;;) {
        if (this.closed) return;
        // A fresh buffer per read: the reader keeps a view of a partial record until the next chunk arrives.
        const buf = Buffer.allocUnsafe(chunk);
        const { bytesRead } = await fh.read(buf, 0, chunk, offset);
        offset += bytesRead;
        const eof = bytesRead === 0 || offset >= job.source_size;
        const out: string[] = new Array<string>(job.partitions).fill('');
        for (const item of reader.push(buf.subarray(0, bytesRead), eof)) {
          rowsRead++;
          if (item.error) {
            reject(item.line, item.error);
            continue;
          }
          let part = -1;
          let rows = '';
          const extra = job.format === 'json' ? JSON.stringify({ note: item.note ?? null, metadata: item.metadata ?? {}, disabledUntil: item.disabledUntil ?? null }) : '';
          const label = item.label === null ? '' : JSON.stringify(item.label);
          for (const s of item.signals) {
            const checked = normaliseSignal(s.type, s.signal);
            if ('error' in checked) {
              reject(item.line, checked.error);
              continue;
            }
            // Every signal of an item goes with its first one, so the item is added in one piece.
            if (part === -1) part = bits === 0 ? 0 : parseInt(checked.signal.slice(0, 2), 16) >> (8 - bits);
            rows += `${item.line}\t${staged}\t${s.type.trim().toLowerCase()}\t${checked.signal}\t${label}\t${extra}\n`;
          }
          if (part === -1) continue;
          out[part] += rows;
          staged++;
        }
        for (let p = 0; p < job.partitions; p++) {
          if (out[p] === '') continue;
          const bytes = Buffer.from(out[p]!, 'utf8');
          await parts[p]!.write(bytes, 0, bytes.length, sizes[p]);
          sizes[p]! += bytes.length;
        }
        const st = reader.state();
        const changed = checkpoint.run(
          st.offset,
          st.line,
          JSON.stringify(st),
          rowsRead,
          staged,
          rejectedCount,
          JSON.stringify(rejected),
          JSON.stringify(sizes),
          eof ? 1 : 0,
          job.id,
        ).changes;
        if (changed > 0) this.options.onProgress?.(job.id);
        if (changed === 0 || eof) return; // cancelled meanwhile, or read to the end
        await yieldToEventLoop();
      }
    } finally {
      await fh.close();
      for (const h of parts) await h.close();
    }
  }

  // ---- phase 2: adding ------------------------------------------------------------------------------------------

  private async addPhase(job: JobRow): Promise<void> {
    const batch = this.options.mergeBatch ?? 10_000;
    const bankId = job.bank_id!;
    const sizes = JSON.parse(job.part_sizes_json) as number[];
    const existing = this.stmt(`SELECT signal_type, signal FROM bank_signals WHERE bank_id = ? AND skey IN (${Array(INSERT_BATCH).fill('?').join(', ')})`);
    const insertContent = this.stmt(
      `INSERT INTO bank_content (id, bank_id, label, note, metadata_json, disabled_until, created_at) VALUES ${Array(INSERT_BATCH).fill('(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    );
    const insertContentOne = this.stmt('INSERT INTO bank_content (id, bank_id, label, note, metadata_json, disabled_until, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const insertSignals = this.stmt(`INSERT INTO bank_signals (content_id, bank_id, signal_type, signal) VALUES ${Array(INSERT_BATCH).fill('(?, ?, ?, ?)').join(', ')}`);
    const insertSignalOne = this.stmt('INSERT INTO bank_signals (content_id, bank_id, signal_type, signal) VALUES (?, ?, ?, ?)');
    const checkpoint = this.stmt("UPDATE bank_import_jobs SET merge_part = ?, merge_offset = ?, merged = ?, added = ?, duplicates = ? WHERE id = ? AND state = 'running'");
    let part = job.merge_part;
    let offset = job.merge_offset;
    let merged = job.merged;
    let added = job.added;
    let duplicates = job.duplicates;
    let fh: FileHandle | null = null;
    let fhPart = -1;
    try {
      while (part < job.partitions) {
        if (this.closed) return;
        const size = sizes[part] ?? 0;
        let rows: StageRow[] = [];
        let next = offset;
        if (offset < size) {
          if (fhPart !== part) {
            await fh?.close();
            fh = await open(join(this.stageDir(job.id), `p${part}`), 'r');
            fhPart = part;
          }
          ({ rows, next } = await readStageRows(fh!, offset, size, batch));
        }
        let stop = false;
        const step = this.db.transaction(() => {
          if (rows.length === 0) {
            part++;
            next = 0;
          } else {
            // Signals of these rows already in the bank.
            const present = new Set<string>();
            for (let i = 0; i < rows.length; i += INSERT_BATCH) {
              const keys = rows.slice(i, i + INSERT_BATCH).map((r) => signalKey(r.signal));
              while (keys.length < INSERT_BATCH) keys.push('');
              for (const e of existing.all(bankId, ...keys) as { signal_type: string; signal: string }[]) present.add(`${e.signal_type}:${e.signal}`);
            }
            let nextContent = (this.stmt('SELECT COALESCE(MAX(id), 0) + 1 AS n FROM bank_content').get() as { n: number }).n;
            const now = this.now();
            const contentArgs: unknown[] = [];
            const signalArgs: unknown[] = [];
            const flushContent = () => {
              if (contentArgs.length === INSERT_BATCH * 7) insertContent.run(contentArgs);
              else for (let k = 0; k < contentArgs.length; k += 7) insertContentOne.run(contentArgs.slice(k, k + 7));
              contentArgs.length = 0;
            };
            const flushSignals = () => {
              flushContent(); // signals reference their content
              if (signalArgs.length === INSERT_BATCH * 4) insertSignals.run(signalArgs);
              else for (let k = 0; k < signalArgs.length; k += 4) insertSignalOne.run(signalArgs.slice(k, k + 4));
              signalArgs.length = 0;
            };
            for (let i = 0; i < rows.length; ) {
              const item = rows[i]!.item;
              let contentId = 0;
              for (; i < rows.length && rows[i]!.item === item; i++) {
                const r = rows[i]!;
                const key = `${r.signal_type}:${r.signal}`;
                if (present.has(key)) {
                  duplicates++;
                  continue;
                }
                present.add(key);
                if (contentId === 0) {
                  contentId = nextContent++;
                  const extra = r.extra_json ? (JSON.parse(r.extra_json) as { note: string | null; metadata: Record<string, unknown>; disabledUntil: number | null }) : null;
                  contentArgs.push(contentId, bankId, r.label, extra?.note ?? null, JSON.stringify(extra?.metadata ?? {}), extra?.disabledUntil ?? null, now);
                  if (contentArgs.length === INSERT_BATCH * 7) flushContent();
                }
                signalArgs.push(contentId, bankId, r.signal_type, r.signal);
                added++;
                if (signalArgs.length === INSERT_BATCH * 4) flushSignals();
              }
            }
            flushSignals();
            merged += rows.length;
          }
          // Cancelled meanwhile: roll this step back, so the counts stay true to the bank.
          if (checkpoint.run(part, next, merged, added, duplicates, job.id).changes === 0) throw new Cancelled();
        });
        try {
          step();
        } catch (e) {
          if (!(e instanceof Cancelled)) throw e;
          stop = true;
        }
        offset = next;
        if (rows.length > 0) this.banks.version++;
        if (stop) return;
        this.options.onProgress?.(job.id);
        await yieldToEventLoop();
      }
    } finally {
      await fh?.close();
    }
    this.stmt("UPDATE bank_import_jobs SET phase = 'finished', state = 'done', finished_at = ? WHERE id = ? AND state = 'running'").run(this.now(), job.id);
  }
}

/** Up to about `max` rows of a stage file from `offset`, ending on a whole content item; `next` is where to go on. */
async function readStageRows(fh: FileHandle, offset: number, size: number, max: number): Promise<{ rows: StageRow[]; next: number }> {
  const want = Math.min(size - offset, max * 200);
  const buf = Buffer.allocUnsafe(want);
  let got = 0;
  while (got < want) {
    const { bytesRead } = await fh.read(buf, got, want - got, offset + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  const rows: StageRow[] = [];
  let pos = 0;
  let lastItemStart = 0;
  let lastItemRows = 0;
  let full = false;
  for (;;) {
    const nl = buf.indexOf(10, pos);
    if (nl === -1 || nl >= got) break;
    const f = buf.toString('utf8', pos, nl).split('\t');
    const item = Number(f[1]);
    if (rows.length === 0 || rows[rows.length - 1]!.item !== item) {
      if (rows.length >= max) {
        full = true;
        break;
      }
      lastItemStart = pos;
      lastItemRows = rows.length;
    }
    rows.push({ line: Number(f[0]), item, signal_type: f[2] as LocalSignalType, signal: f[3]!, label: f[4] ? (JSON.parse(f[4]) as string) : null, extra_json: f[5] || null });
    pos = nl + 1;
  }
  // The buffer ended with more of the file after it: the last item may go on past it, so it waits for the next read.
  if (!full && offset + pos < size && lastItemRows > 0) {
    rows.length = lastItemRows;
    pos = lastItemStart;
  }
  return { rows, next: offset + pos };
}

class Cancelled extends Error {}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
