// In-memory PDQ nearest-neighbour index: multi-index hashing (Norouzi, Punjani & Fleet, "Fast Search in Hamming
// Space with Multi-Index Hashing", CVPR 2012), exact (recall 1), with the substring count chosen from the bank size.
//
// Why this shape
//  * Pigeonhole: split the 256 bits into m disjoint substrings. Write the radius r = t·m + a (0 ≤ a < m). If
//    Hamming(q, h) ≤ r then among any a+1 chosen substrings one differs in ≤ t bits, or some other substring differs in
//    ≤ t−1 bits (otherwise the total would be ≥ (a+1)(t+1) + (m−a−1)·t = r+1). So probing the a+1 longest substrings
//    at radius t and the others at radius t−1, and verifying each candidate with a full 256-bit popcount, returns
//    exactly the hashes within r: recall 1 by construction.
//  * m trades probes against candidates. Long substrings (small m) leave few candidates per probe but need many probes
//    and a 2^len bucket table each; short ones (large m) the reverse. Candidates cost far more than probes (a random
//    read of a 32-byte hash each), so the cost model — probes + 8 × expected candidates at radius 31, fitted to
//    measurements — picks the smallest m whose tables fit ~78 bytes per hash: m = 11 at 5M hashes (2,866 probes,
//    ~1,500 candidates, where 16 substrings verify ~22,000), m = 13 at 1M; small banks use m = 16.
//  * Buckets are compressed-sparse-row arrays per substring (bucket offsets in 1.5 bytes per bucket, one Uint32 slot
//    list), built by a counting sort. Hashes live as 8 × Uint32 per slot in one typed array; ids in a Uint32Array with an
//    open-addressing id → slot table. No JS objects per hash: 5M hashes cost typed arrays only.
//  * Incremental: hashes added after the main build go to a small "recent" level (16 × 16-bit substrings, rebuilt
//    cheaply) and, before that, a tail of ≤ 4,096 scanned linearly. The main level is rebuilt only when the recent
//    level passes 1/16 of it (or a quarter of it is removed), so adding a million hashes to a 5M bank costs a few
//    main rebuilds, never one per import. Removals tombstone a slot.
//  * Candidates are gathered from every probed bucket first and verified in one flat loop: the hash reads (cache misses
//    at millions of hashes) then overlap. Verifying bucket by bucket was 25 % slower at 5M (p50 0.52 vs 0.40 ms).
//  * Radii too large for enumeration to beat a scan (here r ≥ 48 or so) fall back to a linear scan.

import { PDQ_WORDS, formatPdqHex, hammingWords, parsePdqHex, popcount32 } from './pdq-index-bits';

export { isPdqHex, parsePdqHex, formatPdqHex, pdqDistance, popcount32 } from './pdq-index-bits';

/** HMA's PDQ match threshold: a match is Hamming distance <= 31 (inclusive). */
export const PDQ_MATCH_THRESHOLD = 31;

export interface PdqMatch {
  id: number;
  distance: number;
}

const DEAD = 0xffffffff;
const MAX_ID = 0xfffffffe;
const TAIL_LIMIT = 4096;
const DESIGN_RADIUS = PDQ_MATCH_THRESHOLD;
/** Bytes per hash the bucket tables and slot lists of the main level may take (beyond ids and the id table). */
const TABLE_BUDGET_PER_HASH = 78;

function byDistanceThenId(a: PdqMatch, b: PdqMatch): number {
  return a.distance - b.distance || a.id - b.id;
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 0; i < k; i++) r = (r * (n - i)) / (i + 1);
  return r;
}

/** Substring lengths (longest first) for m substrings of 256 bits. */
function lengthsFor(m: number): number[] {
  const base = Math.floor(256 / m);
  const extra = 256 % m;
  return Array.from({ length: m }, (_, i) => (i < extra ? base + 1 : base));
}

