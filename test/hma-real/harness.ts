// Starts a real HMA 1.1.7 (Open Media Match) for the `hma` vitest project and the crash test: Debian's PostgreSQL on
// 127.0.0.1 in a throwaway data dir, and HMA itself under gunicorn from the team's vendored source
// (../shared/vendor/hma-1.1.7, dependencies in .cache/venv-hma via scripts/setup-hma.sh). How HMA is run, and what a
// real 1.1.7 does, is ../shared/docs/hma-api.md §10.
//
//   const reason = realHmaUnavailable();           // null, or why real-HMA tests must skip (printed by the tests)
//   const pg = await startPostgres();              // one per test run: every HMA gets its own database in it
//   const hma = await startHma({ pg, database: await createDatabase(pg, 'x'), roles: ALL_ROLES });
//   hma.url … await hma.kill() (an outage) … await hma.stop();
//
// initdb and postgres refuse to run as root: as root, they run as the `postgres` user (Node's spawn uid/gid).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const HMA_VENV = join(REPO_ROOT, '.cache', 'venv-hma');
const SETUP_SCRIPT = join(REPO_ROOT, 'scripts', 'setup-hma.sh');
const OMM_CONFIG = join(REPO_ROOT, 'test', 'hma-real', 'omm_config.py');
const PY_CHECK = 'import flask, flask_openapi3, flask_sqlalchemy, flask_migrate, flask_apscheduler, psycopg2, threatexchange, faiss, pdqhash, gunicorn';

/** The vendored HMA source: $HMA_SOURCE, else ../shared/vendor/hma-1.1.7 beside the checkout. */
export function hmaSource(): string {
  return process.env.HMA_SOURCE ?? resolve(REPO_ROOT, '..', 'shared', 'vendor', 'hma-1.1.7');
}

