// HashingPool: hashing in worker_threads (loaded from TS sources through the .mjs bootstrap), errors across the
// boundary, progress, the bounded queue, crash/timeout recovery, and a main thread that stays responsive.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { defaultWorkerCount, HashError, hashBytes, hashFile, HashingPool, type PoolProgress } from '../../electron/services/hashing';
import { FIXTURE_IMAGES, readVectors } from './helpers';

const files = readVectors().map((v) => join(FIXTURE_IMAGES, v.file));
const pools: HashingPool[] = [];
const pool = (opts: ConstructorParameters<typeof HashingPool>[0]): HashingPool => {
  const p = new HashingPool(opts);
  pools.push(p);
  return p;
};

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('HashingPool', () => {
  it('hashes in workers exactly as in process, dihedral included', async () => {
    const p = pool({ workers: 2 });
    const viaPool = await Promise.all(files.map((f) => p.hashFile(f, { dihedral: true })));
    const inProcess = await Promise.all(files.map((f) => hashFile(f, { dihedral: true })));
    expect(viaPool).toEqual(inProcess);
    expect(viaPool.filter((h) => h.pdq).length).toBe(readVectors().filter((v) => v.quality >= 50).length);
  }, 120_000);

  it('hashBytes leaves the caller\'s bytes alone with process isolation', async () => {
    const p = pool({ workers: 1 });
    const bytes = readFileSync(files[0]!);
    const whole = new Uint8Array(bytes);
    expect(await p.hashBytes(whole)).toEqual(await hashBytes(bytes));
    expect(whole.byteLength).toBe(bytes.length);
  }, 60_000);

  it('hashBytes with thread isolation transfers a whole buffer and copies a view', async () => {
    const p = pool({ workers: 1, isolation: 'thread' });
    const bytes = readFileSync(files[0]!);
    const expected = await hashBytes(bytes);
    const whole = new Uint8Array(bytes); // owns its ArrayBuffer
    const result = await p.hashBytes(whole);
    expect(result).toEqual(expected);
    expect(whole.byteLength).toBe(0); // transferred
    const big = new Uint8Array(bytes.length + 10);
    big.set(bytes, 5);
    const view = big.subarray(5, 5 + bytes.length);
    expect(await p.hashBytes(view)).toEqual(expected);
    expect(view.byteLength).toBe(bytes.length); // copied, not detached
  }, 60_000);

  it('errors arrive as HashError with the same code', async () => {
    const p = pool({ workers: 1 });
    const codeOf = async (x: Promise<unknown>): Promise<string> => {
      const e = await x.then(() => null, (err: unknown) => err);
      expect(e).toBeInstanceOf(HashError);
      return (e as HashError).code;
    };
    expect(await codeOf(p.hashFile('/definitely/not/here.jpg'))).toBe('io_error');
    expect(await codeOf(p.hashBytes(new Uint8Array(0)))).toBe('empty');
    expect(await codeOf(p.hashFile(files[0]!, { maxBytes: 10 }))).toBe('too_large');
    expect(await codeOf(p.hashFile(files[0]!, { maxPixels: 1000 }))).toBe('too_many_pixels');
    const jpeg = readFileSync(files[0]!);
    expect(await codeOf(p.hashBytes(jpeg.subarray(0, 5000)))).toBe('corrupt');
    expect(await codeOf(p.hashBytes(Buffer.from('424d3a000000000000003600000028000000010000000100000001001800', 'hex')))).toBe('unsupported');
  }, 60_000);

  it('reports progress and keeps the queue bounded', async () => {
    const events: PoolProgress[] = [];
    const p = pool({ workers: 1, queueLimit: 2, onProgress: (e) => events.push(e) });
    const many = [...files, ...files, '/missing.jpg'];
    const results = await Promise.allSettled(many.map((f) => p.hashFile(f)));
    expect(results.filter((r) => r.status === 'rejected').length).toBe(1);
    const last = events.at(-1)!;
    expect(last).toMatchObject({ submitted: many.length, completed: many.length, failed: 1, active: 0, queued: 0, blocked: 0 });
    for (const e of events) {
      expect(e.active).toBeLessThanOrEqual(1);
      expect(e.queued).toBeLessThanOrEqual(2);
    }
    expect(Math.max(...events.map((e) => e.blocked))).toBeGreaterThan(10); // the rest waited for room
    for (let i = 1; i < events.length; i++) expect(events[i]!.completed).toBeGreaterThanOrEqual(events[i - 1]!.completed);
  }, 120_000);

  it('hashMany yields every file, errors included, with bounded work in flight', async () => {
    let maxInFlight = 0;
    const p = pool({ workers: 2, queueLimit: 1, onProgress: (e) => (maxInFlight = Math.max(maxInFlight, e.active + e.queued + e.blocked)) });
    async function* paths(): AsyncGenerator<string> {
      for (const f of files) yield f;
      yield '/missing.png';
    }
    const seen = new Map<string, string | null>();
    for await (const item of p.hashMany(paths())) seen.set(item.path, item.error ? item.error.code : item.result!.sha256);
    expect(seen.size).toBe(files.length + 1);
    expect(seen.get('/missing.png')).toBe('io_error');
    expect(maxInFlight).toBeLessThanOrEqual(3);
  }, 120_000);

  it('thread isolation: a worker that dies fails its task with decoder_crashed; a silent one times out', async () => {
    const crash = pool({ workers: 1, isolation: 'thread', workerUrl: new URL('./workers/crash-worker.mjs', import.meta.url) });
    const e1 = await crash.hashFile(files[0]!).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(HashError);
    expect((e1 as HashError).code).toBe('decoder_crashed');
    // the pool replaces the dead worker for the next task (which dies again here)
    const e2 = await crash.hashFile(files[0]!).catch((e: unknown) => e);
    expect((e2 as HashError).message).toMatch(/exited/);

    const hang = pool({ workers: 1, isolation: 'thread', taskTimeoutMs: 300, workerUrl: new URL('./workers/hang-worker.mjs', import.meta.url) });
    const e3 = await hang.hashFile(files[0]!).catch((e: unknown) => e);
    expect((e3 as HashError).code).toBe('timed_out');
    expect((e3 as HashError).message).toMatch(/longer than/);
  }, 60_000);

  it('close() fails queued work and refuses new work', async () => {
    const p = pool({ workers: 1, queueLimit: 1 });
    const pending = files.map((f) => p.hashFile(f).then(() => 'ok', (e: HashError) => e.code));
    await p.close();
    const outcomes = await Promise.all(pending);
    expect(outcomes).toContain('io_error');
    await expect(p.hashFile(files[0]!)).rejects.toMatchObject({ code: 'io_error' });
  }, 60_000);

  it('keeps the calling thread responsive while it hashes large images (time lost by this thread, against hashing in it, same run)', async () => {
    // 48 MP: long enough a PDQ (about 100 ms in this thread) to stand out from scheduling noise on a busy machine.
    const big = await sharp(files[0]!).resize(8000, 6000, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
    // How long this thread could not run timers: every late tick of a 5 ms interval, summed.
    const timeLost = async (work: () => Promise<unknown>): Promise<number> => {
      let lost = 0;
      let last = performance.now();
      const tick = setInterval(() => {
        const now = performance.now();
        lost += Math.max(0, now - last - 5);
        last = now;
      }, 5);
      try {
        await work();
      } finally {
        clearInterval(tick);
      }
      return lost;
    };
    const images = 3;
    // One decoder, so a core is left for this thread even on a 2-core machine.
    const p = pool({ workers: 1 });
    await p.hashBytes(new Uint8Array(big)); // start the decoder
    // Best of three rounds, alternating: other load on the machine steals time from either now and then; blocking
    // this thread would cost the pool time in every round.
    let inThread = Infinity;
    let inPool = Infinity;
    for (let round = 0; round < 3; round++) {
      // The reference: the same images hashed in this thread block it for each PDQ.
      const t = await timeLost(async () => {
        for (let i = 0; i < images; i++) await hashBytes(big);
      });
      inThread = Math.min(inThread, t / images);
      const q = await timeLost(() => Promise.all(Array.from({ length: images }, () => p.hashBytes(new Uint8Array(big)))));
      inPool = Math.min(inPool, q / images);
    }
    const line = `time lost per image: ${inPool.toFixed(1)} ms with the pool, ${inThread.toFixed(1)} ms hashing in this thread`;
    console.log(line);
    expect(inPool, line).toBeLessThan(inThread / 3);
  }, 120_000);
});

describe('worker count sized to the machine', () => {
  it('a server uses every core but one; the desktop at most two; always at least one', () => {
    expect(defaultWorkerCount('server', 16)).toBe(15);
    expect(defaultWorkerCount('server', 2)).toBe(1);
    expect(defaultWorkerCount('server', 1)).toBe(1);
    expect(defaultWorkerCount('desktop', 16)).toBe(2);
    expect(defaultWorkerCount('desktop', 2)).toBe(1);
    expect(defaultWorkerCount(undefined, 64)).toBe(2);
    expect(pool({ role: 'server' }).size).toBe(defaultWorkerCount('server'));
  });
});
