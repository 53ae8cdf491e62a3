/**
 * Entry of a decoder process: a Node child process (child_process.fork, with the 'advanced' serialization) or an
 * Electron utilityProcess. It holds no token, key or database handle: its environment is an allow-list (see
 * decoder-spawner.ts), it is given file paths or bytes and answers with hashes or a preview.
 *
 * Limits: V8's heap is capped by --max-old-space-size (set by the pool), libvips' native allocations by RLIMIT_DATA
 * (set by the pool with prlimit on Linux) and, everywhere, by a watchdog here that exits with EXIT_OVER_MEMORY when
 * the resident set passes `--rss-cap-mb`. The pool times out and replaces a decoder that does not answer.
 */
import { handleDecoderRequest, type DecoderContext } from './decoder-handler';
import { EXIT_OVER_MEMORY, type DecoderHello, type DecoderRequest, type DecoderResponse } from './decoder-protocol';
import { restrictDecoders } from './decoder-limits';

interface ElectronParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

const electronPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;

function argValue(name: string): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const n = arg ? Number(arg.slice(name.length + 3)) : 0;
  return Number.isFinite(n) && n > 0 ? n : 0;
}

const rssCap = argValue('rss-cap-mb') * 1024 * 1024;
restrictDecoders();
const ctx: DecoderContext = { rssCap, blocked: true };

if (rssCap > 0) {
  // The main thread is free while libvips decodes on its own threads, so this sees a runaway decode early.
  setInterval(() => {
    if (process.memoryUsage.rss() > rssCap) process.exit(EXIT_OVER_MEMORY);
  }, 25).unref();
}

function send(message: DecoderResponse | DecoderHello): void {
  if (electronPort) electronPort.postMessage(message);
  else process.send?.(message);
}

function onRequest(msg: unknown): void {
  const req = msg as DecoderRequest;
  if (!req || typeof req !== 'object' || typeof req.id !== 'number') return;
  void handleDecoderRequest(req, ctx).then(send);
}

if (electronPort) {
  electronPort.on('message', (e) => onRequest(e.data));
} else if (process.send) {
  process.on('message', onRequest);
  // The pool went away: nothing else will ever ask us anything.
  process.on('disconnect', () => process.exit(0));
} else {
  throw new Error('decoder-process must be started by HashingPool (no IPC channel)');
}
send({ type: 'ready', pid: process.pid });
