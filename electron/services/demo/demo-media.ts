import sharp from 'sharp';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Harmless generated pictures for the first-run demo: abstract shapes, generated here, never shipped as files.
// Some appear in the demo bank as originals; the demo folder holds exact copies, near-copies and unrelated pictures,
// so an evaluator sees exact matches, PDQ near matches and non-matches without HMA or a homeserver.

const PALETTES = [
  ['#1d3557', '#e63946', '#f1faee', '#a8dadc'],
  ['#264653', '#2a9d8f', '#e9c46a', '#f4a261'],
  ['#3d405b', '#81b29a', '#f2cc8f', '#e07a5f'],
  ['#0b132b', '#5bc0be', '#ffffff', '#3a506b'],
  ['#22223b', '#9a8c98', '#f2e9e4', '#c9ada7'],
  ['#003049', '#d62828', '#f77f00', '#fcbf49'],
  ['#2b2d42', '#8d99ae', '#edf2f4', '#ef233c'],
  ['#283618', '#606c38', '#fefae0', '#dda15e'],
] as const;

function scene(seed: number): string {
  const palette = PALETTES[seed % PALETTES.length]!;
  let state = seed * 7919 + 17;
  const rnd = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const shapes: string[] = [];
  for (let i = 0; i < 14; i++) {
    const colour = palette[1 + (i % 3)]!;
    const x = Math.round(rnd() * 640);
    const y = Math.round(rnd() * 480);
    const r = Math.round(30 + rnd() * 120);
    shapes.push(
      i % 2 === 0
        ? `<circle cx="${x}" cy="${y}" r="${r}" fill="${colour}" opacity="0.85"/>`
        : `<rect x="${x - r}" y="${y - r / 2}" width="${r * 2}" height="${r}" fill="${colour}" transform="rotate(${Math.round(rnd() * 90)} ${x} ${y})"/>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"><rect width="640" height="480" fill="${palette[0]}"/>${shapes.join('')}</svg>`;
}

export function renderScene(seed: number): Promise<Buffer> {
  return sharp(Buffer.from(scene(seed))).jpeg({ quality: 92 }).toBuffer();
}

export interface DemoSet {
  folder: string;
  /** Originals that the demo bank knows (bytes, label). */
  bankOriginals: { label: string; bytes: Buffer }[];
}

/** Writes the demo folder and returns the bank originals. Idempotent: same pictures every time. */
export async function createDemoSet(folder: string): Promise<DemoSet> {
  mkdirSync(folder, { recursive: true });
  const originals = await Promise.all([0, 1, 2, 3, 4, 5].map((seed) => renderScene(seed)));
  const files: [string, Buffer][] = [
    ['01-exact-copy-of-sample-A.jpg', originals[0]!],
    ['02-exact-copy-of-sample-B.jpg', originals[1]!],
    ['03-resized-copy-of-sample-C.jpg', await sharp(originals[2]!).resize(480, 360).jpeg({ quality: 70 }).toBuffer()],
    ['04-recompressed-sample-D.webp', await sharp(originals[3]!).webp({ quality: 40 }).toBuffer()],
    ['05-brightened-sample-E.png', await sharp(originals[4]!).modulate({ brightness: 1.15 }).png().toBuffer()],
    ['06-cropped-sample-F.jpg', await sharp(originals[5]!).extract({ left: 8, top: 6, width: 624, height: 468 }).jpeg({ quality: 85 }).toBuffer()],
    ['07-unrelated.jpg', await renderScene(11)],
    ['08-unrelated.jpg', await renderScene(12)],
    ['09-unrelated.png', await sharp(await renderScene(13)).png().toBuffer()],
    ['10-not-an-image.txt', Buffer.from('Matchdesk demo: a file that is not an image is hashed (MD5, SHA-256) but has no PDQ.\n')],
  ];
  for (const [name, bytes] of files) writeFileSync(join(folder, name), bytes);
  return {
    folder,
    bankOriginals: originals.map((bytes, i) => ({ label: `Demo sample ${String.fromCharCode(65 + i)}`, bytes })),
  };
}
