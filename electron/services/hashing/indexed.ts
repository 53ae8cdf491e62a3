/**
 * Palette-index readers for PNG (colour type 3) and GIF (first frame).
 *
 * HMA's hasher (python-threatexchange pdq_hasher) passes `np.asarray(Image.open(...))` to pdqhash. For a palette
 * ("P") image that array holds the palette *indices*, not colours, stacked to three channels; so HMA's PDQ of a GIF or
 * of a palette PNG is the PDQ of its index plane. libvips always expands palettes, so to reproduce HMA we read the
 * indices ourselves. These readers handle untrusted input: every length is checked and failures throw HashError.
 */
import { inflateSync, constants as zconst } from 'node:zlib';
import { HashError } from './errors';

export interface IndexedImage {
  width: number;
  height: number;
  /** One byte per pixel: the palette index (grey value for a paletteless GIF), row-major. */
  indices: Uint8Array;
}

function corrupt(msg: string): HashError {
  return new HashError('corrupt', msg);
}

function checkPixels(width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new HashError('too_many_pixels', `image is ${width}x${height} = ${width * height} pixels, over the limit of ${maxPixels}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// PNG

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
  interlace: number;
}

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** IHDR fields, or null when the bytes do not start with a well-formed PNG signature + IHDR. */
export function readPngHeader(b: Uint8Array): PngHeader | null {
  if (b.length < 33) return null;
  for (let i = 0; i < 8; i++) if (b[i] !== PNG_SIG[i]) return null;
  if (u32(b, 8) !== 13 || b[12] !== 0x49 || b[13] !== 0x48 || b[14] !== 0x44 || b[15] !== 0x52) return null;
  return { width: u32(b, 16), height: u32(b, 20), bitDepth: b[24]!, colourType: b[25]!, interlace: b[28]! };
}

let crcTable: Int32Array | null = null;
function crc32(b: Uint8Array, start: number, end: number): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let c = -1;
  for (let i = start; i < end; i++) c = crcTable[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

const ADAM7: readonly (readonly [number, number, number, number])[] = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/** Palette indices of a colour-type-3 PNG (bit depth 1, 2, 4 or 8; Adam7 supported). */
export function decodePngIndices(b: Uint8Array, maxPixels: number): IndexedImage {
  const h = readPngHeader(b);
  if (!h) throw corrupt('PNG: bad signature or IHDR');
  const { width, height, bitDepth, colourType, interlace } = h;
  if (colourType !== 3) throw corrupt('PNG: not a palette image');
  if (![1, 2, 4, 8].includes(bitDepth)) throw corrupt(`PNG: bad palette bit depth ${bitDepth}`);
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) throw corrupt('PNG: bad dimensions');
  if (interlace > 1) throw corrupt('PNG: bad interlace method');
  checkPixels(width, height, maxPixels);

  // Chunks: verify CRCs of the critical chunks, gather IDAT.
  const idat: Uint8Array[] = [];
  let idatLen = 0;
  let o = 8;
  let sawIend = false;
  while (o + 12 <= b.length) {
    const len = u32(b, o);
    if (len > 0x7fffffff || o + 12 + len > b.length) break; // truncated chunk
    const type = String.fromCharCode(b[o + 4]!, b[o + 5]!, b[o + 6]!, b[o + 7]!);
    const critical = (b[o + 4]! & 0x20) === 0;
    if (critical && crc32(b, o + 4, o + 8 + len) !== u32(b, o + 8 + len)) throw corrupt(`PNG: CRC error in ${type}`);
    if (type === 'IDAT') {
      idat.push(b.subarray(o + 8, o + 8 + len));
      idatLen += len;
    } else if (type === 'IEND') {
      sawIend = true;
      break;
    }
    o += 12 + len;
  }
  if (idatLen === 0) throw corrupt('PNG: no image data');

  // Expected size of the filtered (raw) stream.
  const passes = interlace ? ADAM7 : ([[0, 0, 1, 1]] as const);
  let expected = 0;
  for (const [xs, ys, dx, dy] of passes) {
    const pw = Math.ceil((width - xs) / dx);
    const ph = Math.ceil((height - ys) / dy);
    if (pw > 0 && ph > 0) expected += ph * (1 + Math.ceil((pw * bitDepth) / 8));
  }
  const compressed = idat.length === 1 ? idat[0]! : Buffer.concat(idat, idatLen);
  let raw: Buffer;
  try {
    raw = inflateSync(compressed, { finishFlush: zconst.Z_SYNC_FLUSH, maxOutputLength: expected + 1 });
  } catch (e) {
    throw corrupt(`PNG: bad compressed data (${(e as Error).message})`);
  }
  if (raw.length < expected) throw corrupt(sawIend ? 'PNG: image data too short' : 'PNG: truncated');

  const out = new Uint8Array(width * height);
  let rp = 0;
  for (const [xs, ys, dx, dy] of passes) {
    const pw = Math.ceil((width - xs) / dx);
    const ph = Math.ceil((height - ys) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const stride = Math.ceil((pw * bitDepth) / 8);
    let prev = new Uint8Array(stride);
    let cur = new Uint8Array(stride);
    for (let y = 0; y < ph; y++) {
      const filter = raw[rp++]!;
      cur.set(raw.subarray(rp, rp + stride));
      rp += stride;
      unfilter(filter, cur, prev);
      const oy = ys + y * dy;
      const rowOff = oy * width;
      if (bitDepth === 8) {
        for (let x = 0; x < pw; x++) out[rowOff + xs + x * dx] = cur[x]!;
      } else {
        const perByte = 8 / bitDepth;
        const mask = (1 << bitDepth) - 1;
        for (let x = 0; x < pw; x++) {
          const byte = cur[(x / perByte) | 0]!;
          const shift = 8 - bitDepth * ((x % perByte) + 1);
          out[rowOff + xs + x * dx] = (byte >> shift) & mask;
        }
      }
      const t = prev;
      prev = cur;
      cur = t;
    }
  }
  return { width, height, indices: out };
}

/** PNG row unfilter in place; bytes-per-pixel is 1 for palette images. */
function unfilter(filter: number, cur: Uint8Array, prev: Uint8Array): void {
  const n = cur.length;
  switch (filter) {
    case 0:
      return;
    case 1:
      for (let i = 1; i < n; i++) cur[i] = (cur[i]! + cur[i - 1]!) & 0xff;
      return;
    case 2:
      for (let i = 0; i < n; i++) cur[i] = (cur[i]! + prev[i]!) & 0xff;
      return;
    case 3:
      cur[0] = (cur[0]! + (prev[0]! >> 1)) & 0xff;
      for (let i = 1; i < n; i++) cur[i] = (cur[i]! + ((cur[i - 1]! + prev[i]!) >> 1)) & 0xff;
      return;
    case 4:
      cur[0] = (cur[0]! + prev[0]!) & 0xff; // paeth(0, up, 0) = up
      for (let i = 1; i < n; i++) {
        const a = cur[i - 1]!;
        const bb = prev[i]!;
        const c = prev[i - 1]!;
        const p = a + bb - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - bb);
        const pc = Math.abs(p - c);
        cur[i] = (cur[i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? bb : c)) & 0xff;
      }
      return;
    default:
      throw corrupt(`PNG: bad filter type ${filter}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// GIF

const INTERLACE_PASSES: readonly (readonly [number, number])[] = [
  [0, 8],
  [4, 8],
  [2, 4],
  [1, 2],
];

/**
 * The first frame of a GIF as Pillow loads it (mode P, or L without palette): a canvas the size of the logical
 * screen (grown to contain the frame if it overflows), filled with the frame's transparent index or 0, with the
 * frame's indices painted at its offset.
 */
export function decodeGifIndices(b: Uint8Array, maxPixels: number): IndexedImage {
  if (b.length < 13) throw corrupt('GIF: truncated header');
  const sig = String.fromCharCode(...b.subarray(0, 6));
  if (sig !== 'GIF87a' && sig !== 'GIF89a') throw corrupt('GIF: bad signature');
  let screenW = b[6]! | (b[7]! << 8);
  let screenH = b[8]! | (b[9]! << 8);
  const flags = b[10]!;
  let o = 13;
  if (flags & 0x80) o += 3 << ((flags & 7) + 1);
  let transparency = -1;

  const need = (n: number): void => {
    if (o + n > b.length) throw corrupt('GIF: truncated');
  };
  const skipSubBlocks = (): void => {
    for (;;) {
      need(1);
      const len = b[o++]!;
      if (len === 0) return;
      need(len);
      o += len;
    }
  };

  for (;;) {
    need(1);
    const intro = b[o++]!;
    if (intro === 0x3b) throw corrupt('GIF: no image in file');
    if (intro === 0x21) {
      need(1);
      const label = b[o++]!;
      need(1);
      const first = b[o]!;
      if (label === 0xf9 && first >= 4) {
        need(1 + first);
        if (b[o + 1]! & 1) transparency = b[o + 4]!;
      }
      skipSubBlocks();
      continue;
    }
    if (intro !== 0x2c) continue; // Pillow skips stray bytes between blocks
    need(9);
    const x0 = b[o]! | (b[o + 1]! << 8);
    const y0 = b[o + 2]! | (b[o + 3]! << 8);
    const fw = b[o + 4]! | (b[o + 5]! << 8);
    const fh = b[o + 6]! | (b[o + 7]! << 8);
    const fflags = b[o + 8]!;
    o += 9;
    if (fflags & 0x80) {
      const n = 3 << ((fflags & 7) + 1);
      need(n);
      o += n;
    }
    need(1);
    const minCodeSize = b[o++]!;
    if (minCodeSize < 1 || minCodeSize > 11) throw corrupt(`GIF: bad LZW code size ${minCodeSize}`);
    screenW = Math.max(screenW, x0 + fw);
    screenH = Math.max(screenH, y0 + fh);
    if (screenW === 0 || screenH === 0) throw corrupt('GIF: empty image');
    checkPixels(screenW, screenH, maxPixels);
    const canvas = new Uint8Array(screenW * screenH);
    if (transparency > 0) canvas.fill(transparency);
    const frame = new Uint8Array(fw * fh);
    const written = lzwDecode(b, o, minCodeSize, frame);
    // Rows in file order → frame rows (interlaced GIFs store rows in four passes). Pixels the data did not reach
    // keep the fill, as in Pillow.
    const rowOrder = new Int32Array(fh);
    if (fflags & 0x40) {
      let r = 0;
      for (const [start, step] of INTERLACE_PASSES) for (let y = start; y < fh; y += step) rowOrder[r++] = y;
    } else {
      for (let y = 0; y < fh; y++) rowOrder[y] = y;
    }
    for (let r = 0; r < fh; r++) {
      const count = Math.min(fw, written - r * fw);
      if (count <= 0) break;
      canvas.set(frame.subarray(r * fw, r * fw + count), (y0 + rowOrder[r]!) * screenW + x0);
    }
    return { width: screenW, height: screenH, indices: canvas };
  }
}

/**
 * GIF LZW into `out` (pixels in file order). Returns the number of pixels written. An end code or block terminator
 * before the frame is full ends the frame (Pillow keeps the fill there); the file ending first (truncated) or an
 * invalid code throws.
 */
function lzwDecode(b: Uint8Array, start: number, minCodeSize: number, out: Uint8Array): number {
  const clear = 1 << minCodeSize;
  const eoi = clear + 1;
  const prefix = new Int16Array(4096);
  const suffix = new Uint8Array(4096);
  const firstByte = new Uint8Array(4096);
  const stack = new Uint8Array(4097);
  for (let i = 0; i < clear; i++) {
    suffix[i] = i;
    firstByte[i] = i;
    prefix[i] = -1;
  }
  let codeSize = minCodeSize + 1;
  let next = eoi + 1;
  let prev = -1;
  let bitBuf = 0;
  let bitCount = 0;
  let written = 0;
  let o = start;
  let blockLeft = 0;
  const total = out.length;

  for (;;) {
    if (written >= total) return written;
    // Refill bits from sub-blocks.
    while (bitCount < codeSize) {
      if (blockLeft === 0) {
        if (o >= b.length) throw corrupt('GIF: truncated image data');
        blockLeft = b[o++]!;
        if (blockLeft === 0) return written; // block terminator: end of image data
      }
      if (o >= b.length) throw corrupt('GIF: truncated image data');
      bitBuf |= b[o++]! << bitCount;
      bitCount += 8;
      blockLeft--;
    }
    const code = bitBuf & ((1 << codeSize) - 1);
    bitBuf >>>= codeSize;
    bitCount -= codeSize;

    if (code === clear) {
      codeSize = minCodeSize + 1;
      next = eoi + 1;
      prev = -1;
      continue;
    }
    if (code === eoi) return written;

    let c: number;
    let sp = 0;
    if (prev === -1) {
      if (code >= clear) throw corrupt('GIF: bad first LZW code');
      out[written++] = code;
      prev = code;
      continue;
    }
    if (code < next) {
      c = code;
    } else if (code === next) {
      stack[sp++] = firstByte[prev]!;
      c = prev;
    } else {
      throw corrupt('GIF: bad LZW code');
    }
    while (c >= clear) {
      stack[sp++] = suffix[c]!;
      c = prefix[c]!;
    }
    stack[sp++] = c;
    const first = c;
    while (sp > 0 && written < total) out[written++] = stack[--sp]!;
    if (next < 4096) {
      prefix[next] = prev;
      suffix[next] = first;
      firstByte[next] = firstByte[prev]!;
      next++;
      if (next === 1 << codeSize && codeSize < 12) codeSize++;
    }
    prev = code;
  }
}
