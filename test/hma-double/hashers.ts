// Hashers for the HMA test double.
//
// The double's default hasher gives only `video_md5` (MD5 of the bytes, as HMA does) for `video` uploads and nothing
// for `photo` uploads (so a photo upload to the default double yields `{}` from /h/hash and "No signals given" from
// add-content). Tests inject `localPdqHasher()` to get PDQ as HMA computes it: Matchdesk's own PDQ
// (electron/services/hashing, bit-exact with the reference HMA uses; "" when quality < 50, as HMA does; an
// undecodable photo throws, which the double answers with a 500 like PIL), plus the synthetic payload
// `PDQ:<64 hex>` tests use to upload an "image" with a chosen hash. It needs nothing beside the checkout.

import { createHash } from 'node:crypto';
import { hashBytes } from '../../electron/services/hashing';

export type DoubleContentType = 'photo' | 'video';
/** signal_type → signal. Throwing makes the double answer 500, as HMA does for an undecodable upload. */
export type DoubleHasher = (bytes: Uint8Array, contentType: DoubleContentType) => Promise<Record<string, string>>;

export const md5Hex = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

/** The double's default: `video_md5` for videos, nothing for photos. */
export const defaultHasher: DoubleHasher = async (bytes, contentType): Promise<Record<string, string>> =>
  contentType === 'video' ? { video_md5: md5Hex(bytes) } : {};

/** `PDQ:<hex>` payload for a synthetic test "image" whose PDQ hash is `hex` (quality 100). */
export const syntheticPhoto = (hex: string): Uint8Array => new TextEncoder().encode(`PDQ:${hex}`);

/** PDQ for real images (our bit-exact PDQ) and synthetic `PDQ:<hex>` payloads; other photos throw (→ 500, like PIL). */
export function localPdqHasher(): DoubleHasher {
  return async (bytes, contentType) => {
    if (contentType === 'video') return defaultHasher(bytes, contentType);
    const text = bytes.length <= 80 ? Buffer.from(bytes).toString('latin1') : '';
    const synthetic = /^PDQ:([0-9a-f]{64})$/.exec(text);
    if (synthetic) return { pdq: synthetic[1]! };
    if (text === 'PDQ:LOW-QUALITY') return { pdq: '' };
    const h = await hashBytes(bytes);
    if (h.pdqQuality === null) throw new Error('cannot identify image file');
    return { pdq: h.pdq ?? '' };
  };
}
