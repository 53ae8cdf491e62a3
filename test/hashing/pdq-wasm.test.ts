// pdq-wasm against the TypeScript core (its oracle) on fuzzed inputs, and the committed module against a fresh build.
// The reference binding is compared in pdq-differential.test.ts, which checks both cores.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pdqCore, pdqFromRgb, pdqFromRgbTs, pdqWasmLoadError, type PixelChannels } from '../../electron/services/hashing';
import { KINDS, synth } from './generate';
import { REPO, rng } from './helpers';

describe('pdq-wasm', () => {
  it('loads (WebAssembly SIMD) and is the core in use', () => {
    expect(pdqWasmLoadError()).toBeNull();
    expect(pdqCore()).toBe('wasm');
  });

  it('is bit-exact with the TypeScript core on 400 fuzzed images: sizes 1..700, 1–4 channels, every kind, dihedral', () => {
    const r = rng(2026);
    let compared = 0;
    for (let i = 0; i < 400; i++) {
      const small = i % 4 === 0;
      const w = small ? 1 + Math.floor(r() * 70) : 5 + Math.floor(r() * 700);
      const h = small ? 1 + Math.floor(r() * 70) : 5 + Math.floor(r() * (i % 7 === 0 ? 40 : 700));
      const channels = (1 + (i % 4)) as PixelChannels;
      const kind = KINDS[i % KINDS.length]!;
      const img = synth(kind, w, h, channels, i);
      const dihedral = i % 3 === 0;
      const wasm = pdqFromRgb(img.data, w, h, channels, { dihedral });
      const ts = pdqFromRgbTs(img.data, w, h, channels, { dihedral });
      expect(wasm, `${kind} ${w}x${h}x${channels}`).toEqual(ts);
      compared++;
    }
    // Raw random bytes (no structure at all), 64×64 (the unfiltered path) and extreme aspect ratios.
    for (const [w, h] of [[64, 64], [64, 65], [1, 5000], [5000, 5], [2048, 3], [129, 129], [1000, 1000]] as const) {
      const data = new Uint8Array(w * h * 3);
      for (let k = 0; k < data.length; k++) data[k] = Math.floor(r() * 256);
      expect(pdqFromRgb(data, w, h, 3, { dihedral: true }), `${w}x${h}`).toEqual(pdqFromRgbTs(data, w, h, 3, { dihedral: true }));
      compared++;
    }
    expect(compared).toBe(407);
  });

  it('refuses bad input like the TypeScript core', () => {
    expect(() => pdqFromRgb(new Uint8Array(10), 10, 10, 3)).toThrow(/pixel buffer too short/);
    expect(() => pdqFromRgb(new Uint8Array(300), 10, 10, 5 as PixelChannels)).toThrow(/bad channel count/);
    expect(() => pdqFromRgb(new Uint8Array(300), -1, 10, 3)).toThrow(/bad dimensions/);
  });

  it('the committed module is exactly what the AssemblyScript source builds to', async () => {
    // @ts-expect-error: a plain .mjs build script without type declarations
    const build = (await import('../../scripts/build-pdq-wasm.mjs')) as { buildPdqWasm(): Buffer; generatedSource(b: Buffer): string; GENERATED: string };
    const fresh = build.generatedSource(build.buildPdqWasm());
    expect(readFileSync(build.GENERATED, 'utf8')).toBe(fresh);
    expect(build.GENERATED).toBe(join(REPO, 'electron/services/hashing/pdq-wasm.generated.ts'));
  }, 120_000);
});
