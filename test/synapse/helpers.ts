// Small helpers shared by the synapse test files.
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { CursorStore } from '../../electron/services/matrix';

/** A distinct small PNG per seed. */
export async function makePng(seed: number, size = 16): Promise<Uint8Array> {
  const buf = await sharp({
    create: {
      width: size,
      height: size,
      channels: 3,
      background: { r: (seed * 53) % 256, g: (seed * 97) % 256, b: (seed * 193) % 256 },
    },
  })
    .png()
    .toBuffer();
  return new Uint8Array(buf);
}

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export function memoryCursor<T>(initial: T | null = null): CursorStore<T> & { value: T | null } {
  const store = {
    value: initial,
    load: () => store.value,
    save: (v: T) => {
      store.value = v;
    },
  };
  return store;
}

export async function waitFor<T>(
  check: () => T | undefined | null | false,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${opts.what ?? 'condition'}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
