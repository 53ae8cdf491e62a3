// HTTP test double for HMA 2.0 (Open Media Match) 1.1.7 as deployed by hma-matrix, following
// ../shared/docs/hma-api.md (§1 errors/auth, §2 endpoints, §3 disable_until_ts, §5 signal types, §9 checklist).
//
// Indexing: like real HMA, content added through /c is NOT matchable until the index is rebuilt. Call
// `double.rebuildIndex()` (the CRON indexer + matcher cache refresh in one step), or start with
// `autoRebuildIndex: true` to store a new index after every write. As in HMA, /m/index/status and
// /c/signal_type/index report the *stored* index while lookups answer from the matcher's copy: with
// `matcherRefreshMs` the matcher reloads the stored index only at ticks that far apart (on the double's clock), so
// there is a window in which the status already shows a hash that lookups do not return (hma-api.md §1.5).
// A PDQ index holding exactly one hash never matches (HMA's upstream bug #1318), here too.
// Disabling and deleting take effect immediately for /m/lookup (filtering happens at query time); /m/raw_lookup
// ignores enabled state, as in HMA.
//
// Where the double cannot be exact:
//  * the coinflip uses a seeded JS PRNG, not Python's random.Random(seed) (same semantics, different numbers);
//  * floats are emitted JavaScript-style (1 rather than 1.0); keys are sorted like Flask's JSON provider;
//  * PDQ is never computed here: see hashers.ts (inject `hasher`);
//  * pydantic 422 arrays have the documented shape, with message texts for the cases the double models.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { defaultHasher, type DoubleContentType, type DoubleHasher } from './hashers';
import { multipartBoundary, parseMultipart, type ParsedMultipart } from './multipart';
import {
  CONTENT_TYPES,
  DoubleState,
  EXCHANGE_APIS,
  SIGNALS_FOR_CONTENT,
  SignalError,
  type Bank,
  type Content,
  type Exchange,
  type ExchangeFetchStatus,
  type IndexState,
  validateSignal,
  hexHamming,
  PDQ_THRESHOLD,
} from './state';

export type HmaFault =
  /** Stop listening: new connections are refused (ECONNREFUSED) and open ones are closed. Until cleared. */
  | { kind: 'down' }
  /** Accept the request, then destroy the socket without answering. */
  | { kind: 'reset' }
  /** Delay the (otherwise normal) answer. */
  | { kind: 'slow'; delayMs: number }
  /** 200 with `Content-Type: application/json` and a body that is not JSON. */
  | { kind: 'garbage' }
  /** 200 with well-formed JSON of the wrong shape. */
  | { kind: 'bad_shape' }
  /** A reverse proxy's HTML 502 page. */
  | { kind: 'html502' }
  /** 429 Too Many Requests with a Retry-After header (seconds or an HTTP date). */
  | { kind: 'rate_limit'; retryAfter?: string | number }
  /** Any status/body, e.g. a 503 that is not the index one. */
  | { kind: 'status'; status: number; body?: string; contentType?: string };

export type HmaFaultSpec = HmaFault & {
  /** Apply to the next `times` matching requests only (default: until cleared). Ignored by `down`. */
  times?: number;
  /** Only requests whose path starts with this. */
  pathPrefix?: string;
  method?: string;
};

export interface HmaDoubleOptions {
  /** hma-matrix API key: every path except /status, /status/live and /site-map needs `Authorization: Bearer <key>`. */
  apiKey?: string | null;
  /** Worker roles (blueprints). Default all on. `matcher` alone = hma-matrix MATCHER (hashing off). */
  roles?: { hasher?: boolean; matcher?: boolean; curator?: boolean };
  /** Matcher index cache (TASK_INDEX_CACHE): /status reports INDEX-NOT-LOADED/STALE. Default true. */
  indexCache?: boolean;
  /** Start with a loaded (empty) index. Default true; false → lookups 503 until rebuildIndex(). */
  indexLoaded?: boolean;
  /** Store a new index after every write (an indexer with no delay). Default false. */
  autoRebuildIndex?: boolean;
  /**
   * The matcher's TASK_INDEX_CACHE_INTERVAL_SECONDS, in ms of the double's clock: it serves a stored index only from
   * its next refresh tick on. Default: none (the matcher serves every stored index at once).
   */
  matcherRefreshMs?: number;
  /** signal_type → signal for uploads. Default: video_md5 for videos only (no PDQ). */
  hasher?: DoubleHasher;
  /** Wall clock in ms (disable_until_ts, create times). Default Date.now. */
  now?: () => number;
  /** ALLOWED_HOSTNAMES for URL hashing (empty = all). */
  allowedHostnames?: string[];
  /** MAX_REMOTE_FILE_SIZE in bytes. Default 100 MiB. */
  maxRemoteFileSize?: number;
  port?: number;
  /** Share another double's data (banks, content, index) to model a split deployment: one process per role. */
  state?: DoubleState;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  query: string;
  authorization: string | undefined;
  contentType: string | undefined;
  status?: number;
}