/** Probe radius per substring for query radius r: the a+1 longest at t, the rest at t−1 (−1: not probed). */
function radiiFor(m: number, r: number): number[] {
  const t = Math.floor(r / m);
  const a = r - t * m;
  return Array.from({ length: m }, (_, i) => (i <= a ? t : t - 1));
}

/**
 * Expected work of one query at radius r over n random hashes: probes + 8 × candidates. A probe reads two bucket
 * offsets; a candidate costs a random read of its 32-byte hash and a popcount: about 8 probes' worth, as measured on
 * this machine at 1M hashes (m = 11: 0.21 ms, m = 13: 0.61, m = 14 and the old 16 × 16-bit index: 0.74 ms).
 */
function queryCost(m: number, n: number, r: number): number {
  const lens = lengthsFor(m);
  const radii = radiiFor(m, r);
  let probes = 0;
  let candidates = 0;
  lens.forEach((len, i) => {
    let p = 0;
    for (let k = 0; k <= radii[i]!; k++) p += binomial(len, k);
    probes += p;
    candidates += (p * n) / 2 ** len;
  });
  return probes + 8 * candidates;
}

/** Bytes of a level's bucket tables: 1.5 per bucket (see Buckets) plus 4 per entry per substring. */
function tableBytes(m: number, n: number): number {
  return 1.5 * lengthsFor(m).reduce((s, len) => s + 2 ** len, 0) + 4 * m * n;
}

/** The substring count for a main level of n hashes: cheapest queries within the memory budget. */
export function substringsFor(n: number): number {
  if (n < 1 << 18) return 16;
  let best = 16;
  let bestCost = queryCost(16, n, DESIGN_RADIUS);
  for (let m = 11; m <= 20; m++) {
    if (tableBytes(m, n) > TABLE_BUDGET_PER_HASH * n) continue;
    const cost = queryCost(m, n, DESIGN_RADIUS);
    if (cost < bestCost) {
      best = m;
      bestCost = cost;
    }
  }
  return best;
}

/**
 * Bucket offsets of one substring in 1.5 bytes per bucket instead of 4: a Uint32 start per group of 8 buckets and,
 * per bucket, its Uint8 start within the group. A group holding more than 255 entries (clustered hashes) keeps exact
 * offsets in a side map instead. Long substrings (2^23 buckets at 5M hashes) fit the memory budget this way.
 */
class Buckets {
  readonly group: Uint32Array;
  readonly within: Uint8Array;
  readonly big = new Map<number, Uint32Array>();

  constructor(counts: Uint32Array) {
    const groups = counts.length >>> 3;
    this.group = new Uint32Array(groups + 1);
    this.within = new Uint8Array(counts.length);
    let total = 0;
    for (let g = 0; g < groups; g++) {
      this.group[g] = total;
      let inGroup = 0;
      for (let k = g << 3, end = k + 8; k < end; k++) {
        this.within[k] = inGroup;
        inGroup += counts[k]!;
      }
      if (inGroup > 255) {
        const exact = new Uint32Array(9);
        let o = total;
        for (let k = 0; k < 8; k++) {
          exact[k] = o;
          o += counts[(g << 3) + k]!;
        }
        exact[8] = o;
        this.big.set(g, exact);
      }
      total += inGroup;
    }
    this.group[groups] = total;
  }

  get bytes(): number {
    return this.group.byteLength + this.within.byteLength + this.big.size * 36;
  }
}

/** One multi-index level over slots [from, to). */
class Level {
  readonly m: number;
  readonly lens: Int32Array;
  readonly starts: Int32Array;
  readonly buckets: Buckets[];
  readonly entries: Uint32Array[];
  readonly from: number;
  readonly to: number;

