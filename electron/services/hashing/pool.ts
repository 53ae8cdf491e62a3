/**
 * HashingPool: hashing off the calling thread, in worker_threads, with a bounded queue.
 *
 * - At most `workers` tasks run at once (one per worker) and at most `queueLimit` more wait for a worker. A call made
 *   while the queue is full waits (its promise stays pending) until there is room, so a producer that awaits its
 *   calls, or uses hashMany(), never holds more than workers + queueLimit files' worth of work in flight.
 * - Errors cross the worker boundary as HashError with the same code. A worker that dies or exceeds the task timeout
 *   fails its task with `io_error` and is replaced.
 * - onProgress is called (on the calling thread) whenever a task is admitted, starts or settles.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { HashError } from './errors';
import type { HashOptions, MediaHashes } from './types';
import type { WorkerJob, WorkerRequest, WorkerResponse } from './worker-protocol';

export interface PoolProgress {
  /** Tasks accepted so far (including those still waiting for queue space). */
  submitted: number;
  /** Tasks settled so far, successfully or not. */
  completed: number;
  /** Of `completed`, how many failed. */
  failed: number;
  /** Tasks running in a worker now. */
  active: number;
  /** Tasks waiting for a worker (≤ queueLimit). */
  queued: number;
  /** Calls waiting for room in the queue (backpressure). */
  blocked: number;
}

/**
 * Default worker count: a server uses every core but one (the one left serves requests and SQLite); the desktop app
 * keeps at most 2, so the moderator's machine stays responsive. Either can be set explicitly.
 */
export function defaultWorkerCount(role: 'desktop' | 'server' = 'desktop', cores = availableParallelism()): number {
  const spare = Math.max(1, cores - 1);
  return role === 'server' ? spare : Math.min(2, spare);
}

export interface HashingPoolOptions {
  /** Worker threads. Default: defaultWorkerCount(role). */
  workers?: number;
  /** Sizes the default worker count: 'server' uses cores − 1, 'desktop' (the default) at most 2. */
  role?: 'desktop' | 'server';
  /** Tasks that may wait for a worker. Default 2 × workers. */
  queueLimit?: number;
  onProgress?: (p: PoolProgress) => void;
  /** A task running longer than this fails with io_error and its worker is replaced. Default 5 minutes. */
  taskTimeoutMs?: number;
  /** Worker entry module; default: ./hash-worker-bootstrap.mjs from TS sources, ./hash-worker.js when bundled. */
  workerUrl?: URL;
}

export interface HashManyItem {
  path: string;
  result?: MediaHashes;
  error?: HashError;
}

type Task = {
  req: WorkerJob;
  transfer: ArrayBuffer[];
  resolve: (r: MediaHashes) => void;
  reject: (e: HashError) => void;
};

interface Slot {
  worker: Worker;
  task: { id: number; task: Task; timer: NodeJS.Timeout } | null;
}

/** Where the worker entry lives, relative to this module. */
export function defaultWorkerUrl(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('./hash-worker-bootstrap.mjs', import.meta.url)
    : new URL('./hash-worker.js', import.meta.url);
}

export class HashingPool {
  readonly size: number;
  readonly queueLimit: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private readonly admission: (() => void)[] = [];
  private readonly workerUrl: URL;
  private readonly timeoutMs: number;
  private readonly onProgress: ((p: PoolProgress) => void) | undefined;
  private nextId = 1;
  private closed = false;
  private stats = { submitted: 0, completed: 0, failed: 0 };

  constructor(opts: HashingPoolOptions = {}) {
    this.size = Math.max(1, Math.floor(opts.workers ?? defaultWorkerCount(opts.role)));
    this.queueLimit = Math.max(0, Math.floor(opts.queueLimit ?? 2 * this.size));
    this.timeoutMs = opts.taskTimeoutMs ?? 5 * 60_000;
    this.onProgress = opts.onProgress;
    this.workerUrl = opts.workerUrl ?? defaultWorkerUrl();
  }

  hashFile(path: string, opts: HashOptions = {}): Promise<MediaHashes> {
    return this.submit({ op: 'file', path, opts }, []);
  }

  /**
   * Hashes bytes in a worker. The underlying buffer is transferred (the caller's view becomes detached) when the
   * view covers its whole ArrayBuffer; otherwise the bytes are copied.
   */
  hashBytes(bytes: Uint8Array, opts: HashOptions = {}): Promise<MediaHashes> {
    let buf: ArrayBuffer;
    if (bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
      buf = bytes.buffer;
    } else {
      // (Buffer#slice would share memory, so copy explicitly.)
      const copy = new Uint8Array(bytes.byteLength);
      copy.set(bytes);
      buf = copy.buffer;
    }
    return this.submit({ op: 'bytes', bytes: buf, opts }, [buf]);
  }

