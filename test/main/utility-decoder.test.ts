// The desktop's decoder processes: utilityDecoderSpawner over Electron's utilityProcess. The Electron binary cannot
// run here, so utilityProcess is replaced by a stand-in (mock) that forks a real Node child and speaks Electron's
// UtilityProcess interface (fork options, postMessage, 'message', 'exit' with a code only). The pool, the decoder
// and its hashing are real.
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { HashingPool, hashBytes } from '../../electron/services/hashing';
import { utilityDecoderSpawner, type UtilityProcessModule } from '../../electron/main/utility-decoder';
import { normalJpeg } from '../hashing/bombs';

type ForkOptions = NonNullable<Parameters<UtilityProcessModule['fork']>[2]>;

const DECODER = fileURLToPath(new URL('../../electron/services/hashing/decoder-bootstrap.mjs', import.meta.url));
const CRASHING = fileURLToPath(new URL('../hashing/workers/crashing-decoder.mjs', import.meta.url));

interface Forked {
  modulePath: string;
  args: string[];
  options: ForkOptions;
}

function fakeUtilityProcess(): { module: UtilityProcessModule; forks: Forked[] } {
  const forks: Forked[] = [];
  const module: UtilityProcessModule = {
    fork(modulePath, args = [], options = {}) {
      forks.push({ modulePath, args, options });
      const child: ChildProcess = fork(modulePath, args, {
        execArgv: options.execArgv ?? [],
        env: options.env as NodeJS.ProcessEnv,
        serialization: 'advanced',
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      const emitter = new EventEmitter();
      child.on('message', (m) => emitter.emit('message', m));
      child.on('exit', (code, signal) => emitter.emit('exit', code ?? (signal ? 128 + 6 : 1)));
      return Object.assign(emitter, {
        pid: child.pid,
        stderr: child.stderr,
        postMessage: (m: unknown) => void child.send(m as never),
        kill: () => child.kill('SIGKILL'),
      }) as unknown as ReturnType<UtilityProcessModule['fork']>;
    },
  };
  return { module, forks };
}

const pools: HashingPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('utilityDecoderSpawner (Electron utilityProcess replaced by a Node stand-in: no Electron binary here)', () => {
  it('forks the decoder entry with a name, a heap cap, the RSS cap, an allow-listed env and stderr piped; hashes through it', async () => {
    const fake = fakeUtilityProcess();
    const pool = new HashingPool({ workers: 1, spawner: utilityDecoderSpawner(fake.module), decoderEntry: DECODER, memoryLimitMb: 640 });
    pools.push(pool);
    process.env.MATCHDESK_TEST_TOKEN = 'syt_secret';
    try {
      const jpeg = await normalJpeg();
      expect(await pool.hashBytes(new Uint8Array(jpeg), { dihedral: true })).toEqual(await hashBytes(jpeg, { dihedral: true }));
    } finally {
      delete process.env.MATCHDESK_TEST_TOKEN;
    }
    expect(fake.forks).toHaveLength(1);
    const [{ modulePath, args, options }] = fake.forks as [Forked];
    expect(modulePath).toBe(DECODER);
    expect(args).toEqual([`--rss-cap-mb=${640 + 128}`]);
    expect(options.serviceName).toBe('Matchdesk media decoder');
    expect(options.execArgv).toEqual(['--max-old-space-size=256']);
    expect(options.stdio).toEqual(['ignore', 'ignore', 'pipe']);
    expect(options.allowLoadingUnsignedLibraries).toBe(false);
    expect(Object.keys(options.env ?? {})).not.toContain('MATCHDESK_TEST_TOKEN');
    expect(options.env).toMatchObject({ VIPS_BLOCK_UNTRUSTED: '1' });
  }, 60_000);

  it('a utility process that dies is reported as decoder_crashed with its exit code, and replaced', async () => {
    const fake = fakeUtilityProcess();
    const pool = new HashingPool({ workers: 1, spawner: utilityDecoderSpawner(fake.module), decoderEntry: CRASHING });
    pools.push(pool);
    const e = await pool.hashFile('/tmp/any.crash').catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'decoder_crashed' });
    expect((e as Error).message).toMatch(/exit code 134/);
    const probe = await pool.probe();
    expect(probe.pid).not.toBe(process.pid);
    expect(fake.forks).toHaveLength(2);
  }, 60_000);
});
