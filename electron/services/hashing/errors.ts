export type HashErrorCode =
  | 'empty'
  | 'too_large'
  | 'too_many_pixels'
  | 'corrupt'
  | 'unsupported'
  | 'io_error'
  | 'out_of_memory'
  | 'timed_out'
  | 'decoder_crashed';

export const HASH_ERROR_CODES: readonly HashErrorCode[] = [
  'empty',
  'too_large',
  'too_many_pixels',
  'corrupt',
  'unsupported',
  'io_error',
  'out_of_memory',
  'timed_out',
  'decoder_crashed',
];

/**
 * Codes that mean "the file's content was refused": it is too big, broken, of a format we do not open, or it made
 * the isolated decoder run out of memory, time out or crash. The file's digests can still be computed and matched;
 * it is never decoded again in that run. (`empty` and `io_error` are not about hostile content.)
 */
const REFUSAL_CODES: ReadonlySet<HashErrorCode> = new Set([
  'too_large',
  'too_many_pixels',
  'corrupt',
  'unsupported',
  'out_of_memory',
  'timed_out',
  'decoder_crashed',
]);

export function isRefusal(code: string): boolean {
  return REFUSAL_CODES.has(code as HashErrorCode);
}

/** A file that could not be hashed, with a stable machine-readable code. Survives the process boundary. */
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
