// Content sniffing by magic bytes: the mimetype declared in the event or sent by the server
// is not trusted.

const ascii = (b: Uint8Array, start: number, s: string): boolean => {
  if (b.length < start + s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[start + i] !== s.charCodeAt(i)) return false;
  return true;
};

const bytesAt = (b: Uint8Array, start: number, sig: readonly number[]): boolean => {
  if (b.length < start + sig.length) return false;
  return sig.every((v, i) => b[start + i] === v);
};

const FTYP_BRANDS: Record<string, string> = {
  avif: 'image/avif',
  avis: 'image/avif',
  heic: 'image/heic',
  heix: 'image/heic',
  hevc: 'image/heic-sequence',
  heim: 'image/heic',
  heis: 'image/heic',
  mif1: 'image/heif',
  msf1: 'image/heif-sequence',
  qt: 'video/quicktime',
  'M4A ': 'audio/mp4',
  'M4V ': 'video/x-m4v',
  '3gp4': 'video/3gpp',
  '3gp5': 'video/3gpp',
  '3g2a': 'video/3gpp2',
};

/** The mime type the bytes really are, or 'application/octet-stream'. */
export function sniffMime(b: Uint8Array): string {
  if (bytesAt(b, 0, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (bytesAt(b, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) return 'image/gif';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return 'image/webp';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'AVI ')) return 'video/x-msvideo';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE')) return 'audio/wav';
  if (ascii(b, 0, 'BM') && b.length > 14) return 'image/bmp';
  if (bytesAt(b, 0, [0x49, 0x49, 0x2a, 0x00]) || bytesAt(b, 0, [0x4d, 0x4d, 0x00, 0x2a])) return 'image/tiff';
  if (bytesAt(b, 0, [0x00, 0x00, 0x01, 0x00])) return 'image/x-icon';
  if (bytesAt(b, 0, [0xff, 0x0a]) || bytesAt(b, 0, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20])) return 'image/jxl';
  if (ascii(b, 4, 'ftyp')) {
    const brand = String.fromCharCode(...b.subarray(8, 12));
    return FTYP_BRANDS[brand] ?? FTYP_BRANDS[brand.trim()] ?? 'video/mp4';
  }
  if (bytesAt(b, 0, [0x1a, 0x45, 0xdf, 0xa3])) {
    // EBML: webm or matroska; the DocType string sits in the first few dozen bytes
    const head = String.fromCharCode(...b.subarray(0, Math.min(64, b.length)));
    return head.includes('webm') ? 'video/webm' : 'video/x-matroska';
  }
  if (ascii(b, 0, 'OggS')) return 'audio/ogg';
  if (ascii(b, 0, 'ID3') || bytesAt(b, 0, [0xff, 0xfb]) || bytesAt(b, 0, [0xff, 0xf3])) return 'audio/mpeg';
  if (ascii(b, 0, 'fLaC')) return 'audio/flac';
  if (bytesAt(b, 0, [0x00, 0x00, 0x01, 0xba]) || bytesAt(b, 0, [0x00, 0x00, 0x01, 0xb3])) return 'video/mpeg';
  if (ascii(b, 0, '%PDF-')) return 'application/pdf';
  if (bytesAt(b, 0, [0x50, 0x4b, 0x03, 0x04])) return 'application/zip';
  if (bytesAt(b, 0, [0x1f, 0x8b])) return 'application/gzip';
  if (ascii(b, 0, '7z') && bytesAt(b, 2, [0xbc, 0xaf, 0x27, 0x1c])) return 'application/x-7z-compressed';
  if (ascii(b, 0, 'Rar!')) return 'application/vnd.rar';
  // text-ish formats: look at the start without BOM / whitespace
  const head = new TextDecoder('utf-8', { fatal: false })
    .decode(b.subarray(0, Math.min(512, b.length)))
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'image/svg+xml';
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'text/html';
  return 'application/octet-stream';
}

/** Coarse media class of a mime type. */
export function mimeKind(mime: string): 'image' | 'video' | 'audio' | 'other' {
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('video/')) return 'video';
  if (mime.startsWith('audio/')) return 'audio';
  return 'other';
}
