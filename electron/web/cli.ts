import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServices } from '../services/app-services';
import { defaultWebDataDir } from '../services/paths';
import { FileSecretStore, plainCodec } from '../services/secrets/secret-store';
import { startHttpTransport } from './http-transport';

// `npm run web`: the console in a plain browser, over the loopback HTTP transport.
// sharp decodes on libuv's thread pool, which the hashing workers share with the main thread: leave room for both.
process.env.UV_THREADPOOL_SIZE ??= '6';
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = resolve(defaultWebDataDir());
mkdirSync(dataDir, { recursive: true, mode: 0o700 });
const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

const services = createServices({
  dataDir,
  version,
  transport: 'http',
  // The browser shell has no OS keychain: secrets sit in a 0600 file, and the UI says so.
  secrets: new FileSecretStore(join(dataDir, 'secrets.json'), plainCodec),
  checkOutputs: process.env.NODE_ENV !== 'production',
  log: (message) => console.error(message),
});
const transport = await startHttpTransport({
  dispatch: services.dispatch,
  staticRoot: join(repoRoot, 'renderer', 'dist'),
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
  await services.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
