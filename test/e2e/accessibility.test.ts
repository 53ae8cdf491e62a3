// axe-core scans every view of the console in Chromium; any serious or critical violation fails, and so does a
// page region left outside the landmarks. The views are filled first (a seeded queue, a bank, an import, decisions),
// so the scan sees what a moderator sees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openConsole } from '../helpers/browser';
import { apiCall, startWebServer, type WebServer } from '../helpers/web-server';
import { tempDir } from '../helpers/temp-dir';
import { axeScan, blocking, type AxeViolation } from '../helpers/axe';
import { seedQueue } from '../queue/seed-queue';
import { FIXTURE_IMAGES } from '../hashing/helpers';

const RESULTS = join(import.meta.dirname, '..', '..', 'test-results');

function report(view: string, violations: AxeViolation[]): string {
  return violations.map((v) => `${view}: ${v.id} (${v.impact}) ${v.help}\n    ${v.nodes.slice(0, 5).join('\n    ')}`).join('\n');
}

describe('accessibility: axe-core on every view, in Chromium', () => {
  const temp = tempDir('matchdesk-axe-');
  let browser: Browser;
  let server: WebServer;
  let page: Page;
  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name, exact: true }).click();

  async function scan(view: string): Promise<void> {
    // Let charts, lists and images settle.
    await page.waitForTimeout(300);
    const violations = await axeScan(page);
    const others = violations.filter((v) => !blocking([v]).length);
    if (others.length) console.log(`[axe] ${view}, not blocking:\n${report(view, others)}`);
    expect(report(view, blocking(violations))).toBe('');
    // Everything on the page sits in a landmark (the issue found regions missing on every view).
    expect(report(view, violations.filter((v) => v.id === 'region'))).toBe('');
  }

  beforeAll(async () => {
    mkdirSync(RESULTS, { recursive: true });
    const dataDir = join(temp.dir, 'data');
    const images = ['photo.jpg', 'other.jpg', 'photo-square-256.jpg'].map((f) => join(FIXTURE_IMAGES, f));
    seedQueue(dataDir, { count: 30, images, imageItems: 10, mediaDir: join(temp.dir, 'media'), spreadMs: 3 * 3_600_000 });
    [browser, server] = await Promise.all([launchChromium(), startWebServer(dataDir)]);
    await apiCall(server, 'banks.importCsv', { bankName: 'Known media', csv: 'md5,00000000000000000000000000000001,first\n' });
    const list = await apiCall<{ items: { id: number }[] }>(server, 'queue.list', { limit: 4 });
    await apiCall(server, 'queue.decide', { id: list.items[0]!.id, verdict: 'confirm', reason: 'Known abuse material' });
    await apiCall(server, 'queue.decide', { id: list.items[1]!.id, verdict: 'false_positive', reason: 'Different picture' });
    await apiCall(server, 'queue.decide', { id: list.items[2]!.id, verdict: 'escalate' });
    page = await openConsole(browser, server.launchUrl, { width: 1440, height: 900 });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    temp.cleanup();
  });

  it('review queue with an item open', async () => {
    await page.getByTestId('item-detail').waitFor();
    await page.getByTestId('media-preview').first().waitFor();
    await scan('review queue');
  });

  it('keyboard shortcuts dialog', async () => {
    await page.keyboard.press('?');
    await page.getByTestId('shortcuts-dialog').waitFor();
    try {
      await scan('shortcuts dialog');
    } finally {
      await page.getByTestId('shortcuts-dialog').getByRole('button', { name: 'Close' }).click();
    }
  });

  it('bulk decision dialog', async () => {
    await page.keyboard.press('x');
    await page.keyboard.press('Shift+F');
    await page.getByTestId('bulk-dialog').waitFor();
    try {
      await scan('bulk dialog');
    } finally {
      await page.getByTestId('bulk-dialog').getByRole('button', { name: 'Cancel' }).click();
      await page.keyboard.press('Escape');
    }
  });

  it('second review', async () => {
    await nav('Second review');
    await page.getByTestId('item-detail').waitFor();
    await scan('second review');
  });

  it('statistics', async () => {
    await nav('Statistics');
    await page.getByTestId('chart-distance').locator('svg.recharts-surface').first().waitFor();
    await scan('statistics');
  });

  for (const view of ['Actions', 'Import', 'Banks', 'Audit log', 'Wellbeing', 'Settings']) {
    it(view.toLowerCase(), async () => {
      await nav(view);
      await page.locator('main h2').first().waitFor();
      await scan(view);
    });
  }

  it('a bank’s panel, its contents and the delete confirmation', async () => {
    await nav('Banks');
    await page.getByRole('button', { name: 'Manage Known media' }).click();
    await page.getByTestId('bank-contents-table').waitFor();
    await scan('bank panel');
    await page.getByTestId('bank-delete').click();
    await page.getByTestId('delete-bank-dialog').waitFor();
    try {
      await scan('delete bank dialog');
    } finally {
      await page.getByTestId('delete-bank-dialog').getByRole('button', { name: 'Cancel' }).click();
    }
  });

  it('the false-positive reason picker and the break screen', async () => {
    const plans = await apiCall<{ falsePositive: Record<string, unknown> }>(server, 'settings.getActionPlans');
    await apiCall(server, 'settings.setActionPlans', { ...plans, falsePositive: { ...plans.falsePositive, requireReason: true } });
    await page.reload();
    await page.getByTestId('item-detail').waitFor();
    await page.locator('main').focus();
    await page.keyboard.press('f');
    await page.getByTestId('reason-dialog').waitFor();
    try {
      await scan('reason picker');
    } finally {
      await page.keyboard.press('Escape');
    }
    await apiCall(server, 'wellbeing.sessionEvent', { event: 'start_break' });
    await page.reload();
    await page.getByTestId('break-screen').waitFor();
    try {
      await scan('break screen');
    } finally {
      await page.getByRole('button', { name: 'Back to the queue' }).click();
    }
  });

  it('the welcome screen of a fresh install', async () => {
    const fresh = await startWebServer(join(temp.dir, 'fresh'));
    try {
      await page.goto(fresh.launchUrl);
      await page.getByRole('heading', { name: 'Welcome to Matchdesk' }).waitFor();
      await scan('welcome');
    } finally {
      await fresh.stop();
    }
  });
});
