import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface WebServer {
  url: string;
  launchUrl: string;
  token: string;
  process: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

const repoRoot = join(import.meta.dirname, '..', '..');

/** Starts what `npm run web` starts (the renderer must already be built) on a given data dir, and waits for its URL. */
export async function startWebServer(dataDir: string, env: Record<string, string> = {}): Promise<WebServer> {
  if (!existsSync(join(repoRoot, 'renderer', 'dist', 'index.html'))) {
    throw new Error('renderer/dist is missing: run `npm run build:renderer` (npm test does it first).');
  }
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'electron/web/cli.ts')], {
    cwd: repoRoot,
    env: { ...process.env, MATCHDESK_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const launchUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web server did not start in 60 s:\n${out}`)), 60_000);
    const check = () => {
      const match = /Open: (http:\/\/127\.0\.0\.1:\d+\/#token=\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`web server exited with ${code}:\n${out}`));
    });
  });
  const url = launchUrl.split('#')[0]!;
  return {
    url,
    launchUrl,
    token: launchUrl.split('#token=')[1]!,
    process: child,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

/** Calls the contract over HTTP, as the renderer does. */
export async function apiCall<T = unknown>(server: WebServer, name: string, input: unknown = {}): Promise<T> {
  const res = await fetch(`${server.url}api/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
    body: JSON.stringify(input),
  });
  const envelope = (await res.json()) as { ok: boolean; value?: T; error?: { message: string } };
  if (!envelope.ok) throw new Error(`${name}: ${envelope.error?.message}`);
  return envelope.value as T;
}
