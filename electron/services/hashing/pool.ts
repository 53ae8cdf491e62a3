/**
 * HashingPool: hashing and previews off the calling process, with a bounded queue.
 *
 * - Isolation (default `process`): every decode runs in a decoder process (decoder-process.ts) that holds no secret,
 *   with a V8 heap cap, a native memory cap (RLIMIT_DATA via prlimit on Linux, plus the decoder's own RSS watchdog)
 *   and a per-task timeout. A decoder that crashes, goes over its memory cap or times out fails its task with a typed
 *   HashError (`decoder_crashed`, `out_of_memory`, `timed_out`) and is replaced; other tasks go on. `thread` runs the
 *   same code in worker_threads of this process (no boundary): kept to measure what isolation costs.
 * - At most `workers` tasks run at once (one per decoder) and at most `queueLimit` more wait. A call made while the
 *   queue is full waits (its promise stays pending) until there is room, so a producer that awaits its calls, or
 *   uses hashMany(), never holds more than workers + queueLimit files' worth of work in flight.
 * - onProgress is called whenever a task is admitted, starts or settles.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { HashError } from './errors';
import { DEFAULT_MAX_PIXELS, type HashOptions, type MediaHashes } from './types';
import { EXIT_OVER_MEMORY, type DecoderHello, type DecoderJob, type DecoderProbe, type DecoderRequest, type DecoderResponse } from './decoder-protocol';
import { applyDataLimit, decoderEnv, defaultDecoderEntry, nodeDecoderSpawner, type DecoderChannel, type DecoderSpawner } from './decoder-spawner';
import type { PreviewOptions, PreviewResult } from '../media/preview';

export interface PoolProgress {
  /** Tasks accepted so far (including those still waiting for queue space). */
  submitted: number;
  /** Tasks settled so far, successfully or not. */
  completed: number;
  /** Of `completed`, how many failed. */
  failed: number;
  /** Tasks running in a decoder now. */
  active: number;
  /** Tasks waiting for a decoder (≤ queueLimit). */
  queued: number;
  /** Calls waiting for room in the queue (backpressure). */
  blocked: number;
}

export type Isolation = 'process' | 'thread';

/**
 * Default decoder count: a server uses every core but one (the one left serves requests and SQLite); the desktop app
 * keeps at most 2, so the moderator's machine stays responsive. Either can be set explicitly.
 */
export function defaultWorkerCount(role: 'desktop' | 'server' = 'desktop', cores = availableParallelism()): number {
  const spare = Math.max(1, cores - 1);
  return role === 'server' ? spare : Math.min(2, spare);
}

export interface HashingPoolOptions {
  /** Decoders. Default: defaultWorkerCount(role). */
  workers?: number;
  /** Sizes the default decoder count: 'server' uses cores − 1, 'desktop' (the default) at most 2. */
  role?: 'desktop' | 'server';
  /** Tasks that may wait for a decoder. Default 2 × workers. */
  queueLimit?: number;
  onProgress?: (p: PoolProgress) => void;
  /** A task running longer than this fails with `timed_out` and its decoder is replaced. Default 60 s. */
  taskTimeoutMs?: number;
  /** Default `process`. */
  isolation?: Isolation;
  /** Memory a decoder process may use (native + heap), in MiB. Default 1024: a 12000×12000 photo needs ~520. */
  memoryLimitMb?: number;
  /** Pixel cap for tasks that do not set their own maxPixels. Default DEFAULT_MAX_PIXELS. */
  maxPixels?: number;
  /** Starts decoder processes; default: child_process.fork. The desktop passes Electron's utilityProcess. */
  spawner?: DecoderSpawner;
  /** Decoder process entry; default: decoder-bootstrap.mjs from TS sources, decoder-process.js when bundled. */
  decoderEntry?: string;
  /** Use prlimit (RLIMIT_DATA) where available. Default true; off leaves only the decoder's RSS watchdog. */
  kernelMemoryLimit?: boolean;
  /** Worker entry for `thread` isolation; default: ./hash-worker-bootstrap.mjs from TS sources, ./hash-worker.js when bundled. */
  workerUrl?: URL;
}

