import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openConsole } from '../helpers/browser';
import { apiCall, startWebServer, type WebServer } from '../helpers/web-server';
import { tempDir } from '../helpers/temp-dir';

const RESULTS = join(import.meta.dirname, '..', '..', 'test-results');

describe('Settings in Chromium: bot keys for the check API (shown once, revocable) and the block rule per bank', () => {
  const temp = tempDir('matchdesk-e2e-botkeys-');
  let browser: Browser;
  let server: WebServer;
  let page: Page;

  beforeAll(async () => {
    browser = await launchChromium();
    server = await startWebServer(join(temp.dir, 'data'));
    await apiCall(server, 'banks.create', { name: 'Known abuse' });
    page = await openConsole(browser, server.launchUrl, { width: 1440, height: 1000 });
    const skip = page.getByRole('button', { name: 'Import my own folder' });
    if (await skip.isVisible()) await skip.click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings', exact: true }).click();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    temp.cleanup();
  });

  it('creates a key, shows it once, lists it by its start only, and revokes it', async () => {
    await page.getByLabel('Name', { exact: true }).fill('synapse-module');
    await page.getByLabel('Checks per minute').fill('120');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByTestId('new-bot-key');
    await shown.waitFor();
    const key = (await shown.locator('code').textContent())!.trim();
    expect(key).toMatch(/^mdk_[0-9a-f]{12}_/);
    const table = page.getByTestId('bot-keys');
    await expect.poll(() => table.textContent()).toMatch(/synapse-module.*120\/min/);
    expect(await table.textContent()).not.toContain(key);
    await page.screenshot({ path: join(RESULTS, 'bot-keys.png'), fullPage: true });
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByTestId('new-bot-key').count()).toBe(0);
    await table.getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => table.textContent()).toMatch(/revoked by/);
    const keys = await apiCall<{ revokedAt: number | null }[]>(server, 'botKeys.list');
    expect(keys).toHaveLength(1);
    expect(keys[0]!.revokedAt).toEqual(expect.any(Number));
  });

  it('sets a bank to never block (its matches go to review)', async () => {
    await page.getByLabel('Block rule for Known abuse').selectOption('never');
    await expect.poll(async () => (await apiCall<{ banks: Record<string, unknown> }>(server, 'checks.getRules')).banks).toEqual({ 'Known abuse': { blockAt: null } });
  });
});
