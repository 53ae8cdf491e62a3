// Shared helpers for the HMA and PDQ index tests.

import type { HmaClock } from '../../electron/services/hma';

export { rng } from '../helpers/rng';

const HEX = '0123456789abcdef';

export function randomPdq(r: () => number = Math.random): string {
  let s = '';
  for (let i = 0; i < 64; i++) s += HEX[Math.floor(r() * 16)];
  return s;
}

export function randomMd5(r: () => number = Math.random): string {
  let s = '';
  for (let i = 0; i < 32; i++) s += HEX[Math.floor(r() * 16)];
  return s;
}

/** Flips exactly `n` distinct bits of a 64-hex-digit hash. */
export function flipBits(hex: string, n: number, r: () => number = Math.random): string {
  const digits = [...hex].map((c) => Number.parseInt(c, 16));
  const bits = new Set<number>();
  while (bits.size < n) bits.add(Math.floor(r() * 256));
  for (const b of bits) digits[b >> 2] = digits[b >> 2]! ^ (1 << (b & 3));
  return digits.map((d) => HEX[d]).join('');
}

/** A clock whose sleep() returns at once and advances time; records every sleep. */
export function fakeClock(start = 1_700_000_000_000): HmaClock & { sleeps: number[]; advance(ms: number): void; t: number } {
  const c = {
    t: start,
    sleeps: [] as number[],
    now: () => c.t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason;
      c.sleeps.push(ms);
      c.t += ms;
      await Promise.resolve();
    },
    advance: (ms: number) => {
      c.t += ms;
    },
  };
  return c;
}

/** fetch wrapper that counts calls and tracks the peak number in flight. */
export function countingFetch(): typeof fetch & { calls: number; peak: number } {
  let inFlight = 0;
  const f = (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    f.calls++;
    inFlight++;
    f.peak = Math.max(f.peak, inFlight);
    try {
      return await fetch(input, init);
    } finally {
      inFlight--;
    }
  }) as typeof fetch & { calls: number; peak: number };
  f.calls = 0;
  f.peak = 0;
  return f;
}

/** A bank name unique to this run (HMA: [A-Z_][A-Z0-9_]*). */
export function uniqueBank(prefix = 'MDT'): string {
  return `${prefix}_${Date.now().toString(36).toUpperCase()}_${Math.floor(Math.random() * 1e9).toString(36).toUpperCase()}`;
}
