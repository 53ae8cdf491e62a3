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
    expect(text).toMatchObject({ pdq: null, quality: null, format: null });
    expect(bad).toMatchObject({ error: { code: 'corrupt' } });
  }, 120_000);

  it('text output, one file, in process', () => {
    const r = cli('hash', join(FIXTURE_IMAGES, 'other.jpg'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`pdq       ${vectorFor('other.jpg').pdq}`);
    expect(r.stdout).toContain('quality   100');
    expect(r.stdout).toMatch(/md5 {7}[0-9a-f]{32}/);
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
