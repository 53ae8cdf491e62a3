import type { SerializedHashError } from './errors';
import type { HashOptions, MediaHashes } from './types';

export type WorkerJob = { op: 'file'; path: string; opts: HashOptions } | { op: 'bytes'; bytes: ArrayBuffer; opts: HashOptions };

export type WorkerRequest = WorkerJob & { id: number };

export type WorkerResponse = { id: number; ok: true; result: MediaHashes } | { id: number; ok: false; error: SerializedHashError };
