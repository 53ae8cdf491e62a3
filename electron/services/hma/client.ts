// HMA 2.0 (Open Media Match 1.1.7) client for the main process. Contract: ../shared/docs/hma-api.md.
// Plain Node (fetch, FormData, Blob): never imports electron. Never logs or exposes API keys.
//
// Lookups hash first (locally, or via POST /h/hash) and then call GET /m/lookup?signal_type=&signal=, the path that
// works on hma-matrix split deployments where matcher workers run with hashing off (URL/upload lookups → 403).

import { checkServiceUrl } from '../../../shared/url-policy';
import { z } from 'zod';
import { HmaError, HmaServerError, HmaUnsupportedError, type HmaRole } from './errors';
import { systemClock, type HmaClock } from './resilience';
import * as S from './schemas';
import { HmaTransport, type HmaLogger, type HmaMethod, type RequestSpec, type RetryPolicy } from './transport';

export type HmaContentType = 'photo' | 'video';

export interface HmaRoleEndpoint {
  baseUrl?: string;
  /** Overrides the shared key for this role (hma-matrix keys are per worker type). null = send no key. */
  apiKey?: string | null;
}

export interface HmaClientOptions {
  /** Base URL for every role (the common case: one HMA, or hma-matrix behind its Traefik router). */
  baseUrl?: string;
  /** Sent as `Authorization: Bearer <apiKey>` when set. Never logged. */
  apiKey?: string | null;
  /** Per-role overrides for split deployments: hasher (/h), matcher (/m), curator (/c). */
  hasher?: HmaRoleEndpoint;
  matcher?: HmaRoleEndpoint;
  curator?: HmaRoleEndpoint;
  /** Per-attempt timeout (default 10 000 ms); uploads use `uploadTimeoutMs` (default 60 000 ms). */
  timeoutMs?: number;
  uploadTimeoutMs?: number;
  /** Retries of idempotent calls (default 3 attempts, 250 ms base, 8 s cap, Retry-After ≤ 60 s honoured). */
  retry?: Partial<RetryPolicy>;
  /** Max simultaneous requests (default 8). */
  maxConcurrent?: number;
  /** Average request rate (default 600/min; 0 = unlimited) and burst (default rate/60, at least 1). */
  requestsPerMinute?: number;
  burst?: number;
  /** Consecutive outage failures (network, timeout, 5xx) before failing fast (default 5), and for how long (30 s). */
  circuitBreaker?: { failureThreshold?: number; cooldownMs?: number };
  /** TTL of the cache of empty /m/lookup answers (default 30 s; 0 disables) and its size (default 5 000). */
  negativeCacheTtlMs?: number;
  negativeCacheMax?: number;
  /** How long the list of enabled signal types is reused (default 5 min). */
  signalTypesTtlMs?: number;
  /** Injectables for tests. */
  clock?: HmaClock;
  random?: () => number;
  fetch?: typeof fetch;
  logger?: HmaLogger;
}

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface HmaBank {
  name: string;
  matchingEnabledRatio: number;
  /** BankConfig.enabled: ratio > 0. */
  enabled: boolean;
}

export interface HmaContentMetadata {
  contentId?: string | null;
  contentUri?: string | null;
  json?: unknown;
  /** Exchange provenance, read-only: exchange name → fetch ids. */
  collab?: Record<string, string[]> | null;
}

export interface HmaBankContent {
  id: number;
  bank: HmaBank;
  bankName: string;
  disableUntilTs: number;
  /** Derived as HMA does: 0 → false, 1 → true, else disable_until_ts <= now. */
  enabled: boolean;
  note: string | null;
  metadata: HmaContentMetadata | null;
  /** Present when requested and the content has signals. */
  signals?: Record<string, string>;
  originalMediaUri: string | null;
}

export interface AddedContent {
  id: number;
  signals: Record<string, string>;
}

export interface HmaLookupHit {
  bankContentId: number;
  distance: number;
  rawDistance: string;
}

export interface HmaMatch {
  bankName: string;
  contentId: number;
  signalType: string;
  /** The bank's stored signal (only with `includeDetails`). */
  signal?: string;
  /** The signal that was looked up. */
  querySignal: string;
  /** Parsed from HMA's string distance: "12" → 12, "-" (exact types) → 0, vpdq "A%[B%]" → 100 − A. */
  distance: number;
  rawDistance: string;
  enabled?: boolean;
  metadata?: HmaContentMetadata | null;
  note?: string | null;
  /**
   * With `includeDetails`: 'ok' when the content's details were read; 'unavailable' when this key or deployment
   * cannot read /c (401/403, or no curator route), or the content was deleted since the lookup.
   */
  details?: 'ok' | 'unavailable';
}

/** Hashes a moderator's media has; the names of the local hashing service. */
export interface MediaHashes {
  pdq?: string | null;
  videoMd5?: string | null;
  md5?: string | null;
  sha256?: string | null;
}

