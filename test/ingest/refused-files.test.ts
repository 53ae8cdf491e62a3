// A folder with the security review's hostile files imported into the app: each is refused with its typed reason
// (visible in the import results and on the item), stored with its digests so a bank can still match it by SHA-256,
// the app process stays under 400 MB, and the ordinary picture beside them is hashed and matched as usual.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../electron/services/app-services';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import type { IngestJob } from '../../shared/contract';
import { tempDir } from '../helpers/temp-dir';
import { localDispatch } from '../helpers/local-api';
import { gifBomb, jpegBomb, normalJpeg, writePng16Bomb } from '../hashing/bombs';

const CRASHING_DECODER = fileURLToPath(new URL('../hashing/workers/crashing-decoder.mjs', import.meta.url));
const temp = tempDir('matchdesk-refused-');
const folder = join(temp.dir, 'incoming');
let services: Services;

async function call<T = unknown>(name: string, input: unknown = {}): Promise<T> {
  const result = await localDispatch(services)(name, input);
  if (!result.ok) throw new Error(`${name}: ${result.error.code} ${result.error.message}`);
  return result.value as T;
}

beforeAll(async () => {
  mkdirSync(folder);
  await writePng16Bomb(join(folder, 'bomb16.png'));
  writeFileSync(join(folder, 'bomb.jpg'), await jpegBomb());
  writeFileSync(join(folder, 'bomb.gif'), gifBomb());
  const normal = await normalJpeg();
  writeFileSync(join(folder, 'normal.jpg'), normal);
  writeFileSync(join(folder, 'truncated.jpg'), normal.subarray(0, normal.length >> 1));
  writeFileSync(join(folder, 'evil.crash'), normal);
  services = createServices({
    dataDir: join(temp.dir, 'data'),
    version: 'test',
    transport: 'http',
    secrets: new FileSecretStore(join(temp.dir, 'secrets.json'), plainCodec),
    startDispatcher: false,
    resumeMatrix: false,
    hashing: { decoderEntry: CRASHING_DECODER },
  });
  // A bank that knows the bomb by its SHA-256 and the ordinary picture by MD5.
  const bank = services.banks.ensure({ name: 'Known files', severity: 70 });
  const sha = (f: string) => createHash('sha256').update(readFileSync(join(folder, f))).digest('hex');
  services.banks.addContent(bank.id, [{ type: 'sha256', signal: sha('bomb16.png') }], { label: 'bomb' });
  services.banks.addContent(bank.id, [{ type: 'md5', signal: createHash('md5').update(normal).digest('hex') }], { label: 'normal' });
}, 120_000);

afterAll(async () => {
  await services?.close();
  temp.cleanup();
});

describe('importing hostile files', () => {
  it('refuses each with its reason, keeps its digests, stays small, and hashes the normal picture', async () => {
    let peak = process.memoryUsage.rss();
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
    const { jobId } = await call<{ jobId: string }>('ingest.importFolder', { path: folder });
    let job: IngestJob;
    for (;;) {
      job = (await call<IngestJob[]>('ingest.jobs')).find((j) => j.id === jobId)!;
      if (job.state !== 'running') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    clearInterval(sampler);
    console.log(`import of 6 files (5 hostile): peak RSS of the app process ${Math.round(peak / 2 ** 20)} MB`);
    expect(peak / 2 ** 20).toBeLessThan(400);
    expect(job).toMatchObject({ state: 'done', total: 6, processed: 6, hashed: 1, refused: 5, failed: 0, matched: 3 }); // evil.crash has normal.jpg's bytes: refused, still matched by MD5
    const byFile = Object.fromEntries(job.errors.map((e) => [e.file, e]));
    expect(byFile['bomb16.png']).toMatchObject({ code: 'too_many_pixels' });
    expect(byFile['bomb16.png']!.message).toMatch(/^refused: .*16383x16383/);
    expect(byFile['bomb.jpg']).toMatchObject({ code: 'too_many_pixels' });
    expect(byFile['bomb.gif']).toMatchObject({ code: 'too_many_pixels' });
    expect(byFile['truncated.jpg']).toMatchObject({ code: 'corrupt' });
    expect(byFile['evil.crash']).toMatchObject({ code: 'decoder_crashed' });

    // The bomb matched by SHA-256: its queue item carries the refusal, and its preview says why instead of decoding.
    const list = await call<{ items: { id: number; media: { fileName: string; refused?: { code: string; reason: string } | null; pdq: string | null } }[] }>('queue.list', {});
    const bombItem = list.items.find((i) => i.media.fileName === 'bomb16.png')!;
    expect(bombItem.media.refused).toMatchObject({ code: 'too_many_pixels' });
    expect(bombItem.media.pdq).toBeNull();
    const preview = await call<{ kind: string; reason?: string }>('media.preview', { mediaId: (await call<{ media: { id: number } }>('queue.get', { id: bombItem.id })).media.id, reveal: false });
    expect(preview.kind).toBe('unavailable');
    expect(preview.reason).toMatch(/^Refused \(too_many_pixels\): .*16383x16383/);
    const normalItem = list.items.find((i) => i.media.fileName === 'normal.jpg')!;
    expect(normalItem.media.refused ?? null).toBeNull();
    expect(normalItem.media.pdq).toMatch(/^[0-9a-f]{64}$/);
    const normalPreview = await call<{ kind: string }>('media.preview', { mediaId: (await call<{ media: { id: number } }>('queue.get', { id: normalItem.id })).media.id, reveal: false });
    expect(normalPreview.kind).toBe('image');
  }, 120_000);
});
