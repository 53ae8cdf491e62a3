// Decoding in separate processes that hold no secret, with a pixel cap, a memory cap and a timeout: the hostile files
// from the security review are refused with a typed reason, this process stays small, and the next file hashes.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { hashBytes, HashError, HashingPool, type HashErrorCode } from '../../electron/services/hashing';
import { previewNote } from '../../electron/services/media/preview';
import { tempDir } from '../helpers/temp-dir';
import { gifBomb, jpegBomb, normalJpeg, writePng16Bomb } from './bombs';

const tmp = tempDir('matchdesk-isolation-');
const file = (name: string) => join(tmp.dir, name);
const CRASHING_DECODER = fileURLToPath(new URL('./workers/crashing-decoder.mjs', import.meta.url));
const hasPrlimit = (() => {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const pools: HashingPool[] = [];
const pool = (opts: ConstructorParameters<typeof HashingPool>[0]): HashingPool => {
  const p = new HashingPool(opts);
  pools.push(p);
  return p;
};

let normal: Buffer;
beforeAll(async () => {
  await writePng16Bomb(file('bomb16.png'));
  writeFileSync(file('bomb.jpg'), await jpegBomb());
  writeFileSync(file('bomb.gif'), gifBomb());
  normal = await normalJpeg();
  writeFileSync(file('normal.jpg'), normal);
  writeFileSync(file('truncated.jpg'), normal.subarray(0, Math.floor(normal.length / 2)));
  writeFileSync(file('evil.crash'), normal);
}, 120_000);

afterAll(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
  tmp.cleanup();
});

async function codeOf(p: Promise<unknown>): Promise<{ code: HashErrorCode; message: string }> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(HashError);
  return { code: (e as HashError).code, message: (e as HashError).message };
}

/** Peak resident memory of this process while `fn` runs, sampled every 10 ms. */
async function peakRss<T>(fn: () => Promise<T>): Promise<{ value: T; peakMb: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  try {
    const value = await fn();
    return { value, peakMb: Math.round(Math.max(peak, process.memoryUsage.rss()) / 2 ** 20) };
  } finally {
    clearInterval(timer);
  }
}

