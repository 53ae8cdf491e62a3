export type HashErrorCode = 'empty' | 'too_large' | 'too_many_pixels' | 'corrupt' | 'unsupported' | 'io_error';

export const HASH_ERROR_CODES: readonly HashErrorCode[] = ['empty', 'too_large', 'too_many_pixels', 'corrupt', 'unsupported', 'io_error'];

/** A file that could not be hashed, with a stable machine-readable code. Survives the worker boundary. */
export class HashError extends Error {
  override readonly name = 'HashError';
  readonly code: HashErrorCode;

  constructor(code: HashErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** Plain-object form for postMessage. */
  toJSON(): SerializedHashError {
    return { code: this.code, message: this.message };
  }

  static fromJSON(s: SerializedHashError): HashError {
    return new HashError(HASH_ERROR_CODES.includes(s.code) ? s.code : 'io_error', s.message);
  }
}

export interface SerializedHashError {
  code: HashErrorCode;
  message: string;
}

export function isHashError(e: unknown): e is HashError {
  return e instanceof HashError;
}
