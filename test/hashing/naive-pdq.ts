/**
 * A deliberately plain PDQ, written from docs/pdq.md and the C++ it describes, for cross-checking the optimised
 * streaming implementation: full-size float32 buffers, the C++ box1DFloat loop with real division, per-column
 * vertical passes, the literal Torben median, bits assembled as the 256-bit integer N = Σ bit_k·2^k, and the dihedral
 * table of pdq.md applied element by element. Test-only.
 */
const fr = Math.fround;

function box1DFloat(buf: Float32Array, out: Float32Array, start: number, n: number, stride: number, w: number): void {
  const half = Math.floor((w + 2) / 2);
  let li = start;
  let ri = start;
  let oi = start;
  let sum = 0;
  let cur = 0;
  for (let i = 0; i < half - 1; i++, ri += stride) {
    sum = fr(sum + buf[ri]!);
    cur++;
  }
  for (let i = 0; i < w - half + 1; i++, ri += stride, oi += stride) {
    sum = fr(sum + buf[ri]!);
    cur++;
    out[oi] = fr(sum / cur);
  }
  for (let i = 0; i < n - w; i++, ri += stride, li += stride, oi += stride) {
    sum = fr(sum + buf[ri]!);
    sum = fr(sum - buf[li]!);
    out[oi] = fr(sum / cur);
  }
  for (let i = 0; i < half - 1; i++, li += stride, oi += stride) {
    sum = fr(sum - buf[li]!);
    cur--;
    out[oi] = fr(sum / cur);
  }
}

export function torben(m: Float32Array): number {
  const n = m.length;
  let min = m[0]!;
  let max = m[0]!;
  for (let i = 1; i < n; i++) {
    if (m[i]! < min) min = m[i]!;
    if (m[i]! > max) max = m[i]!;
  }
  let less: number;
  let greater: number;
  let equal: number;
  let guess: number;
  let maxltguess: number;
  let mingtguess: number;
  for (;;) {
    guess = fr(fr(min + max) / 2);
    less = 0;
    greater = 0;
    equal = 0;
    maxltguess = min;
    mingtguess = max;
    for (let i = 0; i < n; i++) {
      const v = m[i]!;
      if (v < guess) {
        less++;
        if (v > maxltguess) maxltguess = v;
      } else if (v > guess) {
        greater++;
        if (v < mingtguess) mingtguess = v;
      } else equal++;
    }
    if (less <= Math.floor((n + 1) / 2) && greater <= Math.floor((n + 1) / 2)) break;
    else if (less > greater) max = maxltguess;
    else min = mingtguess;
  }
  if (less >= Math.floor((n + 1) / 2)) return maxltguess;
  if (less + equal >= Math.floor((n + 1) / 2)) return guess;
  return mingtguess;
}

function bitsToHex(b: Float32Array): string {
  const med = torben(b);
  let n = 0n;
  for (let u = 0; u < 16; u++) for (let v = 0; v < 16; v++) if (b[u * 16 + v]! > med) n |= 1n << BigInt(16 * u + v);
  return n.toString(16).padStart(64, '0');
}

/** pdq.md's table, literally: out[row][col] for each named transform of A[u][v]. */
export function dihedralTransform(name: string, a: Float32Array): Float32Array {
  const out = new Float32Array(256);
  const odd = (x: number): boolean => x % 2 === 1;
  for (let u = 0; u < 16; u++) {
    for (let v = 0; v < 16; v++) {
      const x = a[u * 16 + v]!;
      switch (name) {
        case 'original':
          out[u * 16 + v] = x;
          break;
        case 'rotate90':
          out[v * 16 + u] = odd(v) ? x : -x;
          break;
        case 'rotate180':
          out[u * 16 + v] = odd(u + v) ? -x : x;
          break;
        case 'rotate270':
          out[v * 16 + u] = odd(u) ? x : -x;
          break;
        case 'flipX':
          out[u * 16 + v] = odd(u) ? x : -x;
          break;
        case 'flipY':
          out[u * 16 + v] = odd(v) ? x : -x;
          break;
        case 'flipPlus1':
          out[v * 16 + u] = x;
          break;
        case 'flipMinus1':
          out[v * 16 + u] = odd(u + v) ? -x : x;
          break;
        default:
          throw new Error(name);
      }
    }
  }
  return out;
}

