import { parseMxc } from '../matrix/media';

/** The hash types a check may carry, with the length of each as lowercase hex. */
export const CHECK_HASH_TYPES = { md5: 32, sha1: 40, sha256: 64, pdq: 64 } as const;
export type CheckHashType = keyof typeof CHECK_HASH_TYPES;
export type CheckHashes = Partial<Record<CheckHashType, string>>;

/** Who and where the media was seen, as the bot says (all optional). */
export interface CheckContext {
  eventId: string | null;
  roomId: string | null;
  userId: string | null;
  mediaType: string | null;
  timestamp: number | null;
}

export type CheckRequest = { kind: 'hashes'; hashes: CheckHashes; context: CheckContext } | { kind: 'mxc'; mxc: { server: string; mediaId: string }; context: CheckContext };

/** A request the API refuses with 400; `field` is the JSON path of the first problem. */
export class CheckRequestError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

const preview = (v: string) => JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);

function optionalString(body: Record<string, unknown>, field: string, pattern: RegExp, what: string, max = 255): string | null {
  const v = body[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.length > max || !pattern.test(v)) throw new CheckRequestError(field, `expected ${what}`);
  return v;
}

export function parseCheckContext(body: Record<string, unknown>): CheckContext {
  const timestamp = body.timestamp;
  if (timestamp !== undefined && timestamp !== null && !(typeof timestamp === 'number' && Number.isInteger(timestamp) && timestamp >= 0)) {
    throw new CheckRequestError('timestamp', 'expected milliseconds since 1970 (a non-negative integer)');
  }
  return {
    eventId: optionalString(body, 'eventId', /^\$\S+$/, 'a Matrix event id ($…)'),
    roomId: optionalString(body, 'roomId', /^!\S+$/, 'a Matrix room id (!…)'),
    userId: optionalString(body, 'userId', /^@[^\s:]+:\S+$/, 'a Matrix user id (@user:server)'),
    mediaType: optionalString(body, 'mediaType', /^[\w.\-/+]+$/, 'a media type such as m.image', 100),
    timestamp: typeof timestamp === 'number' ? timestamp : null,
  };
}

function hashes(raw: unknown): CheckHashes {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new CheckRequestError('hashes', 'expected an object of hash type → hex digest');
  const out: CheckHashes = {};
  for (const [type, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!(type in CHECK_HASH_TYPES)) {
      throw new CheckRequestError(`hashes.${type}`, `unknown hash type ${JSON.stringify(type)}; known types are ${Object.keys(CHECK_HASH_TYPES).join(', ')}`);
    }
    if (value === null || value === undefined) continue;
    const length = CHECK_HASH_TYPES[type as CheckHashType];
    if (typeof value !== 'string') throw new CheckRequestError(`hashes.${type}`, `expected ${length} hex digits, not a ${typeof value}`);
    const hex = value.trim().toLowerCase();
    if (!/^[0-9a-f]*$/.test(hex) || hex.length !== length) {
      const placeholder = /placeholder|stub/i.test(value) ? ' (a placeholder, not a hash: leave the field out until the bot computes it)' : '';
      throw new CheckRequestError(`hashes.${type}`, `${preview(value)} is not a ${type.toUpperCase()} hash: expected ${length} hex digits${placeholder}`);
    }
    out[type as CheckHashType] = hex;
  }
  if (Object.keys(out).length === 0) throw new CheckRequestError('hashes', `give at least one of ${Object.keys(CHECK_HASH_TYPES).join(', ')}`);
  return out;
}

/**
 * Reads the Mjolnir HMA plugin's request: `{"hashes": {"md5", "sha1", "sha256", "pdq"}, "eventId", "roomId", "userId",
 * "mediaType", "timestamp"}` (any subset of hashes), or `"mxc": "mxc://server/id"` in place of the hashes. Other
 * top-level fields are ignored; anything malformed is refused with the field and the reason.
 */
export function parseCheckRequest(body: unknown, allowMxc = true): CheckRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new CheckRequestError('(body)', 'expected a JSON object');
  const b = body as Record<string, unknown>;
  const ctx = parseCheckContext(b);
  const mxcField = b.mxc ?? b.mxcUri;
  const hasHashes = b.hashes !== undefined && b.hashes !== null;
  if (mxcField !== undefined && mxcField !== null) {
    if (!allowMxc) throw new CheckRequestError('mxc', 'this endpoint looks up hashes only; send mxc:// URIs to /api/v1/check');
    if (hasHashes) throw new CheckRequestError('mxc', 'send either "hashes" or "mxc", not both');
    const mxc = typeof mxcField === 'string' ? parseMxc(mxcField) : null;
    if (!mxc) throw new CheckRequestError('mxc', `expected mxc://server/mediaId, not ${typeof mxcField === 'string' ? preview(mxcField) : typeof mxcField}`);
    return { kind: 'mxc', mxc, context: ctx };
  }
  if (!hasHashes) throw new CheckRequestError('hashes', allowMxc ? 'give "hashes" (md5, sha1, sha256, pdq) or an "mxc" URI' : 'give "hashes" (md5, sha1, sha256, pdq)');
  return { kind: 'hashes', hashes: hashes(b.hashes), context: ctx };
}
