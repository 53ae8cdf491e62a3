/**
 * Image decoding to the exact pixels HMA's hasher hands to PDQ.
 *
 * python-threatexchange's pdq_hasher does `np.asarray(Image.open(f))` (Pillow), converting LA and I;16 to RGB and
 * stacking 2-D arrays to three channels, then pdqhash uses channels 0..2. What that means per file, and how we get
 * the same numbers out of sharp/libvips:
 *   - RGB / RGBA / L / LA: the 8-bit samples; alpha ignored; no EXIF rotation; ICC profile NOT applied
 *     (keepIccProfile() leaves pixels untouched, byte-identical to Pillow for the JPEG/PNG/TIFF/WebP we test).
 *   - palette PNG and GIF (mode P/L): the palette INDICES. libvips expands palettes, so indexed.ts reads them.
 *   - 16-bit grey (Pillow I;16) converted to RGB: samples clipped to 0..255. Other 16-bit images: the high byte.
 *   - 1-bit (Pillow mode "1"): numpy booleans, i.e. 0 and 1.
 *   - CMYK (JPEG, TIFF): the C, M and Y samples as R, G, B, without any colour conversion.
 */
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { HashError } from './errors';
import { decodeGifIndices, decodePngIndices, readPngHeader } from './indexed';
import type { PixelChannels } from './pdq';

export interface DecodedImage {
  pixels: Uint8Array;
  width: number;
  height: number;
  channels: PixelChannels;
  /** EXIF orientation tag (1..8) when present; not applied. */
  orientation: number | null;
}

function sharpError(e: unknown, format: string): HashError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/pixel limit/i.test(msg)) return new HashError('too_many_pixels', msg, { cause: e });
  // libvips could not allocate (the decoder process's memory cap, RLIMIT_DATA, said no).
  if (/out of memory|allocation failed/i.test(msg)) return new HashError('out_of_memory', `${format}: decoding needs more memory than the decoder may use (${msg})`, { cause: e });
  // A codec libvips was built without (HEVC in HEIF files, for one).
  if (/not been built in|unsupported codec|unsupported feature|no decoder/i.test(msg)) return new HashError('unsupported', msg, { cause: e });
  // The magic bytes said `format` but libvips cannot make sense of it: broken, except for HEIF, whose many codecs
  // sharp's libheif mostly lacks.
  if (/unsupported image format/i.test(msg)) return new HashError(format === 'heif' ? 'unsupported' : 'corrupt', msg, { cause: e });
  return new HashError('corrupt', msg, { cause: e });
}

function checkPixels(width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new HashError('too_many_pixels', `image is ${width}x${height} = ${width * height} pixels, over the limit of ${maxPixels}`);
  }
}

/** Decodes the first frame/page of an image to HMA-equivalent 8-bit pixels. */
export async function decodeImage(bytes: Uint8Array, format: string, maxPixels: number): Promise<DecodedImage> {
  const input = { failOn: 'error', limitInputPixels: maxPixels, page: 0, pages: 1, sequentialRead: true } as const;
  // libspng refuses huge PNG dimensions as a "corrupt header"; say what it is.
  const png = format === 'png' ? readPngHeader(bytes) : null;
  if (png) checkPixels(png.width, png.height, maxPixels);
  let meta: Metadata;
  try {
    meta = await sharp(bytes, input).metadata();
  } catch (e) {
    throw sharpError(e, format);
  }
  const orientation = meta.orientation ?? null;
  if (!meta.width || !meta.height) throw new HashError('corrupt', `${format}: no image dimensions`);
  // With pages: 1 the metadata describes the first page/frame, the one we decode.
  checkPixels(meta.width, meta.pageHeight ?? meta.height, maxPixels);

  if (format === 'gif') {
    const g = decodeGifIndices(bytes, maxPixels);
    return { pixels: g.indices, width: g.width, height: g.height, channels: 1, orientation };
  }
  if (png && png.colourType === 3) {
    const p = decodePngIndices(bytes, maxPixels);
    return { pixels: p.indices, width: p.width, height: p.height, channels: 1, orientation };
  }

  try {
    if (meta.depth === 'ushort' && (meta.space === 'grey16' || meta.space === 'rgb16')) {
      const grey = meta.space === 'grey16';
      const { data, info } = await sharp(bytes, input)
        .keepIccProfile()
        .toColourspace(grey ? 'grey16' : 'rgb16')
        .raw({ depth: 'ushort' })
        .toBuffer({ resolveWithObject: true });
      const aligned = data.byteOffset % 2 === 0 ? data : Buffer.from(data);
      const samples = new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >> 1);
      // Pillow: a grey PNG/TIFF without an alpha channel opens as I;16 and convert('RGB') clips; with alpha it is
      // LA, and every other 16-bit layout is read as its high byte.
      const clip = grey && (png ? png.colourType === 0 : !meta.hasAlpha);
      const out = new Uint8Array(samples.length);
      if (clip) for (let i = 0; i < samples.length; i++) out[i] = Math.min(255, samples[i]!);
      else for (let i = 0; i < samples.length; i++) out[i] = samples[i]! >> 8;
      return atMostFour(out, info, orientation);
    }
    if (meta.space === 'cmyk') {
      const { data, info } = await sharp(bytes, input).pipelineColourspace('cmyk').toColourspace('cmyk').raw().toBuffer({ resolveWithObject: true });
      return atMostFour(data, info, orientation);
    }
    const { data, info } = await sharp(bytes, input).keepIccProfile().raw().toBuffer({ resolveWithObject: true });
    if (meta.bitsPerSample === 1 && !meta.isPalette && (meta.space === 'b-w' || meta.channels === 1)) {
      // Pillow mode "1": np.asarray gives booleans, so pdqhash sees 0 and 1.
      for (let i = 0; i < data.length; i++) data[i] = data[i]! > 0 ? 1 : 0;
    }
    return atMostFour(data, info, orientation);
  } catch (e) {
    if (e instanceof HashError) throw e;
    throw sharpError(e, format);
  }
}

/** Keeps 1..4-channel layouts as they are; wider ones (CMYK + alpha) are cut to their first three channels. */
function atMostFour(data: Uint8Array, info: OutputInfo, orientation: number | null): DecodedImage {
  const { width, height, channels } = info;
  if (channels === 1 || channels === 2 || channels === 3 || channels === 4) {
    return { pixels: data, width, height, channels, orientation };
  }
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let i = 0, p = 0; i < n; i++, p += channels) {
    out[i * 3] = data[p]!;
    out[i * 3 + 1] = data[p + 1]!;
    out[i * 3 + 2] = data[p + 2]!;
  }
  return { pixels: out, width, height, channels: 3, orientation };
}
