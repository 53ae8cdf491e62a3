// What a moderator sees of banks, imports and evidence, in Chromium over the browser shell: an import with HMA down
// counts "could not be hashed" apart from "lookup failed, will retry"; the evidence says how close a match is out of
// how close it had to be, which bank hash matched and how the copy was turned; banks are browsed, searched, renamed
// and deleted; every view opens at its top.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openConsole } from '../helpers/browser';
import { apiCall, startWebServer, type WebServer } from '../helpers/web-server';
import { tempDir } from '../helpers/temp-dir';
import { FIXTURE_IMAGES, vectorFor } from '../hashing/helpers';

const RESULTS = join(import.meta.dirname, '..', '..', 'test-results');
const PICTURES = ['photo.jpg', 'photo-rotated-cw.jpg', 'photo-mirrored.jpg', 'photo-blur-a-lot.jpg', 'other.jpg'];

describe('banks, imports and evidence in Chromium (HMA down: a loopback port nothing listens on)', () => {
  const temp = tempDir('matchdesk-e2e-banks-');
  const folder = join(temp.dir, 'incoming');
  let browser: Browser;
  let server: WebServer;
  let page: Page;
  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name, exact: true }).click();
  const openItem = async (fileName: string) => {
    await page.getByTestId('queue-item').filter({ hasText: fileName }).getByRole('button').click();
    await expect.poll(() => page.getByTestId('item-detail').locator('h2').textContent()).toContain(fileName);
  };

  beforeAll(async () => {
    mkdirSync(folder, { recursive: true });
    for (const f of PICTURES) copyFileSync(join(FIXTURE_IMAGES, f), join(folder, f));
    writeFileSync(join(folder, 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const deadHma = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise<void>((r) => probe.close(() => r()));
    [browser, server] = await Promise.all([launchChromium(), startWebServer(join(temp.dir, 'data'))]);
    await apiCall(server, 'hma.saveSettings', { enabled: true, baseUrl: deadHma, timeoutMs: 1000 });
    const otherMd5 = createHash('md5').update(readFileSync(join(folder, 'other.jpg'))).digest('hex');
    await apiCall(server, 'banks.importCsv', { bankName: 'Known media', csv: `signal_type,signal,label\npdq,${vectorFor('photo.jpg').pdq},the town\nmd5,${otherMd5},rings\n` });
    const rows = Array.from({ length: 60 }, (_, i) => `md5,${createHash('md5').update(`old ${i}`).digest('hex')},old report ${i}${i === 42 ? ' (sticker pack)' : ''}`);
    await apiCall(server, 'banks.importCsv', { bankName: 'Old reports', csv: rows.join('\n') });
    page = await openConsole(browser, server.launchUrl, { width: 1280, height: 720 });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    temp.cleanup();
  });

  it('an import with HMA down: the files were hashed, only the lookup failed and will be retried', async () => {
    await nav('Import');
    await page.getByTestId('folder-path').fill(folder);
    await page.getByTestId('import-folder').click();
    await page.locator('[data-testid="ingest-job"][data-state="done"]').waitFor({ timeout: 60_000 });
    const jobs = await apiCall<{ hashed: number; refused: number; failed: number; lookupFailed: number }[]>(server, 'ingest.jobs');
    // The broken file is refused by the decoder: kept by its digests, which are looked up like the others.
    expect(jobs[0]).toMatchObject({ hashed: 5, refused: 1, failed: 0, lookupFailed: 6 });
    const stats = page.getByTestId('ingest-job-stats');
    await expect(stats.textContent()).resolves.toBe('5 hashed · 5 matched · 1 refused · 0 could not be hashed · 6 lookups failed, will retry');
    const job = page.getByTestId('ingest-job');
    await expect(job.locator('summary').allTextContents()).resolves.toEqual([
      '1 file was refused by the decoder: kept by its digests, not decoded',
      '6 files were hashed, but the lookup failed: it is retried until it answers',
    ]);
    await page.screenshot({ path: join(RESULTS, 'import-hma-down.png') });
  });

  it('evidence in words: distance out of the threshold, the bank hash, the turn of the copy', async () => {
    await nav('Review queue');
    await expect.poll(() => page.getByTestId('queue-item').count(), { timeout: 10_000 }).toBe(5);
    const photoPdq = vectorFor('photo.jpg').pdq;

    await openItem('photo-blur-a-lot.jpg');
    const match = page.getByTestId('evidence-match').first();
    await expect.poll(() => match.textContent()).toBe(`PDQ distance 14 of 31bank hash ${photoPdq}`);
    await expect(page.getByTestId('evidence-variant').first().textContent()).resolves.toBe('as banked (not rotated or mirrored)');

    await openItem('photo-rotated-cw.jpg');
    await expect.poll(() => page.getByTestId('evidence-variant').first().textContent()).toBe('rotated 90° clockwise');
    await expect(page.getByTestId('evidence-match').first().textContent()).resolves.toMatch(/^PDQ distance \d+ of 31bank hash /);
    await page.screenshot({ path: join(RESULTS, 'evidence-rotated.png') });

    await openItem('photo-mirrored.jpg');
    await expect.poll(() => page.getByTestId('evidence-variant').first().textContent()).toBe('mirrored left to right');

    await openItem('other.jpg');
    await expect.poll(() => page.getByTestId('evidence-match').first().textContent()).toMatch(/^exact MD5 matchbank hash [0-9a-f]{32}$/);
    await expect(page.getByTestId('evidence').textContent()).resolves.not.toMatch(/rotate\d|flipY|flipX|\+1/);
  });

  it('browses and searches a bank’s contents, page by page', async () => {
    await nav('Banks');
    await page.getByRole('button', { name: 'Manage Old reports' }).click();
    const contents = page.getByTestId('bank-contents');
    await expect.poll(() => contents.getByTestId('bank-contents-total').textContent()).toBe('1–50 of 60');
    await expect(contents.locator('tbody tr').count()).resolves.toBe(50);
    await contents.getByTestId('bank-contents-next').click();
    await expect.poll(() => contents.getByTestId('bank-contents-total').textContent()).toBe('51–60 of 60');
    await contents.getByTestId('bank-search').fill('sticker');
    await contents.getByTestId('bank-search').press('Enter');
    await expect.poll(() => contents.getByTestId('bank-contents-total').textContent()).toBe('1–1 of 1 matching “sticker”');
    await expect(contents.locator('tbody tr').first().textContent()).resolves.toContain('old report 42 (sticker pack)');
    const hash = createHash('md5').update('old 7').digest('hex');
    await contents.getByTestId('bank-search').fill(hash.slice(0, 8));
    await contents.getByTestId('bank-search').press('Enter');
    await expect.poll(() => contents.locator('tbody tr').first().textContent()).toContain(`md5 ${hash}`);
    await page.screenshot({ path: join(RESULTS, 'bank-contents.png') });
  });

  it('renames a bank (audited); the queue’s bank filter and evidence follow the new name', async () => {
    await page.getByRole('button', { name: 'Manage Known media' }).click();
    await page.getByTestId('bank-new-name').fill('Town pictures');
    await page.getByTestId('bank-rename').click();
    await page.getByTestId('toast-info').filter({ hasText: 'Renamed to “Town pictures”.' }).waitFor();
    await page.locator('[data-testid="bank-row"][data-bank="Town pictures"]').waitFor();
    await expect.poll(() => page.locator('[data-testid="bank-row"][data-bank="Known media"]').count()).toBe(0);
    expect((await apiCall<{ total: number }>(server, 'queue.list', { bank: 'Town pictures', limit: 1 })).total).toBe(5);
    const audit = await apiCall<{ action: string; details: { from: string; to: string } }[]>(server, 'audit.list', { limit: 5 });
    expect(audit.find((e) => e.action === 'bank.rename')?.details).toMatchObject({ from: 'Known media', to: 'Town pictures' });
  });

  it('deletes a bank after a confirmation that says what goes and what stays (audited)', async () => {
    await page.getByRole('button', { name: 'Manage Old reports' }).click();
    await page.getByTestId('bank-delete').click();
    const dialog = page.getByTestId('delete-bank-dialog');
    await expect(dialog.textContent()).resolves.toContain('Its 60 content items and 60 signals are deleted');
    // Cancel keeps it.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await apiCall<{ name: string }[]>(server, 'banks.list')).map((b) => b.name)).toContain('Old reports');
    await page.getByTestId('bank-delete').click();
    await page.getByTestId('delete-bank-confirm').click();
    await page.getByTestId('toast-info').filter({ hasText: 'Deleted the bank “Old reports”: 60 content items, 60 signals.' }).waitFor();
    await expect.poll(() => page.locator('[data-testid="bank-row"][data-bank="Old reports"]').count()).toBe(0);
    expect((await apiCall<{ name: string }[]>(server, 'banks.list')).map((b) => b.name)).toEqual(['Town pictures']);
    const audit = await apiCall<{ action: string; subject: string }[]>(server, 'audit.list', { limit: 3 });
    expect(audit[0]).toMatchObject({ action: 'bank.delete', subject: 'bank:Old reports' });
  });

  it('every view opens at its top, not where the previous one was scrolled to', async () => {
    await page.setViewportSize({ width: 1280, height: 500 });
    const main = page.locator('main');
    for (const [from, to, visible] of [
      ['Settings', 'Audit log', 'audit-verify'],
      ['Banks', 'Settings', 'hma-test-button'],
      ['Audit log', 'Import', 'folder-path'],
    ] as const) {
      await nav(from);
      await page.locator('main h2').first().waitFor();
      await main.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
      await expect.poll(() => main.evaluate((el) => el.scrollTop), { message: `${from} scrolls` }).toBeGreaterThan(0);
      await nav(to);
      await page.getByTestId(visible).waitFor();
      expect(await main.evaluate((el) => el.scrollTop), `${to} after ${from}`).toBe(0);
      if (to === 'Audit log') {
        const box = await page.getByTestId('audit-verify').boundingBox();
        expect(box!.y + box!.height).toBeLessThanOrEqual(500);
      }
    }
    await page.setViewportSize({ width: 1280, height: 720 });
  });
});
