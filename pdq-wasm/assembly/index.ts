// pdq-wasm: the heavy half of PDQ — luma, the two-pass Jarosz box filter with 64×64 decimation, the quality metric
// and the 64→16 DCT — in WebAssembly (AssemblyScript), bit-exact with electron/services/hashing/pdq.ts and the C++
// reference (see /work/shared/docs/pdq.md). The TypeScript side does the median, the bits and the dihedral variants.
//
// Float semantics: every quantity the C++ keeps in a float is an f32 here, and each +, −, ×, / is one IEEE f32
// operation (wasm never fuses or widens). Luma is computed in f64 (numpy) and rounded to f32, as the binding does.
// Horizontal passes divide by the window count via an f64 reciprocal rounded to f32 (exact, see pdq.ts `reciprocals`);
// vertical passes use f32x4 division, which is the C++ operation itself.
//
// Streaming: rows arrive in batches (begin → rows … → finish), so memory is O(width × window), never the whole image.

const DIM: i32 = 64;
const BATCH: i32 = 4;

// ---- bump allocation of this call's buffers (reset by begin) ----------------------------------------------------
let heapTop: usize = 0;

function alloc(bytes: i32): usize {
  const p = (heapTop + 15) & ~(<usize>15);
  heapTop = p + <usize>bytes;
  const pages = <i32>((heapTop + 0xffff) >> 16);
  const have = memory.size();
  if (pages > have) memory.grow(pages - have);
  return p;
}

// ---- state of one image -------------------------------------------------------------------------------------------
let W: i32 = 0;
let H: i32 = 0;
let CH: i32 = 0;
let direct: bool = false; // 64×64 without forced blur: the luma is the 64×64 buffer
let wRows: i32 = 0; // horizontal window
let wCols: i32 = 0; // vertical window
let rcRows: usize = 0; // f64 reciprocals 1/c, c = 0..wRows
let colIdx: usize = 0; // i32[64]
let rowIdx: usize = 0; // i32[64]
let inputPtr: usize = 0; // rows of pixels, written by JS
let inputRows: i32 = 0;
let lumaRows: usize = 0; // f32[BATCH × W]
let h2In: usize = 0;
let h2Out: usize = 0;
let v2Row: usize = 0; // f32[64]
let tIn: usize = 0; // f32[W × 4]: four rows interleaved (x-major), for the SIMD horizontal pass
let tOut: usize = 0;
let sampled: usize = 0; // f32[4 × 64]: the sampled columns of four rows after horizontal pass 2
let outPtr: usize = 0; // f32[64 × 64]
let dctTmp: usize = 0; // f32[16 × 64]
let dctOut: usize = 0; // f32[256]
let dctMatrix: usize = 0; // f32[16 × 64], written by JS once
let yNext: i32 = 0; // next source row
let h2Count: i32 = 0;
let v2In: i32 = 0;
let v2Out: i32 = 0;
let wanted: i32 = 0;

// Two streaming vertical box filters: v1 over whole rows (width W), v2 over the 64 sampled columns.
let v1Ring: usize = 0;
let v1Sums: usize = 0;
let v1RingRows: i32 = 0;
let v1Half: i32 = 0;
let v1Ri: i32 = 0;
let v1Li: i32 = 0;
let v1Cnt: i32 = 0;
let v1Drained: i32 = 0;
let v2Ring: usize = 0;
let v2Sums: usize = 0;
let v2RingRows: i32 = 0;
let v2Half: i32 = 0;
let v2Ri: i32 = 0;
let v2Li: i32 = 0;
let v2Cnt: i32 = 0;
let v2Drained: i32 = 0;

/** Where JS puts the 16×64 DCT matrix (computed in JS, so both cores use the very same floats). */
export function dctMatrixPtr(): usize {
  if (dctMatrix == 0) {
    heapTop = __heap_base;
    dctMatrix = alloc(16 * 64 * 4);
  }
  return dctMatrix;
}

/**
 * Starts an image of w×h pixels with ch interleaved 8-bit channels (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA). Returns
 * the address where JS writes up to inputCapacity() rows of pixels before each rows() call.
 */
