/**
 * pdq-wasm: PDQ with its heavy half (luma, Jarosz filter, quality, DCT) in WebAssembly — ours, built from
 * pdq-wasm/assembly/index.ts by scripts/build-pdq-wasm.mjs — and the rest (median, bits, dihedral variants) shared
 * with the TypeScript core in pdq.ts. Same interface and results as pdq.ts's pdqFromRgb, bit for bit; the TypeScript
 * core stays as the fallback (no WebAssembly SIMD, or MATCHDESK_PDQ_CORE=ts) and as the oracle in tests.
 *
 * Pixels are streamed into the module a block of rows at a time, so its memory is O(width × filter window), never a
 * second copy of the image.
 */
import { PDQ_WASM_BASE64 } from './pdq-wasm.generated';
import { DCT_MATRIX, PDQ_MIN_HASHABLE_DIM, ZERO_HASH, dctToHex, dihedralDcts, pdqFromRgb as pdqFromRgbTs, type PdqResult, type PixelChannels } from './pdq';

interface PdqWasmExports {
  memory: WebAssembly.Memory;
  dctMatrixPtr(): number;
  begin(w: number, h: number, ch: number, forceBlur: number): number;
  inputCapacity(): number;
  rows(count: number): void;
  finish(): number;
  dctPtr(): number;
}

let loaded: PdqWasmExports | null | undefined;
let loadError: string | null = null;

function load(): PdqWasmExports | null {
  if (loaded !== undefined) return loaded;
  try {
    const module = new WebAssembly.Module(Buffer.from(PDQ_WASM_BASE64, 'base64'));
    const exports = new WebAssembly.Instance(module, {}).exports as unknown as PdqWasmExports;
    const at = exports.dctMatrixPtr();
    new Float32Array(exports.memory.buffer, at, DCT_MATRIX.length).set(DCT_MATRIX);
    loaded = exports;
  } catch (e) {
    loadError = e instanceof Error ? e.message : String(e);
    loaded = null;
  }
  return loaded;
}

/** Which core pdqFromRgb runs: 'wasm', or 'ts' (forced, or WebAssembly SIMD unavailable: see pdqWasmLoadError). */
export function pdqCore(): 'wasm' | 'ts' {
  if (process.env.MATCHDESK_PDQ_CORE === 'ts') return 'ts';
  return load() ? 'wasm' : 'ts';
}

export function pdqWasmLoadError(): string | null {
  load();
  return loadError;
}

function checkPixels(pixels: Uint8Array, width: number, height: number, channels: PixelChannels): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) throw new RangeError(`bad dimensions ${width}x${height}`);
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) throw new RangeError(`bad channel count ${channels}`);
  if (pixels.length < width * height * channels) throw new RangeError(`pixel buffer too short: ${pixels.length} < ${width}x${height}x${channels}`);
}

/** The 16×16 DCT and quality of the pixels, computed in the module (forceBlur: the dihedral entry point's filtering). */
function dctInWasm(wasm: PdqWasmExports, pixels: Uint8Array, width: number, height: number, channels: number, forceBlur: boolean): { dct: Float32Array; quality: number } {
  const input = wasm.begin(width, height, channels, forceBlur ? 1 : 0);
  const capacity = wasm.inputCapacity();
  const rowBytes = width * channels;
  // begin() may have grown the memory: take the view after it.
  const memory = new Uint8Array(wasm.memory.buffer);
  for (let y = 0; y < height; y += capacity) {
    const n = Math.min(capacity, height - y);
    memory.set(pixels.subarray(y * rowBytes, (y + n) * rowBytes), input);
    wasm.rows(n);
  }
  const quality = wasm.finish();
  const dct = new Float32Array(256);
  dct.set(new Float32Array(wasm.memory.buffer, wasm.dctPtr(), 256));
  return { dct, quality };
}

/**
 * PDQ of interleaved 8-bit pixels (1 = grey, 2 = grey+alpha, 3 = RGB, 4 = RGBA; alpha ignored), as HMA computes it
 * on the same pixels: pdq.ts's pdqFromRgb, in WebAssembly when it is available.
 */
export function pdqFromRgb(pixels: Uint8Array, width: number, height: number, channels: PixelChannels = 3, opts: { dihedral?: boolean } = {}): PdqResult {
  const wasm = process.env.MATCHDESK_PDQ_CORE === 'ts' ? null : load();
  if (!wasm) return pdqFromRgbTs(pixels, width, height, channels, opts);
  checkPixels(pixels, width, height, channels);
  if (width < PDQ_MIN_HASHABLE_DIM || height < PDQ_MIN_HASHABLE_DIM) {
    const r: PdqResult = { hash: ZERO_HASH, quality: 0 };
    if (opts.dihedral) r.dihedral = Array.from({ length: 8 }, () => ZERO_HASH);
    return r;
  }
  const main = dctInWasm(wasm, pixels, width, height, channels, false);
  const result: PdqResult = { hash: dctToHex(main.dct), quality: main.quality };
  if (opts.dihedral) {
    // The C++ dihedral entry point always blurs; only a 64×64 input can differ from the plain hash.
    const dct = width === 64 && height === 64 ? dctInWasm(wasm, pixels, width, height, channels, true).dct : main.dct;
    result.dihedral = dihedralDcts(dct).map(dctToHex);
  }
  return result;
}
