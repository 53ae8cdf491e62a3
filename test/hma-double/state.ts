// In-memory HMA 1.1.7 model used by the test double: banks, global content ids, signals, the built index snapshot,
// exchanges. Pure data + rules; HTTP lives in server.ts.

export const PDQ_THRESHOLD = 31;
export const SIGNAL_TYPES = ['pdq', 'video_md5'] as const;
export const CONTENT_TYPES = ['photo', 'video'] as const;
/** Signal types per content type (pdq: photo; video_md5: video). */
export const SIGNALS_FOR_CONTENT: Record<string, string[]> = { photo: ['pdq'], video: ['video_md5'] };
/** hma-matrix's installed exchange APIs, in config order. */
export const EXCHANGE_APIS = ['sample', 'fb_threatexchange', 'ncmec', 'stop_ncii', 'tat', 'synapse_quarantined'];

export interface Bank {
  name: string;
  matching_enabled_ratio: number;
}

export interface Content {
  id: number;
  bank: Bank;
  disableUntilTs: number;
  note: string | null;
  userMetadata: Record<string, unknown> | null;
  collab: Record<string, string[]> | null;
  signals: Map<string, string>;
  createTs: number;
}

export interface ExchangeFetchStatus {
  checkpoint_ts: number | null;
  fetched_items: number;
  last_fetch_complete_ts: number | null;
  last_fetch_succeeded: boolean | null;
  running_fetch_start_ts: number | null;
  up_to_date: boolean;
}

export interface Exchange {
  name: string;
  api: string;
  enabled: boolean;
  apiJson: Record<string, unknown>;
  status: ExchangeFetchStatus;
}

export interface IndexEntry {
  contentId: number;
  signal: string;
  createTs: number;
}

export type IndexState = 'ready' | 'not_loaded' | 'stale';

export class SignalError extends Error {}

/** pytx validate_signal_str: returns the normalised signal or throws SignalError(reason). */
export function validateSignal(signalType: string, signal: string): string {
  if (signalType === 'pdq') {
    if (!/^[0-9a-f]{64}$/.test(signal)) throw new SignalError('invalid PDQ hash');
    return signal;
  }
  if (signalType === 'video_md5') {
    const v = signal.trim().toLowerCase();
    if (!/^[0-9a-f]{32}$/.test(v)) throw new SignalError(`'${signal}' is not a valid MD5 hash`);
    return v;
  }
  throw new SignalError(`no such signal type ${signalType}`);
}

function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** Independent (deliberately naive) PDQ Hamming distance, so the double does not share code with the client's index. */
export function hexHamming(a: string, b: string): number {
  let d = 0;
  for (let i = 0; i < 64; i += 8) d += popcount32((Number.parseInt(a.slice(i, i + 8), 16) ^ Number.parseInt(b.slice(i, i + 8), 16)) >>> 0);
  return d;
}

/** Distance and match for one index entry, HMA-style (string distance; "-" for exact-match types). */
export function matchSignal(signalType: string, query: string, stored: string): string | null {
  if (signalType === 'pdq') {
    const d = hexHamming(query, stored);
    return d <= PDQ_THRESHOLD ? String(d) : null;
  }
  return query === stored ? '-' : null;
}

/** BankContentConfig.enabled: 0 → disabled, 1 → enabled, otherwise ts <= now. */
export function contentEnabled(disableUntilTs: number, nowMs: number): boolean {
  if (disableUntilTs === 0) return false;
  if (disableUntilTs === 1) return true;
  return disableUntilTs <= nowMs / 1000;
}

