// Hashers for the HMA test double.
//
// The double never computes PDQ itself. Its default hasher gives only `video_md5` (MD5 of the bytes, as HMA does)
// for `video` uploads and nothing for `photo` uploads (so a photo upload to the default double yields `{}` from
// /h/hash and "No signals given" from add-content). Tests inject a hasher to get PDQ:
//   * `fixturePdqHasher()` knows the test pictures in test/fixtures/pdq (their exact HMA hashes from
//     vectors.tsv, "" when quality < 50 as HMA does) and the synthetic payload `PDQ:<64 hex>` used by tests to upload
//     an "image" with a chosen hash;
//   * the real PDQ hasher (electron/services/hashing, being written separately) can be injected later the same way:
//     `hasher: async (bytes, ct) => ct === 'photo' ? { pdq: (await hashBytes(bytes)).pdq ?? '' } : md5Hasher(bytes, ct)`.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type DoubleContentType = 'photo' | 'video';
/** signal_type → signal. Throwing makes the double answer 500, as HMA does for an undecodable upload. */
export type DoubleHasher = (bytes: Uint8Array, contentType: DoubleContentType) => Promise<Record<string, string>>;

export const md5Hex = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');
const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The double's default: `video_md5` for videos, nothing for photos. */
export const defaultHasher: DoubleHasher = async (bytes, contentType): Promise<Record<string, string>> =>
  contentType === 'video' ? { video_md5: md5Hex(bytes) } : {};

/** Directory of the PDQ test pictures kept in the repository (test/fixtures/pdq). */
export function pdqFixturesDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/pdq');
}

export interface PdqFixture {
  file: string;
  path: string;
  pdq: string;
  quality: number;
}

export function loadPdqFixtures(): PdqFixture[] {
  const dir = pdqFixturesDir();
  const lines = readFileSync(join(dir, 'vectors.tsv'), 'utf8').split('\n').slice(1);
  const out: PdqFixture[] = [];
  for (const line of lines) {
    const [file, pdq, quality] = line.split('\t');
    if (!file || !pdq || !quality) continue;
    out.push({ file, path: join(dir, 'images', file), pdq, quality: Number(quality) });
  }
  return out;
}

/** `PDQ:<hex>` payload for a synthetic test "image" whose PDQ hash is `hex` (quality 100). */
export const syntheticPhoto = (hex: string): Uint8Array => new TextEncoder().encode(`PDQ:${hex}`);

/** Hasher that knows the fixture images and synthetic `PDQ:<hex>` payloads; other photos throw (→ 500, like PIL). */
export function fixturePdqHasher(): DoubleHasher {
  const bySha = new Map<string, string>();
  for (const f of loadPdqFixtures()) {
    if (existsSync(f.path)) bySha.set(sha256Hex(readFileSync(f.path)), f.quality < 50 ? '' : f.pdq);
  }
  return async (bytes, contentType) => {
    if (contentType === 'video') return defaultHasher(bytes, contentType);
    const text = bytes.length <= 80 ? Buffer.from(bytes).toString('latin1') : '';
    const synthetic = /^PDQ:([0-9a-f]{64})$/.exec(text);
    if (synthetic) return { pdq: synthetic[1]! };
    if (text === 'PDQ:LOW-QUALITY') return { pdq: '' };
    const known = bySha.get(sha256Hex(bytes));
    if (known !== undefined) return { pdq: known };
    throw new Error('cannot identify image file');
  };
}