export interface LookupOptions extends CallOptions {
  banks?: string[];
  seed?: string;
  /** Skip the negative cache for this call. */
  noCache?: boolean;
}

export interface LookupMediaOptions extends LookupOptions {
  /** Also GET each matched content (stored signal, enabled, metadata, note). */
  includeDetails?: boolean;
}

export interface IndexStatus {
  present: boolean;
  builtTo: number;
  size: number;
}

export interface CompareResult {
  match: boolean;
  distance?: number;
  similarity: Record<string, unknown>;
}

export interface ExchangeStatus {
  checkpointTs: number | null;
  fetchedItems: number;
  lastFetchCompleteTs: number | null;
  lastFetchSucceeded: boolean | null;
  runningFetchStartTs: number | null;
  upToDate: boolean;
}

export interface HealthReport {
  role: HmaRole;
  baseUrl: string;
  ok: boolean;
  code?: string;
  message?: string;
}

/** Which server signal type each local hash feeds. `video_md5` is an MD5 of the file bytes whatever the type. */
const SIGNAL_SOURCES: Array<[string, (h: MediaHashes) => string | null | undefined]> = [
  ['pdq', (h) => h.pdq],
  ['video_md5', (h) => h.videoMd5 ?? h.md5],
  ['md5', (h) => h.md5],
  ['sha256', (h) => h.sha256],
];

const enc = encodeURIComponent;
const co = (o: CallOptions): CallOptions => ({ signal: o.signal, timeoutMs: o.timeoutMs });
const BANK_NAME_RE = /^[A-Z_][A-Z0-9_]*$/;

/** HMA's bank name rule (`[A-Z_][A-Z0-9_]*`). */
export const isValidBankName = (name: string): boolean => BANK_NAME_RE.test(name);

/** HMA's `enabled` rule for bank content. `nowMs` in ms. */
export function isContentEnabled(disableUntilTs: number, nowMs: number): boolean {
  if (disableUntilTs === 0) return false;
  if (disableUntilTs === 1) return true;
  return disableUntilTs <= nowMs / 1000;
}

/** HMA's string distance → number ("-" → 0; vpdq "A%[B%]" → 100 − A; unknown → NaN). */
export function parseHmaDistance(raw: string): number {
  if (/^\d+$/.test(raw)) return Number(raw);
  if (raw === '-') return 0;
  const vpdq = /^(\d+(?:\.\d+)?)%\[/.exec(raw);
  if (vpdq) return 100 - Number(vpdq[1]);
  return Number.NaN;
}

const bankFrom = (b: z.infer<typeof S.bankSchema>): HmaBank => ({ name: b.name, matchingEnabledRatio: b.matching_enabled_ratio, enabled: b.matching_enabled_ratio > 0 });

function metadataFrom(m: z.infer<typeof S.contentMetadataSchema> | undefined): HmaContentMetadata | null {
  if (!m) return null;
  return { contentId: m.content_id ?? null, contentUri: m.content_uri ?? null, json: m.json ?? null, collab: m.collab ?? null };
}

function toBlob(bytes: Uint8Array | Blob, mimeType?: string): Blob {
  if (bytes instanceof Blob) return bytes;
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mimeType ?? 'application/octet-stream' });
}

export class HmaClient {
  private readonly transport: HmaTransport;
  private readonly clock: HmaClock;
  private readonly uploadTimeoutMs: number;
  private readonly negTtl: number;
  private readonly negMax: number;
  private readonly negative = new Map<string, number>();
  private readonly signalTypesTtl: number;
  private signalTypesCache: { at: number; types: string[] } | null = null;

  constructor(opts: HmaClientOptions) {
    const resolve = (role: HmaRole): { baseUrl: string; apiKey: string | null } => {
      const o = opts[role];
      const baseUrl = o?.baseUrl ?? opts.baseUrl;
      if (!baseUrl) throw new TypeError(`HmaClient: no base URL for the ${role} role`);
      // https unless loopback (the Bearer key rides in every request), no credentials or whitespace.
      const checked = checkServiceUrl(baseUrl, `HmaClient: the ${role} base URL`);
      if (!checked.ok) throw new TypeError(checked.reason);
      const apiKey = o && 'apiKey' in o ? (o.apiKey ?? null) : (opts.apiKey ?? null);
      return { baseUrl, apiKey };
    };
    this.clock = opts.clock ?? systemClock;
    this.uploadTimeoutMs = opts.uploadTimeoutMs ?? 60_000;
    this.negTtl = opts.negativeCacheTtlMs ?? 30_000;
    this.negMax = opts.negativeCacheMax ?? 5_000;
    this.signalTypesTtl = opts.signalTypesTtlMs ?? 300_000;
    this.transport = new HmaTransport({
      endpoints: { hasher: resolve('hasher'), matcher: resolve('matcher'), curator: resolve('curator') },
      timeoutMs: opts.timeoutMs ?? 10_000,
      retry: { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 8_000, maxRetryAfterMs: 60_000, ...opts.retry },
      maxConcurrent: opts.maxConcurrent ?? 8,
      requestsPerMinute: opts.requestsPerMinute ?? 600,
      burst: opts.burst,
      breaker: { failureThreshold: opts.circuitBreaker?.failureThreshold ?? 5, cooldownMs: opts.circuitBreaker?.cooldownMs ?? 30_000 },
      clock: this.clock,
      random: opts.random ?? Math.random,
      fetch: opts.fetch ?? globalThis.fetch,
      logger: opts.logger,
    });
  }

