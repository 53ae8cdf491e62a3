/**
 * Renders what the reviewer sees. Runs inside a decoder process (HashingPool.renderPreview), never in the process
 * that holds secrets. Unless revealed, the picture leaves the decoder already greyscale, small and heavily blurred,
 * so the full image never reaches the renderer without a deliberate reveal.
 *
 * Big pictures: JPEG and WebP are shrunk while loading (libvips decodes them at 1/2…1/8 scale when the output is that
 * much smaller), so they may declare up to SHRINK_ON_LOAD_FACTOR times the pixel cap; every other format must fit
 * under the cap. A picture over it is refused with its dimensions and the cap in the message, never "cannot be shown".
 */
import sharp from 'sharp';
import { HashError } from '../hashing/errors';
import { sniff } from '../hashing/formats';

export const PREVIEW_MAX_EDGE = 1280;
export const BLURRED_MAX_EDGE = 320;
/** libjpeg and libwebp decode at up to 1/8 scale per side. */
const SHRINK_ON_LOAD_FACTOR = 64;
const SHRINKS_ON_LOAD = new Set(['jpeg', 'webp']);

export interface PreviewOptions {
  reveal: boolean;
  /** The decoder's pixel cap (HashingPool.maxPixels). */
  maxPixels: number;
}

export interface PreviewResult {
  mime: string;
  data: Uint8Array;
  width: number;
  height: number;
  /** The picture's own size. */
  sourceWidth: number;
  sourceHeight: number;
}

function mp(n: number): string {
  return `${Math.round(n / 1e6)} million`;
}

export async function renderPreview(bytes: Uint8Array, opts: PreviewOptions): Promise<PreviewResult> {
  const kind = sniff(bytes.subarray(0, 4096));
  if (!kind || kind.kind !== 'image' || !kind.decodable) {
    throw new HashError('unsupported', kind ? `${kind.format} files are not opened for previews` : 'not a picture Matchdesk opens');
  }
  let meta;
  try {
    meta = await sharp(bytes, { limitInputPixels: false, failOn: 'error', pages: 1 }).metadata();
  } catch (e) {
    throw new HashError('corrupt', `the ${kind.format} file is damaged: ${e instanceof Error ? e.message : String(e)}`);
  }
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (!width || !height) throw new HashError('corrupt', `the ${kind.format} file has no dimensions`);
  const cap = SHRINKS_ON_LOAD.has(kind.format) ? opts.maxPixels * SHRINK_ON_LOAD_FACTOR : opts.maxPixels;
  if (width * height > cap) {
    throw new HashError(
      'too_many_pixels',
      `the picture is ${width}×${height} (${mp(width * height)} pixels), over the ${mp(cap)} pixel limit for opening ${kind.format} files: it was not decoded`,
    );
  }
  const edge = opts.reveal ? PREVIEW_MAX_EDGE : BLURRED_MAX_EDGE;
  try {
    let image = sharp(bytes, { limitInputPixels: false, failOn: 'error', pages: 1, sequentialRead: true }).resize(edge, edge, { fit: 'inside', withoutEnlargement: true });
    image = opts.reveal ? image.webp({ quality: 85 }) : image.greyscale().blur(12).webp({ quality: 50 });
    const { data, info } = await image.toBuffer({ resolveWithObject: true });
    return { mime: 'image/webp', data, width: info.width, height: info.height, sourceWidth: width, sourceHeight: height };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/out of memory|allocation failed/i.test(msg)) throw new HashError('out_of_memory', `rendering the preview needed more memory than the decoder may use (${msg})`);
    throw new HashError('corrupt', `the ${kind.format} file could not be decoded: ${msg}`);
  }
}

/** The line shown under a revealed picture that was scaled down to fit. */
export function previewNote(p: Pick<PreviewResult, 'width' | 'height' | 'sourceWidth' | 'sourceHeight'>): string | null {
  if (p.width >= p.sourceWidth && p.height >= p.sourceHeight) return null;
  return `Shown at ${p.width}×${p.height}, scaled down from ${p.sourceWidth}×${p.sourceHeight}.`;
}