export interface HashManyItem {
  path: string;
  result?: MediaHashes;
  error?: HashError;
}

type Task = {
  req: DecoderJob;
  transfer: ArrayBuffer[];
  resolve: (r: unknown) => void;
  reject: (e: HashError) => void;
};

/** One decoder, thread or process, as the pool drives it. */
interface Decoder {
  post(msg: DecoderRequest, transfer: ArrayBuffer[]): void;
  kill(): void;
  setRef(ref: boolean): void;
}

interface Slot {
  decoder: Decoder;
  ready: boolean;
  task: { id: number; task: Task; timer: NodeJS.Timeout | null } | null;
}

/** Where the worker-thread entry lives, relative to this module. */
export function defaultWorkerUrl(): URL {
  return import.meta.url.endsWith('.ts') ? new URL('./hash-worker-bootstrap.mjs', import.meta.url) : new URL('./hash-worker.js', import.meta.url);
}

const DEFAULT_MEMORY_MB = 1024;
/** The decoder's own RSS watchdog sits above the kernel's data limit: code and shared libraries are resident too. */
const RSS_MARGIN_MB = 128;
const HEAP_MB = 256;

export class HashingPool {
  readonly size: number;
  readonly queueLimit: number;
  readonly isolation: Isolation;
  readonly memoryLimitMb: number;
  readonly maxPixels: number;
  readonly timeoutMs: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private readonly admission: (() => void)[] = [];
  private readonly workerUrl: URL;
  private readonly spawner: DecoderSpawner;
  private readonly decoderEntry: string;
  private readonly kernelMemoryLimit: boolean;
  private readonly onProgress: ((p: PoolProgress) => void) | undefined;
  private nextId = 1;
  private closed = false;
  private stats = { submitted: 0, completed: 0, failed: 0 };
  private replaced = 0;

  constructor(opts: HashingPoolOptions = {}) {
    this.size = Math.max(1, Math.floor(opts.workers ?? defaultWorkerCount(opts.role)));
    this.queueLimit = Math.max(0, Math.floor(opts.queueLimit ?? 2 * this.size));
    this.timeoutMs = opts.taskTimeoutMs ?? 60_000;
    this.onProgress = opts.onProgress;
    this.isolation = opts.isolation ?? 'process';
    this.memoryLimitMb = opts.memoryLimitMb ?? DEFAULT_MEMORY_MB;
    this.maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
    this.workerUrl = opts.workerUrl ?? defaultWorkerUrl();
    this.spawner = opts.spawner ?? nodeDecoderSpawner;
    this.decoderEntry = opts.decoderEntry ?? defaultDecoderEntry();
    this.kernelMemoryLimit = opts.kernelMemoryLimit ?? true;
  }

  hashFile(path: string, opts: HashOptions = {}): Promise<MediaHashes> {
    return this.submit<MediaHashes>({ op: 'file', path, opts: this.withLimits(opts) }, []);
  }

  /**
   * Hashes bytes in a decoder. With thread isolation the underlying buffer is transferred (the caller's view becomes
   * detached) when the view covers its whole ArrayBuffer; a decoder process gets a copy and the caller's bytes stay.
   */
  hashBytes(bytes: Uint8Array, opts: HashOptions = {}): Promise<MediaHashes> {
    const limited = this.withLimits(opts);
    if (this.isolation === 'process') return this.submit<MediaHashes>({ op: 'bytes', bytes: ownBuffer(bytes), opts: limited }, []);
    let buf: ArrayBuffer;
    if (bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
      buf = bytes.buffer;
    } else {
      // (Buffer#slice would share memory, so copy explicitly.)
      const copy = new Uint8Array(bytes.byteLength);
      copy.set(bytes);
      buf = copy.buffer;
    }
    return this.submit<MediaHashes>({ op: 'bytes', bytes: buf, opts: limited }, [buf]);
  }

