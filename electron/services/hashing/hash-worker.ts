/**
 * worker_threads entry for HashingPool with `isolation: 'thread'` (no process boundary: used to measure what
 * isolation costs, and where spawning processes is impossible). A separate module so a bundler can emit it as its
 * own entry (out/main/hash-worker.js). Never imports electron.
 */
import { parentPort } from 'node:worker_threads';
import { handleDecoderRequest } from './decoder-handler';
import type { DecoderRequest } from './decoder-protocol';

const port = parentPort;
if (!port) throw new Error('hash-worker must run in a worker thread');

port.on('message', (msg: DecoderRequest) => {
  void handleDecoderRequest(msg, { rssCap: 0, blocked: false }).then((res) => port.postMessage(res));
});
