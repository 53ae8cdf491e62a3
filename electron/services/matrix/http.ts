// Minimal authenticated fetch wrapper for the client-server and Synapse admin APIs.
// Paths starting with /_synapse/ go to the admin API base URL (admins often keep it off the
// public listener). The access token goes only into the Authorization header and is never
// logged or put into error messages.
import { errorFromFetchFailure, errorFromResponse, MatrixApiError } from './errors';

export type QueryValue = string | number | boolean | undefined | null;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** per-request timeout, default the client's */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** send without the Authorization header */
  anonymous?: boolean;
  /** Accept header, default application/json */
  accept?: string;
}

export interface MatrixHttpOptions {
  homeserverUrl: string;
  /** default homeserverUrl */
  adminApiBaseUrl?: string;
  accessToken?: string;
  /** default 30 s */
  timeoutMs?: number;
  fetchFn?: typeof fetch;
}

export function normalizeBaseUrl(url: string): string {
  return url.trim().replace(/\/+$/, '');
}

/** encodeURIComponent for one path segment */
export const seg = (s: string): string => encodeURIComponent(s);

export class MatrixHttp {
  readonly homeserverUrl: string;
  readonly adminApiBaseUrl: string;
  readonly timeoutMs: number;
  #token: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(opts: MatrixHttpOptions) {
    this.homeserverUrl = normalizeBaseUrl(opts.homeserverUrl);
    this.adminApiBaseUrl = normalizeBaseUrl(opts.adminApiBaseUrl ?? opts.homeserverUrl);
    this.#token = opts.accessToken;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.#fetch = opts.fetchFn ?? fetch;
  }

  setAccessToken(token: string | undefined): void {
    this.#token = token;
  }

  hasAccessToken(): boolean {
    return this.#token !== undefined && this.#token !== '';
  }

  url(path: string, query?: Record<string, QueryValue>): string {
    const base = path.startsWith('/_synapse/') ? this.adminApiBaseUrl : this.homeserverUrl;
    const u = new URL(base + path);
    if (query) {
      for (const [k, v] of Object.entries(query)) {
        if (v !== undefined && v !== null) u.searchParams.set(k, String(v));
      }
    }
    return u.toString();
  }

  /** Describe a request for messages: method + path without query (no secrets). */
  static describe(method: string, path: string): string {
    return `${method} ${path}`;
  }

  /** Raw fetch with auth + timeout. Throws MatrixApiError on network failure, not on HTTP status. */
  async fetchRaw(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const what = MatrixHttp.describe(method, path);
    const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
    if (!opts.anonymous && this.#token) headers.Authorization = `Bearer ${this.#token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? this.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    try {
      return await this.#fetch(this.url(path, opts.query), { method, headers, body, signal, redirect: 'follow' });
    } catch (err) {
      throw errorFromFetchFailure(err, what);
    }
  }

  /** JSON request; throws a classified MatrixApiError for any non-2xx or network failure. */
  async request<T = Record<string, unknown>>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const what = MatrixHttp.describe(method, path);
    const res = await this.fetchRaw(method, path, opts);
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw errorFromFetchFailure(err, what);
    }
    let json: unknown = undefined;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    if (!res.ok) throw errorFromResponse(res.status, json, res.headers, what);
    if (json === undefined || json === null || typeof json !== 'object') {
      throw new MatrixApiError('http_error', `${what}: HTTP ${res.status} with a non-JSON body`, {
        httpStatus: res.status,
      });
    }
    return json as T;
  }
}