export interface HmaDouble {
  url: string;
  port: number;
  state: DoubleState;
  /** Every request received, in order (Authorization values included, for asserting the client sends them). */
  requests: RequestLogEntry[];
  /** Build the index from every content signal and serve it: the CRON indexer + a matcher cache refresh. */
  rebuildIndex(): void;
  /** The indexer alone: store a new index; the matcher serves it from its next refresh tick (see matcherRefreshMs). */
  buildStoredIndex(): void;
  /** `not_loaded` → /status 503 INDEX-NOT-LOADED and lookups 503; `stale` → /status 503 INDEX-STALE only. */
  setIndexState(s: IndexState): void;
  setFault(f: HmaFaultSpec | null): Promise<void>;
  clearFault(): Promise<void>;
  setHasher(h: DoubleHasher): void;
  setNow(now: () => number): void;
  /** Simulate an exchange fetch: each (signal_type, signal) record becomes one content item in the exchange bank. */
  importExchangeContent(exchange: string, records: Array<[string, string]>): number[];
  setExchangeFetchStatus(exchange: string, status: Partial<ExchangeFetchStatus>): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------

const GENERIC_500 =
  'The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.';
const PYDANTIC_URL = 'https://errors.pydantic.dev/2.13/v';
const MAX_DISABLE_FUTURE_SEC = 5 * 365 * 24 * 3600;

class Abort extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

class Unprocessable extends Error {
  constructor(readonly errors: unknown[]) {
    super('validation');
  }
}

interface Reply {
  status: number;
  body: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

interface Ctx {
  method: string;
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

type Blueprint = 'core' | 'h' | 'm' | 'c';
interface Route {
  method: string;
  rule: string;
  re: RegExp;
  keys: string[];
  bp: Blueprint;
  handler: (ctx: Ctx) => Promise<Reply> | Reply;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) o[k] = sortKeys((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
}

const json = (status: number, value: unknown): Reply => ({ status, body: `${JSON.stringify(sortKeys(value))}\n`, contentType: 'application/json' });
const text = (status: number, body: string): Reply => ({ status, body, contentType: 'text/html; charset=utf-8' });

function htmlError(status: 404 | 405): Reply {
  const [title, p] =
    status === 404
      ? ['404 Not Found', 'The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.']
      : ['405 Method Not Allowed', 'The method is not allowed for the requested URL.'];
  return text(status, `<!doctype html>\n<html lang=en>\n<title>${title}</title>\n<h1>${title.slice(4)}</h1>\n<p>${p}</p>\n`);
}

const missing = (loc: string, input: unknown) => ({ type: 'missing', loc: [loc], msg: 'Field required', input, url: `${PYDANTIC_URL}/missing` });

function queryInput(q: URLSearchParams): Record<string, string> {
  return Object.fromEntries(q.entries());
}

/** pydantic bool parsing of a query string value. */
function parseBoolParam(q: URLSearchParams, name: string, dflt: boolean): boolean {
  const v = q.get(name);
  if (v === null) return dflt;
  const s = v.toLowerCase();
  if (['true', '1', 'yes', 'on', 't', 'y'].includes(s)) return true;
  if (['false', '0', 'no', 'off', 'f', 'n'].includes(s)) return false;
  throw new Unprocessable([
    { type: 'bool_parsing', loc: [name], msg: 'Input should be a valid boolean, unable to interpret input', input: v, url: `${PYDANTIC_URL}/bool_parsing` },
  ]);
}

const csv = (v: string | null): string[] | null => (v === null ? null : v.split(',').map((s) => s.trim()));

function isJsonContentType(ct: string | undefined): boolean {
  if (!ct) return false;
  const base = ct.split(';')[0]!.trim().toLowerCase();
  return base === 'application/json' || (base.startsWith('application/') && base.endsWith('+json'));
}

/** request.get_json() without silent: 415 for a non-JSON Content-Type, 400 for an unparsable body. */
function getJson(ctx: Ctx): unknown {
  if (!isJsonContentType(ctx.headers['content-type'])) {
    throw new Abort(415, "Did not attempt to load JSON data because the request Content-Type was not 'application/json'.");
  }
  try {
    return JSON.parse(ctx.body.toString('utf8'));
  } catch {
    throw new Abort(400, 'Failed to decode JSON object');
  }
}

/** flask-openapi3 body model: a JSON object or 422. */
function bodyModel(ctx: Ctx, model: string): Record<string, unknown> {
  let v: unknown = null;
  if (isJsonContentType(ctx.headers['content-type']) && ctx.body.length > 0) {
    try {
      v = JSON.parse(ctx.body.toString('utf8'));
    } catch {
      v = null;
    }
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    throw new Unprocessable([
      { type: 'model_type', loc: [], msg: `Input should be a valid dictionary or instance of ${model}`, input: v, url: `${PYDANTIC_URL}/model_type` },
    ]);
  }
  return v as Record<string, unknown>;
}

function pyRepr(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return JSON.stringify(v);
}

function pyType(v: unknown): string {
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (v === null) return 'NoneType';
  return Array.isArray(v) ? 'list' : 'dict';
}

/** BankedContentMetadata validation (extra="forbid"); `collab` silently dropped; stored with exclude_none. */
function validateMetadata(raw: unknown): Record<string, unknown> | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new Abort(400, 'metadata should be a json object');
  const m = { ...(raw as Record<string, unknown>) };
  delete m.collab;
  const errors: string[] = [];
  for (const [k, v] of Object.entries(m)) {
    if (k === 'content_id' || k === 'content_uri') {
      if (v !== null && typeof v !== 'string') {
        errors.push(`${k}\n  Input should be a valid string [type=string_type, input_value=${pyRepr(v)}, input_type=${pyType(v)}]\n    For further information visit ${PYDANTIC_URL}/string_type`);
      }
    } else if (k !== 'json') {
      errors.push(`${k}\n  Extra inputs are not permitted [type=extra_forbidden, input_value=${pyRepr(v)}, input_type=${pyType(v)}]\n    For further information visit ${PYDANTIC_URL}/extra_forbidden`);
    }
  }
  if (errors.length) {
    throw new Abort(400, `Invalid metadata: ${errors.length} validation error${errors.length > 1 ? 's' : ''} for BankedContentMetadata\n${errors.join('\n')}`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) if (v !== null && v !== undefined) out[k] = v;
  return Object.keys(out).length ? out : null;
}

function validateNote(raw: unknown): string | null {
  if (raw === undefined || raw === null || raw === '' || raw === false || raw === 0) return null;
  if (typeof raw !== 'string') throw new Abort(400, 'note should be a string');
  if (raw.length > 255) throw new Abort(400, 'note must be at most 255 characters');
  return raw;
}

const BANK_NAME_RE = /^[A-Z_][A-Z0-9_]*$/;
const bankJson = (b: Bank) => ({ matching_enabled_ratio: b.matching_enabled_ratio, name: b.name });

function exchangeConfig(e: Exchange): Record<string, unknown> {
  return { ...e.apiJson, name: e.name, api: e.api, enabled: e.enabled };
}

// ---------------------------------------------------------------------------------------------------------------

export async function startHmaDouble(opts: HmaDoubleOptions = {}): Promise<HmaDouble> {
  const roles = { hasher: opts.roles?.hasher ?? true, matcher: opts.roles?.matcher ?? true, curator: opts.roles?.curator ?? true };
  const indexCache = opts.indexCache ?? true;
  let now = opts.now ?? Date.now;
  let hasher = opts.hasher ?? defaultHasher;
  const maxRemote = opts.maxRemoteFileSize ?? 104_857_600;
  const allowedHosts = new Set(opts.allowedHostnames ?? []);
  const state = opts.state ?? new DoubleState(() => now());
  if (!opts.state) {
    if (opts.indexLoaded ?? true) state.rebuildIndex();
    else state.indexState = 'not_loaded';
    if (opts.matcherRefreshMs !== undefined) state.setMatcherRefresh(opts.matcherRefreshMs);
  }
  const requests: RequestLogEntry[] = [];
  let fault: (HmaFaultSpec & { remaining: number }) | null = null;

  const written = () => {
    if (opts.autoRebuildIndex) state.buildStoredIndex();
  };

  // ---- hashing -------------------------------------------------------------------------------------------------

  function selectSignalTypes(contentType: string, typesParam: string | null): string[] {
    const available = (SIGNALS_FOR_CONTENT[contentType] ?? []).filter((t) => state.signalTypeRatios.has(t));
    if (available.length === 0) throw new Abort(500, 'No signal types configured!');
    const requested = csv(typesParam);
    if (requested === null) return available;
    const names = requested.filter((t) => t !== '');
    for (const t of names) if (!available.includes(t)) throw new Abort(400, `signal type '${t}' doesn't exist or is disabled`);
    if (names.length === 0) throw new Abort(400, 'empty signal type selection');
    return names;
  }

  async function hashBytes(bytes: Uint8Array, contentType: string, typesParam: string | null): Promise<Record<string, string>> {
    if (!(CONTENT_TYPES as readonly string[]).includes(contentType)) throw new Abort(400, `no such content_type: '${contentType}'`);
    const types = selectSignalTypes(contentType, typesParam);
    let all: Record<string, string>;
    try {
      all = await hasher(bytes, contentType as DoubleContentType);
    } catch {
      throw new Abort(500, GENERIC_500);
    }
    const out: Record<string, string> = {};
    for (const t of types) if (typeof all[t] === 'string') out[t] = all[t];
    return out;
  }

  /** The one uploaded file: field name = content type. */
  function uploadedFile(form: ParsedMultipart | null): { contentType: string; bytes: Buffer } {
    const files = form?.files ?? [];
    if (files.length === 0) throw new Abort(400, 'Missing multipart/form-data file upload');
    if (files.length > 1) throw new Abort(400, 'Only one file allowed per request');
    const f = files[0]!;
    if (!(CONTENT_TYPES as readonly string[]).includes(f.name)) throw new Abort(400, `no such content_type: '${f.name}'`);
    return { contentType: f.name, bytes: f.data };
  }

  function parseForm(ctx: Ctx): ParsedMultipart | null {
    const boundary = multipartBoundary(ctx.headers['content-type']);
    if (!boundary) return null;
    try {
      return parseMultipart(ctx.body, boundary);
    } catch {
      throw new Abort(400, 'Missing multipart/form-data file upload');
    }
  }

  function isValidUrl(raw: string): boolean {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      return false;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
    if (!u.hostname) return false;
    const host = u.hostname.toLowerCase();
    if (host === 'github.com' || host === 'raw.githubusercontent.com') return true;
    return allowedHosts.size === 0 || allowedHosts.has(host);
  }

  async function hashUrl(url: string, contentTypeParam: string | null, typesParam: string | null): Promise<Record<string, string>> {
    if (!isValidUrl(url)) throw new Abort(400, 'Invalid or unsafe URL provided');
    let res: Response;
    let bytes: Buffer;
    try {
      res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(30_000) });
      if (!res.ok) throw new Error(`${res.status} Error: ${res.statusText} for url: ${url}`);
      const len = res.headers.get('content-length');
      if (len !== null && Number(len) > maxRemote) {
        await res.body?.cancel();
        throw new Abort(413, 'Content too large');
      }
      bytes = Buffer.from(await res.arrayBuffer());
    } catch (e) {
      if (e instanceof Abort) throw e;
      throw new Abort(400, `Failed to fetch URL: ${(e as Error).message}`);
    }
    if (bytes.length > maxRemote) throw new Abort(413, 'Content too large');
    let contentType = contentTypeParam;
    if (contentType === null) {
      const ct = res.headers.get('content-type');
      if (ct === null) throw new Abort(500, GENERIC_500);
      if (ct.startsWith('image/')) contentType = 'photo';
      else if (ct.startsWith('video/')) contentType = 'video';
      else throw new Abort(400, `unsupported url ContentType: '${ct}', if you know the expected type, provide it with the content_type query param`);
    }
    return hashBytes(bytes, contentType, typesParam);
  }

