/**
 * worker_threads entry for HashingPool. A separate module so a bundler can emit it as its own entry
 * (out/main/hash-worker.js next to the main bundle). Never imports electron.
 */
import { parentPort } from 'node:worker_threads';
import { HashError } from './errors';
import { hashBytes, hashFile } from './hash';
import type { WorkerRequest, WorkerResponse } from './worker-protocol';

const port = parentPort;
if (!port) throw new Error('hash-worker must run in a worker thread');

port.on('message', (msg: WorkerRequest) => {
  void handle(msg).then((res) => port.postMessage(res));
});

async function handle(msg: WorkerRequest): Promise<WorkerResponse> {
  try {
    const result = msg.op === 'file' ? await hashFile(msg.path, msg.opts) : await hashBytes(new Uint8Array(msg.bytes), msg.opts);
    return { id: msg.id, ok: true, result };
  } catch (e) {
    const err = e instanceof HashError ? e : new HashError('io_error', `hashing failed: ${e instanceof Error ? e.message : String(e)}`);
    return { id: msg.id, ok: false, error: err.toJSON() };
  }
}
