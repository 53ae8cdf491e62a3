/** Hand-built GIFs for decoder tests: exact control over frame offsets, interlacing, transparency, truncation. */

export interface GifFrameSpec {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Indices in display row order. */
  indices: Uint8Array;
  interlace?: boolean;
  transparentIndex?: number;
  /** Stop the LZW stream (end code) after this many pixels. */
  endAfter?: number;
}

export interface GifSpec {
  width: number;
  height: number;
  /** Global palette entries (RGB triples); omitted → no global palette. */
  palette?: number[][];
  frames: GifFrameSpec[];
  minCodeSize?: number;
}

/** LZW stream of literal codes only, with a clear code before the table would widen the code size. */
function lzwLiterals(pixels: Uint8Array, m: number): Uint8Array {
  const clear = 1 << m;
  const eoi = clear + 1;
  const size = m + 1;
  const codes: number[] = [clear];
  let sinceClear = 0;
  for (const p of pixels) {
    if (sinceClear === (1 << m) - 2) {
      codes.push(clear);
      sinceClear = 0;
    }
    codes.push(p);
    sinceClear++;
  }
  codes.push(eoi);
  const out: number[] = [];
  let buf = 0;
  let bits = 0;
  for (const c of codes) {
    buf |= c << bits;
    bits += size;
    while (bits >= 8) {
      out.push(buf & 255);
      buf >>>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) out.push(buf & 255);
  return Uint8Array.from(out);
}

function subBlocks(data: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < data.length; i += 255) {
    const chunk = data.subarray(i, i + 255);
    out.push(chunk.length, ...chunk);
  }
  out.push(0);
  return out;
}

export function buildGif(spec: GifSpec): Uint8Array {
  const m = spec.minCodeSize ?? 8;
  const bytes: number[] = [...Buffer.from('GIF89a', 'latin1')];
  const u16 = (v: number): number[] => [v & 255, (v >> 8) & 255];
  const pal = spec.palette;
  const palBits = pal ? Math.max(1, Math.ceil(Math.log2(Math.max(2, pal.length)))) : 0;
  bytes.push(...u16(spec.width), ...u16(spec.height), pal ? 0x80 | (palBits - 1) : 0, 0, 0);
  if (pal) for (let i = 0; i < 1 << palBits; i++) bytes.push(...(pal[i] ?? [0, 0, 0]));
  for (const f of spec.frames) {
    if (f.transparentIndex !== undefined) bytes.push(0x21, 0xf9, 4, 1, 0, 0, f.transparentIndex, 0);
    bytes.push(0x2c, ...u16(f.x), ...u16(f.y), ...u16(f.width), ...u16(f.height), f.interlace ? 0x40 : 0);
    // file order of rows
    let rows: number[] = [];
    if (f.interlace) {
      for (const [start, step] of [[0, 8], [4, 8], [2, 4], [1, 2]] as const) for (let y = start; y < f.height; y += step) rows.push(y);
    } else rows = Array.from({ length: f.height }, (_, y) => y);
    const ordered = new Uint8Array(f.width * f.height);
    rows.forEach((y, r) => ordered.set(f.indices.subarray(y * f.width, (y + 1) * f.width), r * f.width));
    bytes.push(m, ...subBlocks(lzwLiterals(f.endAfter === undefined ? ordered : ordered.subarray(0, f.endAfter), m)));
  }
  bytes.push(0x3b);
  return Uint8Array.from(bytes);
}