  constructor(words: Uint32Array, from: number, to: number, m: number) {
    this.m = m;
    this.from = from;
    this.to = to;
    const lens = lengthsFor(m);
    this.lens = Int32Array.from(lens);
    this.starts = new Int32Array(m);
    for (let i = 1; i < m; i++) this.starts[i] = this.starts[i - 1]! + lens[i - 1]!;
    this.buckets = [];
    this.entries = [];
    const n = to - from;
    // One counting array, reused per substring (it is the largest transient allocation of a build).
    let counts = new Uint32Array(0);
    for (let i = 0; i < m; i++) {
      const len = lens[i]!;
      const start = this.starts[i]!;
      if (counts.length !== 1 << len) counts = new Uint32Array(1 << len);
      else counts.fill(0);
      for (let s = from; s < to; s++) counts[keyOf(words, s * PDQ_WORDS, start, len)]!++;
      const buckets = new Buckets(counts);
      // counts becomes the insertion cursor: each bucket's start offset.
      let total = 0;
      for (let k = 0; k < counts.length; k++) {
        const c = counts[k]!;
        counts[k] = total;
        total += c;
      }
      const entries = new Uint32Array(n);
      for (let s = from; s < to; s++) entries[counts[keyOf(words, s * PDQ_WORDS, start, len)]!++] = s;
      this.buckets.push(buckets);
      this.entries.push(entries);
    }
  }

  get bytes(): number {
    let b = 0;
    for (let i = 0; i < this.m; i++) b += this.buckets[i]!.bytes + this.entries[i]!.byteLength;
    return b;
  }

  /** Estimated cost of a query at radius r (to choose between probing and scanning). */
  cost(r: number): number {
    return queryCost(this.m, this.to - this.from, r);
  }
}

/** Bits [start, start+len) of the 256-bit hash at words[base..base+8), most significant first; len ≤ 31. */
function keyOf(words: Uint32Array, base: number, start: number, len: number): number {
  const w = start >>> 5;
  const off = start & 31;
  const first = words[base + w]!;
  if (off + len <= 32) return ((first << off) >>> 0) >>> (32 - len);
  const lowBits = off + len - 32; // bits taken from the next word
  const high = (first & (0xffffffff >>> off)) >>> 0;
  return ((high << lowBits) | (words[base + w + 1]! >>> (32 - lowBits))) >>> 0;
}

export class PdqIndex {
  private words: Uint32Array;
  private ids: Uint32Array;
  /** Slots in use (live + tombstoned). */
  private used = 0;
  private live = 0;
  /** Open addressing: slot + 1 per cell, 0 = empty; linear probing with backward-shift deletion. */
  private table: Int32Array;
  private tableMask: number;
  private main: Level | null = null;
  private recent: Level | null = null;
  /** Slots below this are in main or recent; the rest are the tail. */
  private indexedTo = 0;
  private deadInMain = 0;
  private readonly q = new Uint32Array(PDQ_WORDS);
  private readonly probes = new Int32Array(1 + 32 + 496);
  /** Candidate slots of one query, gathered before they are verified (grows for clustered data). */
  private candidates: Uint32Array<ArrayBuffer> = new Uint32Array(8192);

  /**
   * `substrings` forces the main level's substring count and `alwaysProbe` turns off the linear-scan fallback for
   * large radii (both for tests); by default the count is chosen from the bank size.
   */
  constructor(
    initialCapacity = 1024,
    private readonly options: { substrings?: number; alwaysProbe?: boolean } = {},
  ) {
    const cap = Math.max(16, initialCapacity | 0);
    this.words = new Uint32Array(cap * PDQ_WORDS);
    this.ids = new Uint32Array(cap);
    this.table = new Int32Array(tableSizeFor(cap));
    this.tableMask = this.table.length - 1;
  }

  /** Number of live hashes. */
  get size(): number {
    return this.live;
  }

  /** Substring count of the main level (0 before it is built). */
  get substrings(): number {
    return this.main?.m ?? 0;
  }

  has(id: number): boolean {
    return this.find(id) >= 0;
  }

