/**
 * PDQ perceptual hash, bit-exact with the C++ reference (facebook/ThreatExchange pdq/cpp) as HMA runs it through
 * the `pdqhash` Python binding. See /work/shared/docs/pdq.md.
 *
 * Float semantics: every quantity the C++ keeps in a `float` is rounded to float32 here after each operation
 * (Math.fround, or a store into a Float32Array). A single +, -, * or / of two float32 values computed in float64 and
 * then rounded to float32 gives exactly the float32 result, so this reproduces the C++ bit for bit.
 *
 * Performance: the Jarosz filter (two passes of a horizontal then a vertical running-sum box filter) is streamed row
 * by row. Luma and the first horizontal pass fill a small ring of rows; the first vertical pass runs across a whole
 * row at a time (the same per-column float operations as the C++, in the same order); the second horizontal pass
 * keeps only the 64 columns decimation samples and the second vertical pass only the 64 rows it samples. Memory is
 * O(width · window) instead of two full float copies of the image.
 */

import { pdqDistance } from '../banks/pdq-index-bits';

export const PDQ_MIN_HASHABLE_DIM = 5;
const DIM = 64;
// PDQ_NUM_JAROSZ_XY_PASSES = 2: downsampleTo64 is written out for exactly two passes.

export const DIHEDRAL_NAMES = [
  'original',
  'rotate90',
  'rotate180',
  'rotate270',
  'flipX',
  'flipY',
  'flipPlus1',
  'flipMinus1',
] as const;
export type DihedralName = (typeof DIHEDRAL_NAMES)[number];

export interface PdqResult {
  /** 64 lowercase hex digits. All zeros when the image is smaller than 5×5. */
  hash: string;
  /** 0..100 */
  quality: number;
  /** 8 hashes in DIHEDRAL_NAMES order, when requested. */
  dihedral?: string[];
}

export type PixelChannels = 1 | 2 | 3 | 4;

/** Fills `out[outOff .. outOff+width)` with the float32 luma of row `y`. */
export type LumaRowSource = (y: number, out: Float32Array, outOff: number) => void;

// ---------------------------------------------------------------------------------------------------------------
// Luma. The pdqhash binding computes it in numpy float64 (R*0.299 + G*0.587 + B*0.114, left to right) and casts to
// float32; HMA stacks single-channel images to three channels first, so grey uses the same formula.

const LUMA_GREY = new Float32Array(256);
for (let v = 0; v < 256; v++) LUMA_GREY[v] = v * 0.299 + v * 0.587 + v * 0.114;

/** Row source over interleaved 8-bit pixels: 1 = grey, 2 = grey+alpha, 3 = RGB, 4 = RGBA (alpha ignored). */
export function rgbLumaSource(pixels: Uint8Array, width: number, height: number, channels: PixelChannels): LumaRowSource {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new RangeError(`bad dimensions ${width}x${height}`);
  }
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) throw new RangeError(`bad channel count ${channels}`);
  if (pixels.length < width * height * channels) {
    throw new RangeError(`pixel buffer too short: ${pixels.length} < ${width}x${height}x${channels}`);
  }
  const rowBytes = width * channels;
  if (channels <= 2) {
    return function greyRow(y, out, o) {
      for (let x = 0, p = y * rowBytes; x < width; x++, p += channels) out[o + x] = LUMA_GREY[pixels[p]!]!;
    };
  }
  if (channels === 3) {
    return function rgbRow(y, out, o) {
      for (let x = 0, p = y * rowBytes; x < width; x++, p += 3) out[o + x] = pixels[p]! * 0.299 + pixels[p + 1]! * 0.587 + pixels[p + 2]! * 0.114;
    };
  }
  return function rgbaRow(y, out, o) {
    for (let x = 0, p = y * rowBytes; x < width; x++, p += 4) out[o + x] = pixels[p]! * 0.299 + pixels[p + 1]! * 0.587 + pixels[p + 2]! * 0.114;
  };
}

