// Differential test against the reference binding (pdqhash in .cache/venv-pdq, the C++ HMA runs): the SAME decoded
// pixel bytes go to both sides; any difference in hash (distance > 0) or quality fails.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIHEDRAL_NAMES, pdqCore, pdqFromRgb, pdqFromRgbTs, pdqHamming, type PixelChannels } from '../../electron/services/hashing';
import { decodeImage } from '../../electron/services/hashing/decode';
import { DCT_MATRIX } from '../../electron/services/hashing/pdq';
import { KINDS, synth, type Pixels } from './generate';
import { FIXTURE_IMAGES, readDihedral, readVectors, rng } from './helpers';
import { PdqOracle } from './oracle/oracle';

let oracle: PdqOracle;
let compared = 0;

beforeAll(() => {
  oracle = new PdqOracle();
}, 600_000);

afterAll(async () => {
  await oracle?.close();
});

interface Case {
  name: string;
  make: () => Promise<Pixels> | Pixels;
  dihedral: boolean;
}

/** Runs cases with a few in flight, so Python and our side overlap; returns the mismatches. */
async function runCases(cases: Case[], inFlight = 3): Promise<string[]> {
  const problems: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const c = cases[next++]!;
      const img = await c.make();
      const refP = oracle.pdq(img.data, img.width, img.height, img.channels, c.dihedral);
      const ours = pdqFromRgb(img.data, img.width, img.height, img.channels as PixelChannels, { dihedral: c.dihedral });
      // The TypeScript core (the fallback and oracle of pdq-wasm) must give the very same answer.
      const ts = pdqFromRgbTs(img.data, img.width, img.height, img.channels as PixelChannels, { dihedral: c.dihedral });
      const ref = await refP;
      const tag = `${c.name} (${img.width}x${img.height}x${img.channels})`;
      if (JSON.stringify(ts) !== JSON.stringify(ours)) problems.push(`${tag}: the ${pdqCore()} core and the TypeScript core differ`);
      if (ours.hash !== ref.hash) problems.push(`${tag}: distance ${pdqHamming(ours.hash, ref.hash)}`);
      if (ours.quality !== ref.quality) problems.push(`${tag}: quality ${ours.quality} vs ${ref.quality}`);
      if (c.dihedral) {
        ref.dihedral!.forEach((h, i) => {
          if (ours.dihedral![i] !== h) problems.push(`${tag}: dihedral ${i} distance ${pdqHamming(ours.dihedral![i]!, h)}`);
        });
      }
      compared++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return problems;
}

function sizeCases(count: number, seed: number, pick: (r: () => number) => [number, number]): Case[] {
  const r = rng(seed);
  const channelCycle = [3, 3, 1, 4, 3, 2];
  return Array.from({ length: count }, (_, i) => {
    const [w, h] = pick(r);
    const kind = KINDS[i % KINDS.length]!;
    const channels = channelCycle[i % channelCycle.length]!;
    const s = Math.floor(r() * 2 ** 31);
    return { name: `${kind}#${seed}.${i}`, make: () => synth(kind, w, h, channels, s), dihedral: i % 4 === 0 };
  });
}

const logUniform = (r: () => number, lo: number, hi: number): number => Math.floor(Math.exp(Math.log(lo) + r() * (Math.log(hi + 1) - Math.log(lo))));

