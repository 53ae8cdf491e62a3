/**
 * How decoder processes are started: the seam between HashingPool and the host. Under plain Node (CLI, browser
 * shell, team server) nodeDecoderSpawner forks a child process; the desktop passes a spawner over Electron's
 * utilityProcess (electron/main/utility-decoder.ts). Both start decoder-process.ts with the same arguments, the
 * same allow-listed environment and the same message protocol.
 */
import { execFile, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface DecoderSpawnRequest {
  /** Absolute path of the entry module. */
  entry: string;
  /** Arguments after the entry (the decoder reads --rss-cap-mb=N). */
  args: string[];
  /** Runtime flags (--max-old-space-size=N). */
  execArgv: string[];
  /** The whole environment of the decoder: nothing is inherited. */
  env: Record<string, string>;
  /** A name for process lists and crash reports. */
  serviceName: string;
}

/** A running decoder as the pool sees it. */
export interface DecoderChannel {
  readonly pid: number | undefined;
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the process is gone; `signal` is null where the host does not tell (Electron). */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  /** Text the decoder wrote to stderr (V8's fatal errors land there). */
  onStderr(listener: (chunk: string) => void): void;
  kill(): void;
  /** Whether this decoder keeps the host's event loop alive (an idle pool must not). */
  setRef(ref: boolean): void;
}

export type DecoderSpawner = (request: DecoderSpawnRequest) => DecoderChannel;

/** The variables a decoder gets: enough for Node and libvips to run, none of the host's configuration or secrets. */
// MATCHDESK_PDQ_CORE=ts forces the TypeScript PDQ core (bench, fallback checks): a switch, not a secret.
const ENV_ALLOW = ['PATH', 'SystemRoot', 'SYSTEMROOT', 'WINDIR', 'TEMP', 'TMP', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ', 'MATCHDESK_PDQ_CORE'];

export function decoderEnv(from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ENV_ALLOW) {
    const v = from[key];
    if (typeof v === 'string') env[key] = v;
  }
  // libvips' own switch for "untrusted" loaders, in addition to the allow-list set in decoder-limits.ts.
  env.VIPS_BLOCK_UNTRUSTED = '1';
  // sharp runs one decode at a time per process (decoder-limits.ts); two libuv threads are plenty.
  env.UV_THREADPOOL_SIZE = '2';
  return env;
}

/** Where the decoder entry lives: the tsx bootstrap from TypeScript sources, decoder-process.js in a bundle. */
export function defaultDecoderEntry(): string {
  return fileURLToPath(
    import.meta.url.endsWith('.ts') ? new URL('./decoder-bootstrap.mjs', import.meta.url) : new URL('./decoder-process.js', import.meta.url),
  );
}

/** child_process.fork with structured-clone messages; stdout ignored, stderr kept for diagnosis. */
export const nodeDecoderSpawner: DecoderSpawner = (req) => {
  const child = fork(req.entry, req.args, {
    execArgv: req.execArgv,
    env: req.env,
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const stderr = child.stderr;
  // A send to a decoder that died a moment ago fails (EPIPE) as an 'error' event: with no listener it would be an
  // uncaught exception in the host (the team server). Its exit is what reports the loss to the pool. (A failure to
  // start at all has no exit to report it: that stays an error, as before.)
  child.on('error', (error: NodeJS.ErrnoException) => {
    if (error.syscall?.startsWith('spawn')) throw error;
  });
  return {
    get pid() {
      return child.pid;
    },
    postMessage: (message) => {
      if (child.connected) child.send(message as Parameters<typeof child.send>[0]);
    },
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => child.once('exit', (code, signal) => listener(code, signal)),
    onStderr: (listener) => stderr?.on('data', (b: Buffer) => listener(b.toString('utf8'))),
    kill: () => {
      child.kill('SIGKILL');
    },
    setRef: (ref) => {
      const handles = [child, child.channel, stderr] as ({ ref?: () => void; unref?: () => void } | null | undefined)[];
      for (const h of handles) (ref ? h?.ref : h?.unref)?.call(h);
    },
  };
};

let prlimitMissing = process.platform !== 'linux';

/**
 * Caps a process's data segment (RLIMIT_DATA: heap, anonymous mappings; what libvips allocates pixels in) with
 * util-linux's prlimit. Resolves false where that is impossible (not Linux, no prlimit): the decoder's own RSS
 * watchdog still applies there.
 */
export function applyDataLimit(pid: number, bytes: number): Promise<boolean> {
  if (prlimitMissing) return Promise.resolve(false);
  const limit = String(Math.floor(bytes));
  return new Promise((resolve) => {
    execFile('prlimit', ['--pid', String(pid), `--data=${limit}:${limit}`], { timeout: 10_000 }, (error) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') prlimitMissing = true;
      resolve(!error);
    });
  });
}
