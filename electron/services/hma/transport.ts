// One HTTP exchange with HMA, wrapped in the client's policies: per-role base URL + Bearer key, timeout, concurrency
// limit, rate limit (with Retry-After pauses), circuit breaker per base URL, and jittered-backoff retries for
// idempotent calls only. Responses are classified into the typed errors of errors.ts and validated with zod.

import type { z } from 'zod';
import {
  HmaAbortedError,
  HmaAuthError,
  HmaBadRequestError,
  HmaCircuitOpenError,
  HmaError,
  HmaForbiddenError,
  HmaHtmlError,
  HmaIndexNotReadyError,
  HmaInvalidJsonError,
  HmaNetworkError,
  HmaNotFoundError,
  HmaRateLimitError,
  HmaSchemaError,
  HmaServerError,
  HmaTimeoutError,
  HmaValidationError,
  type HmaErrorInit,
  type HmaRole,
  type PydanticIssue,
} from './errors';
import { CircuitBreaker, RateLimiter, Semaphore, backoffDelay, parseRetryAfter, type HmaClock } from './resilience';
import { pydanticIssuesSchema } from './schemas';

export type HmaMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export type Expect<T> = { kind: 'json'; schema: z.ZodType<T> } | { kind: 'text' } | { kind: 'ignore' };

export interface RequestSpec<T> {
  role: HmaRole;
  method: HmaMethod;
  /** Path starting with '/', path segments already encoded. */
  path: string;
  query?: Record<string, string | number | boolean | null | undefined>;
  json?: unknown;
  form?: FormData;
  expect: Expect<T>;
  /** Only idempotent requests are retried. */
  idempotent: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface HmaLogger {
  debug?(msg: string, fields: Record<string, unknown>): void;
  warn?(msg: string, fields: Record<string, unknown>): void;
}

export interface RetryPolicy {
  /** Total attempts including the first (default 3). */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After (or a standing 429 pause) longer than this fails at once instead of waiting (default 60 s). */
  maxRetryAfterMs: number;
}

export interface TransportOptions {
  endpoints: Record<HmaRole, { baseUrl: string; apiKey: string | null }>;
  timeoutMs: number;
  retry: RetryPolicy;
  maxConcurrent: number;
  requestsPerMinute: number;
  burst?: number;
  breaker: { failureThreshold: number; cooldownMs: number };
  clock: HmaClock;
  random: () => number;
  fetch: typeof fetch;
  logger?: HmaLogger;
}

const SNIPPET = 500;

function looksLikeHtml(body: string, contentType: string): boolean {
  const head = body.trimStart().slice(0, 200).toLowerCase();
  if (!head.startsWith('<')) return false;
  return contentType.includes('html') || head.startsWith('<!doctype') || head.startsWith('<html');
}

function jsonMessage(body: string): string | undefined {
  try {
    const v: unknown = JSON.parse(body);
    if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { message?: unknown }).message === 'string') return (v as { message: string }).message;
  } catch {
    /* not JSON */
  }
  return undefined;
}

