import { describe, expect, it } from 'vitest';
import { PdqIndex, linearScan, pdqDistance, popcount32, parsePdqHex, formatPdqHex, substringsFor } from '../../electron/services/banks/pdq-index';
import { flipBits, randomPdq, rng } from './helpers';

function build(entries: Array<{ id: number; hex: string }>): PdqIndex {
  const idx = new PdqIndex();
  for (const e of entries) idx.add(e.id, e.hex);
  return idx;
}

describe('PDQ bit helpers', () => {
  it('popcount32 and distance agree with a naive count', () => {
    const r = rng(1);
    for (let i = 0; i < 2000; i++) {
      const x = Math.floor(r() * 2 ** 32) >>> 0;
      expect(popcount32(x)).toBe(x.toString(2).split('').filter((c) => c === '1').length);
    }
    expect(popcount32(0xffffffff)).toBe(32);
    expect(popcount32(-1)).toBe(32); // XOR of two Uint32 words yields a signed int32
    expect(popcount32(0x80000000 ^ 0x00000001)).toBe(2);
    const a = 'facd8bcb2a49bcebdec1985298d5fe84bcd006c187c598c720c3c087b3fdb318';
    const b = 'facd8bcb2a49bcebdec1985228d5ae84bcd006c187c598c720c2b087b3fdb318';
    expect(pdqDistance(a, b)).toBe(9); // HMA's /m/compare specimen
    expect(pdqDistance(a, a)).toBe(0);
    expect(formatPdqHex(parsePdqHex(a))).toBe(a);
    expect(() => parsePdqHex('abc')).toThrow(/invalid PDQ hash/);
  });
});

describe('PdqIndex (multi-index hashing) vs linear scan', () => {
  it('random + near-duplicate data: identical results to the scan at radius 31 (recall 1.0), distances exact', () => {
    const r = rng(42);
    const entries: Array<{ id: number; hex: string }> = [];
    for (let i = 0; i < 20_000; i++) entries.push({ id: i, hex: randomPdq(r) });
    // Near-duplicates at every distance 0..40 of some stored hashes, plus clusters around a few "popular" images.
    let id = 100_000;
    for (let k = 0; k < 400; k++) entries.push({ id: id++, hex: flipBits(entries[k]!.hex, k % 41, r) });
    for (let c = 0; c < 5; c++) for (let k = 0; k < 200; k++) entries.push({ id: id++, hex: flipBits(entries[c]!.hex, 1 + Math.floor(r() * 31), r) });
    const idx = build(entries);
    expect(idx.size).toBe(entries.length);

    const queries: string[] = [];
    for (let k = 0; k < 150; k++) queries.push(flipBits(entries[Math.floor(r() * 400)]!.hex, Math.floor(r() * 33), r));
    for (let c = 0; c < 5; c++) queries.push(flipBits(entries[c]!.hex, 10, r));
    for (let k = 0; k < 50; k++) queries.push(randomPdq(r));
    let nonEmpty = 0;
    for (const [k, q] of queries.entries()) {
      const got = idx.query(q, 31);
      const want = idx.linearScan(q, 31);
      expect(got).toEqual(want);
      // The standalone scan (hex parsed per entry, no shared storage) is slow: cross-check a sample.
      if (k % 5 === 0) expect(linearScan(entries, q, 31)).toEqual(want);
      if (want.length) nonEmpty++;
      for (const m of got) expect(m.distance).toBeLessThanOrEqual(31);
    }
    expect(nonEmpty).toBeGreaterThan(100);
  });

  it('boundary: distance 31 is found, 32 is not; other radii match the scan (0, 15, 16, 47 and the linear fallback at 64)', () => {
    const r = rng(7);
    const base = randomPdq(r);
    const entries = [
      { id: 1, hex: base },
      { id: 2, hex: flipBits(base, 31, r) },
      { id: 3, hex: flipBits(base, 32, r) },
      ...Array.from({ length: 3000 }, (_, i) => ({ id: 10 + i, hex: flipBits(base, i % 70, r) })),
    ];
    const idx = build(entries);
    const at31 = idx.query(base, 31);
    expect(at31.map((m) => m.id)).toContain(2);
    expect(at31.map((m) => m.id)).not.toContain(3);
    expect(idx.query(base)).toEqual(at31); // default radius = HMA threshold 31
    for (const radius of [0, 1, 15, 16, 31, 32, 47, 48, 64]) expect(idx.query(base, radius)).toEqual(linearScan(entries, base, radius));
    expect(idx.query(base, -1)).toEqual([]);
  });

  it('adds after a build (tail), removals, re-adding an id, compaction and clear keep results exact', () => {
    const r = rng(99);
    const live = new Map<number, string>();
    const idx = new PdqIndex(16);
    const snapshot = () => [...live].map(([id, hex]) => ({ id, hex }));
    const check = (q: string) => expect(idx.query(q, 31)).toEqual(linearScan(snapshot(), q, 31));
    for (let i = 0; i < 5000; i++) {
      const hex = randomPdq(r);
      idx.add(i, hex);
      live.set(i, hex);
    }
    idx.build();
    const probe = live.get(17)!;
    check(probe);
    // tail additions: near-duplicates of the probe, visible without a rebuild
    for (let i = 0; i < 50; i++) {
      const hex = flipBits(probe, i % 32, r);
      idx.add(10_000 + i, hex);
      live.set(10_000 + i, hex);
    }
    check(probe);
    // removals in built and tail regions
    for (const id of [17, 10_001, 10_002, ...Array.from({ length: 3000 }, (_, i) => i + 100)]) {
      expect(idx.remove(id)).toBe(true);
      live.delete(id);
    }
    expect(idx.remove(17)).toBe(false);
    check(probe); // triggers compaction (many tombstones)
    // re-adding an existing id replaces its hash
    idx.add(10_003, probe);
    live.set(10_003, probe);
    check(probe);
    expect(idx.get(10_003)).toBe(probe);
    expect(idx.has(17)).toBe(false);
    expect(idx.size).toBe(live.size);
    // many more adds → rebuilds happen lazily
    for (let i = 0; i < 3000; i++) {
      const hex = i % 3 ? randomPdq(r) : flipBits(probe, i % 31, r);
      idx.add(20_000 + i, hex);
      live.set(20_000 + i, hex);
    }
    check(probe);
    check(flipBits(probe, 20, r));
    idx.clear();
    live.clear();
    expect(idx.size).toBe(0);
    expect(idx.query(probe)).toEqual([]);
  });

  it('rejects malformed input without corrupting the index', () => {
    const idx = new PdqIndex();
    const h = randomPdq(rng(3));
    idx.add(1, h);
    expect(() => idx.add(2, 'xyz')).toThrow(/invalid PDQ hash/);
    expect(() => idx.add(Number.NaN, h)).toThrow(TypeError);
    expect(() => idx.query('0'.repeat(63))).toThrow(/invalid PDQ hash/);
    expect(idx.size).toBe(1);
    expect(idx.query(h.toUpperCase())).toEqual([{ id: 1, distance: 0 }]);
  });

  it('clustered (non-uniform) data stays exact: hashes sharing most 16-bit substrings', () => {
    const r = rng(5);
    const base = randomPdq(r);
    // 8 000 hashes that all share the first 12 substrings with the base (worst case for bucket sizes).
    const entries = Array.from({ length: 8000 }, (_, i) => ({ id: i, hex: base.slice(0, 48) + randomPdq(r).slice(48) }));
    const idx = build(entries);
    for (let k = 0; k < 20; k++) {
      const q = flipBits(entries[k * 17]!.hex, k, r);
      expect(idx.query(q)).toEqual(linearScan(entries, q));
    }
  });
});