describe('PDQ vs the reference binding on identical pixels', () => {
  it('DCT matrix equals the one built with libm cos, as the C++ does', async () => {
    const ref = await oracle.dctMatrix();
    expect(Array.from(DCT_MATRIX)).toEqual(Array.from(ref));
  });

  it('300 synthetic images from 5×5 to 700×700 (noise, gradients, text-like, checkers, flat, stripes, blobs)', async () => {
    const edge: [number, number][] = [
      [5, 5], [5, 5], [5, 64], [64, 5], [6, 7], [64, 64], [64, 64], [63, 63], [65, 65], [128, 128], [129, 129], [127, 130], [256, 257], [384, 385],
    ];
    const cases = [
      ...sizeCases(edge.length, 1, (() => {
        let i = 0;
        return () => edge[i++]!;
      })()),
      ...sizeCases(300 - edge.length, 2, (r) => [logUniform(r, 5, 700), logUniform(r, 5, 700)]),
    ];
    expect(await runCases(cases)).toEqual([]);
  }, 300_000);

  it('110 synthetic images from 700 px to 4000×3000', async () => {
    const cases = [
      ...sizeCases(100, 3, (r) => [700 + Math.floor(r() * 1300), 700 + Math.floor(r() * 1300)]),
      ...sizeCases(7, 4, (r) => [2000 + Math.floor(r() * 2000), 1500 + Math.floor(r() * 1500)]),
      ...sizeCases(3, 5, () => [4000, 3000]),
    ];
    expect(await runCases(cases, 2)).toEqual([]);
  }, 600_000);

  it('120 fixture photos resized, cropped and re-encoded (JPEG, WebP, PNG, grey)', async () => {
    const files = readdirSync(FIXTURE_IMAGES).sort();
    const r = rng(6);
    const cases: Case[] = [];
    for (let i = 0; i < 120; i++) {
      const file = files[i % files.length]!;
      const s = Math.floor(r() * 2 ** 31);
      cases.push({
        name: `${file}#${i}`,
        dihedral: i % 3 === 0,
        make: async () => {
          const rr = rng(s);
          const src = join(FIXTURE_IMAGES, file);
          const meta = await sharp(src).metadata();
          let p = sharp(src);
          const W = meta.width!;
          const H = meta.height!;
          if (rr() < 0.6 && W > 12 && H > 12) {
            const cw = Math.max(5, Math.floor(W * (0.3 + rr() * 0.7)));
            const ch = Math.max(5, Math.floor(H * (0.3 + rr() * 0.7)));
            p = p.extract({ left: Math.floor(rr() * (W - cw)), top: Math.floor(rr() * (H - ch)), width: cw, height: ch });
          }
          if (rr() < 0.7) p = p.resize(logUniform(rr, 5, 3000), logUniform(rr, 5, 2500), { fit: 'fill' });
          const enc = rr();
          let buf =
            enc < 0.35
              ? await p.jpeg({ quality: 30 + Math.floor(rr() * 70) }).toBuffer()
              : enc < 0.6
                ? await p.webp({ quality: 30 + Math.floor(rr() * 70) }).toBuffer()
                : enc < 0.8
                  ? await p.png().toBuffer()
                  : await p.greyscale().png().toBuffer();
          if (rr() < 0.2) buf = await sharp(buf).jpeg({ quality: 60 }).toBuffer(); // a second generation
          const { data, info } = await sharp(buf).keepIccProfile().raw().toBuffer({ resolveWithObject: true });
          return { data, width: info.width, height: info.height, channels: info.channels };
        },
      });
    }
    expect(await runCases(cases)).toEqual([]);
  }, 600_000);

  it('the committed test vectors are what the reference binding computes from the files (as HMA hashes them)', async () => {
    const problems: string[] = [];
    for (const v of readVectors()) {
      const ref = await oracle.file(readFileSync(join(FIXTURE_IMAGES, v.file)));
      if (ref.hash !== v.pdq || ref.quality !== v.quality) problems.push(`${v.file}: reference ${ref.hash} q${ref.quality}, vectors.tsv ${v.pdq} q${v.quality}`);
    }
    for (const file of ['photo.jpg', 'grey-alpha.png']) {
      const img = await decodeImage(readFileSync(join(FIXTURE_IMAGES, file)), file.endsWith('.png') ? 'png' : 'jpeg', 1e9);
      const ref = await oracle.pdq(img.pixels, img.width, img.height, img.channels, true);
      const want = readDihedral(file, 'dct');
      if (JSON.stringify(ref.dihedral) !== JSON.stringify(DIHEDRAL_NAMES.map((n) => want[n]))) problems.push(`${file}: dihedral.tsv differs from the reference`);
    }
    expect(problems).toEqual([]);
  });

  it('compared at least 500 images', () => {
    expect(compared).toBeGreaterThanOrEqual(500);
  });
});
