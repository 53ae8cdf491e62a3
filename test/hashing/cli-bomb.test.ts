// `npx matchdesk hash` on the review's 16-bit 16383×16383 PNG: refused with the reason, non-zero exit within 10 s,
// and the whole process tree (npx, the CLI, its decoder processes) stays under 500 MB resident.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir';
import { writePng16Bomb } from './bombs';
import { REPO } from './helpers';

const tmp = tempDir('matchdesk-cli-bomb-');
const bomb = join(tmp.dir, 'bomb16.png');
beforeAll(() => writePng16Bomb(bomb), 120_000);
afterAll(() => tmp.cleanup());

function children(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function treeRssKb(root: number): number {
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    total += rssKb(pid);
    stack.push(...children(pid));
  }
  return total;
}

describe('matchdesk hash on a decompression bomb', () => {
  it.runIf(process.platform === 'linux')('exits non-zero within 10 s with the reason; the process tree peaks under 500 MB', async () => {
    const started = Date.now();
    const child = spawn('npx', ['matchdesk', 'hash', bomb], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    let peakKb = 0;
    const timer = setInterval(() => (peakKb = Math.max(peakKb, treeRssKb(child.pid!))), 10);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearInterval(timer);
    const seconds = (Date.now() - started) / 1000;
    console.log(`matchdesk hash bomb16.png: exit ${code} after ${seconds.toFixed(1)} s, peak tree RSS ${Math.round(peakKb / 1024)} MB\n${out}`);
    expect(code).toBe(1);
    expect(out).toMatch(/too_many_pixels: .*16383x16383/);
    expect(seconds).toBeLessThan(10);
    expect(peakKb / 1024).toBeLessThan(500);
  }, 60_000);
});