export function begin(w: i32, h: i32, ch: i32, forceBlur: bool): usize {
  dctMatrixPtr();
  heapTop = dctMatrix + 16 * 64 * 4;
  W = w;
  H = h;
  CH = ch;
  direct = w == DIM && h == DIM && !forceBlur;
  yNext = 0;
  h2Count = 0;
  v2In = 0;
  v2Out = 0;
  wanted = 0;
  outPtr = alloc(DIM * DIM * 4);
  dctTmp = alloc(16 * 64 * 4);
  dctOut = alloc(256 * 4);
  inputRows = max<i32>(1, min<i32>(64, (1 << 20) / max<i32>(1, w * ch)));
  inputRows = (inputRows + BATCH - 1) / BATCH * BATCH;
  inputPtr = alloc(inputRows * w * ch + 16);
  lumaRows = alloc(BATCH * w * 4 + 16);
  if (direct) return inputPtr;
  wRows = (w + 2 * DIM - 1) / (2 * DIM);
  wCols = (h + 2 * DIM - 1) / (2 * DIM);
  rcRows = alloc((wRows + 1) * 8);
  for (let c = 1; c <= wRows; c++) store<f64>(rcRows + (<usize>c << 3), 1.0 / <f64>c);
  colIdx = alloc(DIM * 4);
  rowIdx = alloc(DIM * 4);
  for (let i = 0; i < DIM; i++) {
    store<i32>(colIdx + (<usize>i << 2), <i32>Math.floor(((<f64>i + 0.5) * <f64>w) / <f64>DIM));
    store<i32>(rowIdx + (<usize>i << 2), <i32>Math.floor(((<f64>i + 0.5) * <f64>h) / <f64>DIM));
  }
  // v1: a multiple of BATCH rows, BATCH − 1 more than the window needs (a whole batch is written ahead of use).
  v1RingRows = ((wCols + BATCH + BATCH - 1) / BATCH) * BATCH;
  v1Ring = alloc(v1RingRows * w * 4 + 16);
  v1Sums = alloc(w * 4 + 16);
  memory.fill(v1Sums, 0, w * 4);
  v1Half = (wCols + 2) >> 1;
  v1Ri = 0;
  v1Li = 0;
  v1Cnt = 0;
  v1Drained = 0;
  v2RingRows = wCols + 1;
  v2Ring = alloc(v2RingRows * DIM * 4);
  v2Sums = alloc(DIM * 4);
  memory.fill(v2Sums, 0, DIM * 4);
  v2Half = (wCols + 2) >> 1;
  v2Ri = 0;
  v2Li = 0;
  v2Cnt = 0;
  v2Drained = 0;
  h2In = alloc(BATCH * w * 4 + 16);
  h2Out = alloc(BATCH * w * 4 + 16);
  v2Row = alloc(DIM * 4);
  tIn = alloc(BATCH * w * 4 + 16);
  tOut = alloc(BATCH * w * 4 + 16);
  sampled = alloc(BATCH * DIM * 4);
  return inputPtr;
}

export function inputCapacity(): i32 {
  return inputRows;
}

// ---- luma ---------------------------------------------------------------------------------------------------------

/** f32 luma of one row of pixels at src into dst (numpy: R*0.299 + G*0.587 + B*0.114 in f64, then f32). */
function lumaRow(src: usize, dst: usize): void {
  const w = W;
  if (CH <= 2) {
    for (let x = 0; x < w; x++) {
      const v = <f64>load<u8>(src + <usize>(x * CH));
      store<f32>(dst + (<usize>x << 2), <f32>(v * 0.299 + v * 0.587 + v * 0.114));
    }
    return;
  }
  const step = <usize>CH;
  let p = src;
  let x = 0;
  if (CH == 3) {
    // Four pixels at a time in f64x2 lanes: same operations, same order, per pixel.
    const kr = f64x2.splat(0.299);
    const kg = f64x2.splat(0.587);
    const kb = f64x2.splat(0.114);
    for (; x + 4 <= w && p + 16 <= src + <usize>(w * 3); x += 4, p += 12) {
      const px = v128.load(p);
      const r = i8x16.shuffle(px, px, 0, 3, 6, 9, 0, 3, 6, 9, 0, 3, 6, 9, 0, 3, 6, 9);
      const g = i8x16.shuffle(px, px, 1, 4, 7, 10, 1, 4, 7, 10, 1, 4, 7, 10, 1, 4, 7, 10);
      const b = i8x16.shuffle(px, px, 2, 5, 8, 11, 2, 5, 8, 11, 2, 5, 8, 11, 2, 5, 8, 11);
      const r32 = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(r));
      const g32 = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(g));
      const b32 = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(b));
      const lo = f64x2.add(
        f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_u(r32), kr), f64x2.mul(f64x2.convert_low_i32x4_u(g32), kg)),
        f64x2.mul(f64x2.convert_low_i32x4_u(b32), kb),
      );
      const rh = i8x16.shuffle(r32, r32, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15);
      const gh = i8x16.shuffle(g32, g32, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15);
      const bh = i8x16.shuffle(b32, b32, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15);
      const hi = f64x2.add(
        f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_u(rh), kr), f64x2.mul(f64x2.convert_low_i32x4_u(gh), kg)),
        f64x2.mul(f64x2.convert_low_i32x4_u(bh), kb),
      );
      const f = i8x16.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
      v128.store(dst + (<usize>x << 2), f);
    }
  }
  for (; x < w; x++, p += step) {
    const r = <f64>load<u8>(p);
    const g = <f64>load<u8>(p, 1);
    const b = <f64>load<u8>(p, 2);
    store<f32>(dst + (<usize>x << 2), <f32>(r * 0.299 + g * 0.587 + b * 0.114));
  }
}

