import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Test pictures kept in the repository (drawn by test/fixtures/pdq/generate.py), with the reference binding's hashes. */
export const FIXTURES = join(REPO, 'test/fixtures/pdq');
export const FIXTURE_IMAGES = join(FIXTURES, 'images');

export interface Vector {
  file: string;
  pdq: string;
  quality: number;
  /** What the picture is there to cover. */
  covers: string;
}

function readTsv(name: string, header: string): string[][] {
  const [first, ...rows] = readFileSync(join(FIXTURES, name), 'utf8').trim().split('\n');
  if (first !== header) throw new Error(`unexpected ${name} header: ${first}`);
  return rows.map((line) => line.split('\t'));
}

export function readVectors(): Vector[] {
  return readTsv('vectors.tsv', 'file\tpdq\tquality\tcovers').map(([file, pdq, quality, covers]) => {
    if (!file || !pdq || !quality || !covers) throw new Error(`bad vectors.tsv row: ${file}`);
    return { file, pdq, quality: Number(quality), covers };
  });
}

export function vectorFor(file: string): Vector {
  const v = readVectors().find((x) => x.file === file);
  if (!v) throw new Error(`no vector for ${file}`);
  return v;
}

/**
 * The 8 dihedral hashes of a fixture in DIHEDRAL_NAMES order: `dct` from pdqhash.compute_dihedral, `pixel` from
 * hashing copies rotated and mirrored with Pillow.
 */
export function readDihedral(file: string, domain: 'dct' | 'pixel'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [f, d, variant, pdq] of readTsv('dihedral.tsv', 'file\tdomain\tvariant\tpdq')) {
    if (f === file && d === domain) out[variant!] = pdq!;
  }
  return out;
}

export { rng } from '../helpers/rng';
