// The envelope every contract call returns, whatever the transport. Errors are data, never thrown across a process.
export type ErrorCode =
  | 'invalid_input'
  | 'unknown_call'
  | 'not_found'
  | 'conflict'
  | 'unauthorized'
  /** The caller's role does not allow this call (e.g. a reviewer managing banks). */
  | 'forbidden'
  /** The caller has no role at all on the team server (left the management room, or below the reviewer level). */
  | 'no_access'
  | 'rate_limited'
  | 'unavailable'
  | 'hash_failed'
  | 'internal';

export interface ApiError {
  code: ErrorCode;
  message: string;
  /** Field-level problems for invalid_input (path joined with '.'). */
  issues?: { path: string; message: string }[];
}

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export class ContractError extends Error {
  readonly code: ErrorCode;
  readonly issues?: ApiError['issues'];
  constructor(code: ErrorCode, message: string, issues?: ApiError['issues']) {
    super(message);
    this.name = 'ContractError';
    this.code = code;
    this.issues = issues;
  }
}
