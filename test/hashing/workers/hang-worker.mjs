// A hashing worker that never answers (pool timeout test).
import { parentPort } from 'node:worker_threads';

parentPort.on('message', () => {});
