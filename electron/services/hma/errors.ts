// Typed errors for the HMA client. Every error is an `HmaError` with a `code` discriminant; each code has its own
// subclass so callers can use either `err.code === 'index_not_ready'` or `err instanceof HmaIndexNotReadyError`.
// Errors never carry request headers, so an API key cannot leak through them.

export type HmaRole = 'hasher' | 'matcher' | 'curator';

export type HmaErrorCode =
  | 'unauthorized' // 401 (hma-matrix: "Authentication required")
  | 'forbidden' // 403 (e.g. "Hashing is disabled, missing role", "Bank already exists")
  | 'not_found' // 404 (JSON: missing bank/content; HTML: route not served, e.g. role not deployed)
  | 'bad_request' // 400 and other 4xx with a JSON {"message"} (405, 413, 415, …)
  | 'validation' // 422: pydantic error array
  | 'rate_limited' // 429 (Retry-After honoured)
  | 'index_not_ready' // 503 INDEX-NOT-LOADED / INDEX-STALE / "index not yet ready"
  | 'server_error' // other 5xx with a JSON or plain body
  | 'html_error' // an HTML page where JSON was expected (e.g. a proxy's 502 page)
  | 'invalid_json' // a body that does not parse as JSON
  | 'schema_mismatch' // JSON of an unexpected shape (zod validation failed)
  | 'network' // connection refused/reset, DNS, TLS…
  | 'timeout' // no complete answer within the timeout
  | 'circuit_open' // the circuit breaker is open for this endpoint: the request was not sent
  | 'unsupported' // the server cannot do this (a known HMA 1.1.7 bug), whatever the input: not worth retrying
  | 'aborted'; // the caller's AbortSignal fired

export interface PydanticIssue {
  type: string;
  loc: Array<string | number>;
  msg: string;
  input?: unknown;
  url?: string;
}

export interface HmaErrorInit {
  status?: number;
  method?: string;
  /** Path and query of the request (never the base URL's userinfo, never headers). */
  path?: string;
  role?: HmaRole;
  /** HMA's `{"message"}` text, or the plain body, if any. */
  serverMessage?: string;
  /** First 500 characters of the body, for diagnostics. */
  bodySnippet?: string;
  cause?: unknown;
}

/** Codes worth retrying (for idempotent calls) after a backoff. */
const RETRYABLE: ReadonlySet<HmaErrorCode> = new Set(['network', 'timeout', 'rate_limited']);

export class HmaError extends Error {
  readonly code: HmaErrorCode;
  readonly status: number | undefined;
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly role: HmaRole | undefined;
  readonly serverMessage: string | undefined;
  readonly bodySnippet: string | undefined;

  constructor(code: HmaErrorCode, message: string, init: HmaErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = init.status;
    this.method = init.method;
    this.path = init.path;
    this.role = init.role;
    this.serverMessage = init.serverMessage;
    this.bodySnippet = init.bodySnippet;
  }

  /** Transient: a retry of an idempotent request may succeed. */
  get retryable(): boolean {
    if (RETRYABLE.has(this.code)) return true;
    // Gateway-type failures (502/503/504, HTML or not) are transient; a plain 500 from HMA is a bug and is not.
    return (this.code === 'server_error' || this.code === 'html_error') && (this.status === 502 || this.status === 503 || this.status === 504);
  }

  /** Counts towards opening the circuit breaker: the server (or the way to it) is failing. */
  get isOutage(): boolean {
    if (this.code === 'network' || this.code === 'timeout') return true;
    return (this.code === 'server_error' || this.code === 'html_error') && (this.status ?? 0) >= 500;
  }
}

export class HmaAuthError extends HmaError {
  constructor(message: string, init: HmaErrorInit = {}) {
    super('unauthorized', message, init);
  }
}