/**
 * Row source over a float32 luma plane (row-major), for callers that already have luma. Values must be finite and
 * either 0 or of magnitude ≥ 2^-30 (real luma is 0..255): that keeps every intermediate a normal float32, which the
 * filter's reciprocal multiplication relies on.
 */
export function floatLumaSource(luma: Float32Array, width: number, height: number): LumaRowSource {
  if (luma.length < width * height) throw new RangeError('luma buffer too short');
  for (let i = 0; i < width * height; i++) {
    const v = Math.abs(luma[i]!);
    if (!(v <= 1e30) || (v !== 0 && v < 2 ** -30)) throw new RangeError(`luma value ${luma[i]} at ${i} out of range`);
  }
  return function floatRow(y, out, o) {
    out.set(luma.subarray(y * width, y * width + width), o);
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Jarosz filter.

/** computeJaroszFilterWindowSize(old, 64) = ceil(old / 128). */
export function jaroszWindow(oldDim: number): number {
  return Math.floor((oldDim + 2 * DIM - 1) / (2 * DIM));
}

/** C++ decimateFloat: the source index sampled for each of the 64 output indices. */
export function decimationIndices(n: number): Int32Array {
  const idx = new Int32Array(DIM);
  for (let i = 0; i < DIM; i++) idx[i] = Math.floor(((i + 0.5) * n) / DIM);
  return idx;
}

/**
 * 1/c for window counts c = 1..w. The C++ divides the float running sum by the (int → float) count. Multiplying by
 * the double reciprocal and rounding to float32 gives the same float for every input this pipeline sees: the exact
 * quotient s/c of a float32 s by an integer c < 2^27 is never a float32 rounding midpoint and lies at least
 * 2^-25/c (relative) away from one, while s·fl(1/c) is within 2^-52 (relative) of s/c. That needs the quotient to
 * be a normal float32, which holds because luma is 0 or ≥ 0.114 (see floatLumaSource for caller-supplied luma);
 * test/hashing/pdq-internals.test.ts checks it by brute force.
 */
function reciprocals(w: number): Float64Array {
  const r = new Float64Array(w + 1);
  for (let c = 1; c <= w; c++) r[c] = 1 / c;
  return r;
}

/**
 * box1DFloat with stride 1 on one row: `out[outOff + i]` = running float32 mean, exactly as the C++ computes it.
 * Four phases: accumulate, grow-and-write, slide-and-write, shrink-and-write.
 */
export function box1D(input: Float32Array, inOff: number, out: Float32Array, outOff: number, n: number, w: number, rc = reciprocals(w)): void {
  const half = (w + 2) >> 1;
  const p1 = half - 1;
  const p2 = w - half + 1;
  const p3 = n - w;
  const p4 = half - 1;
  const fr = Math.fround;
  let ri = inOff;
  let li = inOff;
  let oi = outOff;
  let sum = 0;
  let cnt = 0;
  for (let i = 0; i < p1; i++) {
    sum = fr(sum + input[ri++]!);
    cnt++;
  }
  for (let i = 0; i < p2; i++) {
    sum = fr(sum + input[ri++]!);
    out[oi++] = sum * rc[++cnt]!;
  }
  const k = rc[cnt]!;
  for (let end = oi + p3; oi < end; ) {
    sum = fr(fr(sum + input[ri++]!) - input[li++]!);
    out[oi++] = sum * k;
  }
  for (let i = 0; i < p4; i++) {
    sum = fr(sum - input[li++]!);
    out[oi++] = sum * rc[--cnt]!;
  }
}

/**
 * box1D on four consecutive rows (`n` floats apart) at once: the same operations per row, interleaved so that the
 * four float dependency chains overlap (a single running sum is latency-bound).
 */
function box1DRows4(input: Float32Array, inOff: number, out: Float32Array, outOff: number, n: number, w: number, rc: Float64Array): void {
  const half = (w + 2) >> 1;
  const p1 = half - 1;
  const p2 = w - half + 1;
  const p3 = n - w;
  const p4 = half - 1;
  const fr = Math.fround;
  const n2 = 2 * n;
  const n3 = 3 * n;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let r = inOff;
  let l = inOff;
  let o = outOff;
  let cnt = 0;
  for (let i = 0; i < p1; i++, r++) {
    s0 = fr(s0 + input[r]!);
    s1 = fr(s1 + input[r + n]!);
    s2 = fr(s2 + input[r + n2]!);
    s3 = fr(s3 + input[r + n3]!);
    cnt++;
  }
  for (let i = 0; i < p2; i++, r++, o++) {
    s0 = fr(s0 + input[r]!);
    s1 = fr(s1 + input[r + n]!);
    s2 = fr(s2 + input[r + n2]!);
    s3 = fr(s3 + input[r + n3]!);
    const k = rc[++cnt]!;
    out[o] = s0 * k;
    out[o + n] = s1 * k;
    out[o + n2] = s2 * k;
    out[o + n3] = s3 * k;
  }
  const k = rc[cnt]!;
  for (let i = 0; i < p3; i++, r++, l++, o++) {
    s0 = fr(fr(s0 + input[r]!) - input[l]!);
    s1 = fr(fr(s1 + input[r + n]!) - input[l + n]!);
    s2 = fr(fr(s2 + input[r + n2]!) - input[l + n2]!);
    s3 = fr(fr(s3 + input[r + n3]!) - input[l + n3]!);
    out[o] = s0 * k;
    out[o + n] = s1 * k;
    out[o + n2] = s2 * k;
    out[o + n3] = s3 * k;
  }
  for (let i = 0; i < p4; i++, l++, o++) {
    s0 = fr(s0 - input[l]!);
    s1 = fr(s1 - input[l + n]!);
    s2 = fr(s2 - input[l + n2]!);
    s3 = fr(s3 - input[l + n3]!);
    const k = rc[--cnt]!;
    out[o] = s0 * k;
    out[o + n] = s1 * k;
    out[o + n2] = s2 * k;
    out[o + n3] = s3 * k;
  }
}

/** Horizontal box filter of `rows` consecutive rows (4 at a time, the rest one by one). */
function boxRows(input: Float32Array, inOff: number, out: Float32Array, outOff: number, rows: number, n: number, w: number, rc: Float64Array): void {
  let r = 0;
  for (; r + 4 <= rows; r += 4) box1DRows4(input, inOff + r * n, out, outOff + r * n, n, w, rc);
  for (; r < rows; r++) box1D(input, inOff + r * n, out, outOff + r * n, n, w, rc);
}

/** sums[j] += a[j] (phase 1 of the vertical filter). */
function vAccumulate(sums: Float32Array, a: Float32Array, aOff: number, width: number): void {
  for (let j = 0; j < width; j++) sums[j] = sums[j]! + a[aOff + j]!;
}

/** sums[j] += a[j]; out[j] = sums[j]/count (phase 2). */
function vGrow(sums: Float32Array, a: Float32Array, aOff: number, out: Float32Array, outOff: number, width: number, k: number): void {
  const fr = Math.fround;
  for (let j = 0; j < width; j++) {
    const s = fr(sums[j]! + a[aOff + j]!);
    sums[j] = s;
    out[outOff + j] = s * k;
  }
}

/** sums[j] += a[j]; sums[j] -= b[j]; out[j] = sums[j]/count (phase 3). */
function vSlide(sums: Float32Array, a: Float32Array, aOff: number, bOff: number, out: Float32Array, outOff: number, width: number, k: number): void {
  const fr = Math.fround;
  for (let j = 0; j < width; j++) {
    const s = fr(fr(sums[j]! + a[aOff + j]!) - a[bOff + j]!);
    sums[j] = s;
    out[outOff + j] = s * k;
  }
}

/** sums[j] -= b[j]; out[j] = sums[j]/count (phase 4). */
function vShrink(sums: Float32Array, a: Float32Array, bOff: number, out: Float32Array, outOff: number, width: number, k: number): void {
  const fr = Math.fround;
  for (let j = 0; j < width; j++) {
    const s = fr(sums[j]! - a[bOff + j]!);
    sums[j] = s;
    out[outOff + j] = s * k;
  }
}

/**
 * Streaming vertical box1DFloat over rows of `width` floats held in a ring of `ringRows` rows: input row i lives at
 * ring offset (i % ringRows)·width. step() consumes the next input row and returns whether it wrote an output row
 * (rows come out in order); drain() writes one of the final phase-4 rows. Each column goes through exactly the C++
 * float operations, in the same order.
 */
class VerticalBox {
  readonly ring: Float32Array;
  readonly sums: Float32Array;
  private readonly half: number;
  private readonly rc: Float64Array;
  private ri = 0;
  private li = 0;
  private cnt = 0;
  drained = 0;

  constructor(
    readonly width: number,
    readonly n: number,
    readonly w: number,
    readonly ringRows: number,
  ) {
    if (ringRows < w + 1) throw new Error('ring too small');
    this.half = (w + 2) >> 1;
    this.ring = new Float32Array(ringRows * width);
    this.sums = new Float32Array(width);
    this.rc = reciprocals(w);
  }

  /** Ring offset where input row `i` must be stored. */
  offsetOf(i: number): number {
    return (i % this.ringRows) * this.width;
  }

  step(out: Float32Array, outOff: number): boolean {
    const rOff = this.offsetOf(this.ri++);
    if (this.ri < this.half) {
      vAccumulate(this.sums, this.ring, rOff, this.width);
      this.cnt++;
      return false;
    }
    if (this.ri <= this.w) {
      vGrow(this.sums, this.ring, rOff, out, outOff, this.width, this.rc[++this.cnt]!);
      return true;
    }
    vSlide(this.sums, this.ring, rOff, this.offsetOf(this.li++), out, outOff, this.width, this.rc[this.cnt]!);
    return true;
  }

  /** Number of phase-4 rows still to drain once all n rows went through step(). */
  get remaining(): number {
    return this.half - 1 - this.drained;
  }

  drain(out: Float32Array, outOff: number): void {
    vShrink(this.sums, this.ring, this.offsetOf(this.li++), out, outOff, this.width, this.rc[--this.cnt]!);
    this.drained++;
  }
}

const BATCH = 4;

/**
 * Luma → 64×64 float buffer (row-major), as pdqFloat256FromFloatLuma (forceBlur = false: a 64×64 input is used as
 * is) or pdqDihedralHash256esFromFloatLuma (forceBlur = true: always filtered).
 *
 * Dataflow, four rows at a time: luma → horizontal pass 1 straight into the ring of vertical pass 1 → vertical pass
 * 1 (whole rows) → horizontal pass 2 (full running sums; the 64 sampled columns are kept) → vertical pass 2 over
 * those 64 columns → the 64 sampled rows.
 */
export function downsampleTo64(source: LumaRowSource, width: number, height: number, forceBlur: boolean): Float32Array {
  const out = new Float32Array(DIM * DIM);
  if (width === DIM && height === DIM && !forceBlur) {
    for (let y = 0; y < DIM; y++) source(y, out, y * DIM);
    return out;
  }
  const wRows = jaroszWindow(width); // along each row (horizontal)
  const wCols = jaroszWindow(height); // along each column (vertical)
  const rcRows = reciprocals(wRows);
  const colIdx = decimationIndices(width);
  const rowIdx = decimationIndices(height);

  // Ring of vertical pass 1: a multiple of BATCH rows, so each batch of four rows written by pass 1 is contiguous,
  // and BATCH - 1 rows more than the window needs, since a whole batch is written ahead of its use.
  const ring1Rows = Math.ceil((wCols + BATCH) / BATCH) * BATCH;
  const v1 = new VerticalBox(width, height, wCols, ring1Rows);
  const v2 = new VerticalBox(DIM, height, wCols, wCols + 1);
  const lumaRows = new Float32Array(BATCH * width);
  const h2In = new Float32Array(BATCH * width);
  const h2Out = new Float32Array(BATCH * width);
  const v2Row = new Float32Array(DIM);
  let h2Count = 0;
  let v2In = 0; // rows pushed into v2
  let v2Out = 0; // rows emitted by v2
  let wanted = 0; // next index into rowIdx

  const emitV2 = (): void => {
    const oi = v2Out++;
    while (wanted < DIM && rowIdx[wanted] === oi) out.set(v2Row, DIM * wanted++);
  };
  const flushH2 = (): void => {
    boxRows(h2In, 0, h2Out, 0, h2Count, width, wRows, rcRows);
    for (let r = 0; r < h2Count; r++) {
      const slot = v2.offsetOf(v2In++);
      const rowOff = r * width;
      for (let k = 0; k < DIM; k++) v2.ring[slot + k] = h2Out[rowOff + colIdx[k]!]!;
      if (v2.step(v2Row, 0)) emitV2();
    }
    h2Count = 0;
  };

  for (let y = 0; y < height; y += BATCH) {
    const m = Math.min(BATCH, height - y);
    for (let r = 0; r < m; r++) source(y + r, lumaRows, r * width);
    boxRows(lumaRows, 0, v1.ring, v1.offsetOf(y), m, width, wRows, rcRows);
    for (let r = 0; r < m; r++) {
      if (v1.step(h2In, h2Count * width) && ++h2Count === BATCH) flushH2();
    }
  }
  while (v1.remaining > 0) {
    v1.drain(h2In, h2Count * width);
    if (++h2Count === BATCH) flushH2();
  }
  flushH2();
  while (v2.remaining > 0) {
    v2.drain(v2Row, 0);
    emitV2();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Quality, DCT, median, bits.

/** pdqImageDomainQualityMetric. */
export function qualityMetric(a: Float32Array): number {
  const fr = Math.fround;
  let g = 0;
  for (let i = 0; i < 63; i++) {
    for (let j = 0; j < 64; j++) {
      const d = Math.trunc(fr(fr(fr(a[i * 64 + j]! - a[(i + 1) * 64 + j]!) * 100) / 255));
      g += Math.abs(d);
    }
  }
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 63; j++) {
      const d = Math.trunc(fr(fr(fr(a[i * 64 + j]! - a[i * 64 + j + 1]!) * 100) / 255));
      g += Math.abs(d);
    }
  }
  return Math.min(100, Math.trunc(g / 90));
}

/** The 16×64 DCT matrix (float32), D[u][x] = float(float(sqrt(2/64)) · cos(π/2/64 · (u+1) · (2x+1))). */
export const DCT_MATRIX: Float32Array = (() => {
  const d = new Float32Array(16 * 64);
  const scale = Math.fround(Math.sqrt(2.0 / 64));
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 64; j++) d[i * 64 + j] = scale * Math.cos((Math.PI / 2.0 / 64) * (i + 1) * (2 * j + 1));
  }
  return d;
})();