/** Deterministic stand-in for Python's random.Random(seed).random(); without a seed, Math.random(). */
export function coinflip(seed: string | null): number {
  if (seed === null) return Math.random();
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193) >>> 0;
  let t = (h + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

export class DoubleState {
  readonly banks = new Map<string, Bank>();
  readonly contents = new Map<number, Content>();
  readonly exchanges = new Map<string, Exchange>();
  readonly credentials = new Map<string, Record<string, unknown> | null>();
  readonly signalTypeRatios = new Map<string, number>(SIGNAL_TYPES.map((t) => [t, 1.0]));
  /** The index the matcher serves (its in-memory copy): null until the first load (INDEX-NOT-LOADED). */
  index: Map<string, IndexEntry[]> | null = null;
  /**
   * The index stored in the database by the indexer: what /m/index/status and /c/signal_type/index report. In a real
   * HMA the matcher reloads it only every TASK_INDEX_CACHE_INTERVAL_SECONDS (hma-api.md §1.5).
   */
  stored: Map<string, IndexEntry[]> | null = null;
  /** null: the matcher serves every build at once. A number: it reloads the stored index at ticks this far apart. */
  matcherRefreshMs: number | null = null;
  private refreshAnchor = 0;
  /** Stored builds the matcher has not loaded yet (with matcherRefreshMs), oldest first. */
  private builds: Array<{ at: number; index: Map<string, IndexEntry[]> }> = [];
  indexState: IndexState = 'ready';
  nextContentId = 1;

  constructor(private readonly nowMs: () => number) {
    this.refreshAnchor = nowMs();
  }

  nowSec(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  isEnabled(c: Content): boolean {
    return contentEnabled(c.disableUntilTs, this.nowMs());
  }

  private snapshot(): Map<string, IndexEntry[]> {
    const index = new Map<string, IndexEntry[]>(SIGNAL_TYPES.map((t) => [t, [] as IndexEntry[]]));
    for (const c of this.contents.values()) {
      for (const [type, signal] of c.signals) index.get(type)?.push({ contentId: c.id, signal, createTs: c.createTs });
    }
    return index;
  }

  /** The indexer and the matcher at once: snapshot every content_signal row (any bank or enabled state) and serve it. */
  rebuildIndex(): void {
    const index = this.snapshot();
    this.stored = index;
    this.index = index;
    this.builds = [];
    this.indexState = 'ready';
  }

  /** The indexer alone: store a new build. The matcher serves it at once, or at its next refresh tick (matcherRefreshMs). */
  buildStoredIndex(): void {
    const index = this.snapshot();
    this.stored = index;
    if (this.matcherRefreshMs === null) {
      this.index = index;
      this.indexState = 'ready';
    } else {
      this.builds.push({ at: this.nowMs(), index });
    }
  }

  /** The matcher's periodic reload: serve the newest build stored at or before its latest refresh tick. */
  syncServedIndex(): void {
    const every = this.matcherRefreshMs;
    if (every === null || this.builds.length === 0) return;
    const now = this.nowMs();
    const tick = this.refreshAnchor + Math.floor((now - this.refreshAnchor) / every) * every;
    let i = -1;
    for (let k = 0; k < this.builds.length; k++) if (this.builds[k]!.at < tick) i = k; // a refresh does not see a build of the same instant
    if (i < 0) return;
    this.index = this.builds[i]!.index;
    this.indexState = 'ready';
    this.builds = this.builds.slice(i + 1);
  }

  /** Model the matcher's periodic reload (null: serve every build at once), ticking from now. */
  setMatcherRefresh(ms: number | null): void {
    this.syncServedIndex();
    this.matcherRefreshMs = ms;
    this.refreshAnchor = this.nowMs();
    if (ms === null && this.stored) {
      this.index = this.stored;
      this.builds = [];
    }
  }

  addContent(bank: Bank, signals: Map<string, string>, extra: Partial<Pick<Content, 'note' | 'userMetadata' | 'collab'>> = {}): Content {
    const c: Content = {
      id: this.nextContentId++,
      bank,
      disableUntilTs: 1,
      note: extra.note ?? null,
      userMetadata: extra.userMetadata ?? null,
      collab: extra.collab ?? null,
      signals,
      createTs: this.nowSec(),
    };
    this.contents.set(c.id, c);
    return c;
  }

  deleteBank(name: string): void {
    const bank = this.banks.get(name);
    if (!bank) return;
    this.banks.delete(name);
    for (const [id, c] of this.contents) if (c.bank === bank) this.contents.delete(id);
  }

  /**
   * Raw index query on the served index: matches in index order, no enabled/coinflip filtering. HMA 1.1.7's bug: a PDQ
   * index holding exactly one hash never matches (faiss round trip, upstream #1318; hma-api.md §1.5).
   */
  indexQuery(signalType: string, signal: string): Array<{ contentId: number; distance: string }> {
    this.syncServedIndex();
    const out: Array<{ contentId: number; distance: string }> = [];
    const entries = this.index?.get(signalType) ?? [];
    if (signalType === 'pdq' && entries.length === 1) return out;
    for (const e of entries) {
      const distance = matchSignal(signalType, signal, e.signal);
      if (distance !== null) out.push({ contentId: e.contentId, distance });
    }
    return out;
  }

  /** matching.py lookup(): index → drop missing/disabled content → coinflip per bank → banks filter → group by bank. */
  lookup(signalType: string, signal: string, banks: Set<string> | null, seed: string | null, bypassCoinflip: boolean): Record<string, Array<{ bank_content_id: number; distance: string }>> {
    const hits = new Map(this.indexQuery(signalType, signal).map((h) => [h.contentId, h.distance]));
    const flip = coinflip(seed);
    const rows = [...hits.keys()].sort((a, b) => a - b);
    const out: Record<string, Array<{ bank_content_id: number; distance: string }>> = {};
    for (const id of rows) {
      const c = this.contents.get(id);
      if (!c || !this.isEnabled(c)) continue;
      if (!bypassCoinflip && !(c.bank.matching_enabled_ratio >= flip)) continue;
      if (banks && !banks.has(c.bank.name)) continue;
      (out[c.bank.name] ??= []).push({ bank_content_id: id, distance: hits.get(id)! });
    }
    return out;
  }

  /** The stored index's checkpoint (get_last_index_build_checkpoint), not what the matcher serves. */
  indexStatus(signalType: string): { built_to: number; present: boolean; size: number } {
    const entries = this.stored?.get(signalType);
    if (!entries) return { built_to: -1, present: false, size: 0 };
    const builtTo = entries.reduce((m, e) => Math.max(m, e.createTs), -1);
    return { built_to: builtTo, present: true, size: entries.length };
  }

  dbSignalStats(signalType: string): { size: number; newest: number } {
    let size = 0;
    let newest = -1;
    for (const c of this.contents.values()) {
      if (c.signals.has(signalType)) {
        size++;
        newest = Math.max(newest, c.createTs);
      }
    }
    return { size, newest };
  }
}
