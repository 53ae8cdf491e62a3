// Starts and stops a real Synapse homeserver for the `synapse` vitest project.
//
//   const hs = await startSynapse();            // once per test file (beforeAll)
//   hs.baseUrl, hs.admin.accessToken, hs.user.accessToken
//   await hs.stop(); await hs.start();          // restart with the same data and port
//   await hs.dispose();                         // afterAll: stop and delete the temp dir
//
// Synapse binds 127.0.0.1 only, on a free port, with a sqlite DB, media store and logs in a
// temp dir. Federation is off (no federation listener, empty whitelist; the listener serves the `openid` resource,
// which is only the OpenID userinfo endpoint integration managers and the team server use), url previews are off,
// authenticated media is on. Rate limits default to relaxed; `rateLimits: 'strict'` makes
// rc_message/rc_login/... tight enough to provoke 429s.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SYNAPSE_VENV = process.env.SYNAPSE_VENV ?? join(REPO_ROOT, '.cache', 'venv-synapse');
const SETUP_SCRIPT = join(REPO_ROOT, 'scripts', 'setup-synapse.sh');

export type RateLimitMode = 'relaxed' | 'strict';

export interface HarnessOptions {
  /** default 'relaxed'; 'strict' provokes 429s quickly */
  rateLimits?: RateLimitMode;
  /** extra top-level homeserver.yaml keys, merged last (e.g. `{ rc_message: {...} }`) */
  configOverrides?: Record<string, unknown>;
  serverName?: string;
  /** max_upload_size, default '50M' */
  maxUploadSize?: string;
  /** ms to wait for /health, default 120 s (2 shared cores) */
  startTimeoutMs?: number;
  /** keep the temp dir after dispose() (debugging) */
  keepDir?: boolean;
  /** extra environment for the Synapse process (e.g. PYTHONPATH for a module under test) */
  env?: Record<string, string>;
  /** serve Prometheus metrics at /_synapse/metrics on the client listener */
  metrics?: boolean;
}

export interface TestAccount {
  userId: string;
  accessToken: string;
  deviceId: string;
  password: string;
  localpart: string;
}

export interface UploadedMedia {
  mxcUri: string;
  server: string;
  mediaId: string;
}

export interface SynapseHarness {
  baseUrl: string;
  serverName: string;
  port: number;
  dir: string;
  version: string;
  admin: TestAccount;
  user: TestAccount;
  /** graceful stop (SIGTERM); data and port are kept for start() */
  stop(): Promise<void>;
  /** (re)start with the same data dir and port; waits for /health */
  start(): Promise<void>;
  /** SIGKILL, no graceful shutdown */
  kill(): Promise<void>;
  /** stop and delete the temp dir */
  dispose(): Promise<void>;
  isRunning(): boolean;
  /** last lines of the Synapse log (for assertion messages) */
  logTail(lines?: number): Promise<string>;

  registerUser(localpart: string, opts?: { admin?: boolean; password?: string }): Promise<TestAccount>;
  createRoom(token: string, opts?: CreateRoomOptions): Promise<string>;
  joinRoom(token: string, roomIdOrAlias: string): Promise<string>;
  invite(token: string, roomId: string, userId: string): Promise<void>;
  uploadMedia(token: string, bytes: Uint8Array, contentType: string, filename?: string): Promise<UploadedMedia>;
  sendImage(token: string, roomId: string, media: UploadedMedia, opts?: SendImageOptions): Promise<string>;
  sendMessage(token: string, roomId: string, content: Record<string, unknown>, eventType?: string): Promise<string>;
  reportEvent(token: string, roomId: string, eventId: string, reason?: string, score?: number): Promise<void>;
  /** per-user override (admin API override_ratelimit 0/0): no message rate limit for this user */
  exemptFromRateLimits(userId: string): Promise<void>;
  /** raw client-API request as `token` (throws on non-2xx unless `allowError`) */
  api(method: string, path: string, token: string | null, body?: unknown): Promise<ApiResponse>;
}

export interface CreateRoomOptions {
  name?: string;
  invite?: string[];
  preset?: 'private_chat' | 'public_chat' | 'trusted_private_chat';
  encrypted?: boolean;
  /** power_level_content_override */
  powerLevels?: Record<string, unknown>;
}

export interface SendImageOptions {
  body?: string;
  mimetype?: string;
  size?: number;
  msgtype?: 'm.image' | 'm.video' | 'm.file';
  w?: number;
  h?: number;
}

