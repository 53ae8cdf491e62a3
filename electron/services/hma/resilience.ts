// Building blocks for the HMA client's robustness: an injectable clock, a concurrency limit, a token-bucket rate
// limit, a circuit breaker, jittered exponential backoff and Retry-After parsing. No I/O here.

export interface HmaClock {
  /** Milliseconds (epoch or any monotonic origin; only differences and disable_until_ts comparisons use it). */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason if it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: HmaClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      const onAbort = () => {
        clearTimeout(t);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** FIFO counting semaphore. */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  constructor(private readonly max: number) {
    if (!(max >= 1)) throw new RangeError('concurrency must be >= 1');
  }

  get inFlight(): number {
    return this.active;
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.active >= this.max) {
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          const i = this.waiters.indexOf(wake);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(signal?.reason);
        };
        if (signal?.aborted) return reject(signal.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiters.push(wake);
      });
    } else {
      this.active++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next(); // hand the slot over directly
      else this.active--;
    };
  }
}

/**
 * Token bucket: `perMinute` requests per minute on average, bursts up to `burst`. `pauseUntil` (from a 429's
 * Retry-After) holds every request until then. 0 or Infinity = unlimited.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;
  private pausedUntil = 0;
  private readonly perMs: number;
  private readonly burst: number;

  constructor(
    perMinute: number,
    burst: number | undefined,
    private readonly clock: HmaClock,
  ) {
    this.perMs = perMinute > 0 && Number.isFinite(perMinute) ? perMinute / 60_000 : Infinity;
    this.burst = Math.max(1, burst ?? Math.max(1, Math.ceil(perMinute / 60)));
    this.tokens = this.burst;
    this.last = clock.now();
  }

  /** How long a request made now would have to wait for Retry-After (ms, 0 if not paused). */
  pauseRemaining(): number {
    return Math.max(0, this.pausedUntil - this.clock.now());
  }

  pauseUntil(ts: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, ts);
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const pause = this.pauseRemaining();
      if (pause > 0) {
        await this.clock.sleep(pause, signal);
        continue;
      }
      if (this.perMs === Infinity) return;
      const now = this.clock.now();
      this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.perMs);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.clock.sleep(Math.ceil((1 - this.tokens) / this.perMs), signal);
    }
  }
}

export type BreakerState = 'closed' | 'open' | 'half_open';

/**
 * Consecutive-failure circuit breaker. After `failureThreshold` outage-type failures in a row it opens for
 * `cooldownMs`; then one probe is let through (half-open): success closes it, failure re-opens it.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private st: BreakerState = 'closed';

  constructor(
    private readonly failureThreshold: number,
    private readonly cooldownMs: number,
    private readonly clock: HmaClock,
  ) {}

  get state(): BreakerState {
    if (this.st === 'open' && this.clock.now() - this.openedAt >= this.cooldownMs) return 'half_open';
    return this.st;
  }

  get retryAt(): number {
    return this.openedAt + this.cooldownMs;
  }

  /** True if a request may be sent now (reserving the half-open probe slot). */
  tryPass(): boolean {
    if (this.failureThreshold <= 0) return true;
    const s = this.state;
    if (s === 'closed') return true;
    if (s === 'open') return false;
    if (this.probing) return false;
    this.probing = true;
    this.st = 'half_open';
    return true;
  }

  onSuccess(): void {
    this.failures = 0;
    this.probing = false;
    this.st = 'closed';
  }

  onFailure(): void {
    this.probing = false;
    this.failures++;
    if (this.st === 'half_open' || this.failures >= this.failureThreshold) {
      this.st = 'open';
      this.openedAt = this.clock.now();
    }
  }

  /** The request was given up before an answer (caller abort): frees the probe slot, state unchanged. */
  onAbandoned(): void {
    this.probing = false;
  }

  /** An error answer that still proves the server works (4xx, 429, index not ready): counts as a success. */
  onNeutral(): void {
    this.onSuccess();
  }
}

/** "Full jitter" exponential backoff: random in [0, min(max, base·2^(attempt-1))]. attempt is 1-based. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap * random());
}

/** Retry-After: delta-seconds or an HTTP date. Returns ms from `nowMs`, or undefined. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - nowMs);
}
