/**
 * Hostile files made at test time (nothing big is committed): the 16-bit 16383×16383 PNG from the security review
 * (~1.6 MB on disk, 1.6 GB of pixels), a JPEG and a GIF that declare huge canvases, a truncated JPEG.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { crc32, createDeflate } from 'node:zlib';
import sharp from 'sharp';

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A valid RGB PNG of side×side pixels at 16 bits per sample, all black: deflated zeros, streamed to `path`. */
export async function writePng16Bomb(path: string, side = 16383): Promise<void> {
  const out = createWriteStream(path);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.set([16, 2, 0, 0, 0], 8); // 16-bit, truecolour, deflate, filter 0, no interlace
  out.write(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  out.write(chunk('IHDR', ihdr));
  const deflate = createDeflate({ level: 9, memLevel: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (b: Buffer) => parts.push(b));
  const row = Buffer.alloc(1 + side * 6); // filter byte 0 + zeros
  for (let y = 0; y < side; y++) {
    if (!deflate.write(row)) await once(deflate, 'drain');
  }
  deflate.end();
  await once(deflate, 'end');
  const idat = Buffer.concat(parts);
  for (let o = 0; o < idat.length; o += 1 << 20) out.write(chunk('IDAT', idat.subarray(o, o + (1 << 20))));
  out.write(chunk('IEND', Buffer.alloc(0)));
  out.end();
  await once(out, 'finish');
}

/** A real small JPEG whose frame header (SOF) is rewritten to claim width×height. */
export async function jpegBomb(width = 65000, height = 65000): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#406080' } }).jpeg().toBuffer();
  for (let i = 2; i + 9 < jpeg.length; ) {
    if (jpeg[i] !== 0xff) throw new Error('unexpected JPEG layout');
    const marker = jpeg[i + 1]!;
    const len = jpeg.readUInt16BE(i + 2);
    if (marker === 0xc0 || marker === 0xc2) {
      jpeg.writeUInt16BE(height, i + 5);
      jpeg.writeUInt16BE(width, i + 7);
      return jpeg;
    }
    i += 2 + len;
  }
  throw new Error('no SOF marker');
}

/** A GIF whose screen and first frame are 65535×65535, with a few bytes of LZW data. */
export function gifBomb(): Buffer {
  const head = Buffer.from('GIF89a', 'latin1');
  const screen = Buffer.alloc(7);
  screen.writeUInt16LE(65535, 0);
  screen.writeUInt16LE(65535, 2);
  screen[4] = 0x80; // global colour table of 2 entries
  const palette = Buffer.from([0, 0, 0, 255, 255, 255]);
  const desc = Buffer.alloc(10);
  desc[0] = 0x2c;
  desc.writeUInt16LE(65535, 5);
  desc.writeUInt16LE(65535, 7);
  // LZW, min code size 2: clear (4), then the end code (5): a frame with no pixels at all.
  const data = Buffer.from([0x02, 0x01, 0x2c, 0x00]);
  return Buffer.concat([head, screen, palette, desc, data, Buffer.from([0x3b])]);
}

/** An ordinary photo-like JPEG (random blocks), for "the next file hashes normally". */
export async function normalJpeg(width = 640, height = 480): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  let s = 12345;
  for (let i = 0; i < raw.length; i += 3) {
    const x = (i / 3) % width;
    const y = Math.floor(i / 3 / width);
    if (x % 32 === 0 && y % 32 === 0) s = (s * 1103515245 + 12345) & 0x7fffffff;
    raw[i] = (x * 3 + (s & 0xff)) & 0xff;
    raw[i + 1] = (y * 2 + ((s >> 8) & 0xff)) & 0xff;
    raw[i + 2] = ((x ^ y) + ((s >> 16) & 0xff)) & 0xff;
  }
  return sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
}