  // ---- matching ------------------------------------------------------------------------------------------------

  function checkSignal(signalType: string, signal: string): string {
    if (!state.signalTypeRatios.has(signalType)) throw new Abort(400, `No such SignalType '${signalType}'`);
    try {
      return validateSignal(signalType, signal);
    } catch (e) {
      throw new Abort(400, `invalid signal: ${(e as Error).message}`);
    }
  }

  function requireIndex(): void {
    if (state.index === null || state.indexState === 'not_loaded') throw new Abort(503, 'index not yet ready');
  }

  function lookupOne(signalType: string, signal: string, q: URLSearchParams, bypass: boolean) {
    const normalised = checkSignal(signalType, signal);
    requireIndex();
    const banks = csv(q.get('banks'));
    return state.lookup(signalType, normalised, banks ? new Set(banks) : null, q.get('seed'), bypass);
  }

  // ---- curation helpers ----------------------------------------------------------------------------------------

  function bankOr404(name: string, msg = `bank '${name}' not found`): Bank {
    const b = state.banks.get(name);
    if (!b) throw new Abort(404, msg);
    return b;
  }

  function contentOr404(id: string): Content {
    const c = state.contents.get(Number(id));
    if (!c) throw new Abort(404, `content '${id}' not found`);
    return c;
  }

