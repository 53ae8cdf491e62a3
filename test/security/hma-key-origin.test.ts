// An HMA key is bound to the origin it was entered for: saving a URL with another origin clears the key (it must be
// entered again), so a changed URL never carries the old key to a new host. Same-origin changes keep it.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../electron/services/app-services';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import { tempDir } from '../helpers/temp-dir';
import { localDispatch } from '../helpers/local-api';

let services: Services;
let temp: ReturnType<typeof tempDir>;

async function save(input: Record<string, unknown>): Promise<{ keys: Record<string, boolean> }> {
  const r = await localDispatch(services)('hma.saveSettings', { enabled: true, ...input });
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value as { keys: Record<string, boolean> };
}

beforeEach(() => {
  temp = tempDir('matchdesk-hma-origin-');
  services = createServices({
    dataDir: join(temp.dir, 'data'),
    version: 'test',
    transport: 'http',
    secrets: new FileSecretStore(join(temp.dir, 'secrets.json'), plainCodec),
    startDispatcher: false,
    resumeMatrix: false,
  });
});
afterEach(async () => {
  await services.close();
  temp.cleanup();
});

describe('HMA keys bound to their origin', () => {
  it('a new origin for the base URL clears the key; a new path on the same origin keeps it', async () => {
    expect((await save({ baseUrl: 'https://hma.one.example', apiKey: 'key-one' })).keys.all).toBe(true);
    expect((await save({ baseUrl: 'https://hma.one.example/api/' })).keys.all).toBe(true);
    expect(services.secrets.get('hma.key')).toBe('key-one');
    const moved = await save({ baseUrl: 'https://hma.two.example' });
    expect(moved.keys.all).toBe(false);
    expect(services.secrets.get('hma.key')).toBeNull();
    const audit = services.audit.list(1)[0]!;
    expect(JSON.parse(audit.details_json)).toMatchObject({ keysCleared: ['all'] });
    // The client for the new host goes without a key (and HMA says 401) until one is entered again.
    expect(services.hma.client()!.describe().matcher).toEqual({ baseUrl: 'https://hma.two.example', hasKey: false });
    // A URL and a key saved together: the key is the one entered for the new host.
    expect((await save({ baseUrl: 'https://hma.three.example', apiKey: 'key-three' })).keys.all).toBe(true);
  });

  it('a role URL moved elsewhere clears the keys that would follow it, and only those', async () => {
    await save({ baseUrl: 'https://hma.one.example', apiKey: 'shared', roleKeys: { curator: 'curator-key' } });
    // The matcher moves to another host: the shared key would now go there, so it is cleared; the curator's stays.
    const view = await save({ baseUrl: 'https://hma.one.example', matcherUrl: 'https://matcher.other.example' });
    expect(view.keys).toMatchObject({ all: false, curator: true });
    // The curator URL changes port: another origin, its key is cleared too.
    expect((await save({ baseUrl: 'https://hma.one.example', curatorUrl: 'https://hma.one.example:8443' })).keys.curator).toBe(false);
  });
});
