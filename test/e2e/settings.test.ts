import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openConsole } from '../helpers/browser';
import { apiCall, startWebServer, type WebServer } from '../helpers/web-server';
import { tempDir } from '../helpers/temp-dir';
import { startHmaDouble, type HmaDouble } from '../hma-double';
import { HmaClient } from '../../electron/services/hma';
import { randomPdq } from '../hma/helpers';

const RESULTS = join(import.meta.dirname, '..', '..', 'test-results');

/** A loopback port nothing listens on. */
async function deadUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise<void>((r) => probe.close(() => r()));
  return url;
}

describe('settings in Chromium: explicit forms; HMA connection (against the HMA test double: real HMA cannot run here); Matrix sign-in errors', () => {
  const temp = tempDir('matchdesk-e2e-settings-');
  let browser: Browser;
  let server: WebServer;
  let hma: HmaDouble;
  let page: Page;
  const openSettings = async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('heading', { name: 'Settings', exact: true }).waitFor();
  };

  beforeAll(async () => {
    hma = await startHmaDouble({ apiKey: 'e2e-key' });
    browser = await launchChromium();
    server = await startWebServer(join(temp.dir, 'data'));
    page = await openConsole(browser, server.launchUrl, { width: 1440, height: 1000 });
    const skip = page.getByRole('button', { name: 'Import my own folder' });
    if (await skip.isVisible()) await skip.click();
    await openSettings();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await hma?.close();
    temp.cleanup();
  });

  it('saves the HMA connection with a confirmation and its key kept out of the page and the settings', async () => {
    await page.getByLabel('Match against an HMA server').check();
    await page.getByLabel('Base URL').fill(hma.url);
    await page.getByLabel('API key').fill('e2e-key');
    await expect(page.getByText('Not saved yet.').count()).resolves.toBeGreaterThan(0);
    await page.getByTestId('hma-save').click();
    await page.getByTestId('hma-saved').filter({ hasText: /^Saved at / }).waitFor();
    await expect.poll(async () => (await apiCall<{ keys: { all: boolean }; baseUrl: string }>(server, 'hma.getSettings')).keys.all).toBe(true);
    await expect(page.getByLabel('API key').inputValue()).resolves.toBe('');
    await expect(page.getByLabel('API key').getAttribute('placeholder')).resolves.toMatch(/stored/);
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

  it('Test connection tests what is typed, saved or not, and says what happened in plain words', async () => {
    const dead = await deadUrl();
    await page.getByLabel('Base URL').fill(dead);
    await page.getByTestId('hma-test-button').click();
    const result = page.getByTestId('hma-test');
    await result.filter({ hasText: `Could not connect to ${dead}: nothing answered there.` }).waitFor();
    await expect(result.textContent()).resolves.toContain('Tested the address and key in the form (not saved yet)');
    // Again and again: never "circuit breaker is open".
    await page.getByTestId('hma-test-button').click();
    await page.getByTestId('hma-test-button').click();
    await result.filter({ hasText: 'Could not connect' }).waitFor();
    await expect(result.textContent()).resolves.not.toMatch(/circuit|breaker/i);
    // The saved address is still the double's: the test did not save.
    expect((await apiCall<{ baseUrl: string }>(server, 'hma.getSettings')).baseUrl).toBe(hma.url);
    await page.getByLabel('Base URL').fill(hma.url);
    await page.getByTestId('hma-test-button').click();
    await result.filter({ hasText: `Connected. Connected to ${hma.url}: HMA answered and accepted the key` }).waitFor();
    // A wrong key typed in the form is tested too.
    await page.getByLabel('API key').fill('wrong-key');
    await page.getByTestId('hma-test-button').click();
    await result.filter({ hasText: 'refused the API key (HTTP 401): check the key.' }).waitFor();
    await page.getByLabel('API key').fill('');
  });

  it('the undo window: Enter saves, empty and out-of-range values are refused with a message, a reload keeps what was saved', async () => {
    const field = page.locator('#undo-window');
    await field.fill('');
    await field.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'The undo window is empty: enter a whole number from 0 to 3600.' }).waitFor();
    expect((await apiCall<{ undoWindowMs: number }>(server, 'settings.getActionPlans')).undoWindowMs).toBe(30_000);
    await field.fill('99999');
    await field.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'The undo window must be a whole number from 0 to 3600.' }).waitFor();
    await expect(field.getAttribute('aria-invalid')).resolves.toBe('true');
    expect((await apiCall<{ undoWindowMs: number }>(server, 'settings.getActionPlans')).undoWindowMs).toBe(30_000);
    await field.fill('45');
    await page.getByTestId('plan-requireReason').check();
    await field.press('Enter');
    await page.getByTestId('plans-saved').waitFor();
    const saved = await apiCall<{ undoWindowMs: number; falsePositive: { requireReason: boolean } }>(server, 'settings.getActionPlans');
    expect(saved.undoWindowMs).toBe(45_000);
    expect(saved.falsePositive.requireReason).toBe(true);
    await page.reload();
    await openSettings();
    await expect(page.locator('#undo-window').inputValue()).resolves.toBe('45');
    await expect(page.getByTestId('plan-requireReason').isChecked()).resolves.toBe(true);
    await page.screenshot({ path: join(RESULTS, 'settings.png'), fullPage: true });
  });

  it('a bank’s severity and PDQ threshold: a Save per bank, Enter saves, empty never becomes 0', async () => {
    await apiCall(server, 'banks.create', { name: 'Known media' });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Banks', exact: true }).click();
    await page.getByRole('button', { name: 'Manage Known media' }).click();
    const panel = page.getByTestId('bank-panel');
    await panel.getByTestId('bank-threshold').fill('');
    await panel.getByTestId('bank-save').click();
    await panel.getByRole('alert').filter({ hasText: 'The PDQ threshold is empty: enter a whole number from 0 to 128.' }).waitFor();
    await panel.getByTestId('bank-severity').fill('101');
    await panel.getByTestId('bank-severity').press('Enter');
    await panel.getByRole('alert').filter({ hasText: 'Severity must be a whole number from 0 to 100.' }).waitFor();
    const unchanged = (await apiCall<{ name: string; severity: number; pdqThreshold: number }[]>(server, 'banks.list')).find((b) => b.name === 'Known media')!;
    expect(unchanged).toMatchObject({ severity: 50, pdqThreshold: 31 });
    await panel.getByTestId('bank-severity').fill('70');
    await panel.getByTestId('bank-threshold').fill('24');
    await panel.getByTestId('bank-threshold').press('Enter');
    await panel.getByTestId('bank-saved').waitFor();
    await expect.poll(async () => (await apiCall<{ name: string; severity: number; pdqThreshold: number }[]>(server, 'banks.list')).find((b) => b.name === 'Known media')).toMatchObject({ severity: 70, pdqThreshold: 24 });
    await page.reload();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Banks', exact: true }).click();
    await page.getByRole('button', { name: 'Manage Known media' }).click();
    await expect(page.getByTestId('bank-severity').inputValue()).resolves.toBe('70');
    await expect(page.getByTestId('bank-threshold').inputValue()).resolves.toBe('24');
    await openSettings();
  });

  it('wellbeing settings: an empty number is refused with a message, Enter saves with a confirmation', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Wellbeing', exact: true }).click();
    const row = page.locator('.setting-row').filter({ has: page.locator('#mine-dailyRevealSoftLimit') });
    await row.getByLabel('Override').check();
    await page.locator('#mine-dailyRevealSoftLimit').fill('');
    await page.locator('#mine-dailyRevealSoftLimit').press('Enter');
    await page.getByRole('alert').filter({ hasText: 'The daily reveal warning is empty: enter a whole number from 0 to 100000.' }).waitFor();
    expect((await apiCall<{ mine: Record<string, unknown> }>(server, 'wellbeing.get')).mine).toEqual({});
    await page.locator('#mine-dailyRevealSoftLimit').fill('20');
    await page.locator('#mine-dailyRevealSoftLimit').press('Enter');
    await page.getByTestId('mine-saved').waitFor();
    expect((await apiCall<{ mine: Record<string, unknown> }>(server, 'wellbeing.get')).mine).toEqual({ dailyRevealSoftLimit: 20 });
    await openSettings();
  });

  it('a Matrix sign-in to a server that is not there says so', async () => {
    await page.getByLabel('Homeserver URL').fill('http://127.0.0.1:9');
    await page.getByLabel('Access token', { exact: true }).fill('syt_whatever');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'could not be reached' }).waitFor();
  });
});