/** Maps a non-2xx answer onto the error hierarchy. */
export function classifyHttpError(status: number, body: string, contentType: string, retryAfter: string | null, base: HmaErrorInit): HmaError {
  const html = looksLikeHtml(body, contentType);
  const message = jsonMessage(body);
  const plain = html || message !== undefined ? undefined : body.trim().slice(0, SNIPPET) || undefined;
  const init: HmaErrorInit = { ...base, status, serverMessage: message ?? plain, bodySnippet: body.slice(0, SNIPPET) };
  const what = `${base.method ?? ''} ${base.path ?? ''}`.trim();
  const detail = message ?? plain ?? (html ? 'HTML error page' : `HTTP ${status}`);

  if (status === 401) return new HmaAuthError(`HMA rejected the credentials (401 ${detail}) on ${what}`, init);
  if (status === 429) return new HmaRateLimitError(`HMA rate limit (429) on ${what}`, parseRetryAfter(retryAfter, Date.now()), init);
  if (status === 503) {
    const reason = (plain ?? message ?? '').trim();
    if (reason === 'INDEX-NOT-LOADED' || reason === 'INDEX-STALE' || reason === 'index not yet ready') return new HmaIndexNotReadyError(reason, init);
  }
  if (status === 404) return new HmaNotFoundError(`HMA 404 on ${what}: ${detail}`, { ...init, routeMissing: html });
  if (html) return new HmaHtmlError(`HMA answered ${status} with an HTML page on ${what}`, init);
  if (status === 403) return new HmaForbiddenError(`HMA 403 on ${what}: ${detail}`, init);
  if (status === 422) {
    let issues: PydanticIssue[] = [];
    try {
      const parsed = pydanticIssuesSchema.safeParse(JSON.parse(body));
      if (parsed.success) issues = parsed.data;
    } catch {
      /* keep [] */
    }
    const summary = issues.map((i) => `${i.loc.join('.') || '(body)'}: ${i.msg}`).join('; ');
    return new HmaValidationError(`HMA rejected the request (422) on ${what}: ${summary || detail}`, issues, init);
  }
  if (status >= 500) return new HmaServerError(`HMA server error ${status} on ${what}: ${detail}`, init);
  return new HmaBadRequestError(`HMA ${status} on ${what}: ${detail}`, init);
}

interface Endpoint {
  baseUrl: string;
  hasKey: boolean;
}

export class HmaTransport {
  readonly endpoints: Readonly<Record<HmaRole, Endpoint>>;
  /** Closure, so the key is not a property anyone can print. */
  private readonly authHeader: (role: HmaRole) => string | undefined;
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly semaphore: Semaphore;
  private readonly limiter: RateLimiter;

  /** Everything but the endpoints, which hold the keys. */
  private readonly opts: Omit<TransportOptions, 'endpoints'>;

  constructor(options: TransportOptions) {
    const { endpoints, ...opts } = options;
    this.opts = opts;
    const keys = new Map<HmaRole, string | null>();
    const eps = {} as Record<HmaRole, Endpoint>;
    for (const role of ['hasher', 'matcher', 'curator'] as const) {
      const ep = endpoints[role];
      eps[role] = { baseUrl: ep.baseUrl.replace(/\/+$/, ''), hasKey: !!ep.apiKey };
      keys.set(role, ep.apiKey || null);
    }
    this.endpoints = eps;
    this.authHeader = (role) => {
      const k = keys.get(role);
      return k ? `Bearer ${k}` : undefined;
    };
    this.semaphore = new Semaphore(opts.maxConcurrent);
    this.limiter = new RateLimiter(opts.requestsPerMinute, opts.burst, opts.clock);
  }

  breaker(role: HmaRole): CircuitBreaker {
    const key = this.endpoints[role].baseUrl;
    let b = this.breakers.get(key);
    if (!b) {
      b = new CircuitBreaker(this.opts.breaker.failureThreshold, this.opts.breaker.cooldownMs, this.opts.clock);
      this.breakers.set(key, b);
    }
    return b;
  }

  get inFlight(): number {
    return this.semaphore.inFlight;
  }

