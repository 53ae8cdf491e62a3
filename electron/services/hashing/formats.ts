/** Content sniffing from the first bytes of a file (never from its name). */

export type MediaKind = 'image' | 'video' | 'audio' | 'other';

export interface SniffResult {
  format: string;
  mime: string;
  kind: MediaKind;
  /** true when we decode and PDQ-hash this format (with sharp or our own palette readers). */
  decodable: boolean;
}

/** How many leading bytes sniff() wants to see. */
export const SNIFF_BYTES = 4096;

const DECODABLE = new Set(['jpeg', 'png', 'webp', 'gif', 'avif', 'heif', 'tiff']);

function ascii(b: Uint8Array, start: number, len: number): string {
  let s = '';
  for (let i = start; i < start + len && i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

function startsWith(b: Uint8Array, sig: readonly number[], offset = 0): boolean {
  if (b.length < offset + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (b[offset + i] !== sig[i]) return false;
  return true;
}

function make(format: string, mime: string, kind: MediaKind): SniffResult {
  return { format, mime, kind, decodable: DECODABLE.has(format) };
}

const HEIF_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs', 'mif1', 'msf1', 'mif2']);

function sniffIsoBmff(b: Uint8Array): SniffResult | null {
  if (b.length < 12 || ascii(b, 4, 4) !== 'ftyp') return null;
  const boxSize = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  const end = Math.min(b.length, boxSize >= 16 ? boxSize : 16);
  const major = ascii(b, 8, 4);
  const brands = [major];
  for (let o = 16; o + 4 <= end; o += 4) brands.push(ascii(b, o, 4));
  if (brands.includes('avif') || brands.includes('avis')) return make('avif', 'image/avif', 'image');
  if (HEIF_BRANDS.has(major) || brands.some((x) => x === 'heic' || x === 'heix')) {
    return make('heif', major === 'heic' || major === 'heix' ? 'image/heic' : 'image/heif', 'image');
  }
  if (major === 'qt  ') return make('mov', 'video/quicktime', 'video');
  if (major.startsWith('3g2')) return make('3g2', 'video/3gpp2', 'video');
  if (major.startsWith('3gp')) return make('3gp', 'video/3gpp', 'video');
  if (major === 'M4A ' || major === 'M4B ') return make('m4a', 'audio/mp4', 'audio');
  return make('mp4', 'video/mp4', 'video');
}

function sniffEbml(b: Uint8Array): SniffResult | null {
  if (!startsWith(b, [0x1a, 0x45, 0xdf, 0xa3])) return null;
  const head = ascii(b, 0, Math.min(b.length, 64));
  return head.includes('webm') ? make('webm', 'video/webm', 'video') : make('mkv', 'video/x-matroska', 'video');
}

function sniffText(b: Uint8Array): SniffResult | null {
  let i = 0;
  if (startsWith(b, [0xef, 0xbb, 0xbf])) i = 3;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d)) i++;
  if (b[i] !== 0x3c /* < */) return null;
  const head = ascii(b, i, Math.min(b.length - i, 1024)).toLowerCase();
  if (head.startsWith('<svg') || ((head.startsWith('<?xml') || head.startsWith('<!doctype svg')) && head.includes('<svg'))) {
    return make('svg', 'image/svg+xml', 'image');
  }
  return null;
}

/** Identifies the container from its magic bytes; null when unknown. */
export function sniff(b: Uint8Array): SniffResult | null {
  if (startsWith(b, [0xff, 0xd8, 0xff])) return make('jpeg', 'image/jpeg', 'image');
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return make('png', 'image/png', 'image');
  const six = ascii(b, 0, 6);
  if (six === 'GIF87a' || six === 'GIF89a') return make('gif', 'image/gif', 'image');
  if (ascii(b, 0, 4) === 'RIFF' && b.length >= 12) {
    const sub = ascii(b, 8, 4);
    if (sub === 'WEBP') return make('webp', 'image/webp', 'image');
    if (sub === 'AVI ') return make('avi', 'video/x-msvideo', 'video');
    if (sub === 'WAVE') return make('wav', 'audio/wav', 'audio');
  }
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return make('tiff', 'image/tiff', 'image');
  if (startsWith(b, [0x49, 0x49, 0x2b, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2b])) return make('tiff', 'image/tiff', 'image'); // BigTIFF
  const iso = sniffIsoBmff(b);
  if (iso) return iso;
  const ebml = sniffEbml(b);
  if (ebml) return ebml;
  if (startsWith(b, [0x42, 0x4d]) && b.length >= 26 && b[6] === 0 && b[7] === 0 && b[8] === 0 && b[9] === 0) {
    return make('bmp', 'image/bmp', 'image');
  }
  if (startsWith(b, [0xff, 0x0a]) || startsWith(b, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20, 0x0d, 0x0a, 0x87, 0x0a])) {
    return make('jxl', 'image/jxl', 'image');
  }
  if (startsWith(b, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a])) return make('jp2', 'image/jp2', 'image');
  if (startsWith(b, [0x00, 0x00, 0x01, 0x00]) && b.length >= 6 && b[4]! + b[5]! > 0) return make('ico', 'image/x-icon', 'image');
  if (ascii(b, 0, 4) === '8BPS') return make('psd', 'image/vnd.adobe.photoshop', 'image');
  if (ascii(b, 0, 3) === 'FLV') return make('flv', 'video/x-flv', 'video');
  if (startsWith(b, [0x00, 0x00, 0x01, 0xba]) || startsWith(b, [0x00, 0x00, 0x01, 0xb3])) return make('mpeg', 'video/mpeg', 'video');
  if (ascii(b, 0, 4) === 'OggS') return make('ogg', 'application/ogg', 'other');
  if (ascii(b, 0, 5) === '%PDF-') return make('pdf', 'application/pdf', 'other');
  return sniffText(b);
}
