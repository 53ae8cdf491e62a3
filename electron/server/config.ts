import { readFileSync } from 'node:fs';
import { isLoopbackHost } from '../http/loopback';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

/**
 * The team server's configuration: a JSON file (--config) for everything, and a few flags for a quick start that
 * override it (--data-dir, --listen, --tls-cert, --tls-key). Secrets are never in the file itself: the service
 * account token and the HMA key are read from a file (mode 0600, say) or from an environment variable.
 */
const secretRef = z
  .object({ file: z.string().min(1).optional(), env: z.string().min(1).optional() })
  .strict()
  .refine((v) => Boolean(v.file) !== Boolean(v.env), 'give either "file" or "env"');

const httpsOrLoopbackUrl = z
  .string()
  .url()
  .refine((v) => /^https?:\/\//.test(v), 'an http(s) URL');

export const serverConfigSchema = z
  .object({
    dataDir: z.string().min(1).optional(),
    /** host:port; without TLS only a loopback host is accepted (for a reverse proxy in front). */
    listen: z.string().default('127.0.0.1:8448'),
    /** The URL consoles use (behind a reverse proxy: the proxy's). Its host is the only Host header accepted, beside the listen address. */
    publicUrl: httpsOrLoopbackUrl.optional(),
    tls: z.object({ cert: z.string().min(1), key: z.string().min(1) }).strict().optional(),
    homeserver: z
      .object({
        /** Client-server API base URL of the homeserver the service account and the management room live on. */
        url: httpsOrLoopbackUrl,
        /** For /_synapse/admin when it is not on the public listener. */
        adminApiUrl: httpsOrLoopbackUrl.nullable().default(null),
        /** The service account's access token (a Synapse admin: it ingests, reads the management room and acts). */
        serviceAccountToken: secretRef,
      })
      .strict(),
    /** Room id (!…) or alias (#…) whose power levels give moderators their roles; actions post notices there too. */
    managementRoom: z.string().regex(/^(![^\s]+|#[^\s:]+:[^\s]+)$/, 'a room id (!…) or alias (#…:server)'),
    roles: z
      .object({
        reviewer: z.number().int().default(50),
        lead: z.number().int().default(100),
        /** How often power levels and membership are read again; access follows within this interval (≤ 60 s). */
        refreshSeconds: z.number().int().min(5).max(60).default(30),
      })
      .strict()
      .prefault({}),
    /**
     * Homeservers whose OpenID tokens the server accepts, by server name, with the base URL that serves
     * /_matrix/federation/v1/openid/userinfo (the federation listener, or the `openid` resource on the client one).
     * The homeserver above is always trusted, under its own server name. Nobody else is ever asked: a console cannot
     * make the server fetch an arbitrary URL.
     */
    trustedHomeservers: z.record(z.string().regex(/^[A-Za-z0-9.:\-[\]]+$/), httpsOrLoopbackUrl).default({}),
    sessions: z
      .object({
        ttlHours: z.number().min(0.01).max(24 * 30).default(12),
        /** Requests per second per session (a burst of `burst` is allowed). */
        ratePerSecond: z.number().min(1).default(30),
        burst: z.number().int().min(1).default(300),
      })
      .strict()
      .prefault({}),
    claims: z.object({ leaseMinutes: z.number().min(1).max(120).default(10) }).strict().prefault({}),
    /** The outbox: how long a running action is leased (after a crash it is taken over once the lease runs out). */
    outbox: z.object({ leaseSeconds: z.number().min(1).max(3600).default(60) }).strict().prefault({}),
    limits: z
      .object({
        /** Any request body but uploads. */
        maxBodyMb: z.number().min(0.1).max(1024).default(16),
        /** ingest.uploadFiles (base64 media). */
        maxUploadMb: z.number().min(1).max(4096).default(256),
        /** A bank file (POST /upload/bank-import), streamed to disk while it is read. */
        maxBankImportMb: z.number().min(1).max(65_536).default(4096),
      })
      .strict()
      .prefault({}),
    hma: z
      .object({ baseUrl: httpsOrLoopbackUrl, apiKey: secretRef.optional(), timeoutMs: z.number().int().min(500).max(120_000).optional() })
      .strict()
      .optional(),
    /** Who may read /metrics besides loopback clients: a bearer token from a file or the environment. */
    metricsToken: secretRef.optional(),
    /** Behind a reverse proxy: take the client address from X-Forwarded-For (for per-address limits on sign-in). */
    trustProxy: z.boolean().default(false),
    /** Hashing workers; default: the machine's cores minus one. */
    workers: z.number().int().min(1).max(256).optional(),
  })
  .strict();

export type ServerConfigFile = z.input<typeof serverConfigSchema>;
export type ServerConfig = z.output<typeof serverConfigSchema> & { dataDir: string; listenHost: string; listenPort: number };

export class ConfigError extends Error {}

export interface ServeFlags {
  config?: string;
  dataDir?: string;
  listen?: string;
  tlsCert?: string;
  tlsKey?: string;
}

export function parseFlags(args: string[]): ServeFlags {
  const flags: ServeFlags = {};
  const names: Record<string, keyof ServeFlags> = { '--config': 'config', '--data-dir': 'dataDir', '--listen': 'listen', '--tls-cert': 'tlsCert', '--tls-key': 'tlsKey' };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const key = names[name];
    if (!key) throw new ConfigError(`unknown option ${name}`);
    const value = inline ?? args[++i];
    if (!value) throw new ConfigError(`${name} needs a value`);
    flags[key] = value;
  }
  return flags;
}

export function splitHostPort(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen.trim());
  if (!m) throw new ConfigError(`--listen wants HOST:PORT (e.g. 127.0.0.1:8448 or [::1]:8448), not ${JSON.stringify(listen)}`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`port ${port} is out of range`);
  return { host: (m[1] ?? m[2])!, port };
}

export { isLoopbackHost };

/** Reads the file, applies the flags, resolves paths against the file's folder, and checks the TLS rule. */
export function loadServerConfig(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  if (!flags.config) throw new ConfigError('a team server needs --config FILE (homeserver, service account token, management room); see README "Team server"');
  const file = resolve(flags.config);
  const base = dirname(file);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = serverConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(`invalid config: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
  }
  const config = parsed.data;
  const dataDir = flags.dataDir ?? config.dataDir ?? env.MATCHDESK_DATA_DIR;
  if (!dataDir) throw new ConfigError('no data folder: give --data-dir DIR or "dataDir" in the config');
  const tlsCert = flags.tlsCert ?? config.tls?.cert;
  const tlsKey = flags.tlsKey ?? config.tls?.key;
  if (Boolean(tlsCert) !== Boolean(tlsKey)) throw new ConfigError('TLS needs both --tls-cert and --tls-key');
  const listen = splitHostPort(flags.listen ?? config.listen);
  if (!tlsCert && !isLoopbackHost(listen.host)) {
    throw new ConfigError(`refusing to listen on ${listen.host} without TLS: give --tls-cert and --tls-key, or listen on 127.0.0.1 behind a TLS reverse proxy`);
  }
  if (config.roles.lead < config.roles.reviewer) throw new ConfigError('roles.lead must be at least roles.reviewer');
  const abs = (p: string) => resolve(base, p);
  const fixSecret = <T extends { file?: string; env?: string } | undefined>(s: T): T => (s && s.file ? { ...s, file: abs(s.file) } : s);
  return {
    ...config,
    dataDir: resolve(dataDir),
    listenHost: listen.host,
    listenPort: listen.port,
    tls: tlsCert && tlsKey ? { cert: abs(tlsCert), key: abs(tlsKey) } : undefined,
    homeserver: { ...config.homeserver, serviceAccountToken: fixSecret(config.homeserver.serviceAccountToken) },
    hma: config.hma ? { ...config.hma, apiKey: fixSecret(config.hma.apiKey) } : undefined,
    metricsToken: fixSecret(config.metricsToken),
  };
}

/** A secret from its file (trailing newline dropped) or environment variable. */
export function readSecret(ref: { file?: string; env?: string }, env: NodeJS.ProcessEnv = process.env): string {
  if (ref.file) {
    const value = readFileSync(ref.file, 'utf8').trim();
    if (!value) throw new ConfigError(`${ref.file} is empty`);
    return value;
  }
  const value = env[ref.env!]?.trim();
  if (!value) throw new ConfigError(`environment variable ${ref.env} is not set`);
  return value;
}