  function contentGetJson(c: Content, includeSignals: boolean, includeMetadata: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = { bank: bankJson(c.bank), disable_until_ts: c.disableUntilTs, id: c.id, original_media_uri: null };
    if (includeSignals && c.signals.size > 0) out.signals = Object.fromEntries(c.signals);
    if (includeMetadata && (c.userMetadata || c.collab)) {
      out.metadata = {
        collab: c.collab ?? null,
        content_id: c.userMetadata?.content_id ?? null,
        content_uri: c.userMetadata?.content_uri ?? null,
        json: c.userMetadata?.json ?? null,
      };
    }
    if (c.note) out.note = c.note;
    return out;
  }

  function contentDataclassJson(c: Content): Record<string, unknown> {
    return {
      bank: bankJson(c.bank),
      collab_metadata: c.collab ?? {},
      disable_until_ts: c.disableUntilTs,
      id: c.id,
      note: c.note,
      original_media_uri: null,
      user_metadata: c.userMetadata ?? {},
    };
  }

  function parseDisableUntil(v: unknown): number {
    let n: number;
    if (typeof v === 'number' || typeof v === 'boolean') n = Math.trunc(Number(v));
    else if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) n = Number.parseInt(v, 10);
    else throw new Abort(400, `Invalid int: ${pyRepr(v)}`);
    if (n < 0) throw new Abort(400, 'disable_until_ts must be a non-negative integer');
    if (n > state.nowSec() + MAX_DISABLE_FUTURE_SEC) throw new Abort(400, 'disable_until_ts must be less than 5 years in the future');
    return n;
  }

  function exchangeOr404(name: string): Exchange {
    const e = state.exchanges.get(name);
    if (!e) throw new Abort(404, `Exchange '${name}' not found`);
    return e;
  }

  const emptyFetchStatus = (): ExchangeFetchStatus => ({
    checkpoint_ts: null,
    fetched_items: 0,
    last_fetch_complete_ts: null,
    last_fetch_succeeded: null,
    running_fetch_start_ts: null,
    up_to_date: false,
  });

  const credentialFields: Record<string, string[] | null> = {
    sample: null,
    fb_threatexchange: ['api_token'],
    ncmec: ['user', 'password'],
    stop_ncii: ['api_key', 'fetch_function_key'],
    tat: ['username', 'password'],
    synapse_quarantined: ['access_token'],
  };

  function schemaFor(api: string) {
    const field = (name: string, help: string) => ({ name, type: 'string', required: true, default: null, help, choices: null });
    if (api === 'synapse_quarantined') {
      return { config_schema: { fields: [field('admin_api_url', 'The admin API URL for Synapse')] }, credentials_schema: { fields: [field('access_token', '')] } };
    }
    const creds = credentialFields[api];
    return { config_schema: { fields: [] }, credentials_schema: creds ? { fields: creds.map((c) => field(c, '')) } : null };
  }

  // ---- routes --------------------------------------------------------------------------------------------------

  const routes: Route[] = [];
  const route = (method: string, rule: string, bp: Blueprint, handler: Route['handler']) => {
    const keys: string[] = [];
    const re = new RegExp(
      `^${rule.replace(/<(?:(int):)?([a-z_]+)>/g, (_m, conv: string | undefined, key: string) => {
        keys.push(key);
        return conv === 'int' ? '(\\d+)' : '([^/]+)';
      })}$`,
    );
    routes.push({ method, rule, re, keys, bp, handler });
  };

  // core
  route('GET', '/', 'core', () => ({ status: 302, body: '', headers: { location: '/status' }, contentType: 'text/html; charset=utf-8' }));
  route('GET', '/status', 'core', () => {
    if (roles.matcher && indexCache) {
      if (state.index === null || state.indexState === 'not_loaded') return text(503, 'INDEX-NOT-LOADED');
      if (state.indexState === 'stale') return text(503, 'INDEX-STALE');
    }
    return text(200, 'I-AM-ALIVE');
  });
  route('GET', '/status/live', 'core', () => text(200, 'I-AM-ALIVE'));
  route('GET', '/site-map', 'core', () => json(200, [...new Set(activeRoutes().map((r) => r.rule))].sort()));
  route('GET', '/openapi/openapi.json', 'core', () => json(200, { info: { title: 'Open Media Match API', version: '1.1.7' }, openapi: '3.1.0', paths: {} }));

  // hashing
  route('GET', '/h/hash', 'h', async (ctx) => {
    const url = ctx.query.get('url');
    if (url === null) throw new Unprocessable([missing('url', queryInput(ctx.query))]);
    return json(200, await hashUrl(url, ctx.query.get('content_type'), ctx.query.get('types')));
  });
  route('POST', '/h/hash', 'h', async (ctx) => {
    const f = uploadedFile(parseForm(ctx));
    return json(200, await hashBytes(f.bytes, f.contentType, ctx.query.get('types')));
  });