/** dct64To16: B = D·A·Dᵀ with float32 accumulation in the C++ order. Returns 16×16 row-major. */
export function dct64To16(a: Float32Array): Float32Array {
  const D = DCT_MATRIX;
  const fr = Math.fround;
  const t = new Float32Array(16 * 64);
  for (let i = 0; i < 16; i++) {
    const dOff = i * 64;
    for (let j = 0; j < 64; j++) {
      let s = 0;
      for (let k = 0; k < 64; k++) s = fr(s + fr(D[dOff + k]! * a[k * 64 + j]!));
      t[i * 64 + j] = s;
    }
  }
  const b = new Float32Array(256);
  for (let i = 0; i < 16; i++) {
    const tOff = i * 64;
    for (let j = 0; j < 16; j++) {
      const dOff = j * 64;
      let s = 0;
      for (let k = 0; k < 64; k++) s = fr(s + fr(t[tOff + k]! * D[dOff + k]!));
      b[i * 16 + j] = s;
    }
  }
  return b;
}

/** Torben's median for n = 256: the 128th smallest value. */
export function median256(m: Float32Array): number {
  const sorted = Float32Array.from(m).sort();
  return sorted[127]!;
}

/** pdqBuffer16x16ToBits + Hash256::format: bit k = 16u+v set iff B[u][v] > median; words printed w[15]..w[0]. */
export function dctToHex(b: Float32Array): string {
  const med = median256(b);
  let hex = '';
  for (let u = 15; u >= 0; u--) {
    let word = 0;
    for (let v = 0; v < 16; v++) if (b[u * 16 + v]! > med) word |= 1 << v;
    hex += word.toString(16).padStart(4, '0');
  }
  return hex;
}

