import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { apiCall, startWebServer, type WebServer } from '../helpers/web-server';
import { tempDir } from '../helpers/temp-dir';
import { startHmaDouble, type HmaDouble } from '../hma-double';
import { HmaClient } from '../../electron/services/hma';
import { randomPdq } from '../hma/helpers';

const RESULTS = join(import.meta.dirname, '..', '..', 'test-results');

describe('settings in Chromium: HMA connection (against the HMA test double) and Matrix sign-in errors', () => {
  const temp = tempDir('matchdesk-e2e-settings-');
  let browser: Browser;
  let server: WebServer;
  let hma: HmaDouble;
  let page: Page;

  beforeAll(async () => {
    hma = await startHmaDouble({ apiKey: 'e2e-key' });
    browser = await launchChromium();
    server = await startWebServer(join(temp.dir, 'data'));
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await page.goto(server.launchUrl);
    await page.getByRole('heading', { name: 'Matchdesk', exact: true }).waitFor();
    const skip = page.getByRole('button', { name: 'Import my own folder' });
    if (await skip.isVisible()) await skip.click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings', exact: true }).click();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await hma?.close();
    temp.cleanup();
  });

  it('saves the HMA connection with its key kept out of the page and the settings, and tests it', async () => {
    await page.getByLabel('Match against an HMA server').check();
    await page.getByLabel('Base URL').fill(hma.url);
    await page.getByLabel('API key').fill('e2e-key');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => (await apiCall<{ keys: { all: boolean }; baseUrl: string }>(server, 'hma.getSettings')).keys.all).toBe(true);
    await expect(page.getByLabel('API key').inputValue()).resolves.toBe('');
    await expect(page.getByLabel('API key').getAttribute('placeholder')).resolves.toMatch(/stored/);
    await page.getByRole('button', { name: 'Test connection' }).click();
    const result = page.getByTestId('hma-test');
    await result.waitFor();
    await expect(result.textContent()).resolves.toMatch(/\(http:\/\/127\.0\.0\.1:\d+\): OK/);
    expect(JSON.stringify(await apiCall(server, 'hma.getSettings'))).not.toContain('e2e-key');
    expect(await page.getByTestId('hma-warning').count()).toBe(0);
  });

  it("warns in plain words, with the fix, when HMA's PDQ index holds a single hash (HMA's one-hash bug)", async () => {
    const admin = new HmaClient({ baseUrl: hma.url, apiKey: 'e2e-key' });
    await admin.createBank('ONE_HASH');
    await admin.addSignals('ONE_HASH', { pdq: randomPdq() });
    hma.rebuildIndex();
    await page.getByRole('button', { name: 'Test connection' }).click();
    const warning = page.getByTestId('hma-warning');
    await warning.waitFor();
    await expect(warning.textContent()).resolves.toMatch(/single hash.*never matches.*add a second PDQ hash/);
  });

  it('a Matrix sign-in to a server that is not there says so', async () => {
    await page.getByLabel('Homeserver URL').fill('http://127.0.0.1:9');
    await page.getByLabel('Access token', { exact: true }).fill('syt_whatever');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'could not be reached' }).waitFor();
    await page.screenshot({ path: join(RESULTS, 'settings.png'), fullPage: true });
  });
});
