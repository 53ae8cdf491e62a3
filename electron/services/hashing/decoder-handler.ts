/**
 * What a decoder does with one request, wherever it runs (decoder-process.ts in a child or utility process;
 * hash-worker.ts in a worker thread when isolation is off). Never imports electron, holds no secret.
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { HashError } from './errors';
import { hashBytes, hashFile } from './hash';
import type { DecoderProbe, DecoderRequest, DecoderResponse, DecoderResult } from './decoder-protocol';
import { renderPreview } from '../media/preview';

export interface DecoderContext {
  rssCap: number;
  blocked: boolean;
}

export async function handleDecoderRequest(msg: DecoderRequest, ctx: DecoderContext): Promise<DecoderResponse> {
  try {
    let result: DecoderResult;
    if (msg.op === 'file') result = await hashFile(msg.path, msg.opts);
    else if (msg.op === 'bytes') result = await hashBytes(toBytes(msg.bytes), msg.opts);
    else if (msg.op === 'preview') result = await renderPreview(toBytes(msg.bytes), msg.opts);
    else result = probe(ctx);
    return { id: msg.id, ok: true, result };
  } catch (e) {
    const err = e instanceof HashError ? e : new HashError('io_error', `hashing failed: ${e instanceof Error ? e.message : String(e)}`);
    return { id: msg.id, ok: false, error: err.toJSON(), ...(err.code === 'out_of_memory' ? { recycle: true } : {}) };
  }
}

function toBytes(b: ArrayBuffer | Uint8Array): Uint8Array {
  return b instanceof Uint8Array ? b : new Uint8Array(b);
}

function probe(ctx: DecoderContext): DecoderProbe {
  return {
    pid: process.pid,
    envKeys: Object.keys(process.env).sort(),
    heapLimit: v8.getHeapStatistics().heap_size_limit,
    dataLimit: readDataLimit(),
    rssCap: ctx.rssCap,
    blocked: ctx.blocked,
  };
}

function readDataLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max data size'));
    const soft = line?.slice('Max data size'.length).trim().split(/\s+/)[0];
    return soft && soft !== 'unlimited' ? Number(soft) : null;
  } catch {
    return null;
  }
}