  // matching
  route('GET', '/m/raw_lookup', 'm', (ctx) => {
    const q = ctx.query;
    const errs = [];
    if (q.get('signal') === null) errs.push(missing('signal', queryInput(q)));
    if (q.get('signal_type') === null) errs.push(missing('signal_type', queryInput(q)));
    if (errs.length) throw new Unprocessable(errs);
    const includeDistance = parseBoolParam(q, 'include_distance', false);
    const type = q.get('signal_type')!;
    const signal = checkSignal(type, q.get('signal')!);
    requireIndex();
    let hits = state.indexQuery(type, signal);
    const banks = csv(q.get('banks'));
    if (banks) {
      const set = new Set(banks);
      hits = hits.filter((h) => {
        const c = state.contents.get(h.contentId);
        return c !== undefined && set.has(c.bank.name);
      });
    }
    return json(200, { matches: includeDistance ? hits.map((h) => ({ bank_content_id: h.contentId, distance: h.distance })) : hits.map((h) => h.contentId) });
  });
  route('GET', '/m/lookup', 'm', async (ctx) => {
    const q = ctx.query;
    const url = q.get('url');
    // Quirk (§2.3): GET ignores bypass_coinflip.
    if (url !== null) {
      if (!roles.hasher) throw new Abort(403, 'Hashing is disabled, missing role');
      const hashes = await hashUrl(url, q.get('content_type'), q.get('types'));
      const out: Record<string, unknown> = {};
      for (const [t, s] of Object.entries(hashes)) out[t] = lookupOne(t, s, q, false);
      const only = q.get('signal_type');
      return json(200, only !== null ? (out[only] ?? {}) : out);
    }
    const signal = q.get('signal');
    const type = q.get('signal_type');
    if (!signal || !type) {
      throw new Abort(400, 'Either url or both signal and signal_type are required');
    }
    return json(200, lookupOne(type, signal, q, false));
  });
  route('POST', '/m/lookup', 'm', async (ctx) => {
    if (!roles.hasher) throw new Abort(403, 'Hashing is disabled, missing role');
    const f = uploadedFile(parseForm(ctx));
    const hashes = await hashBytes(f.bytes, f.contentType, ctx.query.get('types'));
    const bypass = ctx.query.get('bypass_coinflip') === 'true';
    const out: Record<string, unknown> = {};
    for (const [t, s] of Object.entries(hashes)) out[t] = lookupOne(t, s, ctx.query, bypass);
    return json(200, out);
  });
  route('GET', '/m/index/status', 'm', (ctx) => {
    const only = ctx.query.get('signal_type');
    if (only !== null && !state.signalTypeRatios.has(only)) throw new Abort(400, `No such signal type '${only}'`);
    const types = only !== null ? [only] : [...state.signalTypeRatios.keys()];
    return json(200, Object.fromEntries(types.map((t) => [t, state.indexStatus(t)])));
  });
  route('POST', '/m/compare', 'm', (ctx) => {
    const body = getJson(ctx);
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Abort(400, 'Request input was not a dict');
    const out: Record<string, unknown> = {};
    for (const [t, v] of Object.entries(body as Record<string, unknown>)) {
      if (!Array.isArray(v)) throw new Abort(400, `Comparison hashes for ${t} was not a list`);
      if (v.length !== 2) throw new Abort(400, 'Comparison hash list length must be exactly 2');
      if (!state.signalTypeRatios.has(t)) throw new Abort(400, `No such SignalType '${t}'`);
      const [a, b] = v.map((h) => {
        try {
          return validateSignal(t, String(h));
        } catch (e) {
          throw new Abort(400, `Invalid ${t} hash: ${(e as Error).message}`);
        }
      }) as [string, string];
      // Quirk (§2.3): video_md5's SignalSimilarityInfo is not JSON-serialisable → 500.
      if (t !== 'pdq') throw new Abort(500, GENERIC_500);
      const distance = hexHamming(a, b);
      out[t] = [distance <= PDQ_THRESHOLD, { distance }];
    }
    return json(200, out);
  });

  // curation: banks
  route('GET', '/c/banks', 'c', () => json(200, [...state.banks.values()].map(bankJson)));
  route('POST', '/c/banks', 'c', (ctx) => {
    const b = bodyModel(ctx, 'BankCreateRequest');
    if (typeof b.name !== 'string') throw new Unprocessable([missing('name', b)]);
    if (!BANK_NAME_RE.test(b.name)) throw new Abort(400, 'Bank names must be UPPER_WITH_UNDERSCORE');
    if (state.banks.has(b.name)) throw new Abort(403, 'Bank already exists');
    // Quirk (§2.4): enabled_ratio defaults to 1.0 (not None), so `enabled` only counts with an explicit null ratio.
    let ratio = 1.0;
    if ('enabled_ratio' in b && b.enabled_ratio === null) ratio = b.enabled === false ? 0 : 1;
    else if (typeof b.enabled_ratio === 'number') ratio = b.enabled_ratio;
    const bank: Bank = { name: b.name, matching_enabled_ratio: ratio };
    state.banks.set(bank.name, bank);
    written();
    return json(201, bankJson(bank));
  });
  route('GET', '/c/bank/<bank_name>', 'c', (ctx) => json(200, bankJson(bankOr404(ctx.params.bank_name!))));
  route('PUT', '/c/bank/<bank_name>', 'c', (ctx) => {
    const b = bodyModel(ctx, 'BankUpdateRequest');
    const bank = bankOr404(ctx.params.bank_name!, 'Bank not found');
    if (typeof b.name === 'string' && b.name !== bank.name) {
      if (!BANK_NAME_RE.test(b.name)) throw new Abort(400, 'Bank names must be UPPER_WITH_UNDERSCORE');
      if (state.banks.has(b.name)) throw new Abort(403, 'Bank name already exists');
      state.banks.delete(bank.name);
      bank.name = b.name;
      state.banks.set(bank.name, bank);
    }
    if (typeof b.enabled === 'boolean') bank.matching_enabled_ratio = b.enabled ? 1 : 0;
    if (typeof b.enabled_ratio === 'number') bank.matching_enabled_ratio = b.enabled_ratio;
    written();
    return json(200, bankJson(bank));
  });
  route('DELETE', '/c/bank/<bank_name>', 'c', (ctx) => {
    state.deleteBank(ctx.params.bank_name!);
    written();
    return json(200, { message: 'Done' });
  });