  /** Base URL and whether a key is configured, per role (never the key). */
  describe(): Record<HmaRole, { baseUrl: string; hasKey: boolean }> {
    return { ...this.transport.endpoints };
  }

  circuitState(role: HmaRole = 'matcher') {
    return this.transport.breaker(role).state;
  }

  toJSON(): unknown {
    return { hma: this.describe() };
  }

  // ---- plumbing ------------------------------------------------------------------------------------------------

  private call<T>(role: HmaRole, method: HmaMethod, path: string, schema: z.ZodType<T>, extra: Partial<RequestSpec<T>> & CallOptions = {}): Promise<T> {
    const idempotent = extra.idempotent ?? (method === 'GET' || method === 'PUT' || method === 'DELETE');
    return this.transport.request<T>({ role, method, path, expect: { kind: 'json', schema }, ...extra, idempotent });
  }

  private mutated(): void {
    this.negative.clear();
  }

  /** Drops the cached empty lookups (e.g. after content was added or re-enabled by someone else). */
  clearNegativeCache(): void {
    this.negative.clear();
  }

  /**
   * Escape hatch for endpoints or parameters this client does not wrap, with the same policies (auth, timeouts,
   * limits, breaker, typed errors). JSON answers are parsed but not shape-checked.
   */
  request(
    role: HmaRole,
    method: HmaMethod,
    path: string,
    o: CallOptions & { query?: Record<string, string | undefined>; json?: unknown; form?: FormData; expect?: 'json' | 'text' | 'ignore'; idempotent?: boolean } = {},
  ): Promise<unknown> {
    const kind = o.expect ?? 'json';
    return this.transport.request<unknown>({
      role,
      method,
      path,
      query: o.query,
      json: o.json,
      form: o.form,
      expect: kind === 'json' ? { kind, schema: z.unknown() } : { kind },
      idempotent: o.idempotent ?? (method === 'GET' || method === 'PUT' || method === 'DELETE'),
      ...co(o),
    });
  }

  // ---- core ----------------------------------------------------------------------------------------------------

  /** GET /status on a role's server: resolves 'I-AM-ALIVE'; a matcher whose index is not loaded/stale → HmaIndexNotReadyError. */
  status(role: HmaRole = 'matcher', o: CallOptions = {}): Promise<string> {
    return this.transport.request({ role, method: 'GET', path: '/status', expect: { kind: 'text' }, idempotent: true, ...co(o) });
  }

  /** GET /status/live: liveness only, never checks the index. */
  statusLive(role: HmaRole = 'matcher', o: CallOptions = {}): Promise<string> {
    return this.transport.request({ role, method: 'GET', path: '/status/live', expect: { kind: 'text' }, idempotent: true, ...co(o) });
  }

  /** /status of every distinct role server, errors captured per role. */
  async health(o: CallOptions = {}): Promise<HealthReport[]> {
    const eps = this.describe();
    const seen = new Map<string, HmaRole>();
    for (const role of ['matcher', 'curator', 'hasher'] as const) if (!seen.has(eps[role].baseUrl)) seen.set(eps[role].baseUrl, role);
    return Promise.all(
      [...seen].map(async ([baseUrl, role]) => {
        try {
          await this.status(role, o);
          return { role, baseUrl, ok: true };
        } catch (e) {
          if (!(e instanceof HmaError)) throw e;
          return { role, baseUrl, ok: false, code: e.code, message: e.message };
        }
      }),
    );
  }

  siteMap(role: HmaRole = 'curator', o: CallOptions = {}): Promise<string[]> {
    return this.call(role, 'GET', '/site-map', S.stringListSchema, o);
  }

  // ---- hasher (/h) ---------------------------------------------------------------------------------------------

  /** POST /h/hash: the file goes in the multipart field named after the content type. `{"pdq": ""}` = low quality. */
  hash(bytes: Uint8Array | Blob, contentType: HmaContentType, o: CallOptions & { types?: string[]; mimeType?: string } = {}): Promise<Record<string, string>> {
    const form = new FormData();
    form.set(contentType, toBlob(bytes, o.mimeType), 'x');
    return this.call('hasher', 'POST', '/h/hash', S.signalMapSchema, {
      form,
      query: { types: o.types?.join(',') },
      idempotent: true, // pure function of the bytes
      timeoutMs: o.timeoutMs ?? this.uploadTimeoutMs,
      signal: o.signal,
    });
  }