/** The DCT-domain dihedral transforms (dct16OriginalTo*), in DIHEDRAL_NAMES order. */
export function dihedralDcts(a: Float32Array): Float32Array[] {
  const out: Float32Array[] = [];
  for (let t = 0; t < 8; t++) out.push(new Float32Array(256));
  const [orig, r90, r180, r270, fx, fy, fp1, fm1] = out as [
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      const x = a[i * 16 + j]!;
      const ij = i * 16 + j;
      const ji = j * 16 + i;
      orig[ij] = x;
      r90[ji] = j & 1 ? x : -x;
      r180[ij] = (i + j) & 1 ? -x : x;
      r270[ji] = i & 1 ? x : -x;
      fx[ij] = i & 1 ? x : -x;
      fy[ij] = j & 1 ? x : -x;
      fp1[ji] = x;
      fm1[ji] = (i + j) & 1 ? -x : x;
    }
  }
  return out;
}

export const ZERO_HASH = '0'.repeat(64);

/** The core: luma rows → {16×16 DCT, quality}; null when too small. */
export function pdqDctFromSource(
  source: LumaRowSource,
  width: number,
  height: number,
  forceBlur = false,
): { dct: Float32Array; quality: number } | null {
  if (width < PDQ_MIN_HASHABLE_DIM || height < PDQ_MIN_HASHABLE_DIM) return null;
  const a = downsampleTo64(source, width, height, forceBlur);
  const quality = qualityMetric(a);
  return { dct: dct64To16(a), quality };
}

