// `matchdesk hash` through bin/matchdesk.mjs, as `npx matchdesk` runs it (a separate node process, tsx registered by
// the bin script, workers loaded through the .mjs bootstrap).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DIHEDRAL_NAMES } from '../../electron/services/hashing';
import { main } from '../../electron/cli/main';
import { FIXTURE_IMAGES, readVectors, REPO, vectorFor } from './helpers';

const BIN = join(REPO, 'bin/matchdesk.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'matchdesk-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('matchdesk hash', () => {
  const vectors = readVectors();

  it('--json: one object per line, in input order, exit 0 when every file hashed', () => {
    const files = vectors.slice(0, 6).map((v) => join(FIXTURE_IMAGES, v.file));
    const r = cli('hash', '--json', ...files);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.file)).toEqual(files);
    lines.forEach((l, i) => {
      expect(l).toMatchObject({ pdq: vectors[i]!.pdq, quality: vectors[i]!.quality });
      expect(l.md5).toMatch(/^[0-9a-f]{32}$/);
      expect(l.sha1).toMatch(/^[0-9a-f]{40}$/);
      expect(l.sha256).toMatch(/^[0-9a-f]{64}$/);
    });
  }, 120_000);

  it('--dihedral adds the 8 variants; failures give the reason per file and exit 1', () => {
    const notImage = join(tmp, 'notes.txt');
    writeFileSync(notImage, 'hello');
    const truncated = join(tmp, 'truncated.jpg');
    writeFileSync(truncated, Buffer.from('ffd8ffe000104a46494600010100000100010000ffdb', 'hex'));
    const r = cli('hash', '--json', '--dihedral', join(FIXTURE_IMAGES, 'photo.jpg'), join(tmp, 'missing.png'), notImage, truncated);
    expect(r.code).toBe(1);
    const [ok, missing, text, bad] = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Object.keys(ok!.dihedral as object)).toEqual([...DIHEDRAL_NAMES]);
    expect((ok!.dihedral as Record<string, string>).original).toBe(ok!.pdq);
    expect(missing).toMatchObject({ error: { code: 'io_error' } });
    expect(text).toMatchObject({ error: { code: 'not_media', message: 'not an image or a video: its content is not a format Matchdesk recognises (the name ends in .txt)' } });
    expect(bad).toMatchObject({ error: { code: 'corrupt' } });
  }, 120_000);

  it('text output, one file', () => {
    const r = cli('hash', join(FIXTURE_IMAGES, 'other.jpg'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`  pdq         ${vectorFor('other.jpg').pdq}\n`);
    expect(r.stdout).toContain('  quality     100\n');
    expect(r.stdout).toMatch(/ {2}md5 {9}[0-9a-f]{32}\n/);
  }, 60_000);

  it('a text file renamed .png is not an image: it says so and exits 1; --dihedral prints separated columns', () => {
    const fake = join(tmp, 'holiday.png');
    writeFileSync(fake, 'just some text, not a picture');
    const r = cli('hash', fake);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not_media: not an image or a video: its content is not a format Matchdesk recognises (the name ends in .png)');
    const pdf = join(tmp, 'scan.jpg');
    writeFileSync(pdf, '%PDF-1.7\n%âãÏÓ\n');
    expect(cli('hash', pdf).stderr).toContain('its content is a pdf file (the name ends in .jpg)');

    const d = cli('hash', '--dihedral', join(FIXTURE_IMAGES, 'photo.jpg'));
    expect(d.code).toBe(0);
    const lines = d.stdout.trim().split('\n').slice(1);
    // Every line: two spaces, a label, at least two spaces, the value; the values start in one column.
    for (const line of lines) expect(line).toMatch(/^ {2}[A-Za-z0-9]+ {2,}\S/);
    expect(new Set(lines.map((l) => l.search(/(?<= {2})[0-9a-f-]\S*$|(?<= {2})\d+$|(?<= {2})jpeg/))).size).toBe(1);
    expect(d.stdout).toMatch(/\n {2}flipMinus1 {2}[0-9a-f]{64}\n/);
  }, 60_000);

  it('usage errors exit 2; commands are dispatched by name', async () => {
    expect(cli('hash').code).toBe(2);
    expect(cli('hash', '--bogus', 'x').code).toBe(2);
    expect(cli('nope').code).toBe(2);
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
    expect(await main(['--help'], io)).toBe(0);
    expect(out.join('\n')).toContain('hash FILE...');
  }, 60_000);
});
