/**
 * matchdesk serve [--config FILE] [--data-dir DIR] [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE]
 * Runs the team server until SIGINT/SIGTERM. Prints `listening on <url>` once it answers. Without TLS it listens on a
 * loopback address only (for a TLS reverse proxy in front) and says so; a non-loopback address without TLS is refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadServerConfig, parseFlags } from '../../server/config';
import { startTeamServer } from '../../server/team-server';
import { createCheckApi } from '../../server/check-api/check-routes';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliIo } from '../io';

const USAGE = 'usage: matchdesk serve --config FILE [--data-dir DIR] [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE]';

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export async function run(args: string[], io: CliIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(USAGE);
    return EXIT_OK;
  }
  let config;
  try {
    config = loadServerConfig(parseFlags(args));
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`matchdesk serve: ${error.message}\n${USAGE}`);
      return EXIT_USAGE;
    }
    throw error;
  }
  // sharp decodes on libuv's thread pool, shared with the hashing workers: leave room for both.
  process.env.UV_THREADPOOL_SIZE ??= '6';
  let server;
  try {
    server = await startTeamServer({ config, version: version(), log: (line) => io.err(`[serve] ${line}`), extraRoutes: (app) => createCheckApi(app).routes });
  } catch (error) {
    io.err(`matchdesk serve: could not start: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT_FAILED;
  }
  if (!config.tls) io.out(`TLS is off: listening on loopback only (${config.listenHost}); put a TLS reverse proxy in front for other machines.`);
  io.out(`listening on ${server.url}`);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      io.err(`[serve] ${signal}: stopping`);
      void server.close().then(() => resolve(EXIT_OK));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
