import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openConsole } from '../helpers/browser';
import { startWebServer, type WebServer } from '../helpers/web-server';
import { tempDir } from '../helpers/temp-dir';

describe('bank import in the browser shell: streamed upload, progress, rejected rows, a bad file creates nothing', () => {
  const temp = tempDir('matchdesk-e2e-banks-');
  let browser: Browser;
  let server: WebServer;
  let page: Page;

  beforeAll(async () => {
    browser = await launchChromium();
    server = await startWebServer(join(temp.dir, 'data'));
    page = await openConsole(browser, server.launchUrl, { width: 1440, height: 900 });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Banks', exact: true }).click();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    temp.cleanup();
  });

  it('uploads a CSV file, shows the job to the end with its rejected rows, and the bank holds the good rows', async () => {
    const rows = ['signal_type,signal,label'];
    for (let i = 0; i < 20_000; i++) rows.push(`${i % 2 ? 'md5' : 'pdq'},${i.toString(16).padStart(i % 2 ? 32 : 64, '0')},partner ${i}`);
    rows.splice(101, 0, 'pdq,not-a-hash,bad');
    rows.splice(5001, 0, 'tlsh,T1abc,unknown type');
    const file = join(temp.dir, 'partner-list.csv');
    writeFileSync(file, `${rows.join('\n')}\n`);
    await page.getByTestId('bank-name').fill('Partner list');
    await page.getByTestId('bank-file').setInputFiles(file);
    await page.getByTestId('import-csv').click();
    const job = page.getByTestId('bank-import-job').filter({ hasText: 'partner-list.csv' });
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    await expect.poll(() => job.textContent()).toMatch(/20,002 rows read · 20,000 signals added · 0 already there · 2 rejected/);
    await job.getByText('Rejected rows').click();
    const rejected = await job.getByTestId('bank-import-rejected').textContent();
    expect(rejected).toContain('line 102: "not-a-hash" is not a valid pdq signal');
    expect(rejected).toContain('line 5002: unknown signal type "tlsh"');
    const table = page.getByTestId('banks-table');
    await expect.poll(() => table.getByRole('row').filter({ hasText: 'Partner list' }).textContent()).toMatch(/20,000/);
  });

  it('a binary file is refused before any bank exists, with its first lines escaped', async () => {
    const file = join(temp.dir, 'photo.csv');
    writeFileSync(file, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x1b, 0x5b, 0x33, 0x31, 0x6d]), Buffer.from('\nIHDR\u202e')]));
    await page.getByTestId('bank-name').fill('Binary upload');
    await page.getByTestId('bank-file').setInputFiles(file);
    await page.getByTestId('import-csv').click();
    const alert = page.getByRole('alert').filter({ hasText: 'not a text file' });
    await alert.waitFor();
    const text = (await alert.textContent())!;
    expect(text).toContain('\\x89PNG\\r');
    expect(text).toContain('\\x00\\x00\\x00');
    expect([...text].some((c) => c.charCodeAt(0) < 0x20 || c === '\u202e')).toBe(false);
    await page.reload();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Banks', exact: true }).click();
    await page.getByTestId('banks-table').getByRole('row').filter({ hasText: 'Partner list' }).waitFor();
    expect(await page.getByTestId('banks-table').textContent()).not.toContain('Binary upload');
  });
});