describe('PdqIndex at scale: substring counts chosen from n, incremental levels', () => {
  it('picks fewer, longer substrings as the bank grows, within the memory budget', () => {
    expect(substringsFor(10_000)).toBe(16);
    expect(substringsFor(1_050_000)).toBe(13);
    expect(substringsFor(5_250_000)).toBe(11);
  });

  it.each([11, 12, 13, 14, 16, 20])('m = %i substrings (keys across word boundaries): same results as the scan at radii 0..47 and 64', (m) => {
    const r = rng(100 + m);
    const entries: Array<{ id: number; hex: string }> = [];
    for (let i = 0; i < 6000; i++) entries.push({ id: i, hex: randomPdq(r) });
    for (let k = 0; k < 600; k++) entries.push({ id: 10_000 + k, hex: flipBits(entries[k]!.hex, k % 48, r) });
    const idx = new PdqIndex(16, { substrings: m, alwaysProbe: true });
    for (const e of entries) idx.add(e.id, e.hex);
    idx.build();
    expect(idx.substrings).toBe(m);
    for (let k = 0; k < 40; k++) {
      const q = flipBits(entries[k * 7]!.hex, k % 40, r);
      for (const radius of [0, 1, 7, 15, 31, 32, 40, 47, ...(m >= 16 ? [64] : [])]) expect(idx.query(q, radius)).toEqual(idx.linearScan(q, radius));
    }
  });

  it('additions after the main build go through the tail and the recent level, with removals, and stay exact', () => {
    const r = rng(77);
    const live = new Map<number, string>();
    const idx = new PdqIndex(16, { substrings: 12 });
    const probe = randomPdq(r);
    const add = (id: number, hex: string) => {
      idx.add(id, hex);
      live.set(id, hex);
    };
    for (let i = 0; i < 20_000; i++) add(i, i % 50 === 0 ? flipBits(probe, i % 32, r) : randomPdq(r));
    idx.build();
    const check = () => {
      for (const q of [probe, flipBits(probe, 9, r), flipBits(probe, 25, r)]) {
        expect(idx.query(q, 31)).toEqual(linearScan([...live].map(([id, hex]) => ({ id, hex })), q, 31));
      }
    };
    check();
    // 3,000 adds stay in the tail; 30,000 more build a recent level; 80,000 more rebuild main.
    for (let i = 0; i < 3_000; i++) add(100_000 + i, i % 10 === 0 ? flipBits(probe, i % 31, r) : randomPdq(r));
    check();
    for (let i = 0; i < 30_000; i++) add(200_000 + i, i % 100 === 0 ? flipBits(probe, i % 31, r) : randomPdq(r));
    check();
    for (const id of [...live.keys()].filter((id) => id % 3 === 0)) {
      expect(idx.remove(id)).toBe(true);
      live.delete(id);
    }
    check();
    for (let i = 0; i < 80_000; i++) add(300_000 + i, i % 500 === 0 ? flipBits(probe, i % 31, r) : randomPdq(r));
    check();
    expect(idx.size).toBe(live.size);
    expect(idx.get(300_000)).toBe(live.get(300_000));
  });
});