  async request<T>(spec: RequestSpec<T>): Promise<T> {
    const { retry, clock } = this.opts;
    const base: HmaErrorInit = { method: spec.method, path: spec.path, role: spec.role };
    const breaker = this.breaker(spec.role);
    for (let attempt = 1; ; attempt++) {
      if (spec.signal?.aborted) throw new HmaAbortedError(base);
      const pause = this.limiter.pauseRemaining();
      if (pause > retry.maxRetryAfterMs) throw new HmaRateLimitError(`HMA asked to pause for ${Math.ceil(pause / 1000)} s (Retry-After); not sending`, pause, base);
      if (!breaker.tryPass()) throw new HmaCircuitOpenError(breaker.retryAt, base);
      let err: HmaError;
      let release: (() => void) | undefined;
      try {
        release = await this.semaphore.acquire(spec.signal);
        await this.limiter.acquire(spec.signal);
        const result = await this.attempt(spec, base, attempt);
        breaker.onSuccess();
        return result;
      } catch (e) {
        err = e instanceof HmaError ? e : spec.signal?.aborted ? new HmaAbortedError({ ...base, cause: e }) : new HmaNetworkError(String(e), undefined, { ...base, cause: e });
        if (err.isOutage) breaker.onFailure();
        else if (err.code === 'aborted') breaker.onAbandoned();
        else breaker.onNeutral();
      } finally {
        release?.();
      }
      if (err instanceof HmaRateLimitError && err.retryAfterMs !== undefined) this.limiter.pauseUntil(clock.now() + err.retryAfterMs);
      const retryable = spec.idempotent && err.retryable && attempt < retry.maxAttempts;
      if (!retryable) throw err;
      let delay = backoffDelay(attempt, retry.baseDelayMs, retry.maxDelayMs, this.opts.random);
      if (err instanceof HmaRateLimitError && err.retryAfterMs !== undefined) {
        if (err.retryAfterMs > retry.maxRetryAfterMs) throw err;
        delay = Math.max(delay, err.retryAfterMs);
      }
      this.opts.logger?.warn?.('hma.retry', { role: spec.role, method: spec.method, path: spec.path, code: err.code, status: err.status, attempt, delayMs: delay });
      try {
        await clock.sleep(delay, spec.signal);
      } catch (e) {
        throw new HmaAbortedError({ ...base, cause: e });
      }
    }
  }

  private async attempt<T>(spec: RequestSpec<T>, base: HmaErrorInit, attempt: number): Promise<T> {
    const ep = this.endpoints[spec.role];
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined && v !== null) qs.set(k, String(v));
    const url = `${ep.baseUrl}${spec.path}${qs.size ? `?${qs}` : ''}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    const auth = this.authHeader(spec.role);
    if (auth) headers.authorization = auth;
    let body: BodyInit | undefined;
    if (spec.form) body = spec.form;
    else if (spec.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(spec.json);
    }

    const timeoutMs = spec.timeoutMs ?? this.opts.timeoutMs;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error('timeout'));
    }, timeoutMs);
    const onCallerAbort = () => controller.abort(spec.signal?.reason);
    spec.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const started = this.opts.clock.now();
    let status: number;
    let text: string;
    let contentType: string;
    let retryAfter: string | null;
    try {
      const res = await this.opts.fetch(url, { method: spec.method, headers, body, signal: controller.signal });
      status = res.status;
      contentType = res.headers.get('content-type') ?? '';
      retryAfter = res.headers.get('retry-after');
      text = await res.text();
    } catch (e) {
      if (timedOut) throw new HmaTimeoutError(timeoutMs, { ...base, cause: e });
      if (spec.signal?.aborted) throw new HmaAbortedError({ ...base, cause: e });
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const errno = cause?.code;
      throw new HmaNetworkError(`HMA unreachable (${errno ?? cause?.message ?? (e as Error).message}) on ${spec.method} ${spec.path}`, errno, { ...base, cause: e });
    } finally {
      clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onCallerAbort);
    }
    this.opts.logger?.debug?.('hma.request', { role: spec.role, method: spec.method, path: spec.path, status, ms: this.opts.clock.now() - started, attempt });

    if (status < 200 || status >= 300) throw classifyHttpError(status, text, contentType, retryAfter, base);
    const ok: HmaErrorInit = { ...base, status, bodySnippet: text.slice(0, SNIPPET) };
    switch (spec.expect.kind) {
      case 'ignore':
        return undefined as T;
      case 'text':
        return text as T;
      case 'json': {
        if (looksLikeHtml(text, contentType)) throw new HmaHtmlError(`HMA answered ${status} with an HTML page where JSON was expected on ${spec.method} ${spec.path}`, ok);
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch (e) {
          throw new HmaInvalidJsonError(`HMA answered ${status} with a body that is not JSON on ${spec.method} ${spec.path}`, { ...ok, cause: e });
        }
        const r = spec.expect.schema.safeParse(parsed);
        if (!r.success) {
          const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
          throw new HmaSchemaError(`HMA answered ${spec.method} ${spec.path} with an unexpected JSON shape: ${issues.slice(0, 3).join('; ')}`, issues, ok);
        }
        return r.data;
      }
    }
  }
}
