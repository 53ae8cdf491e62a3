// Test pictures for the check API: textured JPEGs (PDQ quality well above 50), near copies, and PDQ bit flips.
import sharp from 'sharp';
import { synth } from '../hashing/generate';

/** A textured JPEG of about width × height pixels, distinct per seed. */
export async function makeJpeg(seed: number, width = 320, height = 240, quality = 90): Promise<Buffer> {
  const px = synth('blobs', width, height, 3, seed);
  return sharp(Buffer.from(px.data), { raw: { width, height, channels: 3 } }).jpeg({ quality }).toBuffer();
}

/** The same picture, edited the way a re-post is: cropped, brightened, drawn on and re-encoded. */
export async function nearCopy(jpeg: Buffer, edit: { crop: number; brightness: number; quality: number; box: number }): Promise<Buffer> {
  const meta = await sharp(jpeg).metadata();
  const w = meta.width!;
  const h = meta.height!;
  const dx = Math.round(w * edit.crop);
  const dy = Math.round(h * edit.crop);
  const box = Buffer.from(`<svg width="${w - 2 * dx}" height="${Math.max(1, Math.round(h * edit.box))}"><rect width="100%" height="100%" fill="#fff"/></svg>`);
  return sharp(jpeg)
    .extract({ left: dx, top: dy, width: w - 2 * dx, height: h - 2 * dy })
    .modulate({ brightness: edit.brightness })
    .composite([{ input: box, top: 0, left: 0 }])
    .jpeg({ quality: edit.quality })
    .toBuffer();
}

/** Flips `bits` distinct bits of a PDQ hash (64 hex digits), deterministically. */
export function flipBits(pdq: string, bits: number): string {
  const b = Buffer.from(pdq, 'hex');
  for (let i = 0; i < bits; i++) {
    const bit = (i * 97) % 256; // 97 is odd: i*97 mod 256 visits distinct bits
    b[bit >> 3]! ^= 1 << (bit & 7);
  }
  return b.toString('hex');
}

export function pdqDistance(a: string, b: string): number {
  let d = 0;
  for (let i = 0; i < 64; i += 8) {
    let x = parseInt(a.slice(i, i + 8), 16) ^ parseInt(b.slice(i, i + 8), 16);
    while (x) {
      d += x & 1;
      x >>>= 1;
    }
  }
  return d;
}