  /**
   * Hashes many files with at most workers + queueLimit outstanding, yielding in completion order. Errors are
   * yielded, not thrown.
   */
  async *hashMany(paths: Iterable<string> | AsyncIterable<string>, opts: HashOptions = {}): AsyncGenerator<HashManyItem> {
    const limit = this.size + this.queueLimit;
    const inflight = new Map<number, Promise<{ key: number; item: HashManyItem }>>();
    let key = 0;
    const start = (path: string): void => {
      const k = key++;
      inflight.set(
        k,
        this.hashFile(path, opts).then(
          (result) => ({ key: k, item: { path, result } }),
          (error: unknown) => ({ key: k, item: { path, error: toHashError(error) } }),
        ),
      );
    };
    for await (const path of paths) {
      if (inflight.size >= limit) {
        const { key: done, item } = await Promise.race(inflight.values());
        inflight.delete(done);
        yield item;
      }
      start(path);
    }
    while (inflight.size > 0) {
      const { key: done, item } = await Promise.race(inflight.values());
      inflight.delete(done);
      yield item;
    }
  }

  progress(): PoolProgress {
    const active = this.slots.filter((s) => s.task).length;
    return { ...this.stats, active, queued: this.queue.length, blocked: this.admission.length };
  }

  /** Stops all workers. Running and queued tasks fail with io_error. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closedErr = (): HashError => new HashError('io_error', 'hashing pool closed');
    for (const t of this.queue.splice(0)) t.reject(closedErr());
    for (const wake of this.admission.splice(0)) {
      this.admitting++;
      wake();
    }
    await Promise.all(
      this.slots.splice(0).map(async (s) => {
        const running = s.task;
        s.task = null;
        if (running) {
          clearTimeout(running.timer);
          running.task.reject(closedErr());
        }
        await s.worker.terminate();
      }),
    );
  }

  // ------------------------------------------------------------------------------------------------------------

  private emit(): void {
    if (!this.onProgress) return;
    try {
      this.onProgress(this.progress());
    } catch {
      // a progress listener must not break hashing
    }
  }

  private async submit(req: WorkerJob, transfer: ArrayBuffer[]): Promise<MediaHashes> {
    if (this.closed) throw new HashError('io_error', 'hashing pool closed');
    this.stats.submitted++;
    if (!this.canAdmit()) {
      await new Promise<void>((wake) => {
        this.admission.push(wake);
        this.emit();
      });
      this.admitting--;
      if (this.closed) {
        this.stats.completed++;
        this.stats.failed++;
        throw new HashError('io_error', 'hashing pool closed');
      }
    }
    return new Promise<MediaHashes>((resolve, reject) => {
      const settle = (ok: boolean): void => {
        this.stats.completed++;
        if (!ok) this.stats.failed++;
        this.emit();
      };
      this.queue.push({
        req,
        transfer,
        resolve: (r) => {
          settle(true);
          resolve(r);
        },
        reject: (e) => {
          settle(false);
          reject(e);
        },
      });
      this.pump();
    });
  }

  /** Woken submitters that have not enqueued yet. */
  private admitting = 0;

  private canAdmit(): boolean {
    const waiting = this.queue.length + this.admitting;
    const idle = this.size - this.slots.filter((s) => s.task).length;
    return waiting < this.queueLimit + idle;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.task);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) break;
      this.run(slot, this.queue.shift()!);
    }
    while (this.admission.length > 0 && this.canAdmit()) {
      this.admitting++;
      this.admission.shift()!();
    }
    this.emit();
  }

  private spawn(): Slot {
    const worker = new Worker(this.workerUrl);
    worker.unref(); // an idle pool does not keep the process alive
    const slot: Slot = { worker, task: null };
    worker.on('message', (msg: WorkerResponse) => {
      if (!slot.task || slot.task.id !== msg.id) return;
      if (msg.ok) this.finish(slot, (t) => t.resolve(msg.result));
      else this.finish(slot, (t) => t.reject(HashError.fromJSON(msg.error)));
    });
    const fail = (why: string): void => {
      const i = this.slots.indexOf(slot);
      if (i < 0) return;
      this.slots.splice(i, 1);
      this.finish(slot, (t) => t.reject(new HashError('io_error', why)));
    };
    worker.on('error', (e) => fail(`hashing worker failed: ${e.message}`));
    worker.on('exit', (code) => fail(`hashing worker exited with code ${code}`));
    this.slots.push(slot);
    return slot;
  }

  private run(slot: Slot, task: Task): void {
    const id = this.nextId++;
    const timer = setTimeout(() => {
      if (slot.task?.id !== id) return;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      void slot.worker.terminate();
      this.finish(slot, (t) => t.reject(new HashError('io_error', `hashing timed out after ${this.timeoutMs} ms`)));
    }, this.timeoutMs);
    timer.unref();
    slot.task = { id, task, timer };
    slot.worker.ref();
    const msg = { ...task.req, id } as WorkerRequest;
    try {
      slot.worker.postMessage(msg, task.transfer);
    } catch {
      slot.worker.postMessage(msg); // a non-detachable buffer (e.g. external memory) is copied instead
    }
  }

  /** Ends the slot's running task with `settle`, then feeds the pool. */
  private finish(slot: Slot, settle: (t: Task) => void): void {
    const running = slot.task;
    slot.task = null;
    slot.worker.unref();
    if (running) {
      clearTimeout(running.timer);
      settle(running.task);
    }
    if (!this.closed) this.pump();
  }
}

function toHashError(e: unknown): HashError {
  return e instanceof HashError ? e : new HashError('io_error', e instanceof Error ? e.message : String(e));
}