  /** A preview (blurred or revealed) rendered in a decoder, under the same caps as hashing. */
  renderPreview(bytes: Uint8Array, opts: Omit<PreviewOptions, 'maxPixels'> & { maxPixels?: number }): Promise<PreviewResult> {
    return this.submit<PreviewResult>({ op: 'preview', bytes: ownBuffer(bytes), opts: { ...opts, maxPixels: opts.maxPixels ?? this.maxPixels } }, []);
  }

  /** What a decoder reports about itself (pid, environment keys, limits). */
  probe(): Promise<DecoderProbe> {
    return this.submit<DecoderProbe>({ op: 'probe' }, []);
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

  /** Starts every decoder now, so the first preview or hash does not wait for a process to start. */
  warm(): void {
    while (!this.closed && this.slots.length < this.size) this.spawn();
  }

  /** How many decoders were replaced after a crash, a timeout or running out of memory. */
  get decodersReplaced(): number {
    return this.replaced;
  }

  /** Stops all decoders. Running and queued tasks fail with io_error. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closedErr = (): HashError => new HashError('io_error', 'hashing pool closed');
    for (const t of this.queue.splice(0)) t.reject(closedErr());
    for (const wake of this.admission.splice(0)) {
      this.admitting++;
      wake();
    }
    for (const s of this.slots.splice(0)) {
      const running = s.task;
      s.task = null;
      if (running) {
        if (running.timer) clearTimeout(running.timer);
        running.task.reject(closedErr());
      }
      s.decoder.kill();
    }
  }

  // ------------------------------------------------------------------------------------------------------------

  private withLimits(opts: HashOptions): HashOptions {
    return opts.maxPixels === undefined ? { ...opts, maxPixels: this.maxPixels } : opts;
  }

  private emit(): void {
    if (!this.onProgress) return;
    try {
      this.onProgress(this.progress());
    } catch {
      // a progress listener must not break hashing
    }
  }

  private async submit<T>(req: DecoderJob, transfer: ArrayBuffer[]): Promise<T> {
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
    return new Promise<T>((resolve, reject) => {
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
          resolve(r as T);
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
    const slot: Slot = { decoder: null as unknown as Decoder, ready: false, task: null };
    const onResponse = (msg: DecoderResponse): void => {
      if (!slot.task || slot.task.id !== msg.id) return;
      if (msg.ok) {
        this.finish(slot, (t) => t.resolve(msg.result));
        return;
      }
      const error = HashError.fromJSON(msg.error);
      if (msg.recycle) this.retire(slot);
      this.finish(slot, (t) => t.reject(error));
    };
    const onGone = (error: HashError): void => {
      if (!this.retire(slot)) return;
      this.finish(slot, (t) => t.reject(error));
    };
    slot.decoder = this.isolation === 'thread' ? this.threadDecoder(slot, onResponse, onGone) : this.processDecoder(slot, onResponse, onGone);
    slot.decoder.setRef(false); // an idle pool does not keep the process alive
    this.slots.push(slot);
    return slot;
  }

  /** Drops a slot (its decoder is gone or must go); false if it was already dropped. */
  private retire(slot: Slot): boolean {
    const i = this.slots.indexOf(slot);
    if (i < 0) return false;
    this.slots.splice(i, 1);
    if (!this.closed) this.replaced++;
    slot.decoder.kill();
    return true;
  }

  private threadDecoder(slot: Slot, onResponse: (m: DecoderResponse) => void, onGone: (e: HashError) => void): Decoder {
    const worker = new Worker(this.workerUrl);
    slot.ready = true;
    worker.on('message', onResponse);
    worker.on('error', (e) => onGone(new HashError('decoder_crashed', `the hashing worker failed: ${e.message}`)));
    worker.on('exit', (code) => onGone(new HashError('decoder_crashed', `the hashing worker exited with code ${code}`)));
    return {
      post: (msg, transfer) => {
        try {
          worker.postMessage(msg, transfer);
        } catch {
          worker.postMessage(msg); // a non-detachable buffer (e.g. external memory) is copied instead
        }
      },
      kill: () => void worker.terminate(),
      setRef: (ref) => (ref ? worker.ref() : worker.unref()),
    };
  }

  private processDecoder(slot: Slot, onResponse: (m: DecoderResponse) => void, onGone: (e: HashError) => void): Decoder {
    const rssCapMb = this.memoryLimitMb + RSS_MARGIN_MB;
    const channel: DecoderChannel = this.spawner({
      entry: this.decoderEntry,
      args: [`--rss-cap-mb=${rssCapMb}`],
      execArgv: [`--max-old-space-size=${Math.min(HEAP_MB, this.memoryLimitMb)}`],
      env: decoderEnv(),
      serviceName: 'Matchdesk media decoder',
    });
    let stderr = '';
    let pending: { msg: DecoderRequest; transfer: ArrayBuffer[] } | null = null;
    let stopped = false;
    channel.onStderr((chunk) => {
      stderr = (stderr + chunk).slice(-4096);
    });
    channel.onMessage((m) => {
      const hello = m as DecoderHello;
      if (hello && hello.type === 'ready') {
        void this.limit(hello.pid).then(() => {
          slot.ready = true;
          if (pending) {
            const p = pending;
            pending = null;
            channel.postMessage(p.msg);
          }
        });
        return;
      }
      onResponse(m as DecoderResponse);
    });
    channel.onExit((code, signal) => {
      if (stopped) return;
      onGone(this.exitError(code, signal, stderr));
    });
    return {
      post: (msg) => {
        if (slot.ready) channel.postMessage(msg);
        else pending = { msg, transfer: [] };
      },
      kill: () => {
        stopped = true;
        channel.kill();
      },
      setRef: (ref) => channel.setRef(ref),
    };
  }

  private async limit(pid: number): Promise<void> {
    if (this.kernelMemoryLimit) await applyDataLimit(pid, this.memoryLimitMb * 1024 * 1024);
  }

  private exitError(code: number | null, signal: string | null, stderr: string): HashError {
    if (code === EXIT_OVER_MEMORY || /heap out of memory|allocation failed|out of memory/i.test(stderr)) {
      return new HashError('out_of_memory', `decoding needed more memory than the decoder may use (${this.memoryLimitMb} MiB); it was stopped and replaced`);
    }
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    return new HashError('decoder_crashed', `the decoder process crashed on this file (${how}); it was replaced and nothing else was affected`);
  }

  private run(slot: Slot, task: Task): void {
    const id = this.nextId++;
    slot.task = { id, task, timer: null };
    const timer = setTimeout(() => {
      if (slot.task?.id !== id) return;
      this.retire(slot);
      this.finish(slot, (t) => t.reject(new HashError('timed_out', `decoding took longer than ${Math.round(this.timeoutMs / 1000)} s; the decoder was stopped and replaced`)));
    }, this.timeoutMs);
    timer.unref();
    slot.task.timer = timer;
    slot.decoder.setRef(true);
    slot.decoder.post({ ...task.req, id } as DecoderRequest, task.transfer);
  }

  /** Ends the slot's running task with `settle`, then feeds the pool. */
  private finish(slot: Slot, settle: (t: Task) => void): void {
    const running = slot.task;
    slot.task = null;
    slot.decoder.setRef(false);
    if (running) {
      if (running.timer) clearTimeout(running.timer);
      settle(running.task);
    }
    if (!this.closed) this.pump();
  }
}

/** A view that owns its whole buffer: structured clone sends a view's entire ArrayBuffer, not just the view. */
function ownBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}

function toHashError(e: unknown): HashError {
  return e instanceof HashError ? e : new HashError('io_error', e instanceof Error ? e.message : String(e));
}