  /** GET /h/hash?url=: HMA fetches and hashes a remote URL. */
  hashUrl(url: string, o: CallOptions & { contentType?: HmaContentType; types?: string[] } = {}): Promise<Record<string, string>> {
    return this.call('hasher', 'GET', '/h/hash', S.signalMapSchema, {
      query: { url, content_type: o.contentType, types: o.types?.join(',') },
      timeoutMs: o.timeoutMs ?? this.uploadTimeoutMs,
      signal: o.signal,
    });
  }

  // ---- matcher (/m) --------------------------------------------------------------------------------------------

  /** GET /m/lookup?signal_type=&signal=: bank name → hits (enabled content only; banks' coinflip applied). */
  async lookupSignal(signalType: string, signal: string, o: LookupOptions = {}): Promise<Record<string, HmaLookupHit[]>> {
    const banks = o.banks?.join(',');
    const key = `${signalType}\u0000${signal}\u0000${banks ?? ''}\u0000${o.seed ?? ''}`;
    if (!o.noCache && this.negTtl > 0) {
      const exp = this.negative.get(key);
      if (exp !== undefined) {
        if (exp > this.clock.now()) return {};
        this.negative.delete(key);
      }
    }
    const raw = await this.call('matcher', 'GET', '/m/lookup', S.bankMatchMapSchema, { query: { signal_type: signalType, signal, banks, seed: o.seed }, ...co(o) });
    const out: Record<string, HmaLookupHit[]> = {};
    for (const [bank, hits] of Object.entries(raw)) {
      out[bank] = hits.map((h) => ({ bankContentId: h.bank_content_id, distance: parseHmaDistance(h.distance), rawDistance: h.distance }));
    }
    if (Object.keys(out).length === 0 && this.negTtl > 0) {
      if (this.negative.size >= this.negMax) this.negative.delete(this.negative.keys().next().value as string);
      this.negative.set(key, this.clock.now() + this.negTtl);
    }
    return out;
  }

  /** GET /m/raw_lookup: bank content ids straight from the index (ignores enabled state and coinflips). */
  async rawLookup(signalType: string, signal: string, o: CallOptions & { banks?: string[] } = {}): Promise<number[]> {
    const r = await this.call('matcher', 'GET', '/m/raw_lookup', S.rawLookupSchema, { query: { signal_type: signalType, signal, banks: o.banks?.join(',') }, ...co(o) });
    return r.matches;
  }

  /** GET /m/raw_lookup?include_distance=true. */
  async rawLookupWithDistance(signalType: string, signal: string, o: CallOptions & { banks?: string[] } = {}): Promise<HmaLookupHit[]> {
    const r = await this.call('matcher', 'GET', '/m/raw_lookup', S.rawLookupWithDistanceSchema, {
      query: { signal_type: signalType, signal, banks: o.banks?.join(','), include_distance: 'true' },
      ...co(o),
    });
    return r.matches.map((h) => ({ bankContentId: h.bank_content_id, distance: parseHmaDistance(h.distance), rawDistance: h.distance }));
  }

  /** POST /m/lookup: hash an upload and match it in one call. Needs the hasher role on the matcher (not on hma-matrix split workers → 403). */
  async lookupUpload(
    bytes: Uint8Array | Blob,
    contentType: HmaContentType,
    o: CallOptions & { banks?: string[]; seed?: string; bypassCoinflip?: boolean; types?: string[] } = {},
  ): Promise<Record<string, Record<string, HmaLookupHit[]>>> {
    const form = new FormData();
    form.set(contentType, toBlob(bytes), 'x');
    const raw = await this.call('matcher', 'POST', '/m/lookup', S.typedBankMatchMapSchema, {
      form,
      query: { banks: o.banks?.join(','), seed: o.seed, bypass_coinflip: o.bypassCoinflip ? 'true' : undefined, types: o.types?.join(',') },
      idempotent: true,
      timeoutMs: o.timeoutMs ?? this.uploadTimeoutMs,
      signal: o.signal,
    });
    const out: Record<string, Record<string, HmaLookupHit[]>> = {};
    for (const [type, banks] of Object.entries(raw)) {
      out[type] = Object.fromEntries(
        Object.entries(banks).map(([b, hits]) => [b, hits.map((h) => ({ bankContentId: h.bank_content_id, distance: parseHmaDistance(h.distance), rawDistance: h.distance }))]),
      );
    }
    return out;
  }

  /** GET /m/index/status: per signal type, whether the matcher has an index, built up to when, how big. */
  async indexStatus(signalType?: string, o: CallOptions = {}): Promise<Record<string, IndexStatus>> {
    const r = await this.call('matcher', 'GET', '/m/index/status', S.indexStatusSchema, { query: { signal_type: signalType }, ...co(o) });
    return Object.fromEntries(Object.entries(r).map(([t, s]) => [t, { present: s.present, builtTo: s.built_to, size: s.size }]));
  }

