import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The team folder sits beside the checkout (../shared), in CI as on a developer's machine. */
export const FIXTURES = resolve(REPO, '../shared/fixtures/pdq');
export const FIXTURE_IMAGES = join(FIXTURES, 'images');

export interface Vector {
  file: string;
  pdq: string;
  quality: number;
}

export function readVectors(): Vector[] {
  const lines = readFileSync(join(FIXTURES, 'vectors.tsv'), 'utf8').trim().split('\n');
  const [header, ...rows] = lines;
  if (!header?.startsWith('file\tpdq\tquality')) throw new Error(`unexpected vectors.tsv header: ${header}`);
  return rows.map((line) => {
    const [file, pdq, quality] = line.split('\t');
    if (!file || !pdq || !quality) throw new Error(`bad vectors.tsv row: ${line}`);
    return { file, pdq, quality: Number(quality) };
  });
}

export { rng } from '../helpers/rng';
