// A team on a real Synapse: moderators as real Matrix users with power levels in a management room, a team server
// config for them, and `matchdesk serve` as a child process. Shared by the team tests, the crash run and bench:team.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SynapseHarness, TestAccount } from './harness';
import type { ServerConfigFile } from '../../electron/server/config';
import type { TestCert } from '../helpers/tls';

const repoRoot = join(import.meta.dirname, '..', '..');

export interface TeamRoom {
  roomId: string;
  people: Record<string, TestAccount>;
}

/** Registers the moderators, creates the management room as the service account (hs.admin) and sets their levels. */
export async function createTeamRoom(hs: SynapseHarness, levels: Record<string, number | 'outside'>): Promise<TeamRoom> {
  const people: Record<string, TestAccount> = {};
  for (const localpart of Object.keys(levels)) {
    people[localpart] = await hs.registerUser(`${localpart}-${Math.random().toString(36).slice(2, 7)}`);
    await hs.exemptFromRateLimits(people[localpart]!.userId);
  }
  // The creator (the service account) needs no entry: in current room versions it outranks every level.
  const users: Record<string, number> = {};
  for (const [name, level] of Object.entries(levels)) if (level !== 'outside') users[people[name]!.userId] = level;
  const roomId = await hs.createRoom(hs.admin.accessToken, { name: 'Moderators', powerLevels: { users, users_default: 0 } });
  for (const [name, level] of Object.entries(levels)) {
    if (level === 'outside') continue;
    await hs.invite(hs.admin.accessToken, roomId, people[name]!.userId);
    await hs.joinRoom(people[name]!.accessToken, roomId);
  }
  return { roomId, people };
}

export async function setPowerLevel(hs: SynapseHarness, roomId: string, userId: string, level: number): Promise<void> {
  const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.power_levels`;
  const current = await hs.api('GET', path, hs.admin.accessToken);
  const users = { ...((current.json.users ?? {}) as Record<string, number>), [userId]: level };
  const put = await hs.api('PUT', path, hs.admin.accessToken, { ...current.json, users });
  if (put.status !== 200) throw new Error(`power levels: ${put.status} ${JSON.stringify(put.json)}`);
}

/** Writes a config file (and the service account's token file, mode 0600) for `matchdesk serve`. */
export function writeTeamConfig(dir: string, o: { hs: SynapseHarness; roomId: string; cert?: TestCert; dataDir: string; extra?: Partial<ServerConfigFile> }): string {
  const tokenFile = join(dir, 'service-account.token');
  writeFileSync(tokenFile, `${o.hs.admin.accessToken}\n`, { mode: 0o600 });
  const config: ServerConfigFile = {
    dataDir: o.dataDir,
    listen: '127.0.0.1:0',
    ...(o.cert ? { tls: { cert: o.cert.certFile, key: o.cert.keyFile } } : {}),
    homeserver: { url: o.hs.baseUrl, serviceAccountToken: { file: tokenFile } },
    managementRoom: o.roomId,
    ...o.extra,
  };
  const file = join(dir, 'matchdesk-server.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export interface ServeProcess {
  url: string;
  process: ChildProcess;
  output(): string;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
}

/** Starts `matchdesk serve` (bin/matchdesk.mjs) and waits for its `listening on <url>` line. */
export async function startServe(args: string[], env: Record<string, string> = {}, timeoutMs = 90_000): Promise<ServeProcess> {
  // SERVE_NODE_ARGS: extra node flags for the server process (e.g. --cpu-prof when profiling bench:team).
  const nodeArgs = (process.env.SERVE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(repoRoot, 'bin', 'matchdesk.mjs'), 'serve', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-200_000)));
  child.stderr!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-200_000)));
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => process.removeListener('exit', reap));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`matchdesk serve did not start in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => {
      const m = /listening on (https?:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`matchdesk serve exited (${code ?? signal}):\n${out}`));
    });
  });
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  return { url, process: child, output: () => out, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}