describe('decoder isolation', () => {
  it('decodes in another process with an allow-listed environment, a heap cap and a data cap', async () => {
    process.env.MATCHDESK_TEST_SECRET = 'syt_do_not_leak';
    try {
      const p = pool({ workers: 1, memoryLimitMb: 768 });
      const probe = await p.probe();
      expect(probe.pid).not.toBe(process.pid);
      expect(probe.envKeys).not.toContain('MATCHDESK_TEST_SECRET');
      const allowed = ['PATH', 'TMPDIR', 'TEMP', 'TMP', 'LANG', 'LC_ALL', 'TZ', 'VIPS_BLOCK_UNTRUSTED', 'UV_THREADPOOL_SIZE', 'VIPSHOME' /* set by sharp itself */];
      expect(probe.envKeys.filter((k) => !allowed.includes(k) && !k.startsWith('NODE_CHANNEL_'))).toEqual([]);
      expect(probe.heapLimit).toBeLessThan(400 * 2 ** 20);
      expect(probe.rssCap).toBe((768 + 128) * 2 ** 20);
      expect(probe.blocked).toBe(true);
      if (hasPrlimit) expect(probe.dataLimit).toBe(768 * 2 ** 20);
      else console.log('prlimit is not installed: only the RSS watchdog caps native memory here');
      // Hashes are the same as decoding in this thread.
      expect(await p.hashBytes(new Uint8Array(normal))).toEqual(await hashBytes(normal));
    } finally {
      delete process.env.MATCHDESK_TEST_SECRET;
    }
  }, 60_000);

  it('refuses the review\'s hostile files with a typed reason, stays under 400 MB here, and hashes the next file (crash: a test decoder that aborts)', async () => {
    const p = pool({ workers: 2, decoderEntry: CRASHING_DECODER });
    const { value: outcomes, peakMb } = await peakRss(async () => {
      const names = ['bomb16.png', 'bomb.jpg', 'bomb.gif', 'truncated.jpg', 'evil.crash'];
      const refused = await Promise.all(names.map((n) => codeOf(p.hashFile(file(n), { dihedral: true }))));
      const after = await p.hashFile(file('normal.jpg'), { dihedral: true });
      return { refused: Object.fromEntries(names.map((n, i) => [n, refused[i]!])), after };
    });
    expect(outcomes.refused['bomb16.png']!.code).toBe('too_many_pixels');
    expect(outcomes.refused['bomb16.png']!.message).toMatch(/16383x16383/);
    expect(outcomes.refused['bomb.jpg']!.code).toBe('too_many_pixels');
    expect(outcomes.refused['bomb.gif']!.code).toBe('too_many_pixels');
    expect(outcomes.refused['truncated.jpg']!.code).toBe('corrupt');
    expect(outcomes.refused['evil.crash']!.code).toBe('decoder_crashed');
    expect(outcomes.refused['evil.crash']!.message).toMatch(/SIGABRT/);
    expect(outcomes.after.pdq).toBe((await hashBytes(normal, { dihedral: true })).pdq);
    expect(outcomes.after.pdq).toMatch(/^[0-9a-f]{64}$/);
    expect(p.decodersReplaced).toBe(1);
    console.log(`hostile files: peak RSS of the calling process ${peakMb} MB`);
    expect(peakMb).toBeLessThan(400);
  }, 120_000);

  it('with the pixel cap raised, the 16-bit bomb hits the memory cap instead: out_of_memory, replaced, next file hashes', async () => {
    const variants = hasPrlimit ? [true, false] : [false];
    for (const kernelMemoryLimit of variants) {
      const p = pool({ workers: 1, maxPixels: 300_000_000, memoryLimitMb: 512, kernelMemoryLimit });
      const started = Date.now();
      const { value: refused, peakMb } = await peakRss(() => codeOf(p.hashFile(file('bomb16.png'))));
      expect(refused.code, refused.message).toBe('out_of_memory');
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(peakMb).toBeLessThan(400);
      expect((await p.hashFile(file('normal.jpg'))).pdq).toMatch(/^[0-9a-f]{64}$/);
      expect(p.decodersReplaced).toBe(1);
      console.log(`16-bit bomb over the memory cap (${kernelMemoryLimit ? 'RLIMIT_DATA' : 'RSS watchdog'}): ${refused.message}`);
    }
  }, 120_000);

  it('a decoder that does not answer in time is stopped: timed_out, and the pool goes on', async () => {
    // 2 s is far below what the 16-bit bomb takes to decode without caps (~15 s).
    const p = pool({ workers: 1, maxPixels: 300_000_000, memoryLimitMb: 4096, kernelMemoryLimit: false, taskTimeoutMs: 2_000 });
    await p.probe(); // the decoder is up, so the timeout measures the decode
    const refused = await codeOf(p.hashFile(file('bomb16.png')));
    expect(refused.code).toBe('timed_out');
    expect((await p.hashFile(file('normal.jpg'))).pdq).toMatch(/^[0-9a-f]{64}$/);
  }, 60_000);

  it('previews: refused bombs say why; a big picture is scaled down and says so', async () => {
    const p = pool({ workers: 1 });
    const bomb = await codeOf(p.renderPreview(new Uint8Array(readFileSync(file('bomb16.png'))), { reveal: true }));
    expect(bomb.code).toBe('too_many_pixels');
    expect(bomb.message).toMatch(/16383×16383/);
    const preview = await p.renderPreview(new Uint8Array(normal), { reveal: true });
    expect(preview).toMatchObject({ mime: 'image/webp', width: 640, height: 480, sourceWidth: 640, sourceHeight: 480 });
    const svg = await codeOf(p.renderPreview(new Uint8Array(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>')), { reveal: false }));
    expect(svg.code).toBe('unsupported');
  }, 60_000);

  it('the default caps take a 12000×12000 photo (made in a separate process: 1.5 GB to generate)', async () => {
    const path = file('photo12k.jpg');
    const script = `const sharp = require('sharp'); sharp({ create: { width: 12000, height: 12000, channels: 3, background: '#5a7a3c' } }).jpeg({ quality: 80 }).toFile(${JSON.stringify(path)}).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });`;
    execFileSync(process.execPath, ['-e', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: 'inherit' });
    const p = pool({ workers: 1 });
    const { value: h, peakMb } = await peakRss(() => p.hashFile(path));
    expect(h).toMatchObject({ width: 12000, height: 12000, format: 'jpeg' });
    expect(h.pdqQuality).not.toBeNull();
    console.log(`12000×12000 JPEG hashed in the decoder (default caps: ${p.maxPixels} pixels, ${p.memoryLimitMb} MiB); this process peaked at ${peakMb} MB`);
    expect(peakMb).toBeLessThan(400);
  }, 120_000);

  it('a photo over the pixel cap is not hashed, but JPEG shrink-on-load still gives a scaled-down preview that says so', async () => {
    const photo = await normalJpeg(4000, 3000); // 12 MP
    const png = await sharp(photo).png({ compressionLevel: 1 }).toBuffer();
    const p = pool({ workers: 1, maxPixels: 4_000_000 });
    expect((await codeOf(p.hashBytes(new Uint8Array(photo)))).code).toBe('too_many_pixels');
    const preview = await p.renderPreview(new Uint8Array(photo), { reveal: true });
    expect(preview).toMatchObject({ width: 1280, height: 960, sourceWidth: 4000, sourceHeight: 3000 });
    expect(previewNote(preview)).toBe('Shown at 1280×960, scaled down from 4000×3000.');
    const blurred = await p.renderPreview(new Uint8Array(photo), { reveal: false });
    expect(Math.max(blurred.width, blurred.height)).toBe(320);
    // PNG cannot be shrunk while loading: over the cap it is refused, with the numbers.
    const refused = await codeOf(p.renderPreview(new Uint8Array(png), { reveal: true }));
    expect(refused).toMatchObject({ code: 'too_many_pixels', message: expect.stringMatching(/4000×3000 \(12 million pixels\), over the 4 million pixel limit for opening png files/) });
  }, 60_000);
});
