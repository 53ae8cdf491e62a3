// In-memory PDQ nearest-neighbour index: multi-index hashing (Norouzi, Punjani & Fleet, "Fast Search in Hamming
// Space with Multi-Index Hashing", CVPR 2012) over 16 substrings of 16 bits.
//
// Why this shape
//  * Generalised pigeonhole: split the 256 bits into m disjoint substrings. If Hamming(q, h) <= r then at least one
//    substring differs in <= floor(r/m) bits (otherwise every substring differs in >= floor(r/m)+1 bits and the total
//    would be >= m*(floor(r/m)+1) > r). So enumerating, per substring, every value within floor(r/m) bits of the
//    query's substring and unioning those buckets yields a candidate superset of the true answer; verifying each
//    candidate with a full 256-bit popcount gives exactly the answer: recall 1.0 by construction.
//  * m = 16, 16-bit substrings, r = 31: floor(31/16) = 1, so each substring probes 1 + 16 = 17 buckets (272 in all).
//    A 16-bit bucket holds N/65536 ≈ 15 random hashes at N = 1M, so a random query verifies ≈ 4k candidates instead of
//    1M. The alternatives: m = 32 exact 8-bit chunks would verify 32 × N/256 ≈ 125k candidates per query (too many);
//    m = 8 × 32-bit chunks needs 8 × 5489 hash-table probes of a sparse key space (slower than 272 array reads).
//  * Buckets are compressed-sparse-row arrays (per substring: 65537 offsets + one Uint32 slot list), rebuilt by a
//    counting sort in O(16 N). Additions after the last build live in a small "tail" that queries scan linearly; the
//    tables are rebuilt lazily when the tail grows past max(1024, built/8) slots, so add() stays amortised O(1).
//    Removals tombstone a slot; tombstones are skipped during verification and compacted away on the next rebuild.
//  * Hashes are stored as 8 × Uint32 per slot in one typed array; distance = 8 SWAR popcounts.
//  * Radii with floor(r/16) >= 3 (r >= 48, far past PDQ's match threshold of 31) fall back to a linear scan, where
//    enumeration would cost more than it saves.

import { PDQ_WORDS, formatPdqHex, hammingWords, parsePdqHex, popcount32 } from './pdq-index-bits';

export { isPdqHex, parsePdqHex, formatPdqHex, pdqDistance, popcount32 } from './pdq-index-bits';

/** HMA's PDQ match threshold: a match is Hamming distance <= 31 (inclusive). */
export const PDQ_MATCH_THRESHOLD = 31;

export interface PdqMatch {
  id: number;
  distance: number;
}

const SUBSTRINGS = 16;
const BUCKETS = 1 << 16;
const OFFSETS_PER_SUB = BUCKETS + 1;
const MIN_TAIL_BEFORE_REBUILD = 1024;
/** floor(r/16) above this → linear scan. */
const MAX_PROBE_RADIUS = 2;

function substringOf(words: Uint32Array, base: number, sub: number): number {
  const w = words[base + (sub >> 1)]!;
  return sub & 1 ? w & 0xffff : w >>> 16;
}

function byDistanceThenId(a: PdqMatch, b: PdqMatch): number {
  return a.distance - b.distance || a.id - b.id;
}

export class PdqIndex {
  private words: Uint32Array;
  private slotIds: Float64Array;
  private alive: Uint8Array;
  /** Slots in use (live + tombstoned). */
  private used = 0;
  private live = 0;
  private readonly idToSlot = new Map<number, number>();
  /** Slots [0, builtSlots) are in the multi-index tables; [builtSlots, used) are the tail. */
  private builtSlots = 0;
  private deadInBuilt = 0;
  private offsets: Uint32Array = new Uint32Array(0);
  private entries: Uint32Array = new Uint32Array(0);
  private readonly q = new Uint32Array(PDQ_WORDS);
  /** Probe keys per substring: 1 + 16 + 120 at most (floor(r/16) <= 2). */
  private readonly probes = new Int32Array(137);

  constructor(initialCapacity = 1024) {
    const cap = Math.max(16, initialCapacity | 0);
    this.words = new Uint32Array(cap * PDQ_WORDS);
    this.slotIds = new Float64Array(cap);
    this.alive = new Uint8Array(cap);
  }

  /** Number of live hashes. */
  get size(): number {
    return this.live;
  }

  has(id: number): boolean {
    return this.idToSlot.has(id);
  }