  /** POST /m/compare {type: [a, b]}. (HMA 1.1.7 answers 500 for video_md5: a server bug.) */
  async compare(pairs: Record<string, [string, string]>, o: CallOptions = {}): Promise<Record<string, CompareResult>> {
    const r = await this.call('matcher', 'POST', '/m/compare', S.compareSchema, { json: pairs, idempotent: true, ...co(o) });
    return Object.fromEntries(
      Object.entries(r).map(([t, [match, info]]) => [t, { match, distance: typeof info.distance === 'number' ? info.distance : undefined, similarity: info }]),
    );
  }

  /** Signal types the server has enabled (every valid ratio counts as enabled in 1.1.7). Cached for signalTypesTtlMs. */
  async enabledSignalTypes(o: CallOptions = {}): Promise<string[]> {
    const c = this.signalTypesCache;
    if (c && this.clock.now() - c.at < this.signalTypesTtl) return c.types;
    let types: string[];
    try {
      types = (await this.listSignalTypes(o)).filter((t) => t.enabledRatio >= 0).map((t) => t.name);
    } catch (e) {
      // A matcher-only deployment or a matcher-only key: the matcher's index status lists the same types.
      if (!(e instanceof HmaError) || !['not_found', 'forbidden', 'unauthorized'].includes(e.code)) throw e;
      types = Object.keys(await this.indexStatus(undefined, o));
    }
    this.signalTypesCache = { at: this.clock.now(), types };
    return types;
  }

  /**
   * Looks up every hash the server has a signal type for (pdq; video_md5 from videoMd5 or md5; md5/sha256 if such
   * types are installed) via /m/lookup by signal, and returns the matches sorted by distance. Empty/null PDQ (low
   * quality) is skipped. Any failed lookup rejects the whole call.
   */
  async lookupMedia(hashes: MediaHashes, o: LookupMediaOptions = {}): Promise<HmaMatch[]> {
    const enabled = new Set(await this.enabledSignalTypes(o));
    const queries: Array<[string, string]> = [];
    for (const [type, pick] of SIGNAL_SOURCES) {
      const v = pick(hashes);
      if (!v || !enabled.has(type)) continue;
      queries.push([type, type === 'pdq' ? v : v.trim().toLowerCase()]);
    }
    const results = await Promise.all(queries.map(([type, signal]) => this.lookupSignal(type, signal, o).then((r) => [type, signal, r] as const)));
    const matches: HmaMatch[] = [];
    for (const [signalType, querySignal, byBank] of results) {
      for (const [bankName, hits] of Object.entries(byBank)) {
        for (const h of hits) matches.push({ bankName, contentId: h.bankContentId, signalType, querySignal, distance: h.distance, rawDistance: h.rawDistance });
      }
    }
    matches.sort((a, b) => a.distance - b.distance || a.contentId - b.contentId);
    if (o.includeDetails) {
      // One GET per content, however many of its signals matched.
      const details = new Map<number, Promise<HmaBankContent | null>>();
      const read = (m: HmaMatch) => {
        let p = details.get(m.contentId);
        if (!p) {
          p = this.getContent(m.bankName, m.contentId, { includeSignals: true, signal: o.signal }).catch((e: unknown) => {
            // Deleted since the lookup, or /c not readable with this key or deployment: keep the bare match.
            if (e instanceof HmaError && ['not_found', 'unauthorized', 'forbidden'].includes(e.code)) return null;
            throw e;
          });
          details.set(m.contentId, p);
        }
        return p;
      };
      await Promise.all(
        matches.map(async (m) => {
          const c = await read(m);
          if (!c) {
            m.details = 'unavailable';
            return;
          }
          m.signal = c.signals?.[m.signalType];
          m.enabled = c.enabled;
          m.metadata = c.metadata;
          m.note = c.note;
          m.details = 'ok';
        }),
      );
    }
    return matches;
  }

  /**
   * Hash media on HMA's hasher (POST /h/hash), then lookupMedia() by signal: the split-deployment-safe replacement
   * for POST /m/lookup when no local hashes are available. A low-quality photo ({"pdq": ""}) yields no matches.
   */
  async lookupBytes(bytes: Uint8Array | Blob, contentType: HmaContentType, o: LookupMediaOptions & { mimeType?: string } = {}): Promise<{ hashes: Record<string, string>; matches: HmaMatch[] }> {
    const hashes = await this.hash(bytes, contentType, { mimeType: o.mimeType, signal: o.signal });
    const matches = await this.lookupMedia({ pdq: hashes.pdq, videoMd5: hashes.video_md5 }, o);
    return { hashes, matches };
  }

  // ---- curator (/c): banks -------------------------------------------------------------------------------------

