import type { ActionError, ActionErrorCode, ActionResult, LoginErrorCode } from './types';

const RETRYABLE: ReadonlySet<ActionErrorCode> = new Set(['rate_limited', 'server_error', 'network', 'timeout']);

/** A failed request to the client-server or admin API, classified. Never carries the token. */
export class MatrixApiError extends Error {
  override readonly name = 'MatrixApiError';
  readonly code: ActionErrorCode;
  readonly httpStatus?: number;
  readonly errcode?: string;
  readonly retryAfterMs?: number;
  readonly softLogout: boolean;

  constructor(
    code: ActionErrorCode,
    message: string,
    extra: { httpStatus?: number; errcode?: string; retryAfterMs?: number; softLogout?: boolean; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.code = code;
    if (extra.httpStatus !== undefined) this.httpStatus = extra.httpStatus;
    if (extra.errcode !== undefined) this.errcode = extra.errcode;
    if (extra.retryAfterMs !== undefined) this.retryAfterMs = extra.retryAfterMs;
    this.softLogout = extra.softLogout ?? false;
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }

  toActionError(): ActionError {
    const e: ActionError = { code: this.code, message: this.message };
    if (this.httpStatus !== undefined) e.httpStatus = this.httpStatus;
    if (this.errcode !== undefined) e.errcode = this.errcode;
    return e;
  }
}

/** Typed sign-in failure: see LoginErrorCode. */
export class MatrixLoginError extends Error {
  override readonly name = 'MatrixLoginError';
  readonly code: LoginErrorCode;
  readonly httpStatus?: number;
  readonly errcode?: string;
  readonly retryAfterMs?: number;

  constructor(
    code: LoginErrorCode,
    message: string,
    extra: { httpStatus?: number; errcode?: string; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.code = code;
    if (extra.httpStatus !== undefined) this.httpStatus = extra.httpStatus;
    if (extra.errcode !== undefined) this.errcode = extra.errcode;
    if (extra.retryAfterMs !== undefined) this.retryAfterMs = extra.retryAfterMs;
  }
}

/** Retry-After: delta-seconds or an HTTP date. */
export function parseRetryAfterHeader(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.max(0, Math.round(Number(trimmed) * 1000));
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Classify an HTTP error response (status + parsed JSON body, if any). */
export function errorFromResponse(
  status: number,
  body: unknown,
  headers: { get(name: string): string | null },
  what: string,
): MatrixApiError {
  const obj = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const errcode = typeof obj.errcode === 'string' ? obj.errcode : undefined;
  const serverMsg = typeof obj.error === 'string' ? obj.error : undefined;
  const message = `${what}: HTTP ${status}${errcode ? ` ${errcode}` : ''}${serverMsg ? ` – ${serverMsg}` : ''}`;
  const base = { httpStatus: status, ...(errcode ? { errcode } : {}) };

  if (status === 429 || errcode === 'M_LIMIT_EXCEEDED') {
    const fromBody = typeof obj.retry_after_ms === 'number' ? obj.retry_after_ms : undefined;
    const retryAfterMs = fromBody ?? parseRetryAfterHeader(headers.get('retry-after'));
    return new MatrixApiError('rate_limited', message, { ...base, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  if (errcode === 'M_UNKNOWN_TOKEN') {
    return new MatrixApiError('token_expired', message, { ...base, softLogout: obj.soft_logout === true });
  }
  if (status >= 500) {
    const retryAfterMs = parseRetryAfterHeader(headers.get('retry-after'));
    return new MatrixApiError('server_error', message, { ...base, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  if (status === 408) return new MatrixApiError('timeout', message, base);
  if (errcode === 'M_UNRECOGNIZED' && (status === 400 || status === 404 || status === 405)) {
    return new MatrixApiError('unsupported', message, base);
  }
  if (status === 401 || status === 403) return new MatrixApiError('forbidden', message, base);
  if (status === 404) return new MatrixApiError('not_found', message, base);
  if (status === 400) return new MatrixApiError('bad_request', message, base);
  return new MatrixApiError('http_error', message, base);
}

/** Classify a thrown fetch failure (network, timeout, abort). */
export function errorFromFetchFailure(err: unknown, what: string): MatrixApiError {
  if (err instanceof MatrixApiError) return err;
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return new MatrixApiError('timeout', `${what}: timed out`, { cause: err });
  if (e?.name === 'AbortError') return new MatrixApiError('network', `${what}: aborted`, { cause: err });
  const code = e?.cause?.code;
  const detail = code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new MatrixApiError('network', `${what}: ${detail}`, { cause: err });
}

/** Map any thrown error into an ActionResult failure. */
export function failureResult(err: unknown, what = 'request'): ActionResult<never> {
  const e = err instanceof MatrixApiError ? err : errorFromFetchFailure(err, what);
  if (e.code === 'token_expired') return { status: 'token_expired', error: e.toActionError(), softLogout: e.softLogout };
  if (e.retryable) {
    return e.retryAfterMs !== undefined
      ? { status: 'retryable', error: e.toActionError(), retryAfterMs: e.retryAfterMs }
      : { status: 'retryable', error: e.toActionError() };
  }
  return { status: 'permanent_failure', error: e.toActionError() };
}
