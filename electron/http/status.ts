import type { ErrorCode } from '../../shared/result';

/** The HTTP status an error envelope travels with, on every HTTP host (the loopback shell and the team server). */
export const STATUS_FOR: Record<ErrorCode, number> = {
  invalid_input: 400,
  unknown_call: 404,
  not_found: 404,
  conflict: 409,
  unauthorized: 401,
  forbidden: 403,
  no_access: 403,
  rate_limited: 429,
  unavailable: 503,
  hash_failed: 422,
  internal: 500,
};