  async listBanks(o: CallOptions = {}): Promise<HmaBank[]> {
    return (await this.call('curator', 'GET', '/c/banks', S.bankListSchema, o)).map(bankFrom);
  }

  async getBank(name: string, o: CallOptions = {}): Promise<HmaBank> {
    return bankFrom(await this.call('curator', 'GET', `/c/bank/${enc(name)}`, S.bankSchema, o));
  }

  /**
   * POST /c/banks. `enabled: false` is sent as `enabled_ratio: 0`: HMA 1.1.7 ignores `enabled` on create (quirk).
   * Duplicate → HmaForbiddenError; a name not matching [A-Z_][A-Z0-9_]* → HmaBadRequestError.
   */
  async createBank(name: string, o: CallOptions & { enabled?: boolean; enabledRatio?: number } = {}): Promise<HmaBank> {
    const ratio = o.enabledRatio ?? (o.enabled === false ? 0 : 1);
    const b = await this.call('curator', 'POST', '/c/banks', S.bankSchema, { json: { name, enabled_ratio: ratio }, signal: o.signal, timeoutMs: o.timeoutMs });
    this.mutated();
    return bankFrom(b);
  }

  /** PUT /c/bank/<name>: rename and/or change the matching ratio (`enabled` → 1/0; `enabledRatio` wins). */
  async updateBank(name: string, u: { name?: string; enabled?: boolean; enabledRatio?: number }, o: CallOptions = {}): Promise<HmaBank> {
    const body: Record<string, unknown> = {};
    if (u.name !== undefined) body.name = u.name;
    if (u.enabled !== undefined) body.enabled = u.enabled;
    if (u.enabledRatio !== undefined) body.enabled_ratio = u.enabledRatio;
    const renaming = u.name !== undefined && u.name !== name;
    const b = await this.call('curator', 'PUT', `/c/bank/${enc(name)}`, S.bankSchema, { json: body, idempotent: !renaming, ...co(o) });
    this.mutated();
    return bankFrom(b);
  }

  /** DELETE /c/bank/<name>: idempotent, cascades to the bank's content. */
  async deleteBank(name: string, o: CallOptions = {}): Promise<void> {
    await this.call('curator', 'DELETE', `/c/bank/${enc(name)}`, S.messageSchema, o);
    this.mutated();
  }

  // ---- curator (/c): content -----------------------------------------------------------------------------------

  /** POST /c/bank/<b>/content with an upload (field = content type) plus optional metadata and note form fields. */
  async addContentByUpload(
    bank: string,
    bytes: Uint8Array | Blob,
    contentType: HmaContentType,
    o: CallOptions & { metadata?: { content_id?: string; content_uri?: string; json?: unknown }; note?: string; types?: string[]; mimeType?: string } = {},
  ): Promise<AddedContent> {
    const form = new FormData();
    form.set(contentType, toBlob(bytes, o.mimeType), 'x');
    if (o.metadata) form.set('metadata', JSON.stringify(o.metadata));
    if (o.note) form.set('note', o.note);
    const r = await this.call('curator', 'POST', `/c/bank/${enc(bank)}/content`, S.addContentSchema, {
      form,
      query: { types: o.types?.join(',') },
      idempotent: false,
      timeoutMs: o.timeoutMs ?? this.uploadTimeoutMs,
      signal: o.signal,
    });
    this.mutated();
    return r;
  }

  /** POST /c/bank/<b>/content?url=: HMA fetches and hashes the URL; metadata and note travel in the JSON body. */
  async addContentByUrl(
    bank: string,
    url: string,
    o: CallOptions & { contentType?: HmaContentType; types?: string[]; metadata?: { content_id?: string; content_uri?: string; json?: unknown }; note?: string } = {},
  ): Promise<AddedContent> {
    const r = await this.call('curator', 'POST', `/c/bank/${enc(bank)}/content`, S.addContentSchema, {
      query: { url, content_type: o.contentType, types: o.types?.join(',') },
      json: { metadata: o.metadata, note: o.note },
      idempotent: false,
      timeoutMs: o.timeoutMs ?? this.uploadTimeoutMs,
      signal: o.signal,
    });
    this.mutated();
    return r;
  }

  /** POST /c/bank/<b>/signal {type: value, …, note}: one content item with these signals (no metadata possible). */
  async addSignals(bank: string, signals: Record<string, string>, o: CallOptions & { note?: string } = {}): Promise<AddedContent> {
    const body: Record<string, string> = { ...signals };
    if (o.note) body.note = o.note;
    const r = await this.call('curator', 'POST', `/c/bank/${enc(bank)}/signal`, S.addContentSchema, { json: body, idempotent: false, signal: o.signal, timeoutMs: o.timeoutMs });
    this.mutated();
    return r;
  }

