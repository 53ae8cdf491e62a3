import sharp from 'sharp';

export const PREVIEW_MAX_EDGE = 1280;
export const BLURRED_MAX_EDGE = 320;
const PREVIEW_PIXEL_LIMIT = 100_000_000;

/**
 * Renders what the reviewer sees. Unless revealed, the picture leaves the main process already greyscale, small and
 * heavily blurred, so the full image never reaches the renderer without a deliberate reveal.
 */
export async function renderPreview(bytes: Uint8Array, reveal: boolean): Promise<{ mime: string; data: Buffer }> {
  const image = sharp(bytes, { limitInputPixels: PREVIEW_PIXEL_LIMIT, failOn: 'error' });
  if (reveal) {
    const data = await image.resize(PREVIEW_MAX_EDGE, PREVIEW_MAX_EDGE, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 85 }).toBuffer();
    return { mime: 'image/webp', data };
  }
  const data = await image
    .resize(BLURRED_MAX_EDGE, BLURRED_MAX_EDGE, { fit: 'inside', withoutEnlargement: true })
    .greyscale()
    .blur(12)
    .webp({ quality: 50 })
    .toBuffer();
  return { mime: 'image/webp', data };
}