  /** Adds (or replaces) the hash for `id`, an integer 0 ≤ id < 2^32 − 1. `hex` is 64 hex digits. */
  add(id: number, hex: string): void {
    if (!Number.isInteger(id) || id < 0 || id > MAX_ID) throw new TypeError(`PdqIndex id must be an integer in [0, 2^32 - 2], got ${id}`);
    parsePdqHex(hex, this.q, 0); // validate before mutating anything
    if (this.find(id) >= 0) this.remove(id);
    if (this.used === this.ids.length) this.grow(Math.ceil(this.used * 1.25) + 16);
    const slot = this.used++;
    this.words.set(this.q, slot * PDQ_WORDS);
    this.ids[slot] = id;
    this.tableInsert(id, slot);
    this.live++;
  }

  /** Removes `id`; returns whether it was present. */
  remove(id: number): boolean {
    const slot = this.find(id);
    if (slot < 0) return false;
    this.tableDelete(id);
    this.ids[slot] = DEAD;
    this.live--;
    if (this.main && slot < this.main.to) this.deadInMain++;
    return true;
  }

  clear(): void {
    this.table.fill(0);
    this.used = 0;
    this.live = 0;
    this.main = null;
    this.recent = null;
    this.indexedTo = 0;
    this.deadInMain = 0;
  }

  /** All ids within `radius` bits of `hex` (inclusive), sorted by distance then id. Recall is exact (1.0). */
  query(hex: string, radius: number = PDQ_MATCH_THRESHOLD): PdqMatch[] {
    const q = parsePdqHex(hex, this.q, 0);
    if (!(radius >= 0)) return [];
    this.maintain();
    const out: PdqMatch[] = [];
    let seen: Set<number> | null = null;
    for (const level of [this.main, this.recent]) {
      if (!level) continue;
      if (!this.options.alwaysProbe && level.cost(radius) > 0.5 * (level.to - level.from)) {
        this.scanInto(out, q, radius, level.from, level.to);
        continue;
      }
      seen = this.probeLevel(level, q, radius, out, seen);
    }
    this.scanInto(out, q, radius, this.indexedTo, this.used);
    return out.sort(byDistanceThenId);
  }

  /** Reference implementation: a linear scan over every live hash. Same result as query(). */
  linearScan(hex: string, radius: number = PDQ_MATCH_THRESHOLD): PdqMatch[] {
    const q = parsePdqHex(hex, new Uint32Array(PDQ_WORDS), 0);
    const out: PdqMatch[] = [];
    if (radius >= 0) this.scanInto(out, q, radius, 0, this.used);
    return out.sort(byDistanceThenId);
  }

  /** The stored hex hash for `id`, if present. */
  get(id: number): string | undefined {
    const slot = this.find(id);
    return slot < 0 ? undefined : formatPdqHex(this.words, slot * PDQ_WORDS);
  }

  /** Builds the main level over every hash now (otherwise done as hashes arrive or at the next query). */
  build(): void {
    this.rebuildMain();
  }

  /** Bytes held in typed arrays: all of the index's memory (no per-hash JS objects). */
  get typedArrayBytes(): number {
    return this.words.byteLength + this.ids.byteLength + this.table.byteLength + (this.main?.bytes ?? 0) + (this.recent?.bytes ?? 0);
  }