export const NAIVE_DIHEDRAL_ORDER = ['original', 'rotate90', 'rotate180', 'rotate270', 'flipX', 'flipY', 'flipPlus1', 'flipMinus1'];

export interface NaivePdq {
  hash: string;
  quality: number;
  dct: Float32Array;
  dihedral: string[];
}

/** pdqhash.compute (hash, quality) and compute_dihedral (always blurred) on interleaved 8-bit pixels. */
export function naivePdq(px: Uint8Array, w: number, h: number, c: number): NaivePdq {
  if (w < 5 || h < 5) {
    const z = '0'.repeat(64);
    return { hash: z, quality: 0, dct: new Float32Array(256), dihedral: Array(8).fill(z) };
  }
  const luma = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const r = px[i * c]!;
    const g = c >= 3 ? px[i * c + 1]! : r;
    const b = c >= 3 ? px[i * c + 2]! : r;
    luma[i] = fr(r * 0.299 + g * 0.587 + b * 0.114);
  }
  const plain = floatAndQuality(luma, w, h, false);
  const blurred = w === 64 && h === 64 ? floatAndQuality(luma, w, h, true) : plain;
  return {
    hash: bitsToHex(plain.dct),
    quality: plain.quality,
    dct: plain.dct,
    dihedral: NAIVE_DIHEDRAL_ORDER.map((name) => bitsToHex(dihedralTransform(name, blurred.dct))),
  };
}

function floatAndQuality(luma: Float32Array, w: number, h: number, forceBlur: boolean): { dct: Float32Array; quality: number } {
  const a = new Float32Array(64 * 64);
  if (w === 64 && h === 64 && !forceBlur) {
    a.set(luma);
  } else {
    const buf1 = Float32Array.from(luma);
    const buf2 = new Float32Array(w * h);
    const wAlongRows = Math.floor((w + 127) / 128);
    const wAlongCols = Math.floor((h + 127) / 128);
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < h; i++) box1DFloat(buf1, buf2, i * w, w, 1, wAlongRows);
      for (let j = 0; j < w; j++) box1DFloat(buf2, buf1, j, h, w, wAlongCols);
    }
    for (let i = 0; i < 64; i++) {
      const ini = Math.trunc(((i + 0.5) * h) / 64);
      for (let j = 0; j < 64; j++) a[i * 64 + j] = buf1[ini * w + Math.trunc(((j + 0.5) * w) / 64)]!;
    }
  }
  let g = 0;
  for (let i = 0; i < 63; i++) for (let j = 0; j < 64; j++) g += Math.abs(Math.trunc(fr(fr(fr(a[i * 64 + j]! - a[(i + 1) * 64 + j]!) * 100) / 255)));
  for (let i = 0; i < 64; i++) for (let j = 0; j < 63; j++) g += Math.abs(Math.trunc(fr(fr(fr(a[i * 64 + j]! - a[i * 64 + j + 1]!) * 100) / 255)));
  const quality = Math.min(100, Math.trunc(g / 90));

  const scale = fr(Math.sqrt(2 / 64));
  const D = (u: number, x: number): number => fr(scale * Math.cos((Math.PI / 2 / 64) * (u + 1) * (2 * x + 1)));
  const t = new Float32Array(16 * 64);
  for (let u = 0; u < 16; u++) {
    for (let y = 0; y < 64; y++) {
      let s = 0;
      for (let x = 0; x < 64; x++) s = fr(s + fr(D(u, x) * a[x * 64 + y]!));
      t[u * 64 + y] = s;
    }
  }
  const dct = new Float32Array(256);
  for (let u = 0; u < 16; u++) {
    for (let v = 0; v < 16; v++) {
      let s = 0;
      for (let y = 0; y < 64; y++) s = fr(s + fr(t[u * 64 + y]! * D(v, y)));
      dct[u * 16 + v] = s;
    }
  }
  return { dct, quality };
}