/** Directory with initdb/postgres/psql: $PG_BINDIR, else the newest /usr/lib/postgresql/<v>/bin, else PATH. */
export function pgBindir(): string | null {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR;
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, 'bin', 'initdb')) && existsSync(join(base, v, 'bin', 'postgres')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(base, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? dirname(which.stdout.trim()) : null;
}

/** Why a real HMA cannot run here, or null. The real-HMA tests print this when they skip. */
export function realHmaUnavailable(): string | null {
  const src = hmaSource();
  if (!existsSync(join(src, 'src', 'OpenMediaMatch', 'app.py'))) {
    return `the vendored HMA 1.1.7 source is not at ${src} (the team folder ../shared is not beside this checkout; set HMA_SOURCE to use another copy)`;
  }
  const bindir = pgBindir();
  if (!bindir || !existsSync(join(bindir, 'initdb')) || !existsSync(join(bindir, 'psql'))) {
    return 'PostgreSQL is not installed (Debian: apt-get install postgresql; .ci/run does it)';
  }
  if (process.getuid?.() === 0 && postgresUser() === null) return 'running as root and there is no `postgres` user for initdb/postgres (they refuse root)';
  return null;
}

/** Installs HMA's dependencies into .cache/venv-hma unless already there (idempotent, flock-guarded script). */
export function ensureHmaVenv(): string {
  const python = join(HMA_VENV, 'bin', 'python');
  const ok = () => existsSync(python) && spawnSync(python, ['-c', PY_CHECK], { stdio: 'ignore' }).status === 0;
  if (!ok()) {
    console.log(`[hma-harness] ${HMA_VENV} missing or incomplete; running scripts/setup-hma.sh`);
    const r = spawnSync('bash', [SETUP_SCRIPT], { stdio: 'inherit' });
    if (r.status !== 0 || !ok()) throw new Error(`scripts/setup-hma.sh failed (exit ${r.status ?? 'signal'})`);
  }
  return python;
}

function postgresUser(): { uid: number; gid: number } | null {
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) return null;
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

export async function freePort(): Promise<number> {
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Kills `proc` if this process exits first (a crashed test run must not leave servers behind). */
function reapOnExit(proc: ChildProcess, extraPids: () => number[] = () => []): void {
  const reap = () => {
    for (const pid of extraPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    proc.kill('SIGKILL');
  };
  process.once('exit', reap);
  proc.once('exit', () => process.removeListener('exit', reap));
}

async function waitExit(proc: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill(signal);
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

// ---- PostgreSQL ----------------------------------------------------------------------------------------------------

/** What a test process needs to reach the shared PostgreSQL (plain data: it crosses vitest's provide/inject). */
export interface PgInfo {
  port: number;
  bindir: string;
}

export interface Postgres extends PgInfo {
  dir: string;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<Postgres> {
  const bindir = pgBindir();
  if (!bindir) throw new Error('PostgreSQL binaries not found');
  const dir = mkdtempSync(join(tmpdir(), 'matchdesk-hma-pg-'));
  const asUser = process.getuid?.() === 0 ? postgresUser() : null;
  if (process.getuid?.() === 0 && !asUser) throw new Error('running as root without a `postgres` user');
  if (asUser) chownSync(dir, asUser.uid, asUser.gid);
  const ids = asUser ? { uid: asUser.uid, gid: asUser.gid } : {};
  const env = { ...process.env, LC_ALL: 'C', HOME: dir };
  const init = spawnSync(join(bindir, 'initdb'), ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync'], { ...ids, env, encoding: 'utf8', cwd: dir });
  if (init.status !== 0) throw new Error(`initdb failed (exit ${init.status}):\n${init.stdout}\n${init.stderr}`);
  const port = await freePort();
  // A disposable test database: no fsync; loopback and a private socket dir only.
  const args = ['-D', join(dir, 'data'), '-k', dir, '-h', '127.0.0.1', '-p', String(port), '-F', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off', '-c', 'max_connections=200'];
  const proc = spawn(join(bindir, 'postgres'), args, { ...ids, env, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (c: Buffer) => {
    log = (log + c.toString()).slice(-20_000);
  });
  reapOnExit(proc);
  const info = { port, bindir };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`postgres exited during startup (code ${proc.exitCode}):\n${log}`);
    if (psql(info, 'postgres', 'SELECT 1', { allowError: true }).ok) break;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`postgres did not accept connections within 60 s:\n${log}`);
    }
    await sleep(200);
  }
  return {
    ...info,
    dir,
    async stop() {
      await waitExit(proc, 'SIGINT', 15_000); // fast shutdown
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs one SQL statement with psql; returns its unaligned, tuples-only output. */
export function psql(pg: PgInfo, database: string, sql: string, o: { allowError?: boolean } = {}): { ok: boolean; out: string } {
  const r = spawnSync(join(pg.bindir, 'psql'), ['-h', '127.0.0.1', '-p', String(pg.port), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-Atc', sql], {
    encoding: 'utf8',
    env: { ...process.env, PGCONNECT_TIMEOUT: '5' },
  });
  const ok = r.status === 0;
  if (!ok && !o.allowError) throw new Error(`psql failed: ${sql}\n${r.stderr}`);
  return { ok, out: (r.stdout ?? '').trim() };
}

const HMA_TEMPLATE_DB = 'hma_template';

/**
 * A fresh HMA database named after `prefix`: a copy of a template that HMA's migrations ran on once per PostgreSQL
 * (CREATE DATABASE … TEMPLATE), so each HMA starts without running them again.
 */
export function createDatabase(pg: PgInfo, prefix: string): string {
  if (psql(pg, 'postgres', `SELECT 1 FROM pg_database WHERE datname = '${HMA_TEMPLATE_DB}'`).out !== '1') {
    psql(pg, 'postgres', `CREATE DATABASE ${HMA_TEMPLATE_DB}`);
    migrate(pg, HMA_TEMPLATE_DB);
  }
  const name = `${prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_')}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
  psql(pg, 'postgres', `CREATE DATABASE ${name} TEMPLATE ${HMA_TEMPLATE_DB}`);
  return name;
}

/** HMA's own migrations (flask db upgrade), as its Dockerfile's startup does. */
function migrate(pg: PgInfo, database: string): void {
  ensureHmaVenv();
  const env = hmaEnv({ pg, database, roles: ['CURATOR'] }, tmpdir());
  // `python -m`, not the venv's bin/ scripts: their #! line names the path the venv was made at, so a venv that was
  // moved (or made through a symlinked .cache) would fail to start with a bare ENOENT.
  const m = spawnSync(join(HMA_VENV, 'bin', 'python'), ['-m', 'flask', '--app', 'OpenMediaMatch.app', 'db', 'upgrade', '--directory', 'OpenMediaMatch/migrations'], {
    cwd: join(hmaSource(), 'src'),
    env: { ...env, MIGRATION_COMMAND: '1' },
    encoding: 'utf8',
  });
  if (m.status !== 0) throw new Error(`HMA migrations failed (${m.error ? m.error.message : `exit ${m.status}`}):\n${(m.stderr ?? '').slice(-4000)}`);
}

// ---- HMA -----------------------------------------------------------------------------------------------------------

export type HmaRoleName = 'HASHER' | 'MATCHER' | 'CURATOR' | 'CRON';
/**
 * gunicorn's worker timeout here (its default is 30 s): the longest HMA goes on with a request. The app's
 * "serverTimeoutSeconds" setting for these HMAs (its check-before-add waits that long for a lost request).
 */
export const GUNICORN_TIMEOUT_S = 10;
export const ALL_ROLES: HmaRoleName[] = ['HASHER', 'MATCHER', 'CURATOR', 'CRON'];

export interface HmaOptions {
  pg: PgInfo;
  database: string;
  roles: HmaRoleName[];
  /** hma-matrix's Bearer key hook (test/hma-real/omm_config.py). */
  apiKey?: string | null;
  /** TASK_INDEXER_INTERVAL_SECONDS (HMA default 60; here 1 so adds are indexed within seconds). */
  indexerIntervalS?: number;
  /** TASK_INDEX_CACHE_INTERVAL_SECONDS: how often a matcher reloads the stored index (HMA default 30). */
  indexCacheIntervalS?: number;
  name?: string;
  startTimeoutMs?: number;
}

export interface RealHma {
  url: string;
  port: number;
  name: string;
  roles: HmaRoleName[];
  /** SIGTERM (graceful). */
  stop(): Promise<void>;
  /** SIGKILL to the gunicorn master and its worker: an outage (a killed master alone leaves the worker serving, §10). */
  kill(): Promise<void>;
  /** (Re)start on the same port. */
  start(): Promise<void>;
  logTail(lines?: number): string;
}

function hmaEnv(o: Pick<HmaOptions, 'pg' | 'database' | 'roles' | 'apiKey' | 'indexerIntervalS' | 'indexCacheIntervalS'>, logDir: string): NodeJS.ProcessEnv {
  const src = join(hmaSource(), 'src');
  return {
    ...process.env,
    OMM_CONFIG,
    MATCHDESK_HMA_DATABASE_URI: `postgresql+psycopg2://postgres@127.0.0.1:${o.pg.port}/${o.database}`,
    MATCHDESK_HMA_ROLES: o.roles.join(','),
    MATCHDESK_HMA_API_KEY: o.apiKey ?? '',
    OMM_TASK_INDEXER_INTERVAL_SECONDS: String(o.indexerIntervalS ?? 1),
    OMM_TASK_INDEX_CACHE_INTERVAL_SECONDS: String(o.indexCacheIntervalS ?? 1),
    PYTHONPATH: src,
    // The vendored source is read-only: its bytecode is cached in the venv instead.
    PYTHONPYCACHEPREFIX: join(HMA_VENV, 'pycache'),
    PYTHONUNBUFFERED: '1',
    HOME: logDir,
  };
}

export async function startHma(o: HmaOptions): Promise<RealHma> {
  ensureHmaVenv();
  const name = o.name ?? o.roles.join('+').toLowerCase();
  const src = join(hmaSource(), 'src');
  const logDir = mkdtempSync(join(tmpdir(), `matchdesk-hma-${name.replace(/[^a-z0-9]/gi, '-')}-`));
  const env = hmaEnv(o, logDir);
  const port = await freePort();
  let proc: ChildProcess | null = null;
  let log = '';
  let workerPids: number[] = [];

  const start = async () => {
    log = '';
    workerPids = [];
    const p = spawn(
      join(HMA_VENV, 'bin', 'python'),
      ['-m', 'gunicorn', '--bind', `127.0.0.1:${port}`, '--workers', '1', '--timeout', String(GUNICORN_TIMEOUT_S), '--no-control-socket', 'OpenMediaMatch.app:create_app()'],
      { cwd: src, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    proc = p;
    // A process that cannot be started at all (e.g. a broken venv) fails the startup below with the reason.
    p.on('error', (e) => void (log += `\ncould not start ${join(HMA_VENV, 'bin', 'python')}: ${e.message}`));
    const onData = (c: Buffer) => {
      const s = c.toString();
      log = (log + s).slice(-200_000);
      for (const m of s.matchAll(/Booting worker with pid: (\d+)/g)) workerPids.push(Number(m[1]));
    };
    p.stdout!.on('data', onData);
    p.stderr!.on('data', onData);
    reapOnExit(p, () => workerPids);
    const deadline = Date.now() + (o.startTimeoutMs ?? 120_000);
    const path = o.roles.includes('MATCHER') ? '/status' : '/status/live';
    for (;;) {
      if (p.exitCode !== null || p.signalCode !== null) throw new Error(`HMA (${name}) exited during startup (code ${p.exitCode ?? p.signalCode}):\n${log.slice(-6000)}`);
      try {
        const r = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2_000) });
        if (r.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await waitExit(p, 'SIGKILL', 0);
        throw new Error(`HMA (${name}) not ready within ${o.startTimeoutMs ?? 120_000} ms:\n${log.slice(-6000)}`);
      }
      await sleep(200);
    }
  };

  const killAll = async (signal: NodeJS.Signals) => {
    const p = proc;
    if (!p) return;
    if (signal === 'SIGKILL') {
      for (const pid of workerPids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    await waitExit(p, signal, 20_000);
    proc = null;
  };

  await start();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    name,
    roles: o.roles,
    start,
    stop: async () => {
      await killAll('SIGTERM');
      rmSync(logDir, { recursive: true, force: true });
    },
    kill: () => killAll('SIGKILL'),
    logTail: (lines = 40) => log.split('\n').slice(-lines).join('\n'),
  };
}

/** Every HMA content row whose note holds `marker` (ground truth, straight from HMA's database). */
export function contentsWithNote(pg: PgInfo, database: string, marker: string): number[] {
  const escaped = marker.replace(/'/g, "''").replace(/[\\%_]/g, (c) => `\\${c}`);
  const out = psql(pg, database, `SELECT id FROM bank_content WHERE note LIKE '%${escaped}%' ORDER BY id`).out;
  return out ? out.split('\n').map(Number) : [];
}