export interface ApiResponse {
  status: number;
  json: Record<string, unknown>;
}

function relaxedLimits(): Record<string, unknown> {
  const lots = { per_second: 1000, burst_count: 10000 };
  return {
    rc_message: lots,
    rc_registration: lots,
    rc_login: { address: lots, account: lots, failed_attempts: lots },
    rc_admin_redaction: lots,
    rc_joins: { local: lots, remote: lots },
    rc_joins_per_room: lots,
    rc_invites: { per_room: lots, per_user: lots, per_issuer: lots },
    rc_3pid_validation: lots,
    rc_media_create: lots,
    rc_room_creation: lots,
    rc_reports: lots,
    rc_profile: lots,
    rc_user_directory: lots,
    rc_delayed_event_mgmt: lots,
    rc_key_requests: lots,
    rc_presence: { per_user: lots },
  };
}

function strictLimits(): Record<string, unknown> {
  // Tight enough that a handful of quick requests by one user hit 429, loose enough that the
  // bucket refills in ~2 s so a test can wait out retry_after_ms.
  const tight = { per_second: 0.5, burst_count: 3 };
  return {
    ...relaxedLimits(),
    rc_message: tight,
    rc_admin_redaction: tight,
    rc_login: { address: tight, account: tight, failed_attempts: tight },
    rc_reports: tight,
    rc_media_create: tight,
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

function ensureVenv(): string {
  const python = join(SYNAPSE_VENV, 'bin', 'python');
  const ok = () =>
    existsSync(python) && spawnSync(python, ['-c', 'import synapse'], { stdio: 'ignore' }).status === 0;
  if (ok()) return python;
  if (process.env.CI) {
    throw new Error(
      `Synapse is not installed at ${SYNAPSE_VENV}. In CI, run \`bash scripts/setup-synapse.sh\` before \`npm test\`.`,
    );
  }
  console.log(`[synapse-harness] ${SYNAPSE_VENV} missing; running scripts/setup-synapse.sh`);
  const r = spawnSync('bash', [SETUP_SCRIPT], { stdio: 'inherit' });
  if (r.status !== 0 || !ok()) throw new Error(`scripts/setup-synapse.sh failed (exit ${r.status ?? 'signal'})`);
  return python;
}

function synapseVersion(python: string): string {
  const r = spawnSync(python, ['-c', 'import importlib.metadata as m; print(m.version("matrix-synapse"))'], {
    encoding: 'utf8',
  });
  return r.stdout.trim() || 'unknown';
}

/** YAML is a superset of JSON: the config is written as JSON to avoid a YAML dependency. */
function buildConfig(o: {
  dir: string;
  port: number;
  serverName: string;
  secret: string;
  rateLimits: RateLimitMode;
  maxUploadSize: string;
  metrics: boolean;
  overrides: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    server_name: o.serverName,
    public_baseurl: `http://127.0.0.1:${o.port}/`,
    pid_file: join(o.dir, 'homeserver.pid'),
    listeners: [
      {
        port: o.port,
        bind_addresses: ['127.0.0.1'],
        type: 'http',
        tls: false,
        x_forwarded: false,
        // `openid` serves only /_matrix/federation/v1/openid/userinfo (no federation): how the team server checks sign-ins.
        resources: [{ names: ['client', 'openid', ...(o.metrics ? ['metrics'] : [])], compress: false }],
      },
    ],
    database: { name: 'sqlite3', args: { database: join(o.dir, 'homeserver.db') } },
    log_config: join(o.dir, 'log.config'),
    media_store_path: join(o.dir, 'media_store'),
    max_upload_size: o.maxUploadSize,
    enable_authenticated_media: true,
    url_preview_enabled: false,
    enable_registration: false,
    registration_shared_secret: o.secret,
    report_stats: false,
    enable_metrics: o.metrics,
    signing_key_path: join(o.dir, 'signing.key'),
    trusted_key_servers: [],
    suppress_key_server_warning: true,
    federation_domain_whitelist: [],
    allow_public_rooms_over_federation: false,
    presence: { enabled: false },
    bcrypt_rounds: 4,
    user_directory: { enabled: false },
    ...(o.rateLimits === 'strict' ? strictLimits() : relaxedLimits()),
    ...o.overrides,
  };
}

function logConfig(dir: string): string {
  return [
    'version: 1',
    'formatters:',
    '  precise:',
    "    format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s'",
    'handlers:',
    '  file:',
    '    class: logging.FileHandler',
    '    formatter: precise',
    `    filename: ${JSON.stringify(join(dir, 'homeserver.log'))}`,
    '    encoding: utf8',
    'loggers:',
    '  synapse.storage.SQL:',
    '    level: WARNING',
    'root:',
    '  level: INFO',
    '  handlers: [file]',
    'disable_existing_loggers: false',
    '',
  ].join('\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startSynapse(opts: HarnessOptions = {}): Promise<SynapseHarness> {
  const python = ensureVenv();
  const version = synapseVersion(python);
  const dir = await mkdtemp(join(tmpdir(), 'matchdesk-synapse-'));
  const port = await freePort();
  const serverName = opts.serverName ?? 'matchdesk.test';
  const secret = randomBytes(24).toString('hex');
  const baseUrl = `http://127.0.0.1:${port}`;
  const configPath = join(dir, 'homeserver.yaml');
  await mkdir(join(dir, 'media_store'), { recursive: true });
  await writeFile(
    configPath,
    JSON.stringify(
      buildConfig({
        dir,
        port,
        serverName,
        secret,
        rateLimits: opts.rateLimits ?? 'relaxed',
        maxUploadSize: opts.maxUploadSize ?? '50M',
        metrics: opts.metrics ?? false,
        overrides: opts.configOverrides ?? {},
      }),
      null,
      2,
    ),
  );
  await writeFile(join(dir, 'log.config'), logConfig(dir));
  // An ed25519 signing key is a 32-byte seed, unpadded base64; writing it here saves a Python start.
  await writeFile(
    join(dir, 'signing.key'),
    `ed25519 a_${randomBytes(3).toString('hex')} ${randomBytes(32).toString('base64').replace(/=+$/, '')}\n`,
  );

  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let output = '';

  const isRunning = () => child !== null && child.exitCode === null && child.signalCode === null;

  const logTail = async (lines = 40): Promise<string> => {
    let log = '';
    try {
      log = await readFile(join(dir, 'homeserver.log'), 'utf8');
    } catch {
      /* no log yet */
    }
    return [...(log + '\n' + output).split('\n').filter(Boolean).slice(-lines)].join('\n');
  };

  const start = async (): Promise<void> => {
    if (isRunning()) return;
    output = '';
    const proc = spawn(python, ['-m', 'synapse.app.homeserver', '--config-path', configPath], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1', SYNAPSE_ASYNC_IO_REACTOR: '0', ...opts.env },
    });
    child = proc;
    const append = (b: Buffer) => {
      output = (output + b.toString('utf8')).slice(-20_000);
    };
    proc.stdout?.on('data', append);
    proc.stderr?.on('data', append);
    exited = new Promise<void>((r) => proc.once('exit', () => r()));
    // never leave an orphaned homeserver behind if the test process dies
    const reap = () => proc.kill('SIGKILL');
    process.once('exit', reap);
    proc.once('exit', () => process.removeListener('exit', reap));
    const deadline = Date.now() + (opts.startTimeoutMs ?? 120_000);
    while (Date.now() < deadline) {
      if (!isRunning()) {
        throw new Error(`Synapse exited during startup (code ${proc.exitCode}).\n${await logTail()}`);
      }
      try {
        const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return;
      } catch {
        /* not up yet */
      }
      await sleep(200);
    }
    proc.kill('SIGKILL');
    throw new Error(`Synapse did not become healthy within the timeout.\n${await logTail()}`);
  };

  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    if (!child || !isRunning()) return;
    const proc = child;
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };

  const api = async (method: string, path: string, token: string | null, body?: unknown): Promise<ApiResponse> => {
    const headers: Record<string, string> = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let json: Record<string, unknown>;
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      json = { raw: text };
    }
    return { status: res.status, json };
  };
  const ok = async (method: string, path: string, token: string | null, body?: unknown) => {
    const r = await api(method, path, token, body);
    if (r.status < 200 || r.status >= 300) {
      throw new Error(`${method} ${path.split('?')[0]} -> ${r.status} ${JSON.stringify(r.json)}`);
    }
    return r.json;
  };

  const registerUser = async (
    localpart: string,
    o: { admin?: boolean; password?: string } = {},
  ): Promise<TestAccount> => {
    const password = o.password ?? `pw-${randomBytes(8).toString('hex')}`;
    const admin = o.admin ?? false;
    const { nonce } = (await ok('GET', '/_synapse/admin/v1/register', null)) as { nonce: string };
    const mac = createHmac('sha1', secret)
      .update(nonce)
      .update('\0')
      .update(localpart)
      .update('\0')
      .update(password)
      .update('\0')
      .update(admin ? 'admin' : 'notadmin')
      .digest('hex');
    const r = (await ok('POST', '/_synapse/admin/v1/register', null, {
      nonce,
      username: localpart,
      password,
      admin,
      mac,
    })) as { user_id: string; access_token: string; device_id: string };
    return { userId: r.user_id, accessToken: r.access_token, deviceId: r.device_id, password, localpart };
  };

  let txn = 0;
  const nextTxn = () => `h${Date.now()}-${++txn}`;
  const enc = encodeURIComponent;

  const harness: SynapseHarness = {
    baseUrl,
    serverName,
    port,
    dir,
    version,
    admin: undefined as unknown as TestAccount,
    user: undefined as unknown as TestAccount,
    stop: () => stopWith('SIGTERM'),
    start,
    kill: () => stopWith('SIGKILL'),
    dispose: async () => {
      await stopWith('SIGTERM');
      if (!opts.keepDir) await rm(dir, { recursive: true, force: true });
    },
    isRunning,
    logTail,
    registerUser,
    api,
    async createRoom(token, o = {}) {
      const body: Record<string, unknown> = { preset: o.preset ?? 'private_chat' };
      if (o.name) body.name = o.name;
      if (o.invite) body.invite = o.invite;
      if (o.powerLevels) body.power_level_content_override = o.powerLevels;
      if (o.encrypted) {
        body.initial_state = [
          { type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } },
        ];
      }
      const r = (await ok('POST', '/_matrix/client/v3/createRoom', token, body)) as { room_id: string };
      return r.room_id;
    },
    async joinRoom(token, roomIdOrAlias) {
      const r = (await ok('POST', `/_matrix/client/v3/join/${enc(roomIdOrAlias)}`, token, {})) as { room_id: string };
      return r.room_id;
    },
    async invite(token, roomId, userId) {
      await ok('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, token, { user_id: userId });
    },
    async uploadMedia(token, bytes, contentType, filename) {
      const q = filename ? `?filename=${enc(filename)}` : '';
      const res = await fetch(`${baseUrl}/_matrix/media/v3/upload${q}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType },
        body: Buffer.from(bytes),
        signal: AbortSignal.timeout(30_000),
      });
      const json = (await res.json()) as { content_uri?: string };
      if (!res.ok || !json.content_uri) throw new Error(`upload -> ${res.status} ${JSON.stringify(json)}`);
      const m = /^mxc:\/\/([^/]+)\/(.+)$/.exec(json.content_uri);
      if (!m) throw new Error(`bad content_uri ${json.content_uri}`);
      return { mxcUri: json.content_uri, server: m[1] as string, mediaId: m[2] as string };
    },
    async sendMessage(token, roomId, content, eventType = 'm.room.message') {
      const r = (await ok(
        'PUT',
        `/_matrix/client/v3/rooms/${enc(roomId)}/send/${enc(eventType)}/${nextTxn()}`,
        token,
        content,
      )) as { event_id: string };
      return r.event_id;
    },
    async sendImage(token, roomId, media, o = {}) {
      const info: Record<string, unknown> = { mimetype: o.mimetype ?? 'image/png' };
      if (o.size !== undefined) info.size = o.size;
      if (o.w !== undefined) info.w = o.w;
      if (o.h !== undefined) info.h = o.h;
      return harness.sendMessage(token, roomId, {
        msgtype: o.msgtype ?? 'm.image',
        body: o.body ?? 'image.png',
        url: media.mxcUri,
        info,
      });
    },
    async exemptFromRateLimits(userId) {
      await ok('POST', `/_synapse/admin/v1/users/${enc(userId)}/override_ratelimit`, harness.admin.accessToken, {
        messages_per_second: 0,
        burst_count: 0,
      });
    },
    async reportEvent(token, roomId, eventId, reason, score) {
      const body: Record<string, unknown> = {};
      if (reason !== undefined) body.reason = reason;
      if (score !== undefined) body.score = score;
      await ok('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/report/${enc(eventId)}`, token, body);
    },
  };

  try {
    await start();
    harness.admin = await registerUser('moderator', { admin: true });
    harness.user = await registerUser('alice');
  } catch (e) {
    await harness.dispose();
    throw e;
  }
  return harness;
}
