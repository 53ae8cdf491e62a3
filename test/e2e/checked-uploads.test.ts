import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createServices } from '../../electron/services/app-services';
import { CheckService } from '../../electron/services/checks/check-service';
import { hashBytes } from '../../electron/services/hashing/hash';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import { launchChromium, openConsole } from '../helpers/browser';
import { startWebServer, type WebServer } from '../helpers/web-server';
import { tempDir } from '../helpers/temp-dir';
import { makeJpeg } from '../checks/images';

const RESULTS = join(import.meta.dirname, '..', '..', 'test-results');

describe('the queue in Chromium: an upload the Synapse module had refused shows as blocked at upload, with the uploader, blurred', () => {
  const temp = tempDir('matchdesk-e2e-checked-');
  const dataDir = join(temp.dir, 'data');
  let browser: Browser;
  let server: WebServer;
  let page: Page;

  beforeAll(async () => {
    // What the team server's check API records for a refused upload, made in the same store the console then opens.
    const services = createServices({ dataDir, version: 'e2e', transport: 'http', secrets: new FileSecretStore(join(dataDir, 'secrets.json'), plainCodec), startDispatcher: false, resumeMatrix: false, workers: 1 });
    const jpeg = await makeJpeg(41, 640, 480);
    const hashes = await hashBytes(new Uint8Array(jpeg));
    const bank = services.banks.create({ name: 'Known abuse', severity: 90 });
    services.banks.addContent(bank.id, [{ type: 'md5', signal: hashes.md5 }], { label: 'case 9' });
    const answer = await new CheckService(services).checkBytes(
      new Uint8Array(jpeg),
      { eventId: null, roomId: null, userId: '@mallory:example.org', mediaType: null, timestamp: null },
      { client: 'synapse', source: 'synapse_upload' },
      { mxc: { server: 'example.org', mediaId: 'refusedUpload1' }, fileName: 'holiday.jpg' },
    );
    expect(answer.action).toBe('block');
    await services.close();

    browser = await launchChromium();
    server = await startWebServer(dataDir);
    page = await openConsole(browser, server.launchUrl, { width: 1440, height: 1000 });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    temp.cleanup();
  });

  it('lists it under its source and says the homeserver refused it, naming the uploader', async () => {
    await expect.poll(() => page.getByTestId('queue-item').count(), { timeout: 15_000 }).toBe(1);
    expect(await page.getByTestId('queue-item').first().textContent()).toMatch(/Known abuse · exact md5 · blocked at upload/);
    await page.getByTestId('queue-item').first().click();
    const source = page.getByTestId('item-source');
    await source.waitFor();
    expect(await source.textContent()).toMatch(/Blocked at upload: the homeserver refused and did not keep it \(synapse\)/);
    expect(await page.getByTestId('matrix-context').textContent()).toContain('@mallory:example.org');
    await page.screenshot({ path: join(RESULTS, 'blocked-at-upload.png'), fullPage: true });
  });
});