  private probeLevel(level: Level, q: Uint32Array, radius: number, out: PdqMatch[], seenIn: Set<number> | null): Set<number> | null {
    let seen = seenIn;
    const { words, ids, probes } = this;
    let cand = this.candidates;
    let nc = 0;
    const radii = radiiFor(level.m, radius);
    const q0 = q[0]!, q1 = q[1]!, q2 = q[2]!, q3 = q[3]!, q4 = q[4]!, q5 = q[5]!, q6 = q[6]!, q7 = q[7]!;
    for (let sub = 0; sub < level.m; sub++) {
      const t = radii[sub]!;
      if (t < 0) continue;
      const len = level.lens[sub]!;
      const v = keyOf(q, 0, level.starts[sub]!, len);
      let np = 0;
      probes[np++] = v;
      if (t >= 1) {
        for (let i = 0; i < len; i++) {
          const v1 = v ^ (1 << i);
          probes[np++] = v1;
          if (t >= 2) for (let j = i + 1; j < len; j++) probes[np++] = v1 ^ (1 << j);
        }
      }
      if (t >= 3) {
        // Rare (radius ≥ 3 per substring): enumerate triples directly.
        for (let i = 0; i < len; i++) for (let j = i + 1; j < len; j++) for (let k = j + 1; k < len; k++) this.probeBucket(level, sub, v ^ (1 << i) ^ (1 << j) ^ (1 << k), q, radius, out, (seen ??= new Set()));
      }
      const { group, within, big } = level.buckets[sub]!;
      const entries = level.entries[sub]!;
      for (let p = 0; p < np; p++) {
        const key = probes[p]!;
        const g = key >>> 3;
        const base = group[g]!;
        const groupEnd = group[g + 1]!;
        if (base === groupEnd) continue; // empty group: the common case for long substrings
        let begin: number;
        let end: number;
        if (groupEnd - base > 255) {
          const exact = big.get(g)!;
          begin = exact[key & 7]!;
          end = exact[(key & 7) + 1]!;
        } else {
          begin = base + within[key]!;
          end = (key & 7) === 7 ? groupEnd : base + within[key + 1]!;
        }
        // Gather now, verify below: a flat loop of independent hash reads lets the CPU overlap its cache misses, where
        // verifying inside this loop (0, 1 or 2 entries per bucket, unpredictable) stalls on each one in turn.
        if (nc + (end - begin) > cand.length) cand = this.growCandidates(nc + (end - begin));
        for (let k = begin; k < end; k++) cand[nc++] = entries[k]!;
      }
    }
    for (let c = 0; c < nc; c++) {
      const slot = cand[c]!;
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
      if (d > radius) continue;
      const id = ids[slot]!;
      if (id === DEAD) continue;
      // A near hash sits in several of its substrings' buckets: dedupe the (few) hits, not every candidate.
      seen ??= new Set();
      if (seen.has(slot)) continue;
      seen.add(slot);
      out.push({ id, distance: d });
    }
    return seen;
  }

  private growCandidates(min: number): Uint32Array<ArrayBuffer> {
    let size = this.candidates.length;
    while (size < min) size *= 2;
    const grown = new Uint32Array(size);
    grown.set(this.candidates);
    this.candidates = grown;
    return grown;
  }

  private probeBucket(level: Level, sub: number, key: number, q: Uint32Array, radius: number, out: PdqMatch[], seen: Set<number>): void {
    const { group, within, big } = level.buckets[sub]!;
    const entries = level.entries[sub]!;
    const g = key >>> 3;
    const exact = big.get(g);
    const begin = exact ? exact[key & 7]! : group[g]! + within[key]!;
    const end = exact ? exact[(key & 7) + 1]! : (key & 7) === 7 ? group[g + 1]! : group[g]! + within[key + 1]!;
    for (let k = begin; k < end; k++) {
      const slot = entries[k]!;
      const d = hammingWords(this.words, slot * PDQ_WORDS, q, 0);
      const id = this.ids[slot]!;
      if (d > radius || id === DEAD || seen.has(slot)) continue;
      seen.add(slot);
      out.push({ id, distance: d });
    }
  }

  private scanInto(out: PdqMatch[], q: Uint32Array, radius: number, from: number, to: number): void {
    const { words, ids } = this;
    const q0 = q[0]!, q1 = q[1]!, q2 = q[2]!, q3 = q[3]!, q4 = q[4]!, q5 = q[5]!, q6 = q[6]!, q7 = q[7]!;
    for (let slot = from, b = from * PDQ_WORDS; slot < to; slot++, b += PDQ_WORDS) {
      const d =
        popcount32(words[b]! ^ q0) +
        popcount32(words[b + 1]! ^ q1) +
        popcount32(words[b + 2]! ^ q2) +
        popcount32(words[b + 3]! ^ q3) +
        popcount32(words[b + 4]! ^ q4) +
        popcount32(words[b + 5]! ^ q5) +
        popcount32(words[b + 6]! ^ q6) +
        popcount32(words[b + 7]! ^ q7);
      if (d <= radius && ids[slot] !== DEAD) out.push({ id: ids[slot]!, distance: d });
    }
  }

