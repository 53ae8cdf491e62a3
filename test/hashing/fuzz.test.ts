// 2,000 mutated image files (truncated, bit-flipped, huge dimensions written into headers, spliced) hashed in
// memory: each must give a result or a HashError, never an untyped exception or a crash of the process.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { HashError, hashBytes, type HashErrorCode } from '../../electron/services/hashing';
import { buildGif } from './gif-builder';
import { synth } from './generate';
import { FIXTURE_IMAGES, rng } from './helpers';

const seeds: { name: string; bytes: Buffer }[] = [];

beforeAll(async () => {
  for (const f of ['other.jpg', 'random-26x28.png', 'grey-alpha.png', 'grey16.png', 'photo-square-128.jpg', 'photo-progressive-444.jpg', 'icc-profile.png']) {
    seeds.push({ name: f, bytes: readFileSync(join(FIXTURE_IMAGES, f)) });
  }
  const img = synth('blobs', 72, 56, 3, 3);
  const s = (): Sharp => sharp(img.data, { raw: { width: 72, height: 56, channels: 3 } });
  const add = async (name: string, p: Promise<Buffer>): Promise<void> => {
    seeds.push({ name, bytes: await p });
  };
  await add('progressive.jpg', s().jpeg({ progressive: true }).toBuffer());
  await add('palette.png', s().png({ palette: true }).toBuffer());
  await add('interlaced-palette.png', s().png({ palette: true, progressive: true }).toBuffer());
  await add('rgb16.png', s().toColourspace('rgb16').png().toBuffer());
  await add('grey.png', s().greyscale().png().toBuffer());
  await add('anim.gif', s().gif().toBuffer());
  await add('lossy.webp', s().webp().toBuffer());
  await add('lossless.webp', s().webp({ lossless: true }).toBuffer());
  await add('lzw.tif', s().tiff({ compression: 'lzw' }).toBuffer());
  await add('plain.avif', s().avif({ effort: 0 }).toBuffer());
  seeds.push({
    name: 'hand.gif',
    bytes: Buffer.from(buildGif({ width: 40, height: 30, palette: [[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]], frames: [{ x: 2, y: 3, width: 30, height: 20, indices: Uint8Array.from({ length: 600 }, (_, i) => i % 4), transparentIndex: 2 }], minCodeSize: 2 })),
  });
}, 120_000);

/** Writes huge dimensions where this format keeps them. */
function hugeDimensions(b: Buffer, r: () => number): Buffer {
  const out = Buffer.from(b);
  const big = (): number => 30_000 + Math.floor(r() * 35_000);
  if (out.subarray(1, 4).toString('latin1') === 'PNG') {
    out.writeUInt32BE(r() < 0.5 ? big() * 1000 : big(), 16);
    out.writeUInt32BE(big(), 20);
    if (r() < 0.7) out.writeUInt32BE(crc32(out.subarray(12, 29)), 29); // keep the IHDR CRC valid
    return out;
  }
  if (out.subarray(0, 3).toString('latin1') === 'GIF') {
    out.writeUInt16LE(big(), 6);
    out.writeUInt16LE(big(), 8);
    return out;
  }
  if (out[0] === 0xff && out[1] === 0xd8) {
    // walk the JPEG segments to the SOF
    let o = 2;
    while (o + 9 < out.length && out[o] === 0xff) {
      const m = out[o + 1]!;
      const len = out.readUInt16BE(o + 2);
      if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
        out.writeUInt16BE(big(), o + 5);
        out.writeUInt16BE(big(), o + 7);
        return out;
      }
      o += 2 + len;
    }
    return out;
  }
  if (out.subarray(8, 12).toString('latin1') === 'WEBP') {
    const chunk = out.subarray(12, 16).toString('latin1');
    if (chunk === 'VP8X') {
      out.writeUIntLE(big() - 1, 24, 3);
      out.writeUIntLE(big() - 1, 27, 3);
    } else if (chunk === 'VP8 ') {
      out.writeUInt16LE(0x3fff, 26);
      out.writeUInt16LE(0x3fff, 28);
    } else {
      out[21] = 0xff;
      out[22] = 0xff;
      out[23] = 0xff;
    }
    return out;
  }
  // TIFF and the rest: scribble on the first IFD region
  for (let i = 0; i < 8; i++) out[8 + Math.floor(r() * Math.min(200, out.length - 8))] = 0xff;
  return out;
}

function mutate(seed: Buffer, other: Buffer, r: () => number): { bytes: Buffer; how: string } {
  const kind = Math.floor(r() * 6);
  const b = Buffer.from(seed);
  switch (kind) {
    case 0: {
      const n = Math.floor(r() * b.length);
      return { bytes: b.subarray(0, n), how: `truncate@${n}` };
    }
    case 1: {
      const flips = 1 + Math.floor(r() * 12);
      for (let i = 0; i < flips; i++) b[Math.floor(r() * b.length)]! ^= 1 << Math.floor(r() * 8);
      return { bytes: b, how: `flip${flips}` };
    }
    case 2: {
      const at = Math.floor(r() * Math.min(b.length, 256)); // headers live at the front
      for (let i = 0; i < 4; i++) if (at + i < b.length) b[at + i] = Math.floor(r() * 256);
      return { bytes: b, how: `header@${at}` };
    }
    case 3:
      return { bytes: hugeDimensions(b, r), how: 'huge' };
    case 4: {
      const cut = Math.floor(r() * b.length);
      return { bytes: Buffer.concat([b.subarray(0, cut), other.subarray(Math.floor(r() * other.length))]), how: `splice@${cut}` };
    }
    default: {
      const at = Math.floor(r() * b.length);
      const junk = Buffer.alloc(1 + Math.floor(r() * 64));
      for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(r() * 256);
      return { bytes: Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]), how: `insert@${at}` };
    }
  }
}

describe('fuzzing the decoders', () => {
  it('2,000 mutated files: a result or a typed error each', async () => {
    const r = rng(20240611);
    const untyped: string[] = [];
    const codes = new Map<HashErrorCode | 'ok', number>();
    const N = 2000;
    let i = 0;
    const one = async (): Promise<void> => {
      while (i < N) {
        const k = i++;
        const seed = seeds[k % seeds.length]!;
        const other = seeds[Math.floor(r() * seeds.length)]!;
        const { bytes, how } = mutate(seed.bytes, other.bytes, r);
        // Mostly a small pixel limit (keeps the run fast); every 8th file with the default limit, so huge header
        // dimensions meet the real default.
        const opts = k % 8 === 0 ? {} : { maxPixels: 4_000_000 };
        try {
          const h = await hashBytes(bytes, opts);
          expect(h.md5).toMatch(/^[0-9a-f]{32}$/);
          codes.set('ok', (codes.get('ok') ?? 0) + 1);
        } catch (e) {
          if (e instanceof HashError) codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
          else untyped.push(`${seed.name} ${how}: ${e instanceof Error ? e.stack : String(e)}`);
        }
      }
    };
    await Promise.all([one(), one(), one(), one()]);
    expect(untyped).toEqual([]);
    const total = [...codes.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(N);
    // The mutations exercised both outcomes and the main error paths.
    expect(codes.get('ok') ?? 0).toBeGreaterThan(100);
    expect(codes.get('corrupt') ?? 0).toBeGreaterThan(100);
    expect(codes.get('too_many_pixels') ?? 0).toBeGreaterThan(20);
  }, 240_000);
});