// ---- horizontal box filter (box1DFloat along a row) ----------------------------------------------------------------

/** Four rows (n floats apart) at once, interleaved so the four running sums overlap (each is latency-bound). */
function boxRows4(inp: usize, out: usize, n: i32, w: i32): void {
  const half = (w + 2) >> 1;
  const p1 = half - 1;
  const p2 = w - half + 1;
  const p3 = n - w;
  const p4 = half - 1;
  const s = <usize>n << 2;
  let s0: f32 = 0;
  let s1: f32 = 0;
  let s2: f32 = 0;
  let s3: f32 = 0;
  let r = inp;
  let l = inp;
  let o = out;
  let cnt = 0;
  for (let i = 0; i < p1; i++, r += 4) {
    s0 += load<f32>(r);
    s1 += load<f32>(r + s);
    s2 += load<f32>(r + 2 * s);
    s3 += load<f32>(r + 3 * s);
    cnt++;
  }
  for (let i = 0; i < p2; i++, r += 4, o += 4) {
    s0 += load<f32>(r);
    s1 += load<f32>(r + s);
    s2 += load<f32>(r + 2 * s);
    s3 += load<f32>(r + 3 * s);
    cnt++;
    const k = load<f64>(rcRows + (<usize>cnt << 3));
    store<f32>(o, <f32>(<f64>s0 * k));
    store<f32>(o + s, <f32>(<f64>s1 * k));
    store<f32>(o + 2 * s, <f32>(<f64>s2 * k));
    store<f32>(o + 3 * s, <f32>(<f64>s3 * k));
  }
  const k = load<f64>(rcRows + (<usize>cnt << 3));
  for (let i = 0; i < p3; i++, r += 4, l += 4, o += 4) {
    s0 = s0 + load<f32>(r) - load<f32>(l);
    s1 = s1 + load<f32>(r + s) - load<f32>(l + s);
    s2 = s2 + load<f32>(r + 2 * s) - load<f32>(l + 2 * s);
    s3 = s3 + load<f32>(r + 3 * s) - load<f32>(l + 3 * s);
    store<f32>(o, <f32>(<f64>s0 * k));
    store<f32>(o + s, <f32>(<f64>s1 * k));
    store<f32>(o + 2 * s, <f32>(<f64>s2 * k));
    store<f32>(o + 3 * s, <f32>(<f64>s3 * k));
  }
  for (let i = 0; i < p4; i++, l += 4, o += 4) {
    s0 -= load<f32>(l);
    s1 -= load<f32>(l + s);
    s2 -= load<f32>(l + 2 * s);
    s3 -= load<f32>(l + 3 * s);
    cnt--;
    const kk = load<f64>(rcRows + (<usize>cnt << 3));
    store<f32>(o, <f32>(<f64>s0 * kk));
    store<f32>(o + s, <f32>(<f64>s1 * kk));
    store<f32>(o + 2 * s, <f32>(<f64>s2 * kk));
    store<f32>(o + 3 * s, <f32>(<f64>s3 * kk));
  }
}

