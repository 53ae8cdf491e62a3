// Reference vectors: every picture in test/fixtures/pdq (drawn by generate.py; expected PDQ and quality from the
// reference binding through python-threatexchange's Pillow recipe, as HMA hashes), their DCT-domain dihedral variants,
// and the hashes of pixel-rotated copies.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DIHEDRAL_NAMES, hashFile, pdqFromRgb, pdqHamming, pdqWeight, ZERO_HASH } from '../../electron/services/hashing';
import { decodeImage } from '../../electron/services/hashing/decode';
import { FIXTURE_IMAGES, readDihedral, readVectors, vectorFor } from './helpers';

const vectors = readVectors();

describe('vectors.tsv', () => {
  it('covers what the team fixtures covered: formats, near-duplicates, modes, orientation, low quality, rotations', async () => {
    const formats = new Set<string>();
    for (const v of vectors) formats.add((await hashFile(join(FIXTURE_IMAGES, v.file))).format!);
    expect([...formats].sort()).toEqual(['gif', 'jpeg', 'png', 'webp']);
    const covers = vectors.map((v) => v.covers).join('\n');
    for (const what of ['near-duplicate', 'progressive', 'greyscale', 'EXIF orientation', 'ICC profile', 'LA', 'I;16', 'tiny', 'rotated copy', 'mirrored copy']) {
      expect(covers, what).toContain(what);
    }
    expect(vectors.filter((v) => v.quality < 50).length).toBeGreaterThanOrEqual(2);
    expect(vectors.some((v) => v.quality > 0 && v.quality < 50)).toBe(true);
    // The near-duplicates are near (≤ 31, HMA's threshold) and the others far, so matching tests mean something.
    const photo = vectorFor('photo.jpg').pdq;
    for (const v of vectors.filter((x) => x.covers.startsWith('near-duplicate'))) {
      expect(pdqHamming(photo, v.pdq), v.file).toBeGreaterThan(0);
      expect(pdqHamming(photo, v.pdq), v.file).toBeLessThanOrEqual(31);
    }
    for (const file of ['other.jpg', 'random-26x28.png', 'photo-rotated-cw.jpg', 'photo-mirrored.jpg']) expect(pdqHamming(photo, vectorFor(file).pdq), file).toBeGreaterThan(90);
  });

  for (const v of vectors) {
    it(`${v.file}: PDQ ${v.pdq.slice(0, 12)}… quality ${v.quality} (${v.covers})`, async () => {
      const path = join(FIXTURE_IMAGES, v.file);
      // End to end through the public API.
      const h = await hashFile(path, { dihedral: true });
      expect(h.pdqQuality).toBe(v.quality);
      if (v.quality >= 50) {
        expect(h.pdq).toBe(v.pdq);
        expect(pdqHamming(h.pdq!, v.pdq)).toBe(0);
        expect(h.pdqDihedral?.[0]).toBe(v.pdq);
      } else {
        // HMA keeps no hash below quality 50, but the hash itself must still be the reference's.
        expect(h.pdq).toBeNull();
        expect(h.pdqDihedral).toBeUndefined();
      }
      // The pure function on the decoded pixels, whatever the quality.
      const img = await decodeImage(await readFile(path), h.format!, 1e9);
      const r = pdqFromRgb(img.pixels, img.width, img.height, img.channels);
      expect(r.hash).toBe(v.pdq);
      expect(r.quality).toBe(v.quality);
    });
  }

  it('icc-profile.png: a colour-managed decode would change the pixels; ours keeps them, as Pillow does', async () => {
    const bytes = await readFile(join(FIXTURE_IMAGES, 'icc-profile.png'));
    expect((await sharp(bytes).metadata()).icc).toBeDefined();
    const managed = await sharp(bytes).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const managedHash = pdqFromRgb(managed.data, managed.info.width, managed.info.height, managed.info.channels as 3);
    const ours = await decodeImage(bytes, 'png', 1e9);
    expect(Buffer.compare(Buffer.from(ours.pixels), managed.data)).not.toBe(0);
    expect(pdqFromRgb(ours.pixels, ours.width, ours.height, ours.channels).hash).toBe(vectorFor('icc-profile.png').pdq);
    expect(managedHash.hash).not.toBe(vectorFor('icc-profile.png').pdq);
  });

  it('photo-exif-orientation-6.jpg: the orientation is read, not applied (HMA hashes the stored pixels)', async () => {
    const h = await hashFile(join(FIXTURE_IMAGES, 'photo-exif-orientation-6.jpg'));
    expect(h.exifOrientation).toBe(6);
    expect(h.pdq).toBe(vectorFor('photo.jpg').pdq);
  });
});

