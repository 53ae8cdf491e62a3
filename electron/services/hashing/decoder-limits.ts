/**
 * What a decoder process may open and how much libvips may hold. Applied once at the start of decoder-process.ts,
 * never in a process that holds secrets (sharp.block is process-wide, and the main process renders its own SVG
 * demo pictures).
 */
import sharp from 'sharp';

/** The libvips loaders a moderator needs, from memory buffers only: JPEG, PNG, WebP, GIF, HEIF/AVIF, TIFF. */
export const ALLOWED_LOADERS = [
  'VipsForeignLoadJpegBuffer',
  'VipsForeignLoadPngBuffer',
  'VipsForeignLoadWebpBuffer',
  'VipsForeignLoadNsgifBuffer',
  'VipsForeignLoadGifBuffer',
  'VipsForeignLoadHeifBuffer',
  'VipsForeignLoadTiffBuffer',
] as const;

export function restrictDecoders(): void {
  // Every loader off (SVG, PDF, raw camera files, Magick, FITS, matrix, files by path…), then only ours back on.
  sharp.block({ operation: ['VipsForeignLoad'] });
  sharp.unblock({ operation: [...ALLOWED_LOADERS] });
  // One decode at a time per process, no operation cache: memory is this file's pixels and nothing else.
  sharp.cache(false);
  sharp.concurrency(1);
}