function box1(inp: usize, out: usize, n: i32, w: i32): void {
  const half = (w + 2) >> 1;
  const p1 = half - 1;
  const p2 = w - half + 1;
  const p3 = n - w;
  const p4 = half - 1;
  let sum: f32 = 0;
  let r = inp;
  let l = inp;
  let o = out;
  let cnt = 0;
  for (let i = 0; i < p1; i++, r += 4) {
    sum += load<f32>(r);
    cnt++;
  }
  for (let i = 0; i < p2; i++, r += 4, o += 4) {
    sum += load<f32>(r);
    cnt++;
    store<f32>(o, <f32>(<f64>sum * load<f64>(rcRows + (<usize>cnt << 3))));
  }
  const k = load<f64>(rcRows + (<usize>cnt << 3));
  for (let i = 0; i < p3; i++, r += 4, l += 4, o += 4) {
    sum = sum + load<f32>(r) - load<f32>(l);
    store<f32>(o, <f32>(<f64>sum * k));
  }
  for (let i = 0; i < p4; i++, l += 4, o += 4) {
    sum -= load<f32>(l);
    cnt--;
    store<f32>(o, <f32>(<f64>sum * load<f64>(rcRows + (<usize>cnt << 3))));
  }
}

/** Four rows of n floats (row-major, n apart) → interleaved (x-major: row0[x], row1[x], row2[x], row3[x], …). */
function interleave4(inp: usize, out: usize, n: i32): void {
  const s = <usize>n << 2;
  let x = 0;
  for (; x + 4 <= n; x += 4) {
    const o = <usize>x << 2;
    const a0 = v128.load(inp + o);
    const a1 = v128.load(inp + s + o);
    const a2 = v128.load(inp + 2 * s + o);
    const a3 = v128.load(inp + 3 * s + o);
    const t0 = v128.shuffle<f32>(a0, a1, 0, 4, 1, 5);
    const t1 = v128.shuffle<f32>(a0, a1, 2, 6, 3, 7);
    const t2 = v128.shuffle<f32>(a2, a3, 0, 4, 1, 5);
    const t3 = v128.shuffle<f32>(a2, a3, 2, 6, 3, 7);
    const d = out + (o << 2);
    v128.store(d, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
    v128.store(d, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 16);
    v128.store(d, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 32);
    v128.store(d, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 48);
  }
  for (; x < n; x++) {
    const o = <usize>x << 2;
    const d = out + (o << 2);
    store<f32>(d, load<f32>(inp + o));
    store<f32>(d, load<f32>(inp + s + o), 4);
    store<f32>(d, load<f32>(inp + 2 * s + o), 8);
    store<f32>(d, load<f32>(inp + 3 * s + o), 12);
  }
}

/** The inverse of interleave4 (the 4×4 transpose is its own inverse). */
function deinterleave4(inp: usize, out: usize, n: i32): void {
  const s = <usize>n << 2;
  let x = 0;
  for (; x + 4 <= n; x += 4) {
    const o = <usize>x << 2;
    const src = inp + (o << 2);
    const a0 = v128.load(src);
    const a1 = v128.load(src, 16);
    const a2 = v128.load(src, 32);
    const a3 = v128.load(src, 48);
    const t0 = v128.shuffle<f32>(a0, a1, 0, 4, 1, 5);
    const t1 = v128.shuffle<f32>(a0, a1, 2, 6, 3, 7);
    const t2 = v128.shuffle<f32>(a2, a3, 0, 4, 1, 5);
    const t3 = v128.shuffle<f32>(a2, a3, 2, 6, 3, 7);
    v128.store(out + o, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
    v128.store(out + s + o, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
    v128.store(out + 2 * s + o, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
    v128.store(out + 3 * s + o, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
  }
  for (; x < n; x++) {
    const o = <usize>x << 2;
    const src = inp + (o << 2);
    store<f32>(out + o, load<f32>(src));
    store<f32>(out + s + o, load<f32>(src, 4));
    store<f32>(out + 2 * s + o, load<f32>(src, 8));
    store<f32>(out + 3 * s + o, load<f32>(src, 12));
  }
}

/** box1DFloat on four interleaved rows at once, one row per f32x4 lane (division: the C++ operation itself). */
function boxInterleaved(inp: usize, out: usize, n: i32, w: i32): void {
  const half = (w + 2) >> 1;
  const p1 = half - 1;
  const p2 = w - half + 1;
  const p3 = n - w;
  const p4 = half - 1;
  let sum = f32x4.splat(0);
  let r = inp;
  let l = inp;
  let o = out;
  let cnt = 0;
  for (let i = 0; i < p1; i++, r += 16) {
    sum = f32x4.add(sum, v128.load(r));
    cnt++;
  }
  for (let i = 0; i < p2; i++, r += 16, o += 16) {
    sum = f32x4.add(sum, v128.load(r));
    cnt++;
    v128.store(o, f32x4.div(sum, f32x4.splat(<f32>cnt)));
  }
  const c = f32x4.splat(<f32>cnt);
  for (let i = 0; i < p3; i++, r += 16, l += 16, o += 16) {
    sum = f32x4.sub(f32x4.add(sum, v128.load(r)), v128.load(l));
    v128.store(o, f32x4.div(sum, c));
  }
  for (let i = 0; i < p4; i++, l += 16, o += 16) {
    sum = f32x4.sub(sum, v128.load(l));
    cnt--;
    v128.store(o, f32x4.div(sum, f32x4.splat(<f32>cnt)));
  }
}

/**
 * Horizontal pass 2 of four interleaved rows, keeping only the 64 sampled columns: the running sums go through every
 * column (same float operations), the divisions only where a column is sampled. Writes sampled[r·64 + k].
 */
function boxInterleavedSampled(inp: usize, n: i32, w: i32): void {
  const half = (w + 2) >> 1;
  const p1 = half - 1;
  const p2 = w - half + 1;
  const p3 = n - w;
  const p4 = half - 1;
  let sum = f32x4.splat(0);
  let r = inp;
  let l = inp;
  let cnt = 0;
  let oi = 0; // output column index
  let k = 0; // next sampled column
  let next = load<i32>(colIdx);
  for (let i = 0; i < p1; i++, r += 16) {
    sum = f32x4.add(sum, v128.load(r));
    cnt++;
  }
  for (let i = 0; i < p2; i++, r += 16, oi++) {
    sum = f32x4.add(sum, v128.load(r));
    cnt++;
    while (next == oi) {
      keepSample(k, f32x4.div(sum, f32x4.splat(<f32>cnt)));
      k++;
      next = k < DIM ? load<i32>(colIdx + (<usize>k << 2)) : -1;
    }
  }
  const c = f32x4.splat(<f32>cnt);
  for (let i = 0; i < p3; i++, r += 16, l += 16, oi++) {
    sum = f32x4.sub(f32x4.add(sum, v128.load(r)), v128.load(l));
    while (next == oi) {
      keepSample(k, f32x4.div(sum, c));
      k++;
      next = k < DIM ? load<i32>(colIdx + (<usize>k << 2)) : -1;
    }
  }
  for (let i = 0; i < p4; i++, l += 16, oi++) {
    sum = f32x4.sub(sum, v128.load(l));
    cnt--;
    while (next == oi) {
      keepSample(k, f32x4.div(sum, f32x4.splat(<f32>cnt)));
      k++;
      next = k < DIM ? load<i32>(colIdx + (<usize>k << 2)) : -1;
    }
  }
}

@inline function keepSample(k: i32, v: v128): void {
  const at = sampled + (<usize>k << 2);
  store<f32>(at, f32x4.extract_lane(v, 0));
  store<f32>(at, f32x4.extract_lane(v, 1), DIM * 4);
  store<f32>(at, f32x4.extract_lane(v, 2), DIM * 8);
  store<f32>(at, f32x4.extract_lane(v, 3), DIM * 12);
}

function boxRows(inp: usize, out: usize, rows: i32, n: i32, w: i32): void {
  let r = 0;
  const stride = <usize>n << 2;
  for (; r + 4 <= rows; r += 4) boxRows4(inp + <usize>r * stride, out + <usize>r * stride, n, w);
  for (; r < rows; r++) box1(inp + <usize>r * stride, out + <usize>r * stride, n, w);
}

// ---- vertical box filter (f32x4 across columns) --------------------------------------------------------------------

/** sums += a; if write: out = sums / cnt. */
function vAdd(sums: usize, a: usize, out: usize, width: i32, cnt: i32, write: bool): void {
  const c = f32x4.splat(<f32>cnt);
  let j = 0;
  for (; j + 4 <= width; j += 4) {
    const o = <usize>j << 2;
    const s = f32x4.add(v128.load(sums + o), v128.load(a + o));
    v128.store(sums + o, s);
    if (write) v128.store(out + o, f32x4.div(s, c));
  }
  for (; j < width; j++) {
    const o = <usize>j << 2;
    const s = load<f32>(sums + o) + load<f32>(a + o);
    store<f32>(sums + o, s);
    if (write) store<f32>(out + o, s / <f32>cnt);
  }
}

/** sums = (sums + a) − b; out = sums / cnt. */
function vSlide(sums: usize, a: usize, b: usize, out: usize, width: i32, cnt: i32): void {
  const c = f32x4.splat(<f32>cnt);
  let j = 0;
  for (; j + 4 <= width; j += 4) {
    const o = <usize>j << 2;
    const s = f32x4.sub(f32x4.add(v128.load(sums + o), v128.load(a + o)), v128.load(b + o));
    v128.store(sums + o, s);
    v128.store(out + o, f32x4.div(s, c));
  }
  for (; j < width; j++) {
    const o = <usize>j << 2;
    const s = load<f32>(sums + o) + load<f32>(a + o) - load<f32>(b + o);
    store<f32>(sums + o, s);
    store<f32>(out + o, s / <f32>cnt);
  }
}

/** sums −= b; out = sums / cnt. */
function vShrink(sums: usize, b: usize, out: usize, width: i32, cnt: i32): void {
  const c = f32x4.splat(<f32>cnt);
  let j = 0;
  for (; j + 4 <= width; j += 4) {
    const o = <usize>j << 2;
    const s = f32x4.sub(v128.load(sums + o), v128.load(b + o));
    v128.store(sums + o, s);
    v128.store(out + o, f32x4.div(s, c));
  }
  for (; j < width; j++) {
    const o = <usize>j << 2;
    const s = load<f32>(sums + o) - load<f32>(b + o);
    store<f32>(sums + o, s);
    store<f32>(out + o, s / <f32>cnt);
  }
}

@inline function v1Offset(i: i32): usize {
  return v1Ring + (<usize>((i % v1RingRows) * W) << 2);
}

@inline function v2Offset(i: i32): usize {
  return v2Ring + (<usize>((i % v2RingRows) * DIM) << 2);
}

/** Consumes the next input row of v1 (already in its ring); true when an output row was written to out. */
function v1Step(out: usize): bool {
  const rOff = v1Offset(v1Ri++);
  if (v1Ri < v1Half) {
    vAdd(v1Sums, rOff, 0, W, 0, false);
    v1Cnt++;
    return false;
  }
  if (v1Ri <= wCols) {
    v1Cnt++;
    vAdd(v1Sums, rOff, out, W, v1Cnt, true);
    return true;
  }
  vSlide(v1Sums, rOff, v1Offset(v1Li++), out, W, v1Cnt);
  return true;
}

function v2Step(out: usize): bool {
  const rOff = v2Offset(v2Ri++);
  if (v2Ri < v2Half) {
    vAdd(v2Sums, rOff, 0, DIM, 0, false);
    v2Cnt++;
    return false;
  }
  if (v2Ri <= wCols) {
    v2Cnt++;
    vAdd(v2Sums, rOff, out, DIM, v2Cnt, true);
    return true;
  }
  vSlide(v2Sums, rOff, v2Offset(v2Li++), out, DIM, v2Cnt);
  return true;
}

function emitV2(): void {
  const oi = v2Out++;
  while (wanted < DIM && load<i32>(rowIdx + (<usize>wanted << 2)) == oi) {
    memory.copy(outPtr + (<usize>(DIM * wanted) << 2), v2Row, DIM * 4);
    wanted++;
  }
}

function flushH2(): void {
  if (h2Count == BATCH) {
    interleave4(h2In, tIn, W);
    boxInterleavedSampled(tIn, W, wRows);
    for (let r = 0; r < BATCH; r++) {
      memory.copy(v2Offset(v2In++), sampled + (<usize>(r * DIM) << 2), DIM * 4);
      if (v2Step(v2Row)) emitV2();
    }
    h2Count = 0;
    return;
  }
  boxRows(h2In, h2Out, h2Count, W, wRows);
  for (let r = 0; r < h2Count; r++) {
    const slot = v2Offset(v2In++);
    const rowOff = h2Out + (<usize>(r * W) << 2);
    for (let k = 0; k < DIM; k++) store<f32>(slot + (<usize>k << 2), load<f32>(rowOff + (<usize>load<i32>(colIdx + (<usize>k << 2)) << 2)));
    if (v2Step(v2Row)) emitV2();
  }
  h2Count = 0;
}

/** Processes `count` rows of pixels JS wrote at the input address (count ≤ inputCapacity()). */
export function rows(count: i32): void {
  const rowBytes = <usize>(W * CH);
  if (direct) {
    for (let r = 0; r < count; r++) lumaRow(inputPtr + <usize>r * rowBytes, outPtr + (<usize>((yNext + r) * DIM) << 2));
    yNext += count;
    return;
  }
  for (let r0 = 0; r0 < count; r0 += BATCH) {
    const m = min<i32>(BATCH, count - r0);
    for (let r = 0; r < m; r++) lumaRow(inputPtr + <usize>(r0 + r) * rowBytes, lumaRows + (<usize>(r * W) << 2));
    // A batch of four rows lands contiguously in v1's ring (its row count is a multiple of four).
    if (m == BATCH) {
      interleave4(lumaRows, tIn, W);
      boxInterleaved(tIn, tOut, W, wRows);
      deinterleave4(tOut, v1Offset(yNext), W);
    } else boxRows(lumaRows, v1Offset(yNext), m, W, wRows);
    for (let r = 0; r < m; r++) {
      if (v1Step(h2In + (<usize>(h2Count * W) << 2))) {
        h2Count++;
        if (h2Count == BATCH) flushH2();
      }
    }
    yNext += m;
  }
}

// ---- quality and DCT -----------------------------------------------------------------------------------------------

function quality(a: usize): i32 {
  let g = 0;
  for (let i = 0; i < 63; i++) {
    for (let j = 0; j < 64; j++) {
      const u = load<f32>(a + (<usize>(i * 64 + j) << 2));
      const v = load<f32>(a + (<usize>((i + 1) * 64 + j) << 2));
      g += abs<i32>(<i32>(((u - v) * <f32>100) / <f32>255));
    }
  }
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 63; j++) {
      const u = load<f32>(a + (<usize>(i * 64 + j) << 2));
      const v = load<f32>(a + (<usize>(i * 64 + j + 1) << 2));
      g += abs<i32>(<i32>(((u - v) * <f32>100) / <f32>255));
    }
  }
  return min<i32>(100, g / 90);
}

/** B = D·A·Dᵀ with f32 accumulation in the C++ order (k ascending), four outputs per f32x4. */
function dct(a: usize): void {
  // T[i][j] = Σ_k D[i][k]·A[k][j], j in lanes.
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 64; j += 4) {
      let s = f32x4.splat(0);
      for (let k = 0; k < 64; k++) {
        const d = f32x4.splat(load<f32>(dctMatrix + (<usize>(i * 64 + k) << 2)));
        s = f32x4.add(s, f32x4.mul(d, v128.load(a + (<usize>(k * 64 + j) << 2))));
      }
      v128.store(dctTmp + (<usize>(i * 64 + j) << 2), s);
    }
  }
  // B[i][j] = Σ_k T[i][k]·D[j][k]: scalar (the matrix is read along rows).
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      let s: f32 = 0;
      for (let k = 0; k < 64; k++) s += load<f32>(dctTmp + (<usize>(i * 64 + k) << 2)) * load<f32>(dctMatrix + (<usize>(j * 64 + k) << 2));
      store<f32>(dctOut + (<usize>(i * 16 + j) << 2), s);
    }
  }
}

/** After all H rows: drains the filters, then quality and DCT. Returns quality; the DCT is at dctPtr(). */
export function finish(): i32 {
  if (!direct) {
    while (v1Half - 1 - v1Drained > 0) {
      v1Cnt--;
      vShrink(v1Sums, v1Offset(v1Li++), h2In + (<usize>(h2Count * W) << 2), W, v1Cnt);
      v1Drained++;
      h2Count++;
      if (h2Count == BATCH) flushH2();
    }
    flushH2();
    while (v2Half - 1 - v2Drained > 0) {
      v2Cnt--;
      vShrink(v2Sums, v2Offset(v2Li++), v2Row, DIM, v2Cnt);
      v2Drained++;
      emitV2();
    }
  }
  const q = quality(outPtr);
  dct(outPtr);
  return q;
}

export function dctPtr(): usize {
  return dctOut;
}
