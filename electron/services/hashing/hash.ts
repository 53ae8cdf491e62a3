/** hashBytes / hashFile: digests + sniffing + decode + PDQ, in the calling thread. HashingPool runs these in workers. */
import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { decodeImage } from './decode';
import { HashError } from './errors';
import { sniff, SNIFF_BYTES, type SniffResult } from './formats';
import { hashPixels } from './pixel-hash';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, PDQ_MIN_QUALITY, type HashOptions, type MediaHashes } from './types';

interface Digests {
  md5: string;
  sha1: string;
  sha256: string;
}

class DigestStream {
  private readonly hashes: [Hash, Hash, Hash] = [createHash('md5'), createHash('sha1'), createHash('sha256')];
  update(chunk: Uint8Array): void {
    for (const h of this.hashes) h.update(chunk);
  }
  digest(): Digests {
    const [md5, sha1, sha256] = this.hashes.map((h) => h.digest('hex')) as [string, string, string];
    return { md5, sha1, sha256 };
  }
}

function limits(opts: HashOptions): { maxPixels: number; maxBytes: number } {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!(maxPixels > 0) || !(maxBytes > 0)) throw new RangeError('maxPixels and maxBytes must be positive');
  return { maxPixels, maxBytes };
}

function tooLarge(size: number, maxBytes: number): HashError {
  return new HashError('too_large', `file is ${size} bytes, over the limit of ${maxBytes}`);
}

/** The result before (or without) decoding: the digests and the sniffed format, no PDQ. */
function digestsOnly(digests: Digests, kind: SniffResult | null, byteLength: number): MediaHashes {
  return {
    ...digests,
    videoMd5: digests.md5,
    pdq: null,
    pdqQuality: null,
    width: null,
    height: null,
    format: kind?.format ?? null,
    mime: kind?.mime ?? null,
    exifOrientation: null,
    byteLength,
  };
}