/** PDQ from luma rows: what pdqhash.compute (and, with dihedral, compute_dihedral) returns. */
export function pdqFromSource(source: LumaRowSource, width: number, height: number, opts: { dihedral?: boolean } = {}): PdqResult {
  const main = pdqDctFromSource(source, width, height, false);
  if (!main) {
    const r: PdqResult = { hash: ZERO_HASH, quality: 0 };
    if (opts.dihedral) r.dihedral = Array.from({ length: 8 }, () => ZERO_HASH);
    return r;
  }
  const result: PdqResult = { hash: dctToHex(main.dct), quality: main.quality };
  if (opts.dihedral) {
    // The C++ dihedral entry point always blurs; only a 64×64 input can differ from the plain hash.
    const dct = width === DIM && height === DIM ? pdqDctFromSource(source, width, height, true)!.dct : main.dct;
    result.dihedral = dihedralDcts(dct).map(dctToHex);
  }
  return result;
}

/**
 * PDQ of interleaved 8-bit pixels (1 = grey, 2 = grey+alpha, 3 = RGB, 4 = RGBA; alpha ignored), as HMA computes it
 * on the same pixels.
 */
export function pdqFromRgb(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: PixelChannels = 3,
  opts: { dihedral?: boolean } = {},
): PdqResult {
  return pdqFromSource(rgbLumaSource(pixels, width, height, channels), width, height, opts);
}

/** PDQ of a float32 luma plane (the PDQ conformance input: same luma → same hash). */
export function pdqFromLuma(luma: Float32Array, width: number, height: number, opts: { dihedral?: boolean } = {}): PdqResult {
  return pdqFromSource(floatLumaSource(luma, width, height), width, height, opts);
}

// ---------------------------------------------------------------------------------------------------------------
// Hamming distance: the bank index's helpers (64-digit hex, either case; TypeError on malformed input).

export { isPdqHex, pdqDistance as pdqHamming } from '../banks/pdq-index-bits';

/** Number of set bits in a PDQ hash (128 for almost every real image). */
export function pdqWeight(hex: string): number {
  return pdqDistance(hex, ZERO_HASH);
}