  /** GET /c/bank/<b>/content/<id>. HMA does not check the id against the bank; `bankName` is the real bank. */
  async getContent(bank: string, id: number, o: CallOptions & { includeSignals?: boolean; includeMetadata?: boolean } = {}): Promise<HmaBankContent> {
    const c = await this.call('curator', 'GET', `/c/bank/${enc(bank)}/content/${id}`, S.contentGetSchema, {
      query: { include_signals: o.includeSignals === false ? undefined : 'true', include_metadata: o.includeMetadata === false ? 'false' : 'true' },
      signal: o.signal,
      timeoutMs: o.timeoutMs,
    });
    return {
      id: c.id,
      bank: bankFrom(c.bank),
      bankName: c.bank.name,
      disableUntilTs: c.disable_until_ts,
      enabled: isContentEnabled(c.disable_until_ts, this.clock.now()),
      note: c.note ?? null,
      metadata: metadataFrom(c.metadata),
      signals: c.signals,
      originalMediaUri: c.original_media_uri ?? null,
    };
  }

  /**
   * PUT /c/bank/<b>/content/<id> {disable_until_ts, note}. disable_until_ts: 0 = disabled, 1 = enabled, else unix
   * seconds until which it is disabled (≤ now + 5 years). note: "" or null clears. Takes effect at once for /m/lookup.
   */
  async updateContent(bank: string, id: number, u: { disableUntilTs?: number; note?: string | null }, o: CallOptions = {}): Promise<HmaBankContent> {
    const body: Record<string, unknown> = {};
    if (u.disableUntilTs !== undefined) body.disable_until_ts = u.disableUntilTs;
    if (u.note !== undefined) body.note = u.note;
    const c = await this.call('curator', 'PUT', `/c/bank/${enc(bank)}/content/${id}`, S.contentPutSchema, { json: body, ...co(o) });
    this.mutated();
    const user = c.user_metadata ?? {};
    const collab = c.collab_metadata && Object.keys(c.collab_metadata).length ? c.collab_metadata : null;
    const hasMeta = Object.keys(user).length > 0 || collab !== null;
    return {
      id: c.id,
      bank: bankFrom(c.bank),
      bankName: c.bank.name,
      disableUntilTs: c.disable_until_ts,
      enabled: isContentEnabled(c.disable_until_ts, this.clock.now()),
      note: c.note ?? null,
      metadata: hasMeta
        ? { contentId: (user.content_id as string | undefined) ?? null, contentUri: (user.content_uri as string | undefined) ?? null, json: user.json ?? null, collab }
        : null,
      originalMediaUri: c.original_media_uri ?? null,
    };
  }

  /** Disable indefinitely (0) or until a unix time in seconds. */
  disableContent(bank: string, id: number, untilTs = 0, o: CallOptions = {}): Promise<HmaBankContent> {
    return this.updateContent(bank, id, { disableUntilTs: untilTs }, o);
  }

  enableContent(bank: string, id: number, o: CallOptions = {}): Promise<HmaBankContent> {
    return this.updateContent(bank, id, { disableUntilTs: 1 }, o);
  }

  /** DELETE /c/bank/<b>/content/<id> → rows deleted (0 if it did not exist). Deletes by id whatever the bank. */
  async deleteContent(bank: string, id: number, o: CallOptions = {}): Promise<number> {
    const r = await this.call('curator', 'DELETE', `/c/bank/${enc(bank)}/content/${id}`, S.deletedSchema, o);
    this.mutated();
    return r.deleted;
  }

  // ---- curator (/c): signal & content types --------------------------------------------------------------------

  async listSignalTypes(o: CallOptions = {}): Promise<Array<{ name: string; enabledRatio: number }>> {
    return (await this.call('curator', 'GET', '/c/signal_type', S.signalTypeListSchema, o)).map((t) => ({ name: t.name, enabledRatio: t.enabled_ratio }));
  }

  /**
   * PUT /c/signal_type/<name>: 204 as HMA's code reads. HMA 1.1.7 with today's flask-openapi3 answers every call with
   * a 500 (the view is called without its path argument; hma-api.md §2.4): that 500 becomes HmaUnsupportedError, so a
   * caller knows the server cannot do this rather than that it is down. (Even where it works, any valid ratio, 0
   * included, still counts as enabled in 1.1.7.)
   */
  async setSignalTypeEnabledRatio(name: string, enabledRatio: number, o: CallOptions = {}): Promise<void> {
    const path = `/c/signal_type/${enc(name)}`;
    try {
      await this.transport.request({ role: 'curator', method: 'PUT', path, json: { enabled_ratio: enabledRatio }, expect: { kind: 'ignore' }, idempotent: false, ...co(o) });
    } catch (e) {
      if (e instanceof HmaServerError && e.status === 500) {
        throw new HmaUnsupportedError(
          "This HMA cannot change a signal type's enabled ratio: PUT /c/signal_type/<name> fails with a 500 on HMA 1.1.7 (a server bug). Change it in HMA's configuration instead.",
          { status: 500, method: 'PUT', path, role: 'curator', serverMessage: e.serverMessage, bodySnippet: e.bodySnippet, cause: e },
        );
      }
      throw e;
    }
    this.signalTypesCache = null;
  }

