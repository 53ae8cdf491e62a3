// Bit helpers for 256-bit PDQ hashes held as 8 × Uint32 words (word 0 = the first 8 hex digits).

export const PDQ_WORDS = 8;
export const PDQ_HEX_LENGTH = 64;

const HEX_RE = /^[0-9a-fA-F]{64}$/;

/** True for a 64-digit hex string (either case; HMA itself only accepts lowercase on the wire). */
export function isPdqHex(hex: string): boolean {
  return HEX_RE.test(hex);
}

const HEX_VALUE = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 10; i++) t[48 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[65 + i] = 10 + i;
    t[97 + i] = 10 + i;
  }
  return t;
})();

/** Parses a 64-digit hex PDQ hash (either case) into `out[offset .. offset+8)`. Throws on malformed input. */
export function parsePdqHex(hex: string, out: Uint32Array = new Uint32Array(PDQ_WORDS), offset = 0): Uint32Array {
  if (typeof hex !== 'string' || hex.length !== PDQ_HEX_LENGTH) throw invalid(hex);
  for (let w = 0; w < PDQ_WORDS; w++) {
    let v = 0;
    for (let i = w * 8, end = i + 8; i < end; i++) {
      const c = hex.charCodeAt(i);
      const d = c < 128 ? HEX_VALUE[c]! : -1;
      if (d < 0) throw invalid(hex);
      v = (v << 4) | d;
    }
    out[offset + w] = v >>> 0;
  }
  return out;
}

function invalid(hex: unknown): TypeError {
  return new TypeError(`invalid PDQ hash: expected 64 hex digits, got ${JSON.stringify(String(hex).slice(0, 80))}`);
}

export function formatPdqHex(words: Uint32Array, offset = 0): string {
  let s = '';
  for (let w = 0; w < PDQ_WORDS; w++) s += (words[offset + w] ?? 0).toString(16).padStart(8, '0');
  return s;
}

/** SWAR popcount of a 32-bit value. */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** Hamming distance between the 256-bit hashes at `a[ao..ao+8)` and `b[bo..bo+8)`. */
export function hammingWords(a: Uint32Array, ao: number, b: Uint32Array, bo: number): number {
  return (
    popcount32(a[ao]! ^ b[bo]!) +
    popcount32(a[ao + 1]! ^ b[bo + 1]!) +
    popcount32(a[ao + 2]! ^ b[bo + 2]!) +
    popcount32(a[ao + 3]! ^ b[bo + 3]!) +
    popcount32(a[ao + 4]! ^ b[bo + 4]!) +
    popcount32(a[ao + 5]! ^ b[bo + 5]!) +
    popcount32(a[ao + 6]! ^ b[bo + 6]!) +
    popcount32(a[ao + 7]! ^ b[bo + 7]!)
  );
}

/** Hamming distance between two hex PDQ hashes. */
export function pdqDistance(a: string, b: string): number {
  return hammingWords(parsePdqHex(a), 0, parsePdqHex(b), 0);
}
