// A hashing worker that dies on its first task (pool crash handling test).
import { parentPort } from 'node:worker_threads';

parentPort.on('message', () => process.exit(3));