describe('dihedral vectors', () => {
  for (const file of ['photo.jpg', 'grey-alpha.png']) {
    it(`${file}: the 8 DCT-domain variants are the reference's`, async () => {
      const h = await hashFile(join(FIXTURE_IMAGES, file), { dihedral: true });
      const want = readDihedral(file, 'dct');
      expect(Object.keys(want)).toEqual([...DIHEDRAL_NAMES]);
      expect(h.pdqDihedral).toEqual(DIHEDRAL_NAMES.map((n) => want[n]));
    });

    it(`${file}: hashes of pixel-rotated and mirrored copies are the reference's`, async () => {
      const img = await decodeImage(await readFile(join(FIXTURE_IMAGES, file)), file.endsWith('.png') ? 'png' : 'jpeg', 1e9);
      const { width: w, height: h, channels: c, pixels } = img;
      // out(x', y') = in(f(x', y')); PIL's ROTATE_90 is counter-clockwise.
      const transform = (ow: number, oh: number, src: (x: number, y: number) => [number, number]): Uint8Array => {
        const out = new Uint8Array(ow * oh * c);
        for (let y = 0; y < oh; y++) {
          for (let x = 0; x < ow; x++) {
            const [sx, sy] = src(x, y);
            for (let k = 0; k < c; k++) out[(y * ow + x) * c + k] = pixels[(sy * w + sx) * c + k]!;
          }
        }
        return out;
      };
      const cases: Record<string, [number, number, (x: number, y: number) => [number, number]]> = {
        original: [w, h, (x, y) => [x, y]],
        rotate90: [h, w, (x, y) => [w - 1 - y, x]],
        rotate180: [w, h, (x, y) => [w - 1 - x, h - 1 - y]],
        rotate270: [h, w, (x, y) => [y, h - 1 - x]],
        flipX: [w, h, (x, y) => [x, h - 1 - y]],
        flipY: [w, h, (x, y) => [w - 1 - x, y]],
        flipPlus1: [h, w, (x, y) => [y, x]],
        flipMinus1: [h, w, (x, y) => [w - 1 - y, h - 1 - x]],
      };
      const want = readDihedral(file, 'pixel');
      for (const [name, [ow, oh, f]] of Object.entries(cases)) {
        expect(pdqFromRgb(transform(ow, oh, f), ow, oh, c).hash, name).toBe(want[name]);
      }
    });
  }

  it('a copy rotated 90° clockwise is found through its rotate90 variant, a mirrored one through flipY', async () => {
    const photo = vectorFor('photo.jpg').pdq;
    const closest = async (file: string) => {
      const h = await hashFile(join(FIXTURE_IMAGES, file), { dihedral: true });
      const d = h.pdqDihedral!.map((x) => pdqHamming(x, photo));
      return { name: DIHEDRAL_NAMES[d.indexOf(Math.min(...d))], distance: Math.min(...d) };
    };
    const rotated = await closest('photo-rotated-cw.jpg');
    expect(rotated.name).toBe('rotate90');
    expect(rotated.distance).toBeLessThanOrEqual(31);
    const mirrored = await closest('photo-mirrored.jpg');
    expect(mirrored.name).toBe('flipY');
    expect(mirrored.distance).toBeLessThanOrEqual(31);
  });
});

describe('Hamming helpers', () => {
  it('counts differing bits', () => {
    const a = vectors[0]!.pdq;
    expect(pdqHamming(a, a)).toBe(0);
    expect(pdqHamming(ZERO_HASH, 'f'.repeat(64))).toBe(256);
    expect(pdqHamming(ZERO_HASH, '0'.repeat(63) + '1')).toBe(1);
    expect(pdqHamming(ZERO_HASH, '8' + '0'.repeat(63))).toBe(1);
    expect(pdqHamming(a.toUpperCase(), a)).toBe(0);
    const d = pdqHamming(vectorFor('photo.jpg').pdq, vectorFor('photo-blur-a-little.jpg').pdq);
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThan(10);
  });

  it('every hash of a picture with quality ≥ 50 has weight 128', () => {
    for (const v of vectors.filter((x) => x.quality >= 50)) expect(pdqWeight(v.pdq), v.file).toBe(128);
  });

  it('rejects malformed hashes', () => {
    expect(() => pdqHamming('abc', ZERO_HASH)).toThrow(TypeError);
    expect(() => pdqHamming('g'.repeat(64), ZERO_HASH)).toThrow(TypeError);
  });
});
