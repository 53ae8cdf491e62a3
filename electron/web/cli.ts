import { mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServices } from '../services/app-services';
import { createLocalApi } from '../services/api/compose';
import { defaultWebDataDir } from '../services/paths';
import { FileSecretStore, plainCodec } from '../services/secrets/secret-store';
import { ConsoleHost } from '../team-client/console-host';
import { startHttpTransport } from './http-transport';

// `npm run web`: the console in a plain browser, over the loopback HTTP transport. It works on this machine's data,
// or relays to a team server (the session token stays in this process, never in the page).
// Media is decoded in decoder processes (HashingPool); this pool serves file I/O, crypto and the thread-isolation bench.
process.env.UV_THREADPOOL_SIZE ??= '6';
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = resolve(defaultWebDataDir());
mkdirSync(dataDir, { recursive: true, mode: 0o700 });
const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const log = (message: string) => console.error(message);

// The browser shell has no OS keychain: secrets sit in a 0600 file, and the UI says so.
const secrets = new FileSecretStore(join(dataDir, 'secrets.json'), plainCodec);
const host = new ConsoleHost({
  dataDir,
  secrets,
  localKind: 'http',
  clientLabel: `Matchdesk browser shell on ${hostname()}`,
  ...(process.env.MATCHDESK_TEAM_CA ? { teamCa: readFileSync(process.env.MATCHDESK_TEAM_CA, 'utf8') } : {}),
  openLocal: () => {
    const services = createServices({ dataDir, version, transport: 'http', secrets, log });
    // The console asks for previews at once: have the decoder processes up before the first one.
    services.pool.warm();
    return { services, dispatch: createLocalApi(services, { checkOutputs: process.env.NODE_ENV !== 'production', log }) };
  },
  log,
});
const transport = await startHttpTransport({
  dispatch: host.dispatch,
  events: (listener) => host.subscribe(listener),
  staticRoot: join(repoRoot, 'renderer', 'dist'),
  uploads: { 'bank-import': host.uploadRoute('bank-import') },
  port: process.env.MATCHDESK_PORT ? Number(process.env.MATCHDESK_PORT) : 0,
});

console.log(`Matchdesk (browser shell) data: ${dataDir}`);
console.log('Warning: in the browser shell, secrets are kept in a file readable only by you (mode 0600), not in the OS keychain.');
console.log(`Open: ${transport.launchUrl}`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await transport.close();
  await host.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
