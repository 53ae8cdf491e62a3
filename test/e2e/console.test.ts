import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { apiCall, startWebServer, type WebServer } from '../helpers/web-server';
import { tempDir } from '../helpers/temp-dir';
import { FIXTURE_IMAGES, vectorFor as vector } from '../hashing/helpers';

const RESULTS = join(import.meta.dirname, '..', '..', 'test-results');

const vectorFor = (file: string): string => vector(file).pdq;

async function openConsole(browser: Browser, server: WebServer): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${m.text()} ${m.location().url}`);
  });
  await page.goto(server.launchUrl);
  await page.getByRole('heading', { name: 'Matchdesk', exact: true }).waitFor();
  (page as unknown as { consoleErrors: string[] }).consoleErrors = errors;
  return page;
}

describe('the console end to end in Chromium, over the browser shell (npm run web)', () => {
  const temp = tempDir('matchdesk-e2e-');
  const dataDir = join(temp.dir, 'data');
  const folder = join(temp.dir, 'incoming');
  let browser: Browser;
  let server: WebServer;

  beforeAll(async () => {
    mkdirSync(folder, { recursive: true });
    mkdirSync(RESULTS, { recursive: true });
    for (const f of ['photo.jpg', 'photo-blur-a-lot.jpg', 'other.jpg', 'random-26x28.png', 'photo-palette.gif']) copyFileSync(join(FIXTURE_IMAGES, f), join(folder, f));
    writeFileSync(join(folder, 'notes.txt'), 'not an image');
    writeFileSync(join(folder, 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));
    browser = await launchChromium();
    server = await startWebServer(dataDir);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    temp.cleanup();
  });

  it('imports a folder against a local bank, confirms one match, rejects another, and both survive a restart', async () => {
    const page = await openConsole(browser, server);
    // First run: the welcome screen. Skip the demo and set up a bank by CSV, as a team would.
    await expect(page.getByRole('heading', { name: 'Welcome to Matchdesk' }).isVisible()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Import my own folder' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Banks', exact: true }).click();
    const otherMd5 = createHash('md5').update(readFileSync(join(folder, 'other.jpg'))).digest('hex');
    await page.getByTestId('bank-name').fill('Known media');
    await page.getByTestId('bank-csv').fill(`signal_type,signal,label\npdq,${vectorFor('photo.jpg')},town\nmd5,${otherMd5},rings\npdq,zz,broken row`);
    await page.getByTestId('import-csv').click();
    await expect(page.getByTestId('csv-result').textContent()).resolves.toMatch(/Added 2 signals to Known media; 0 already there; 1 rows rejected/);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByTestId('folder-path').fill(folder);
    await page.getByTestId('import-folder').click();
    await page.locator('[data-testid="ingest-job"][data-state="done"]').waitFor({ timeout: 60_000 });
    const jobText = await page.getByTestId('ingest-job').textContent();
    expect(jobText).toContain('6 hashed');
    expect(jobText).toContain('3 matched');
    expect(jobText).toContain('1 refused'); // broken.jpg: kept with its digests, not decoded
    expect(jobText).toContain('0 could not be hashed');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Review queue', exact: true }).click();
    await expect.poll(() => page.getByTestId('queue-item').count(), { timeout: 10_000 }).toBe(3);
    await expect.poll(() => page.getByTestId('count-pending').textContent()).toBe('3');

    // Media is blurred until revealed.
    await page.getByTestId('queue-media').waitFor();
    await expect(page.getByTestId('queue-media').getAttribute('class')).resolves.toContain('blurred');
    await page.screenshot({ path: join(RESULTS, 'queue.png') });

    const first = page.getByTestId('queue-item').filter({ hasText: 'other.jpg' });
    await first.getByRole('button').click();
    await page.getByTestId('reason').selectOption('Known abuse material');
    await page.getByTestId('note').fill('matches the bank exactly');
    await page.getByTestId('decide-confirm').click();
    await expect.poll(() => page.getByTestId('count-confirmed').textContent()).toBe('1');

    await page.getByTestId('queue-item').filter({ hasText: 'photo-blur-a-lot.jpg' }).getByRole('button').click();
    await page.getByTestId('reason').selectOption('Different picture');
    await page.getByTestId('decide-false-positive').click();
    await expect.poll(() => page.getByTestId('count-false_positive').textContent()).toBe('1');
    await expect.poll(() => page.getByTestId('count-pending').textContent()).toBe('1');
    await page.screenshot({ path: join(RESULTS, 'queue-after-decisions.png') });
    expect((page as unknown as { consoleErrors: string[] }).consoleErrors).toEqual([]);
    await page.close();

    // Restart the server on the same data dir: a new token, the same store.
    await server.stop();
    server = await startWebServer(dataDir);
    const again = await openConsole(browser, server);
    await expect.poll(() => again.getByTestId('count-confirmed').textContent()).toBe('1');
    await expect(again.getByTestId('count-false_positive').textContent()).resolves.toBe('1');
    await expect(again.getByTestId('count-pending').textContent()).resolves.toBe('1');

    await again.getByTestId('status-filter').selectOption('confirmed');
    await again.getByTestId('queue-item').filter({ hasText: 'other.jpg' }).waitFor();
    await expect(again.getByTestId('decisions').textContent()).resolves.toMatch(/confirm \(Known abuse material\) — matches the bank exactly/);

    await again.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Audit log', exact: true }).click();
    const audit = again.getByTestId('audit-table');
    await audit.getByText('decision.confirm').waitFor();
    await audit.getByText('decision.false_positive').waitFor();
    await again.getByTestId('audit-verify').click();
    await again.getByText(/Intact: \d+ rows chained by SHA-256/).waitFor();

    const entries = await apiCall<{ action: string; subject: string }[]>(server, 'audit.list', { limit: 50 });
    expect(entries.filter((e) => e.action.startsWith('decision.')).map((e) => e.action).sort()).toEqual(['decision.confirm', 'decision.false_positive']);
    await again.close();
  });

  it('a fresh data dir opens on the welcome screen, and the demo shows real matches in one click', async () => {
    const demoServer = await startWebServer(join(temp.dir, 'demo-data'));
    try {
      const page = await openConsole(browser, demoServer);
      await page.getByTestId('load-demo').click();
      await page.locator('[data-testid="ingest-job"][data-state="done"]').waitFor({ timeout: 60_000 });
      await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Review queue', exact: true }).click();
      await expect.poll(() => page.getByTestId('queue-item').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
      const counts = await apiCall<{ pending: number }>(demoServer, 'queue.counts');
      expect(counts.pending).toBeGreaterThanOrEqual(5);
      const list = await apiCall<{ items: { media: { fileName: string }; matches: { signalType: string }[] }[] }>(demoServer, 'queue.list', { limit: 50 });
      const names = list.items.map((i) => i.media.fileName);
      expect(names.some((n) => n.includes('unrelated'))).toBe(false);
      expect(list.items.some((i) => i.matches.some((m) => m.signalType === 'pdq'))).toBe(true);
      await page.screenshot({ path: join(RESULTS, 'demo-queue.png') });
      await page.close();
    } finally {
      await demoServer.stop();
    }
  });
});
