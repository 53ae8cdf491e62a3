/**
 * Decoder processes on the desktop: Electron's utilityProcess (a Chromium-managed child running Node, with no access
 * to the main process's memory, safeStorage, database or windows) behind the pool's DecoderSpawner seam. Takes the
 * utilityProcess module as a parameter, so the wiring is unit-tested under plain Node (test/main/utility-decoder).
 */
import type { ForkOptions, UtilityProcess } from 'electron';
import type { DecoderChannel, DecoderSpawner } from '../services/hashing';

/** The part of Electron's `utilityProcess` this needs. */
export interface UtilityProcessModule {
  fork(modulePath: string, args?: string[], options?: ForkOptions): Pick<UtilityProcess, 'pid' | 'postMessage' | 'kill' | 'on' | 'once' | 'stderr'>;
}

export function utilityDecoderSpawner(utility: UtilityProcessModule): DecoderSpawner {
  return (req): DecoderChannel => {
    const child = utility.fork(req.entry, req.args, {
      serviceName: req.serviceName,
      execArgv: req.execArgv,
      env: req.env,
      // stdin cannot be anything but ignored; stdout is not needed; stderr carries V8's fatal errors.
      stdio: ['ignore', 'ignore', 'pipe'],
      allowLoadingUnsignedLibraries: false,
    });
    return {
      get pid() {
        return child.pid;
      },
      postMessage: (message) => child.postMessage(message),
      onMessage: (listener) => child.on('message', listener),
      // Electron reports the exit code only; a crash shows as a non-zero code.
      onExit: (listener) => child.once('exit', (code: number) => listener(code, null)),
      onStderr: (listener) => child.stderr?.on('data', (b: Buffer) => listener(b.toString('utf8'))),
      kill: () => {
        child.kill();
      },
      // A utility process never keeps the app alive or lets it quit early: the app's lifetime is its windows'.
      setRef: () => undefined,
    };
  };
}