  /** Adds (or replaces) the hash for `id`. `hex` is 64 hex digits. */
  add(id: number, hex: string): void {
    if (!Number.isFinite(id)) throw new TypeError(`PdqIndex id must be a finite number, got ${id}`);
    parsePdqHex(hex, this.q, 0); // validate before mutating anything
    if (this.idToSlot.has(id)) this.remove(id);
    if (this.used === this.slotIds.length) this.grow(this.used * 2);
    const slot = this.used++;
    this.words.set(this.q, slot * PDQ_WORDS);
    this.slotIds[slot] = id;
    this.alive[slot] = 1;
    this.idToSlot.set(id, slot);
    this.live++;
  }

  /** Removes `id`; returns whether it was present. */
  remove(id: number): boolean {
    const slot = this.idToSlot.get(id);
    if (slot === undefined) return false;
    this.idToSlot.delete(id);
    this.alive[slot] = 0;
    this.live--;
    if (slot < this.builtSlots) this.deadInBuilt++;
    return true;
  }

  clear(): void {
    this.idToSlot.clear();
    this.used = 0;
    this.live = 0;
    this.builtSlots = 0;
    this.deadInBuilt = 0;
    this.offsets = new Uint32Array(0);
    this.entries = new Uint32Array(0);
  }

  /** All ids within `radius` bits of `hex` (inclusive), sorted by distance then id. Recall is exact (1.0). */
  query(hex: string, radius: number = PDQ_MATCH_THRESHOLD): PdqMatch[] {
    const q = parsePdqHex(hex, this.q, 0);
    if (!(radius >= 0)) return [];
    const t = Math.floor(radius / SUBSTRINGS);
    if (t > MAX_PROBE_RADIUS) return this.scanSlots(q, radius, 0, this.used).sort(byDistanceThenId);
    this.maybeRebuild();
    const out: PdqMatch[] = [];
    const { words, offsets, entries, alive, slotIds, probes } = this;
    const n = this.builtSlots;
    const q0 = q[0]!, q1 = q[1]!, q2 = q[2]!, q3 = q[3]!, q4 = q[4]!, q5 = q[5]!, q6 = q[6]!, q7 = q[7]!;
    // A near item sits in several of its substrings' buckets: dedupe the (few) hits, not every candidate, so the hot
    // loop touches only the bucket list and the candidate's own 32-byte hash.
    let seen: Set<number> | null = null;
    if (n > 0) {
      for (let sub = 0; sub < SUBSTRINGS; sub++) {
        const v = substringOf(q, 0, sub);
        let np = 0;
        probes[np++] = v;
        if (t >= 1) {
          for (let i = 0; i < 16; i++) {
            const v1 = v ^ (1 << i);
            probes[np++] = v1;
            if (t >= 2) for (let j = i + 1; j < 16; j++) probes[np++] = v1 ^ (1 << j);
          }
        }
        const obase = sub * OFFSETS_PER_SUB;
        const eb = sub * n;
        for (let p = 0; p < np; p++) {
          const ob = obase + probes[p]!;
          const end = offsets[ob + 1]!;
          for (let k = offsets[ob]!; k < end; k++) {
            const slot = entries[eb + k]!;
            const b = slot * PDQ_WORDS;
            const d =
              popcount32(words[b]! ^ q0) +
              popcount32(words[b + 1]! ^ q1) +
              popcount32(words[b + 2]! ^ q2) +
              popcount32(words[b + 3]! ^ q3) +
              popcount32(words[b + 4]! ^ q4) +
              popcount32(words[b + 5]! ^ q5) +
              popcount32(words[b + 6]! ^ q6) +
              popcount32(words[b + 7]! ^ q7);
            if (d > radius || !alive[slot]) continue;
            seen ??= new Set();
            if (seen.has(slot)) continue;
            seen.add(slot);
            out.push({ id: slotIds[slot]!, distance: d });
          }
        }
      }
    }
    const tail = this.scanSlots(q, radius, this.builtSlots, this.used);
    for (const m of tail) out.push(m);
    return out.sort(byDistanceThenId);
  }

  /** Reference implementation: a linear scan over every live hash. Same result as query(). */
  linearScan(hex: string, radius: number = PDQ_MATCH_THRESHOLD): PdqMatch[] {
    const q = parsePdqHex(hex, new Uint32Array(PDQ_WORDS), 0);
    return this.scanSlots(q, radius, 0, this.used).sort(byDistanceThenId);
  }

  /** The stored hex hash for `id`, if present. */
  get(id: number): string | undefined {
    const slot = this.idToSlot.get(id);
    return slot === undefined ? undefined : formatPdqHex(this.words, slot * PDQ_WORDS);
  }

  /** Forces the multi-index tables to cover every hash now (otherwise done lazily by query()). */
  build(): void {
    this.rebuild();
  }

  /** Approximate bytes held in typed arrays (excludes the id→slot Map). */
  get typedArrayBytes(): number {
    return (
      this.words.byteLength + this.slotIds.byteLength + this.alive.byteLength + this.offsets.byteLength + this.entries.byteLength
    );
  }

