import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { HmaClient, type HmaClientOptions } from '../hma';
import type { SettingsRepository } from '../settings/settings-repository';
import type { SecretStore } from '../secrets/secret-store';
import { urlOrigin } from '../../../shared/url-policy';

export const HMA_KEY_SECRETS = { all: 'hma.key', hasher: 'hma.key.hasher', matcher: 'hma.key.matcher', curator: 'hma.key.curator' } as const;

export const hmaSettingsSchema = z
  .object({
    enabled: z.boolean().default(false),
    baseUrl: z.string().nullable().default(null),
    hasherUrl: z.string().nullable().default(null),
    matcherUrl: z.string().nullable().default(null),
    curatorUrl: z.string().nullable().default(null),
    requestsPerMinute: z.number().int().min(0).max(100_000).default(600),
    timeoutMs: z.number().int().min(500).max(120_000).default(10_000),
    /** HMA's TASK_INDEX_CACHE_INTERVAL_SECONDS (default 30): how long its matchers may serve an older index. */
    indexRefreshSeconds: z.number().int().min(1).max(3_600).default(30),
    /** HMA's gunicorn worker timeout (default 30): the longest HMA goes on with a request we stopped waiting for. */
    serverTimeoutSeconds: z.number().int().min(1).max(3_600).default(30),
    /** Severity used for the queue's priority per HMA bank (local banks carry their own). */
    bankSeverity: z.record(z.string(), z.number().int().min(0).max(100)).default({}),
  })
  .prefault({});

export type HmaSettings = z.output<typeof hmaSettingsSchema>;

/** Builds the HMA client from settings (URLs) and the secret store (keys); rebuilt when either changes. */
export class HmaConnection {
  private cached: { key: string; client: HmaClient } | null = null;

  constructor(
    private readonly settings: SettingsRepository,
    private readonly secrets: SecretStore,
    private readonly extra: Partial<HmaClientOptions> = {},
  ) {}

  config(): HmaSettings {
    return this.settings.get('hma', hmaSettingsSchema);
  }

  /**
   * This installation's tag in the idempotency markers we leave in HMA notes. Decision ids start at 1 in every data
   * dir, so without it two installations sharing one HMA would take each other's content for their own.
   */
  markerScope(): string {
    const schema = z.string().regex(/^[0-9a-f]{16}$/).optional();
    let scope = this.settings.get('hmaMarkerScope', schema);
    if (!scope) {
      this.settings.setIfAbsent('hmaMarkerScope', randomBytes(8).toString('hex'));
      scope = this.settings.get('hmaMarkerScope', schema)!;
    }
    return scope;
  }

  /** The client, or null when HMA is not configured or switched off. */
  client(): HmaClient | null {
    const c = this.config();
    if (!c.enabled || !(c.baseUrl || (c.hasherUrl && c.matcherUrl && c.curatorUrl))) return null;
    const keys = Object.fromEntries(Object.entries(HMA_KEY_SECRETS).map(([role, name]) => [role, this.secrets.get(name)]));
    const cacheKey = JSON.stringify([c, keys]);
    if (this.cached?.key === cacheKey) return this.cached.client;
    const role = (url: string | null, key: string | null | undefined) => (url ? { baseUrl: url, ...(key ? { apiKey: key } : {}) } : undefined);
    const options: HmaClientOptions = {
      ...(c.baseUrl ? { baseUrl: c.baseUrl } : {}),
      apiKey: keys.all ?? null,
      timeoutMs: c.timeoutMs,
      requestsPerMinute: c.requestsPerMinute,
      ...this.extra,
    };
    const hasher = role(c.hasherUrl, keys.hasher ?? keys.all);
    const matcher = role(c.matcherUrl, keys.matcher ?? keys.all);
    const curator = role(c.curatorUrl, keys.curator ?? keys.all);
    if (hasher) options.hasher = hasher;
    if (matcher) options.matcher = matcher;
    if (curator) options.curator = curator;
    this.cached = { key: cacheKey, client: new HmaClient(options) };
    return this.cached.client;
  }

  /**
   * A new client for the Test connection button, never cached or shared: its circuit breaker starts closed, so
   * earlier failures of the live client do not answer for the server. Typed values replace the saved ones; one
   * attempt per call, so a test of a dead address answers quickly.
   */
  testClient(typed: { baseUrl?: string; apiKey?: string } = {}): HmaClient | null {
    const c = this.config();
    const baseUrl = typed.baseUrl ?? c.baseUrl;
    if (!(baseUrl || (c.hasherUrl && c.matcherUrl && c.curatorUrl))) return null;
    const key = (name: string) => typed.apiKey ?? this.secrets.get(name);
    const role = (url: string | null, secret: string) => (url ? { baseUrl: url, apiKey: typed.apiKey ?? this.secrets.get(secret) ?? key(HMA_KEY_SECRETS.all) } : undefined);
    const options: HmaClientOptions = {
      ...(baseUrl ? { baseUrl } : {}),
      apiKey: key(HMA_KEY_SECRETS.all) ?? null,
      timeoutMs: c.timeoutMs,
      requestsPerMinute: 0,
      ...this.extra,
      retry: { ...this.extra.retry, maxAttempts: 1 },
    };
    const hasher = role(c.hasherUrl, HMA_KEY_SECRETS.hasher);
    const matcher = role(c.matcherUrl, HMA_KEY_SECRETS.matcher);
    const curator = role(c.curatorUrl, HMA_KEY_SECRETS.curator);
    if (hasher) options.hasher = hasher;
    if (matcher) options.matcher = matcher;
    if (curator) options.curator = curator;
    return new HmaClient(options);
  }
}

type KeyName = keyof typeof HMA_KEY_SECRETS;
const ROLES = ['hasher', 'matcher', 'curator'] as const;

/** The origins a stored key is sent to under `c`: its role's URL (or the base URL); for `all`, every role without a key of its own. */
function originsServed(c: HmaSettings, key: KeyName, hasOwnKey: Record<(typeof ROLES)[number], boolean>): Set<string> {
  const endpoint = (role: (typeof ROLES)[number]) => urlOrigin(c[`${role}Url`] ?? c.baseUrl);
  const roles = key === 'all' ? ROLES.filter((r) => !hasOwnKey[r]) : [key];
  return new Set(roles.map(endpoint).filter((o): o is string => o !== null));
}

/**
 * Keys bound to their origin: the stored keys (not being replaced in this save) that the new settings would send to
 * an origin they were not sent to before. The caller deletes them; they must be entered again for the new host.
 */
export function keysLeavingTheirOrigin(prev: HmaSettings, next: HmaSettings, stored: Record<KeyName, boolean>, replacing: ReadonlySet<KeyName>): KeyName[] {
  const ownBefore = { hasher: stored.hasher, matcher: stored.matcher, curator: stored.curator };
  const ownAfter = { hasher: replacing.has('hasher') || stored.hasher, matcher: replacing.has('matcher') || stored.matcher, curator: replacing.has('curator') || stored.curator };
  return (Object.keys(HMA_KEY_SECRETS) as KeyName[]).filter((k) => {
    if (!stored[k] || replacing.has(k)) return false;
    const before = originsServed(prev, k, ownBefore);
    return [...originsServed(next, k, ownAfter)].some((o) => !before.has(o));
  });
}