  // curation: content
  route('POST', '/c/bank/<bank_name>/content', 'c', async (ctx) => {
    const bank = bankOr404(ctx.params.bank_name!);
    const url = ctx.query.get('url');
    let metadataRaw: unknown;
    let noteRaw: unknown;
    let hashes: Record<string, string>;
    if (url !== null) {
      if (isJsonContentType(ctx.headers['content-type']) && ctx.body.length > 0) {
        let body: unknown;
        try {
          body = JSON.parse(ctx.body.toString('utf8'));
        } catch {
          throw new Abort(400, 'Failed to decode JSON object');
        }
        if (body && typeof body === 'object' && !Array.isArray(body)) {
          metadataRaw = (body as Record<string, unknown>).metadata;
          noteRaw = (body as Record<string, unknown>).note;
        }
      }
      const metadata = validateMetadata(metadataRaw);
      const note = validateNote(noteRaw);
      hashes = await hashUrl(url, ctx.query.get('content_type'), ctx.query.get('types'));
      return addContent(bank, hashes, metadata, note);
    }
    const form = parseForm(ctx);
    if (!form || form.files.length === 0) throw new Abort(400, 'Neither `url` nor multipart file upload was received');
    const metaField = form.fields.get('metadata')?.[0];
    if (metaField !== undefined && metaField !== '') {
      try {
        metadataRaw = JSON.parse(metaField);
      } catch {
        throw new Abort(400, 'metadata form field must be valid JSON');
      }
    }
    noteRaw = form.fields.get('note')?.[0];
    const metadata = validateMetadata(metadataRaw);
    const note = validateNote(noteRaw);
    const f = uploadedFile(form);
    hashes = await hashBytes(f.bytes, f.contentType, ctx.query.get('types'));
    return addContent(bank, hashes, metadata, note);
  });

  function addContent(bank: Bank, hashes: Record<string, string>, metadata: Record<string, unknown> | null, note: string | null): Reply {
    const signals = new Map<string, string>();
    for (const [t, s] of Object.entries(hashes)) {
      try {
        signals.set(t, validateSignal(t, s));
      } catch (e) {
        throw new Abort(400, `Invalid ${t} signal: ${(e as Error).message}`);
      }
    }
    if (signals.size === 0) throw new Abort(400, 'No signals given');
    const c = state.addContent(bank, signals, { userMetadata: metadata, note });
    written();
    return json(200, { id: c.id, signals: Object.fromEntries(signals) });
  }

  route('POST', '/c/bank/<bank_name>/signal', 'c', (ctx) => {
    const bank = bankOr404(ctx.params.bank_name!);
    const body = getJson(ctx);
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Abort(400, 'Request input was not a dict');
    const entries = Object.entries(body as Record<string, unknown>);
    const note = validateNote(entries.find(([k]) => k === 'note')?.[1]);
    const signals = new Map<string, string>();
    for (const [t, v] of entries) {
      if (t === 'note') continue;
      if (!state.signalTypeRatios.has(t)) throw new Abort(400, `No such signal type ${t}`);
      try {
        signals.set(t, validateSignal(t, String(v)));
      } catch (e) {
        throw new Abort(400, `Invalid ${t} signal: ${(e as SignalError).message}`);
      }
    }
    if (signals.size === 0) throw new Abort(400, 'No signals given');
    const c = state.addContent(bank, signals, { note });
    written();
    return json(200, { id: c.id, signals: Object.fromEntries(signals) });
  });
  route('GET', '/c/bank/<bank_name>/content/<int:content_id>', 'c', (ctx) => {
    bankOr404(ctx.params.bank_name!);
    const c = contentOr404(ctx.params.content_id!); // Quirk: not checked against the bank in the path.
    return json(200, contentGetJson(c, ctx.query.get('include_signals') === 'true', (ctx.query.get('include_metadata') ?? 'true') === 'true'));
  });
  route('PUT', '/c/bank/<bank_name>/content/<int:content_id>', 'c', (ctx) => {
    bankOr404(ctx.params.bank_name!);
    const c = contentOr404(ctx.params.content_id!);
    const body = getJson(ctx);
    const b = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const ts = b.disable_until_ts !== undefined && b.disable_until_ts !== null ? parseDisableUntil(b.disable_until_ts) : undefined;
    let note: string | null | undefined;
    if ('note' in b) {
      if (b.note === null || b.note === '') note = null;
      else if (typeof b.note !== 'string') throw new Abort(400, 'note should be a string');
      else if (b.note.length > 255) throw new Abort(400, 'note must be at most 255 characters');
      else note = b.note;
    }
    if (ts !== undefined) c.disableUntilTs = ts;
    if (note !== undefined) c.note = note;
    return json(200, contentDataclassJson(c));
  });
  route('DELETE', '/c/bank/<bank_name>/content/<int:content_id>', 'c', (ctx) => {
    bankOr404(ctx.params.bank_name!);
    const deleted = state.contents.delete(Number(ctx.params.content_id)) ? 1 : 0;
    written();
    return json(200, { deleted });
  });