  private scanSlots(q: Uint32Array, radius: number, from: number, to: number): PdqMatch[] {
    const out: PdqMatch[] = [];
    if (!(radius >= 0)) return out;
    const { words, alive, slotIds } = this;
    const q0 = q[0]!, q1 = q[1]!, q2 = q[2]!, q3 = q[3]!, q4 = q[4]!, q5 = q[5]!, q6 = q[6]!, q7 = q[7]!;
    for (let slot = from, b = from * PDQ_WORDS; slot < to; slot++, b += PDQ_WORDS) {
      if (!alive[slot]) continue;
      const d =
        popcount32(words[b]! ^ q0) +
        popcount32(words[b + 1]! ^ q1) +
        popcount32(words[b + 2]! ^ q2) +
        popcount32(words[b + 3]! ^ q3) +
        popcount32(words[b + 4]! ^ q4) +
        popcount32(words[b + 5]! ^ q5) +
        popcount32(words[b + 6]! ^ q6) +
        popcount32(words[b + 7]! ^ q7);
      if (d <= radius) out.push({ id: slotIds[slot]!, distance: d });
    }
    return out;
  }

  private maybeRebuild(): void {
    const tail = this.used - this.builtSlots;
    const tailLimit = Math.max(MIN_TAIL_BEFORE_REBUILD, this.builtSlots >> 3);
    if (tail > tailLimit || this.deadInBuilt > Math.max(MIN_TAIL_BEFORE_REBUILD, this.builtSlots >> 2)) this.rebuild();
  }

  private grow(minCap: number): void {
    const cap = Math.max(minCap, 16);
    const words = new Uint32Array(cap * PDQ_WORDS);
    words.set(this.words.subarray(0, this.used * PDQ_WORDS));
    const ids = new Float64Array(cap);
    ids.set(this.slotIds.subarray(0, this.used));
    const alive = new Uint8Array(cap);
    alive.set(this.alive.subarray(0, this.used));
    this.words = words;
    this.slotIds = ids;
    this.alive = alive;
  }

  /** Compacts tombstones away, then rebuilds the 16 CSR tables with a counting sort. */
  private rebuild(): void {
    if (this.live !== this.used) {
      let w = 0;
      for (let r = 0; r < this.used; r++) {
        if (!this.alive[r]) continue;
        if (w !== r) {
          this.words.copyWithin(w * PDQ_WORDS, r * PDQ_WORDS, (r + 1) * PDQ_WORDS);
          const id = this.slotIds[r]!;
          this.slotIds[w] = id;
          this.alive[w] = 1;
          this.idToSlot.set(id, w);
        }
        w++;
      }
      this.alive.fill(0, w, this.used);
      this.used = w;
    }
    const n = this.used;
    const offsets = new Uint32Array(SUBSTRINGS * OFFSETS_PER_SUB);
    const entries = new Uint32Array(SUBSTRINGS * n);
    const words = this.words;
    for (let sub = 0; sub < SUBSTRINGS; sub++) {
      const ob = sub * OFFSETS_PER_SUB;
      const wi = sub >> 1;
      const low = (sub & 1) === 1;
      for (let s = 0; s < n; s++) {
        const w = words[s * PDQ_WORDS + wi]!;
        offsets[ob + 1 + (low ? w & 0xffff : w >>> 16)]!++;
      }
      for (let k = 1; k < OFFSETS_PER_SUB; k++) offsets[ob + k] = offsets[ob + k]! + offsets[ob + k - 1]!;
      const cursor = offsets.slice(ob, ob + BUCKETS);
      const eb = sub * n;
      for (let s = 0; s < n; s++) {
        const w = words[s * PDQ_WORDS + wi]!;
        const key = low ? w & 0xffff : w >>> 16;
        entries[eb + cursor[key]!++] = s;
      }
    }
    this.offsets = offsets;
    this.entries = entries;
    this.builtSlots = n;
    this.deadInBuilt = 0;
  }
}

/** Reference linear scan over arbitrary entries (used by tests and the bench as ground truth). */
export function linearScan(entries: Iterable<{ id: number; hex: string }>, hex: string, radius: number = PDQ_MATCH_THRESHOLD): PdqMatch[] {
  const q = parsePdqHex(hex);
  const h = new Uint32Array(PDQ_WORDS);
  const out: PdqMatch[] = [];
  for (const e of entries) {
    parsePdqHex(e.hex, h, 0);
    const d = hammingWords(h, 0, q, 0);
    if (d <= radius) out.push({ id: e.id, distance: d });
  }
  return out.sort(byDistanceThenId);
}