  /** Keeps the tail short and the recent level small relative to main (see the header). */
  private maintain(): void {
    const mainSize = this.main ? this.main.to : 0;
    if (this.deadInMain > Math.max(TAIL_LIMIT, mainSize >> 2)) {
      this.rebuildMain();
      return;
    }
    if (this.used - this.indexedTo <= TAIL_LIMIT) return;
    if (this.used - mainSize > Math.max(65_536, mainSize >> 4)) this.rebuildMain();
    else {
      this.recent = new Level(this.words, mainSize, this.used, 16);
      this.indexedTo = this.used;
    }
  }

  private rebuildMain(): void {
    this.compact();
    this.main = null;
    this.recent = null;
    const n = this.used;
    this.main = n > 0 ? new Level(this.words, 0, n, this.options.substrings ?? substringsFor(n)) : null;
    this.indexedTo = n;
    this.deadInMain = 0;
  }

  /** Moves live hashes down over tombstones, keeping their order. */
  private compact(): void {
    if (this.live === this.used) return;
    let w = 0;
    for (let r = 0; r < this.used; r++) {
      const id = this.ids[r]!;
      if (id === DEAD) continue;
      if (w !== r) {
        this.words.copyWithin(w * PDQ_WORDS, r * PDQ_WORDS, (r + 1) * PDQ_WORDS);
        this.ids[w] = id;
      }
      w++;
    }
    this.used = w;
    this.table.fill(0);
    for (let s = 0; s < w; s++) this.tableInsert(this.ids[s]!, s);
  }

  private grow(minCap: number): void {
    const words = new Uint32Array(minCap * PDQ_WORDS);
    words.set(this.words.subarray(0, this.used * PDQ_WORDS));
    const ids = new Uint32Array(minCap);
    ids.set(this.ids.subarray(0, this.used));
    this.words = words;
    this.ids = ids;
    const size = tableSizeFor(minCap);
    if (size > this.table.length) {
      this.table = new Int32Array(size);
      this.tableMask = size - 1;
      for (let s = 0; s < this.used; s++) if (this.ids[s] !== DEAD) this.tableInsert(this.ids[s]!, s);
    }
  }

  private find(id: number): number {
    if (!Number.isInteger(id) || id < 0 || id > MAX_ID) return -1;
    const { table, tableMask, ids } = this;
    for (let i = hashId(id) & tableMask; ; i = (i + 1) & tableMask) {
      const cell = table[i]!;
      if (cell === 0) return -1;
      if (ids[cell - 1] === id) return cell - 1;
    }
  }

  private tableInsert(id: number, slot: number): void {
    const { table, tableMask } = this;
    let i = hashId(id) & tableMask;
    while (table[i] !== 0) i = (i + 1) & tableMask;
    table[i] = slot + 1;
  }

  /** Backward-shift deletion (no tombstones in the id table). */
  private tableDelete(id: number): void {
    const { table, tableMask, ids } = this;
    let i = hashId(id) & tableMask;
    while (ids[table[i]! - 1] !== id) i = (i + 1) & tableMask;
    for (let j = (i + 1) & tableMask; table[j] !== 0; j = (j + 1) & tableMask) {
      const home = hashId(ids[table[j]! - 1]!) & tableMask;
      // Move j back to i if its home is not cyclically within (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        table[i] = table[j]!;
        i = j;
      }
    }
    table[i] = 0;
  }
}

function hashId(id: number): number {
  return Math.imul(id ^ (id >>> 16), 0x45d9f3b) >>> 0;
}

/** Power of two ≥ capacity / 0.7 (load factor ≤ 0.7). */
function tableSizeFor(capacity: number): number {
  let size = 16;
  while (size * 0.7 < capacity) size *= 2;
  return size;
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
