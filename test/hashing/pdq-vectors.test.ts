// Reference vectors: every row of shared/fixtures/pdq/vectors.tsv, the DCT-domain dihedral vectors of pdq.md (bridge =
// aaa-orig.jpg, LA = pytx-LA.png) and the pixel-rotation vectors of python-threatexchange's CLI test.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashFile, pdqFromRgb, pdqHamming, pdqWeight, ZERO_HASH } from '../../electron/services/hashing';
import { decodeImage } from '../../electron/services/hashing/decode';
import { FIXTURE_IMAGES, readVectors } from './helpers';

const vectors = readVectors();

const BRIDGE_DIHEDRAL = [
  'f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22',
  '30a10efd71c83f429013d48d0ffffc52e34e0e17ada952a9d29685211ea9e5af',
  'adad5a64b5a102e55b62a08856dacd5ae63b847fc337b4b766b319361bc93188',
  'a5f0b457a49995e8c1065c275aaa54d8b61ba49df8fcfc0383c32f8b0bfc4f05',
  'f8f80f31e0f457b00637f5d5028f980fb36ed12a9622e1e233e64c634e9c64dd',
  '0dad2599b1a1bd1a5362576752da32a5e63b7380c2374b4866b346c91bc9ce77',
  'f0a5e102f1ccc0bd945308720fff038de34ef1e8ada9a956d2967ade5ea91a50',
  'a5f04ba8a4996a17c906a3d85aaaa927b61b5b42f8fc03fc87c3d0740bfcb0fa',
];

const LA_DIHEDRAL = [
  'accb6d39648035f8125c8ce6ba65007de7b54c67a2d93ef7b8f33b0611306715',
  '86f89b3ef2bde5e0c65c0b2e0af7af78b4b860057ffaa640db20f0288e5c3c06',
  'f99ec79331d597524709264cef30a2d7b2a064cdf28c145deda691ac4421cdbf',
  'd3ad3194afe84f4a9309a1a45fa205d2e1edcaaf2aaf0cea8e755a82db0996ac',
  'accb92c664a0ca07327e3319ba6fff82e7f53198a6f94108b8f3c4e9137488ea',
  'f99e386c31f560ad472b99b3ef3a5528b2a09b32f7aceba2eda66e4346212240',
  '86a860c1f2bd1a1ec65cf4d10ab55087b4b89f7857da59bbd9200fd5845cc3f9',
  'd3adca6ba7e8b0b482095e5b5fa0fa0de1ed3550028ff3118c75a57dd1096953',
];

// python-threatexchange cli/tests/hash_cmd_test.py::test_rotations_with_photo_content (rotate pixels, then hash).
const LA_PIXEL_ROTATIONS: Record<string, string> = {
  ORIGINAL: 'accb6d39648035f8125c8ce6ba65007de7b54c67a2d93ef7b8f33b0611306715',
  ROTATE90: '1f70cbbc77edc5f9524faa1b18f3b76cd0a04a833e20f645d229d0acc8499c56',
  ROTATE180: '31ddf2513558de0ae56e4a8c8930cadde2ee084df3aed0a75fa512ea0e41e197',
  ROTATE270: 'c79931968e880f4b97196df4d5ea0fb489b99e2c10af0dceacf572809b815ea5',
  FLIPX: 'aaca8605440c4a6735dbbf59b947df92e7bf161807e9cd88baf04579523098ab',
  FLIPY: '559f78de2530abbdc663b131ed78f10072c4bb13f3acd6017d0e69150e413e5a',
  FLIPPLUS1: '86a860c1f2bd1a1ec65cf4d10ab55087b4b89f7857da59bbd9200fd5845cc3f9',
  FLIPMINUS1: '5bb15db9e8a1f03c174a380a55aeaa2985bde9c60abce301bde48df918b5c15b',
};

describe('vectors.tsv', () => {
  it('has the rows the fixtures README describes', () => {
    expect(vectors.length).toBe(19);
  });

  for (const v of vectors) {
    it(`${v.file}: PDQ ${v.pdq.slice(0, 12)}… quality ${v.quality}`, async () => {
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
});

describe('dihedral vectors of pdq.md', () => {
  it('bridge (aaa-orig.jpg): the 8 DCT-domain variants', async () => {
    const h = await hashFile(join(FIXTURE_IMAGES, 'aaa-orig.jpg'), { dihedral: true });
    expect(h.pdqDihedral).toEqual(BRIDGE_DIHEDRAL);
    expect(h.pdqQuality).toBe(100);
  });

  it('LA (pytx-LA.png): the 8 DCT-domain variants', async () => {
    const h = await hashFile(join(FIXTURE_IMAGES, 'pytx-LA.png'), { dihedral: true });
    expect(h.pdqDihedral).toEqual(LA_DIHEDRAL);
  });

  it('LA (pytx-LA.png): hashes of pixel-rotated copies, as python-threatexchange asserts', async () => {
    const img = await decodeImage(await readFile(join(FIXTURE_IMAGES, 'pytx-LA.png')), 'png', 1e9);
    const { width: w, height: h, channels: c, pixels } = img;
    // out(x', y') = in(f(x', y')); PIL's rotate(90) is counter-clockwise.
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
      ORIGINAL: [w, h, (x, y) => [x, y]],
      ROTATE90: [h, w, (x, y) => [w - 1 - y, x]],
      ROTATE180: [w, h, (x, y) => [w - 1 - x, h - 1 - y]],
      ROTATE270: [h, w, (x, y) => [y, h - 1 - x]],
      FLIPX: [w, h, (x, y) => [x, h - 1 - y]],
      FLIPY: [w, h, (x, y) => [w - 1 - x, y]],
      // ROTATE_270 then FLIP_LEFT_RIGHT = transpose; ROTATE_90 then FLIP_LEFT_RIGHT = transverse
      FLIPPLUS1: [h, w, (x, y) => [y, x]],
      FLIPMINUS1: [h, w, (x, y) => [w - 1 - y, h - 1 - x]],
    };
    for (const [name, [ow, oh, f]] of Object.entries(cases)) {
      const r = pdqFromRgb(transform(ow, oh, f), ow, oh, c);
      expect(r.hash, name).toBe(LA_PIXEL_ROTATIONS[name]);
    }
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
    // blur-a-little.jpg vs aaa-orig.jpg: near-duplicates
    const d = pdqHamming(vectors.find((v) => v.file === 'aaa-orig.jpg')!.pdq, vectors.find((v) => v.file === 'blur-a-little.jpg')!.pdq);
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThan(10);
  });

  it('every reference hash has weight 128', () => {
    for (const v of vectors) expect(pdqWeight(v.pdq), v.file).toBe(128);
  });

  it('rejects malformed hashes', () => {
    expect(() => pdqHamming('abc', ZERO_HASH)).toThrow(TypeError);
    expect(() => pdqHamming('g'.repeat(64), ZERO_HASH)).toThrow(TypeError);
  });
});
