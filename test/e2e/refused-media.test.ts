// Hostile media in the real UI (Chromium over the browser shell): an import with the review's 16-bit 16383×16383
// PNG and a truncated JPEG shows each refusal with its reason in the import results; the bomb, known to a bank by
// its MD5, reaches the queue, and its item says why it was not decoded instead of an unexplained blank.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { startWebServer, type WebServer } from '../helpers/web-server';
import { tempDir } from '../helpers/temp-dir';
import { normalJpeg, writePng16Bomb } from '../hashing/bombs';

const RESULTS = join(import.meta.dirname, '..', '..', 'test-results');

describe('refused media in the console', () => {
  const temp = tempDir('matchdesk-e2e-refused-');
  const folder = join(temp.dir, 'incoming');
  let browser: Browser;
  let server: WebServer;

  beforeAll(async () => {
    mkdirSync(folder, { recursive: true });
    mkdirSync(RESULTS, { recursive: true });
    await writePng16Bomb(join(folder, 'bomb16.png'));
    const normal = await normalJpeg();
    writeFileSync(join(folder, 'holiday.jpg'), normal);
    writeFileSync(join(folder, 'truncated.jpg'), normal.subarray(0, normal.length >> 1));
    browser = await launchChromium();
    server = await startWebServer(join(temp.dir, 'data'));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    temp.cleanup();
  });

  it('shows each refusal and its reason in the import results and on the item', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(server.launchUrl);
    await page.getByRole('button', { name: 'Import my own folder' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Banks', exact: true }).click();
    const bombMd5 = createHash('md5').update(readFileSync(join(folder, 'bomb16.png'))).digest('hex');
    await page.getByTestId('bank-name').fill('Known files');
    await page.getByTestId('bank-csv').fill(`signal_type,signal,label\nmd5,${bombMd5},known bomb`);
    await page.getByTestId('import-csv').click();
    await page.getByTestId('csv-result').waitFor();

    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByTestId('folder-path').fill(folder);
    await page.getByTestId('import-folder').click();
    const job = page.locator('[data-testid="ingest-job"][data-state="done"]');
    await job.waitFor({ timeout: 60_000 });
    await expect(job.getByTestId('job-refused').textContent()).resolves.toMatch(/2 refused/);
    await job.locator('summary').click();
    const errors = await job.locator('.job-errors').textContent();
    expect(errors).toMatch(/bomb16\.png.*refused: image is 16383x16383 = 268402689 pixels, over the limit of 150000000.*\(too_many_pixels\)/);
    expect(errors).toMatch(/truncated\.jpg.*refused: .*\(corrupt\)/);
    await page.screenshot({ path: join(RESULTS, 'refused-import.png') });

    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Review queue', exact: true }).click();
    await page.getByTestId('queue-item').filter({ hasText: 'bomb16.png' }).getByRole('button').click();
    await expect(page.getByTestId('media-refused').textContent()).resolves.toMatch(/Not decoded \(too_many_pixels\): image is 16383x16383/);
    // The preview answers after the item opens ("Loading preview…" first): wait for its answer.
    await page.getByTestId('media-preview').filter({ hasText: /Refused \(too_many_pixels\): image is 16383x16383/ }).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(RESULTS, 'refused-item.png') });
    await page.close();
  }, 180_000);
});
