export interface MediaHashes {
  /** Lowercase hex digests of the file's bytes. */
  md5: string;
  sha1: string;
  sha256: string;
  /** HMA's video_md5: the MD5 of the raw file, for any file (equals md5). */
  videoMd5: string;
  /** null when not an image, too small (< 5 px a side), or quality < 50. */
  pdq: string | null;
  /** null when not an image; recorded even when the hash is withheld for low quality. */
  pdqQuality: number | null;
  /** 8 hex strings in pdq.md order (DIHEDRAL_NAMES), only when requested and pdq != null. */
  pdqDihedral?: string[];
  width: number | null;
  height: number | null;
  /** Sniffed from the bytes: 'jpeg','png','webp','gif','avif','tiff','heif','mp4','webm',…; null if unknown. */
  format: string | null;
  mime: string | null;
  exifOrientation: number | null;
  byteLength: number;
}

export interface HashOptions {
  /** Also compute the 8 DCT-domain dihedral PDQ variants. */
  dihedral?: boolean;
  /**
   * Refuse images with more pixels than this (decompression bombs), from the header, before decoding. Default
   * 150 million: a 12000×12000 photo (144 MP) passes, a 16383×16383 bomb (268 MP) does not.
   */
  maxPixels?: number;
  /** Refuse files larger than this many bytes. Default 512 MiB. */
  maxBytes?: number;
}

export const DEFAULT_MAX_PIXELS = 150_000_000;
export const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;

/** HMA does not keep PDQ hashes below this quality. */
export const PDQ_MIN_QUALITY = 50;