  /** GET /c/signal_type/index: DB vs index sizes and freshness per signal type. */
  async signalTypeIndexStatus(signalType?: string, o: CallOptions = {}) {
    const r = await this.call('curator', 'GET', '/c/signal_type/index', S.signalTypeIndexSchema, { query: { signal_type: signalType }, ...co(o) });
    return Object.fromEntries(
      Object.entries(r).map(([t, s]) => [
        t,
        { dbSize: s.db_size, indexSize: s.index_size, indexOutOfDate: s.index_out_of_date, newestDbItem: s.newest_db_item, indexBuiltTo: s.index_built_to },
      ]),
    );
  }

  async listContentTypes(o: CallOptions = {}): Promise<Array<{ name: string; enabled: boolean }>> {
    return this.call('curator', 'GET', '/c/content_type', S.contentTypeListSchema, o);
  }

  // ---- curator (/c): exchanges ---------------------------------------------------------------------------------

  listExchanges(o: CallOptions = {}): Promise<string[]> {
    return this.call('curator', 'GET', '/c/exchanges', S.stringListSchema, o);
  }

  listExchangeApis(o: CallOptions = {}): Promise<string[]> {
    return this.call('curator', 'GET', '/c/exchanges/apis', S.stringListSchema, o);
  }

  async getExchangeApi(api: string, o: CallOptions = {}): Promise<{ supportsAuthentication: boolean; hasSetAuthentication: boolean }> {
    const r = await this.call('curator', 'GET', `/c/exchanges/api/${enc(api)}`, S.exchangeApiAuthSchema, o);
    return { supportsAuthentication: r.supports_authentification, hasSetAuthentication: r.has_set_authentification };
  }

  /** POST /c/exchanges/api/<api> {credential_json}; `{}` clears stored credentials. Values are never logged. */
  async setExchangeCredentials(api: string, credentials: Record<string, string>, o: CallOptions = {}): Promise<{ supportsAuthentication: boolean; hasSetAuthentication: boolean }> {
    const r = await this.call('curator', 'POST', `/c/exchanges/api/${enc(api)}`, S.exchangeApiAuthSchema, { json: { credential_json: credentials }, idempotent: true, ...co(o) });
    return { supportsAuthentication: r.supports_authentification, hasSetAuthentication: r.has_set_authentification };
  }

  getExchangeApiSchema(api: string, o: CallOptions = {}) {
    return this.call('curator', 'GET', `/c/exchanges/api/${enc(api)}/schema`, S.exchangeApiSchemaSchema, o);
  }

  /** POST /c/exchanges: creates the exchange and a bank of the same name. */
  async createExchange(x: { bank: string; api: string; apiJson?: Record<string, unknown> }, o: CallOptions = {}): Promise<void> {
    await this.call('curator', 'POST', '/c/exchanges', S.messageSchema, { json: { bank: x.bank, api: x.api, api_json: x.apiJson ?? {} }, idempotent: false, ...co(o) });
    this.mutated();
  }

  getExchange(name: string, o: CallOptions = {}): Promise<{ name: string; api: string; enabled: boolean; [k: string]: unknown }> {
    return this.call('curator', 'GET', `/c/exchange/${enc(name)}`, S.exchangeConfigSchema, o);
  }

  async getExchangeStatus(name: string, o: CallOptions = {}): Promise<ExchangeStatus> {
    const s = await this.call('curator', 'GET', `/c/exchange/${enc(name)}/status`, S.exchangeStatusSchema, o);
    return {
      checkpointTs: s.checkpoint_ts,
      fetchedItems: s.fetched_items,
      lastFetchCompleteTs: s.last_fetch_complete_ts,
      lastFetchSucceeded: s.last_fetch_succeeded,
      runningFetchStartTs: s.running_fetch_start_ts,
      upToDate: s.up_to_date,
    };
  }

  /** PUT /c/exchange/<name> {enabled}. HMA 1.1.7 answers 200 with a non-JSON body (concatenated key names): ignored. */
  async setExchangeEnabled(name: string, enabled: boolean, o: CallOptions = {}): Promise<void> {
    await this.transport.request({ role: 'curator', method: 'PUT', path: `/c/exchange/${enc(name)}`, json: { enabled }, expect: { kind: 'ignore' }, idempotent: true, ...co(o) });
  }

  /** DELETE /c/exchange/<name>: idempotent; also deletes the exchange's bank and its content. */
  async deleteExchange(name: string, o: CallOptions = {}): Promise<void> {
    await this.call('curator', 'DELETE', `/c/exchange/${enc(name)}`, S.messageSchema, o);
    this.mutated();
  }
}
