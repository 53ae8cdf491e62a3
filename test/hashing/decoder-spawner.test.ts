import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decoderEnv, nodeDecoderSpawner } from '../../electron/services/hashing/decoder-spawner';
import { tempDir } from '../helpers/temp-dir';

const temp = tempDir('matchdesk-decoder-spawner-');
afterAll(() => temp.cleanup());

describe('decoder processes (child_process.fork)', () => {
  it('a message to a decoder that has just died is dropped (its exit reports the loss), never an uncaught EPIPE in the host', async () => {
    // A stand-in decoder that only listens: what matters is the host's side of the channel.
    const entry = join(temp.dir, 'listener.mjs');
    writeFileSync(entry, "process.on('message', () => {});\nsetInterval(() => {}, 1000);\n");
    const errors: unknown[] = [];
    const onUncaught = (error: unknown) => errors.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const channel = nodeDecoderSpawner({ entry, args: [], execArgv: [], env: decoderEnv(), serviceName: 'test decoder' });
      const exited = new Promise<string | null>((resolve) => channel.onExit((_code, signal) => resolve(signal)));
      await new Promise((r) => setTimeout(r, 300));
      channel.kill();
      // Sent while the process is going: the writes fail once it is gone (EPIPE).
      for (let i = 0; i < 20; i++) channel.postMessage({ bytes: new Uint8Array(1 << 20) });
      expect(await exited).toBe('SIGKILL');
      await new Promise((r) => setTimeout(r, 300));
      expect(errors).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});