export class HmaForbiddenError extends HmaError {
  constructor(message: string, init: HmaErrorInit = {}) {
    super('forbidden', message, init);
  }
  /** hma-matrix matcher workers run with ROLE_HASHER off: URL/upload lookups are refused. */
  get hashingDisabled(): boolean {
    return this.serverMessage === 'Hashing is disabled, missing role';
  }
}

export class HmaNotFoundError extends HmaError {
  /** True when Flask answered with its HTML 404 page: the route (or the whole role blueprint) is not served there. */
  readonly routeMissing: boolean;
  constructor(message: string, init: HmaErrorInit & { routeMissing?: boolean } = {}) {
    super('not_found', message, init);
    this.routeMissing = init.routeMissing ?? false;
  }
}

export class HmaBadRequestError extends HmaError {
  constructor(message: string, init: HmaErrorInit = {}) {
    super('bad_request', message, init);
  }
}

export class HmaValidationError extends HmaError {
  readonly issues: PydanticIssue[];
  constructor(message: string, issues: PydanticIssue[], init: HmaErrorInit = {}) {
    super('validation', message, init);
    this.issues = issues;
  }
}

export class HmaRateLimitError extends HmaError {
  /** From Retry-After (seconds or HTTP date), if the server sent one. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs: number | undefined, init: HmaErrorInit = {}) {
    super('rate_limited', message, init);
    this.retryAfterMs = retryAfterMs;
  }
}

export type IndexNotReadyReason = 'INDEX-NOT-LOADED' | 'INDEX-STALE' | 'index not yet ready';

export class HmaIndexNotReadyError extends HmaError {
  readonly reason: IndexNotReadyReason;
  constructor(reason: IndexNotReadyReason, init: HmaErrorInit = {}) {
    super('index_not_ready', `HMA matcher index not ready (${reason})`, init);
    this.reason = reason;
  }
}

export class HmaServerError extends HmaError {
  constructor(message: string, init: HmaErrorInit = {}) {
    super('server_error', message, init);
  }
}

export class HmaHtmlError extends HmaError {
  constructor(message: string, init: HmaErrorInit = {}) {
    super('html_error', message, init);
  }
}

export class HmaInvalidJsonError extends HmaError {
  constructor(message: string, init: HmaErrorInit = {}) {
    super('invalid_json', message, init);
  }
}

export class HmaSchemaError extends HmaError {
  /** zod issues, as `path: message` strings. */
  readonly issues: string[];
  constructor(message: string, issues: string[], init: HmaErrorInit = {}) {
    super('schema_mismatch', message, init);
    this.issues = issues;
  }
}

export class HmaNetworkError extends HmaError {
  /** Node's error code (ECONNREFUSED, ECONNRESET, ENOTFOUND, UND_ERR_SOCKET…), when known. */
  readonly errno: string | undefined;
  constructor(message: string, errno: string | undefined, init: HmaErrorInit = {}) {
    super('network', message, init);
    this.errno = errno;
  }
}

export class HmaTimeoutError extends HmaError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number, init: HmaErrorInit = {}) {
    super('timeout', `HMA request timed out after ${timeoutMs} ms`, init);
    this.timeoutMs = timeoutMs;
  }
}

export class HmaCircuitOpenError extends HmaError {
  /** When (clock ms) the breaker will let a probe request through. */
  readonly retryAt: number;
  constructor(retryAt: number, init: HmaErrorInit = {}) {
    super('circuit_open', 'HMA circuit breaker is open: recent requests failed, not sending', init);
    this.retryAt = retryAt;
  }
}

/** A call this HMA version cannot serve (e.g. PUT /c/signal_type/<name> on 1.1.7 → 500): neither retryable nor an outage. */
export class HmaUnsupportedError extends HmaError {
  constructor(message: string, init: HmaErrorInit = {}) {
    super('unsupported', message, init);
  }
}

export class HmaAbortedError extends HmaError {
  constructor(init: HmaErrorInit = {}) {
    super('aborted', 'HMA request aborted by the caller', init);
  }
}

export const isHmaError = (e: unknown): e is HmaError => e instanceof HmaError;
