/** Messages between HashingPool and its decoders (child processes, Electron utility processes, or worker threads). */
import type { SerializedHashError } from './errors';
import type { HashOptions, MediaHashes } from './types';
import type { PreviewOptions, PreviewResult } from '../media/preview';

export type DecoderJob =
  | { op: 'file'; path: string; opts: HashOptions }
  | { op: 'bytes'; bytes: ArrayBuffer | Uint8Array; opts: HashOptions }
  | { op: 'preview'; bytes: Uint8Array; opts: PreviewOptions }
  | { op: 'probe' };

export type DecoderRequest = DecoderJob & { id: number };

/** What a decoder can tell about itself: used by tests and the status line to show it holds nothing it should not. */
export interface DecoderProbe {
  pid: number;
  envKeys: string[];
  /** V8's heap limit in bytes. */
  heapLimit: number;
  /** RLIMIT_DATA soft limit in bytes as the kernel reports it (Linux), null elsewhere or when unlimited. */
  dataLimit: number | null;
  /** The RSS cap the decoder enforces on itself, in bytes (0: none). */
  rssCap: number;
  /** libvips loaders the decoder refuses (sharp.block). */
  blocked: boolean;
}

export type DecoderResult = MediaHashes | PreviewResult | DecoderProbe;

export type DecoderResponse =
  | { id: number; ok: true; result: DecoderResult }
  /** `recycle`: the decoder ran out of memory; the pool replaces it rather than reuse a process in that state. */
  | { id: number; ok: false; error: SerializedHashError; recycle?: boolean };

/** Sent once by a decoder process when it is ready for work. */
export interface DecoderHello {
  type: 'ready';
  pid: number;
}

/** Exit code of a decoder that stopped itself for going over its memory cap. */
export const EXIT_OVER_MEMORY = 86;
