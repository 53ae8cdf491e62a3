/**
 * The one place that turns decoded pixels into PDQ. It runs inside the decoder process (see decoder-process.ts), next
 * to the decode, so pixels never cross a process boundary. A faster core (e.g. WebAssembly) plugs in here: same
 * input, same PdqResult, bit-exact with pdq.ts.
 */
import type { DecodedImage } from './decode';
import type { PdqResult } from './pdq';
// pdq-wasm when WebAssembly SIMD is there, else the TypeScript core: the same bits either way.
import { pdqFromRgb } from './pdq-wasm';

export type PixelHasher = (img: Pick<DecodedImage, 'pixels' | 'width' | 'height' | 'channels'>, opts: { dihedral: boolean }) => PdqResult;

let current: PixelHasher = (img, opts) => pdqFromRgb(img.pixels, img.width, img.height, img.channels, opts);

export function hashPixels(img: Pick<DecodedImage, 'pixels' | 'width' | 'height' | 'channels'>, opts: { dihedral: boolean }): PdqResult {
  return current(img, opts);
}

/** Swaps the PDQ core used by hashPixels (in this process); returns the previous one. */
export function setPixelHasher(next: PixelHasher): PixelHasher {
  const previous = current;
  current = next;
  return previous;
}
