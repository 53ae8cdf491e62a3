// The optimised PDQ against a plain, independent implementation of pdq.md (naive-pdq.ts), the dihedral variants
// against the spec's DCT-domain table, and the numeric shortcuts the optimised code takes.
import { describe, expect, it } from 'vitest';
import { DIHEDRAL_NAMES, pdqFromLuma, pdqFromRgb, ZERO_HASH } from '../../electron/services/hashing';
import { dctToHex, dihedralDcts, median256, pdqDctFromSource, rgbLumaSource } from '../../electron/services/hashing/pdq';
import { KINDS, synth } from './generate';
import { rng } from './helpers';
import { dihedralTransform, NAIVE_DIHEDRAL_ORDER, naivePdq, torben } from './naive-pdq';

// Sizes around every boundary the algorithm has: the 5-pixel minimum, the 64×64 no-blur case, window sizes
// changing at multiples of 128, odd and even windows, extreme aspect ratios.
const SIZES: [number, number][] = [
  [5, 5], [5, 6], [6, 5], [5, 300], [300, 5], [7, 1000], [63, 64], [64, 63], [64, 64], [65, 64], [64, 65], [65, 65],
  [127, 127], [128, 128], [129, 129], [128, 129], [255, 256], [256, 256], [257, 255], [383, 384], [385, 386],
  [512, 513], [640, 480], [100, 700], [1000, 9], [333, 257],
];

describe('optimised PDQ = plain implementation of pdq.md', () => {
  const rand = rng(7);
  let n = 0;
  for (const [w, h] of SIZES) {
    for (const channels of [1, 3, 4]) {
      const kind = KINDS[n++ % KINDS.length]!;
      it(`${w}x${h}x${channels} ${kind}`, () => {
        const img = synth(kind, w, h, channels, Math.floor(rand() * 1e9));
        const ours = pdqFromRgb(img.data, w, h, channels as 1 | 3 | 4, { dihedral: true });
        const ref = naivePdq(img.data, w, h, channels);
        expect(ours.hash).toBe(ref.hash);
        expect(ours.quality).toBe(ref.quality);
        expect(ours.dihedral).toEqual(ref.dihedral);
      });
    }
  }
});

describe('dihedral variants', () => {
  it('are the hashes of the DCT-domain transforms of pdq.md, in its order', () => {
    expect(DIHEDRAL_NAMES).toEqual(NAIVE_DIHEDRAL_ORDER);
    const rand = rng(11);
    for (let i = 0; i < 40; i++) {
      const w = 5 + Math.floor(rand() * 600);
      const h = 5 + Math.floor(rand() * 600);
      const img = synth(KINDS[i % KINDS.length]!, w, h, 3, i);
      const ours = pdqFromRgb(img.data, w, h, 3, { dihedral: true });
      // Independent: the DCT from our pipeline, transformed by the spec's table element by element, median by
      // Torben's algorithm, bits assembled as a 256-bit integer.
      const dct = pdqDctFromSource(rgbLumaSource(img.data, w, h, 3), w, h, true)!.dct;
      const expected = NAIVE_DIHEDRAL_ORDER.map((name) => {
        const t = dihedralTransform(name, dct);
        const med = torben(t);
        let bits = 0n;
        for (let k = 0; k < 256; k++) if (t[k]! > med) bits |= 1n << BigInt(k);
        return bits.toString(16).padStart(64, '0');
      });
      expect(ours.dihedral, `${w}x${h}`).toEqual(expected);
      // The first variant is the plain hash (except for exactly 64×64, where only the dihedral path blurs).
      expect(ours.dihedral![0]).toBe(ours.hash);
    }
  });

  it('transposition keeps the median, sign flips recompute it', () => {
    const img = synth('blobs', 300, 200, 3, 5);
    const dct = pdqDctFromSource(rgbLumaSource(img.data, 300, 200, 3), 300, 200, true)!.dct;
    const variants = dihedralDcts(dct);
    expect(median256(variants[6]!)).toBe(median256(dct)); // flipPlus1 = transpose
    for (const [i, v] of variants.entries()) expect(dctToHex(v), DIHEDRAL_NAMES[i]).toBe(dctToHex(dihedralTransform(DIHEDRAL_NAMES[i]!, dct)));
  });

  it('a 64×64 image: plain hash unblurred, dihedral variants blurred, as the C++ entry points do', () => {
    const img = synth('noise', 64, 64, 3, 99);
    const ours = pdqFromRgb(img.data, 64, 64, 3, { dihedral: true });
    const ref = naivePdq(img.data, 64, 64, 3);
    expect(ours.hash).toBe(ref.hash);
    expect(ours.dihedral).toEqual(ref.dihedral);
  });

  it('too small: all-zero hashes, quality 0', () => {
    const img = synth('noise', 4, 100, 3, 1);
    expect(pdqFromRgb(img.data, 4, 100, 3, { dihedral: true })).toEqual({ hash: ZERO_HASH, quality: 0, dihedral: Array(8).fill(ZERO_HASH) });
  });
});

describe('numeric shortcuts', () => {
  it('Torben median is sorted[127], ties included', () => {
    const rand = rng(3);
    for (let t = 0; t < 300; t++) {
      const m = new Float32Array(256);
      const distinct = t % 3 === 0 ? 4 : 1000;
      for (let i = 0; i < 256; i++) m[i] = Math.fround(Math.floor(rand() * distinct) - distinct / 2 + (t % 2 ? rand() : 0));
      expect(median256(m)).toBe(torben(m));
    }
    expect(median256(new Float32Array(256))).toBe(0);
  });

  it('rounding a float32 sum times the double reciprocal of the count equals float32 division', () => {
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    const rand = rng(17);
    let checked = 0;
    const mismatches: string[] = [];
    for (let c = 1; c <= 4000; c += c < 300 ? 1 : 37) {
      const r = 1 / c;
      for (let k = 0; k < 400; k++) {
        // sums of luma-like magnitudes, and arbitrary float32 bit patterns whose quotient stays a normal float
        const s = k & 1 ? Math.fround(rand() * 255 * c) : ((u[0] = (rand() * 2 ** 31) >>> 0), f[0]!);
        if (!Number.isFinite(s) || (s !== 0 && Math.abs(s / c) < 2 ** -125)) continue;
        if (Math.fround(s * r) !== Math.fround(s / c)) mismatches.push(`${s}/${c}`);
        checked++;
      }
    }
    expect(mismatches).toEqual([]);
    expect(checked).toBeGreaterThan(100_000);
  });

  it('pdqFromLuma = pdqFromRgb on the same luma; it refuses luma that could go subnormal', () => {
    const img = synth('radial', 300, 211, 3, 8);
    const luma = new Float32Array(300 * 211);
    const source = rgbLumaSource(img.data, 300, 211, 3);
    for (let y = 0; y < 211; y++) source(y, luma, y * 300);
    expect(pdqFromLuma(luma, 300, 211)).toEqual(pdqFromRgb(img.data, 300, 211, 3));
    luma[5] = 1e-20;
    expect(() => pdqFromLuma(luma, 300, 211)).toThrow(RangeError);
  });

  it('rejects inconsistent pixel buffers', () => {
    expect(() => pdqFromRgb(new Uint8Array(10), 5, 5, 3)).toThrow(RangeError);
    expect(() => pdqFromRgb(new Uint8Array(75), 5, 5, 5 as 3)).toThrow(RangeError);
  });
});