/** Builds the result for bytes already digested. `bytes` is the whole file when `kind` is decodable. */
async function finish(bytes: Uint8Array | null, kind: SniffResult | null, digests: Digests, byteLength: number, opts: HashOptions): Promise<MediaHashes> {
  const result = digestsOnly(digests, kind, byteLength);
  if (!kind || kind.kind !== 'image') return result;
  if (!kind.decodable || !bytes) throw new HashError('unsupported', `${kind.format} images cannot be decoded for PDQ here`);
  let img;
  try {
    img = await decodeImage(bytes, kind.format, limits(opts).maxPixels);
  } catch (e) {
    // Untrusted input: whatever a decoder throws is reported as a typed error, never as a crash.
    if (e instanceof HashError) throw e;
    if (e instanceof RangeError && /allocation failed/i.test(e.message)) throw new HashError('out_of_memory', `${kind.format}: ${e.message}`, { cause: e });
    throw new HashError('corrupt', `undecodable ${kind.format}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const pdq = hashPixels(img, { dihedral: opts.dihedral === true });
  result.width = img.width;
  result.height = img.height;
  result.exifOrientation = img.orientation;
  result.pdqQuality = pdq.quality;
  const hashable = img.width >= 5 && img.height >= 5 && pdq.quality >= PDQ_MIN_QUALITY;
  if (hashable) {
    result.pdq = pdq.hash;
    if (opts.dihedral) result.pdqDihedral = pdq.dihedral;
  }
  return result;
}

/** Hashes bytes in memory. Non-image bytes get digests only (pdq null). */
export async function hashBytes(bytes: Uint8Array, opts: HashOptions = {}): Promise<MediaHashes> {
  const { maxBytes } = limits(opts);
  if (bytes.length === 0) throw new HashError('empty', 'file is empty');
  if (bytes.length > maxBytes) throw tooLarge(bytes.length, maxBytes);
  const d = new DigestStream();
  d.update(bytes);
  return finish(bytes, sniff(bytes.subarray(0, SNIFF_BYTES)), d.digest(), bytes.length, opts);
}

const CHUNK = 1 << 20;

function ioError(path: string, e: unknown): HashError {
  const err = e as NodeJS.ErrnoException;
  return new HashError('io_error', `${path}: ${err?.message ?? String(e)}`, { cause: e });
}

/**
 * Hashes a file. Digests are computed while reading; an image is kept in memory for decoding, anything else is
 * streamed through the digests without being retained.
 */
export async function hashFile(path: string, opts: HashOptions = {}): Promise<MediaHashes> {
  const { maxBytes } = limits(opts);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw ioError(path, e);
  }
  try {
    let size: number;
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new HashError('io_error', `${path}: not a regular file`);
      size = st.size;
    } catch (e) {
      throw e instanceof HashError ? e : ioError(path, e);
    }
    if (size === 0) throw new HashError('empty', `${path}: file is empty`);
    if (size > maxBytes) throw tooLarge(size, maxBytes);

    const digests = new DigestStream();
    const read = async (buf: Uint8Array, pos: number): Promise<number> => {
      try {
        return (await fh.read(buf, 0, buf.length, pos)).bytesRead;
      } catch (e) {
        throw ioError(path, e);
      }
    };

    // Sniff from the first chunk; keep the whole file only when it is an image we decode, else stream it. The file
    // may change while we read it: we read to EOF, past the stat size, and stop at maxBytes + 1.
    let buf = new Uint8Array(Math.min(size, CHUNK));
    let pos = await read(buf, 0);
    const kind = sniff(buf.subarray(0, Math.min(pos, SNIFF_BYTES)));
    const keep = kind?.kind === 'image' && kind.decodable;
    digests.update(buf.subarray(0, pos));
    if (keep) {
      const whole = new Uint8Array(Math.min(size + 1, maxBytes + 1));
      whole.set(buf.subarray(0, pos));
      buf = whole;
    }
    for (let n = pos; n > 0; ) {
      if (keep && pos === buf.length) {
        if (pos > maxBytes) break;
        const grown = new Uint8Array(Math.min(buf.length * 2, maxBytes + 1));
        grown.set(buf);
        buf = grown;
      }
      const target = keep ? buf.subarray(pos, Math.min(buf.length, pos + CHUNK)) : buf;
      n = await read(target, pos);
      digests.update(target.subarray(0, n));
      pos += n;
      if (pos > maxBytes) break;
    }
    if (pos > maxBytes) throw tooLarge(pos, maxBytes);
    if (pos === 0) throw new HashError('empty', `${path}: file is empty`);
    return await finish(keep ? buf.subarray(0, pos) : null, kind, digests.digest(), pos, opts);
  } finally {
    await fh.close().catch(() => {});
  }
}

/**
 * Digests and the sniffed format of a file or bytes, without decoding anything: safe in a process that holds
 * secrets. What a refused file is still known and matched by (MD5, SHA-256), with pdq null.
 */
export async function digestFile(source: string | Uint8Array): Promise<MediaHashes> {
  const d = new DigestStream();
  let head: Uint8Array | null = null;
  let byteLength = 0;
  if (typeof source === 'string') {
    let fh: FileHandle;
    try {
      fh = await open(source, 'r');
    } catch (e) {
      throw ioError(source, e);
    }
    try {
      const buf = new Uint8Array(CHUNK);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, byteLength).catch((e: unknown) => {
          throw ioError(source, e);
        });
        if (bytesRead === 0) break;
        if (!head) head = buf.slice(0, Math.min(bytesRead, SNIFF_BYTES));
        d.update(buf.subarray(0, bytesRead));
        byteLength += bytesRead;
      }
    } finally {
      await fh.close().catch(() => {});
    }
  } else {
    d.update(source);
    head = source.subarray(0, SNIFF_BYTES);
    byteLength = source.length;
  }
  const kind = head ? sniff(head) : null;
  const digests = d.digest();
  return digestsOnly(digests, kind, byteLength);
}