  // curation: exchanges
  route('GET', '/c/exchanges/apis', 'c', () => json(200, EXCHANGE_APIS));
  const apiOr400 = (name: string) => {
    if (!EXCHANGE_APIS.includes(name)) throw new Abort(400, `no such Exchange API '${name}'`);
    return name;
  };
  const apiAuthJson = (api: string) => ({ has_set_authentification: (state.credentials.get(api) ?? null) !== null, supports_authentification: credentialFields[api] !== null });
  route('GET', '/c/exchanges/api/<api_name>', 'c', (ctx) => json(200, apiAuthJson(apiOr400(ctx.params.api_name!))));
  route('POST', '/c/exchanges/api/<api_name>', 'c', (ctx) => {
    const api = apiOr400(ctx.params.api_name!);
    let body: unknown;
    try {
      body = JSON.parse(ctx.body.toString('utf8'));
    } catch {
      body = null;
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Abort(400, 'this endpoint expects a json object payload');
    const cred = (body as Record<string, unknown>).credential_json;
    if (cred === undefined || cred === null) return json(200, apiAuthJson(api));
    if (typeof cred !== 'object' || Array.isArray(cred)) throw new Abort(500, GENERIC_500);
    const fields = credentialFields[api] ?? null;
    if (Object.keys(cred).length === 0) state.credentials.set(api, null);
    else {
      if (fields === null) throw new Abort(500, GENERIC_500);
      const keys = Object.keys(cred);
      if (!fields.every((f) => typeof (cred as Record<string, unknown>)[f] === 'string') || keys.some((k) => !fields.includes(k))) throw new Abort(500, GENERIC_500);
      state.credentials.set(api, cred as Record<string, unknown>);
    }
    return json(200, apiAuthJson(api));
  });
  route('GET', '/c/exchanges/api/<api_name>/schema', 'c', (ctx) => {
    const api = ctx.params.api_name!;
    if (!EXCHANGE_APIS.includes(api)) throw new Abort(404, `Exchange API '${api}' not found`);
    return json(200, schemaFor(api));
  });
  route('POST', '/c/exchanges', 'c', (ctx) => {
    const body = getJson(ctx);
    const b = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    if (!b.bank) throw new Abort(400, 'bank is required');
    const name = String(b.bank);
    if (!/^[A-Z0-9_]+$/.test(name)) throw new Abort(400, 'Field `bank` must match /^[A-Z0-9_]+$/');
    const apiJson = b.api_json ?? {};
    if (typeof apiJson !== 'object' || apiJson === null || Array.isArray(apiJson)) throw new Abort(400, 'Field `api_json` must be object');
    if (b.api === undefined || b.api === null) throw new Abort(400, 'Field `api_type` is required');
    const api = String(b.api);
    if (!EXCHANGE_APIS.includes(api)) throw new Abort(400, `No such exchange type '${api}'`);
    const cfg = { ...(apiJson as Record<string, unknown>) };
    const enabled = cfg.enabled === undefined ? true : Boolean(cfg.enabled);
    delete cfg.enabled;
    delete cfg.name;
    delete cfg.api;
    if (api === 'synapse_quarantined' && typeof cfg.admin_api_url !== 'string') {
      throw new Abort(400, 'Failed to parse `api_json` - missing value for field "admin_api_url"');
    }
    if (/^\d/.test(name) || state.banks.has(name) || state.exchanges.has(name)) throw new Abort(500, GENERIC_500);
    state.banks.set(name, { name, matching_enabled_ratio: 1.0 });
    state.exchanges.set(name, { name, api, enabled, apiJson: cfg, status: emptyFetchStatus() });
    written();
    return json(201, { message: 'Created successfully' });
  });
  route('GET', '/c/exchanges', 'c', () => json(200, [...state.exchanges.keys()]));
  route('GET', '/c/exchange/<exchange_name>', 'c', (ctx) => {
    const e = exchangeOr404(ctx.params.exchange_name!);
    return { status: 200, body: JSON.stringify(exchangeConfig(e), null, 2), contentType: 'application/json' };
  });
  route('GET', '/c/exchange/<exchange_name>/status', 'c', (ctx) => json(200, exchangeOr404(ctx.params.exchange_name!).status));
  route('PUT', '/c/exchange/<exchange_name>', 'c', (ctx) => {
    const b = bodyModel(ctx, 'ExchangeUpdateRequest');
    const e = exchangeOr404(ctx.params.exchange_name!);
    if (typeof b.enabled === 'boolean') e.enabled = b.enabled;
    // Quirk (§2.4): Response(dict) iterates the dict → the body is the concatenated key names.
    return { status: 200, body: Object.keys(exchangeConfig(e)).join(''), contentType: 'application/json' };
  });
  route('DELETE', '/c/exchange/<exchange_name>', 'c', (ctx) => {
    const name = ctx.params.exchange_name!;
    if (state.exchanges.delete(name)) state.deleteBank(name);
    written();
    return json(200, { message: 'Exchange deleted' });
  });

  // curation: signal & content types
  route('GET', '/c/signal_type', 'c', () => json(200, [...state.signalTypeRatios].map(([name, enabled_ratio]) => ({ enabled_ratio, name }))));
  route('GET', '/c/signal_type/index', 'c', (ctx) => {
    const only = ctx.query.get('signal_type');
    if (only !== null && !state.signalTypeRatios.has(only)) throw new Abort(400, `No such signal type '${only}'`);
    const types = only !== null ? [only] : [...state.signalTypeRatios.keys()];
    const out: Record<string, unknown> = {};
    for (const t of types) {
      const db = state.dbSignalStats(t);
      const idx = state.indexStatus(t);
      out[t] = { db_size: db.size, index_size: idx.size, index_out_of_date: db.size !== idx.size || db.newest > idx.built_to, newest_db_item: db.newest, index_built_to: idx.built_to };
    }
    return json(200, out);
  });
  // Measured on 1.1.7 with today's flask-openapi3 (4.3.x): the view is called without its path argument
  // (TypeError: update_signal_type_config() missing 1 required positional argument), so every call is a 500
  // (hma-api.md §2.4). The ratio never changes.
  route('PUT', '/c/signal_type/<signal_type_name>', 'c', () => {
    throw new Abort(500, GENERIC_500);
  });
  route('GET', '/c/content_type', 'c', () => json(200, CONTENT_TYPES.map((name) => ({ enabled: true, name }))));

  function activeRoutes(): Route[] {
    return routes.filter((r) => r.bp === 'core' || (r.bp === 'h' && roles.hasher) || (r.bp === 'm' && roles.matcher) || (r.bp === 'c' && roles.curator));
  }

  // ---- dispatch ------------------------------------------------------------------------------------------------

  async function dispatch(method: string, path: string, ctxBase: Omit<Ctx, 'params' | 'path' | 'method'>): Promise<Reply> {
    let pathMatched = false;
    for (const r of activeRoutes()) {
      const m = r.re.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) continue;
      const params: Record<string, string> = {};
      r.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1]!)));
      try {
        return await r.handler({ ...ctxBase, method, path, params });
      } catch (e) {
        if (e instanceof Unprocessable) return json(422, e.errors);
        if (e instanceof Abort) return r.bp === 'core' ? text(e.status, e.message) : json(e.status, { message: e.message });
        return r.bp === 'core' ? text(500, 'Internal Server Error') : json(500, { message: GENERIC_500 });
      }
    }
    return htmlError(pathMatched ? 405 : 404);
  }

  function takeFault(method: string, path: string): HmaFaultSpec | null {
    const f = fault;
    if (!f || f.kind === 'down') return null;
    if (f.pathPrefix && !path.startsWith(f.pathPrefix)) return null;
    if (f.method && f.method.toUpperCase() !== method) return null;
    if (f.remaining !== Infinity && --f.remaining <= 0) fault = null;
    return f;
  }

  function send(res: ServerResponse, reply: Reply, entry: RequestLogEntry): void {
    entry.status = reply.status;
    const headers: Record<string, string> = { ...(reply.headers ?? {}) };
    if (reply.contentType) headers['content-type'] = reply.contentType;
    res.writeHead(reply.status, headers);
    res.end(reply.status === 204 ? undefined : reply.body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const entry: RequestLogEntry = { method, path: u.pathname, query: u.search, authorization: req.headers.authorization, contentType: req.headers['content-type'] };
    requests.push(entry);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);

    const f = takeFault(method, u.pathname);
    if (f) {
      switch (f.kind) {
        case 'reset':
          req.socket.destroy();
          return;
        case 'slow':
          await new Promise((r) => setTimeout(r, f.delayMs));
          if (res.destroyed || req.socket.destroyed) return;
          break;
        case 'garbage':
          return send(res, { status: 200, body: '{"matches": [1, 2\u0000<<garbage>>', contentType: 'application/json' }, entry);
        case 'bad_shape':
          return send(res, json(200, { unexpected: ['shape'] }), entry);
        case 'html502':
          return send(
            res,
            { status: 502, body: '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n', contentType: 'text/html' },
            entry,
          );
        case 'rate_limit':
          return send(res, { status: 429, body: 'Too Many Requests', contentType: 'text/plain; charset=utf-8', headers: { 'retry-after': String(f.retryAfter ?? 1) } }, entry);
        case 'status':
          return send(res, { status: f.status, body: f.body ?? '', contentType: f.contentType ?? 'application/json' }, entry);
      }
    }

    // hma-matrix before_request auth hook (runs before routing errors surface).
    if (opts.apiKey && !['/site-map', '/status', '/status/live'].includes(u.pathname)) {
      const auth = req.headers.authorization ?? '';
      if (!(auth.startsWith('Bearer ') && auth.slice(7) === opts.apiKey)) return send(res, text(401, 'Authentication required'), entry);
    }
    const reply = await dispatch(method, u.pathname, { query: u.searchParams, headers: req.headers, body });
    send(res, reply, entry);
  }

  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('double crashed');
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stopListening = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });

  await listen(opts.port ?? 0);
  const port = (server.address() as AddressInfo).port;

  const double: HmaDouble = {
    url: `http://127.0.0.1:${port}`,
    port,
    state,
    requests,
    rebuildIndex: () => state.rebuildIndex(),
    buildStoredIndex: () => state.buildStoredIndex(),
    setIndexState: (s) => {
      if (s !== 'not_loaded' && state.index === null) state.rebuildIndex();
      state.indexState = s;
    },
    async setFault(f) {
      const wasDown = fault?.kind === 'down';
      fault = f ? { ...f, remaining: f.times ?? Infinity } : null;
      const isDown = fault?.kind === 'down';
      if (isDown && !wasDown) await stopListening();
      if (!isDown && wasDown) await listen(port);
    },
    clearFault() {
      return double.setFault(null);
    },
    setHasher: (h) => {
      hasher = h;
    },
    setNow: (fn) => {
      now = fn;
    },
    importExchangeContent(exchange, records) {
      const e = state.exchanges.get(exchange);
      const bank = state.banks.get(exchange);
      if (!e || !bank) throw new Error(`no exchange ${exchange}`);
      const ids: number[] = [];
      for (const [type, raw] of records) {
        const signal = validateSignal(type, raw);
        const key = `('${type}', '${signal}')`;
        const existing = [...state.contents.values()].find((c) => c.bank === bank && c.collab?.[exchange]?.includes(key));
        if (existing) continue;
        ids.push(state.addContent(bank, new Map([[type, signal]]), { collab: { [exchange]: [key] } }).id);
      }
      e.status = { ...e.status, fetched_items: e.status.fetched_items + ids.length, last_fetch_complete_ts: state.nowSec(), last_fetch_succeeded: true, up_to_date: true };
      written();
      return ids;
    },
    setExchangeFetchStatus(exchange, status) {
      const e = state.exchanges.get(exchange);
      if (!e) throw new Error(`no exchange ${exchange}`);
      e.status = { ...e.status, ...status };
    },
    async close() {
      fault = null;
      await stopListening();
    },
  };
  return double;
}

