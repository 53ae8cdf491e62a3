// Decisions that answer at once, in Chromium over the browser shell: a toast per decision, no "saving…" left behind,
// counts and history refreshed at once, the undo history and the session kept by the server across a reload, an
// accurate break reminder, and a reason picker when the team requires a reason for false positives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { apiCall, startWebServer, type WebServer } from '../helpers/web-server';
import { tempDir } from '../helpers/temp-dir';
import { openDatabase } from '../../electron/services/store/database';
import { FIXTURE_IMAGES, vectorFor } from '../hashing/helpers';

const RESULTS = join(import.meta.dirname, '..', '..', 'test-results');
const PICTURES = [
  'photo.jpg',
  'photo-progressive-444.jpg',
  'photo-blur-a-lot.jpg',
  'photo-rotated-cw.jpg',
  'photo-mirrored.jpg',
  'photo-square-256.jpg',
  'photo-high-contrast.jpg',
  'photo-sharpen.jpg',
  'photo-shrink-a-little.jpg',
  'other.jpg',
];

interface ItemView {
  id: number;
  status: string;
  media: { fileName: string };
  decisions: { id: number; verdict: string; reason: string | null; undoneAt: number | null }[];
}

describe('decisions that answer at once, in Chromium', () => {
  const temp = tempDir('matchdesk-e2e-decisions-');
  const dataDir = join(temp.dir, 'data');
  let browser: Browser;
  let server: WebServer;
  let page: Page;
  const errors: string[] = [];
  const currentId = async () => Number(await page.getByTestId('item-detail').getAttribute('data-item-id'));
  const get = (id: number) => apiCall<ItemView>(server, 'queue.get', { id });
  const idOf = async (fileName: string) => {
    const list = await apiCall<{ items: { id: number; media: { fileName: string } }[] }>(server, 'queue.list', { limit: 50, search: fileName });
    return list.items.find((i) => i.media.fileName === fileName)!.id;
  };
  const openItem = async (fileName: string) => {
    await page.getByTestId('queue-item').filter({ hasText: new RegExp(`^${fileName.replace('.', '\\.')}`) }).getByRole('button').click();
    await expect.poll(() => page.getByTestId('item-detail').locator('h2').textContent()).toContain(fileName);
    // The keys act on the page, not on the row's button.
    await page.locator('main').focus();
  };
  const count = (status: string) => page.getByTestId(`count-${status}`).textContent();
  /** Pending pictures, in list order (earlier tests decide some). */
  const pendingNames = async () => (await apiCall<{ items: { media: { fileName: string } }[] }>(server, 'queue.list', { status: 'pending', limit: 50 })).items.map((i) => i.media.fileName);

  beforeAll(async () => {
    const folder = join(temp.dir, 'incoming');
    mkdirSync(folder, { recursive: true });
    for (const f of PICTURES) copyFileSync(join(FIXTURE_IMAGES, f), join(folder, f));
    [browser, server] = await Promise.all([launchChromium(), startWebServer(dataDir)]);
    const otherMd5 = createHash('md5').update(readFileSync(join(folder, 'other.jpg'))).digest('hex');
    await apiCall(server, 'banks.importCsv', { bankName: 'Known media', csv: `pdq,${vectorFor('photo.jpg').pdq},the town\nmd5,${otherMd5},rings\n` });
    const { jobId } = await apiCall<{ jobId: string }>(server, 'ingest.importFolder', { path: folder });
    for (let i = 0; (await apiCall<{ id: string; state: string }[]>(server, 'ingest.jobs')).find((j) => j.id === jobId)?.state === 'running'; i++) {
      if (i > 600) throw new Error('the import did not finish in 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const pending = (await apiCall<{ pending: number }>(server, 'queue.counts')).pending;
    if (pending !== PICTURES.length) throw new Error(`expected ${PICTURES.length} pending items, got ${pending}`);
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.launchUrl);
    await page.getByRole('heading', { name: 'Matchdesk', exact: true }).waitFor();
    await page.getByTestId('queue-item').nth(PICTURES.length - 1).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    temp.cleanup();
  });

  it('a toast per decision names the file, the actions that will run and “u to undo”; counts follow a decision and an undo at once', async () => {
    await openItem('other.jpg');
    await page.keyboard.press('c');
    await page.getByTestId('toast-info').filter({ hasText: 'Confirmed “other.jpg”. In 30 s: add its hashes to the local bank “Confirmed by reviewers”. u to undo.' }).waitFor();
    await expect.poll(() => count('confirmed'), { timeout: 3_000 }).toBe('1');
    await page.screenshot({ path: join(RESULTS, 'decision-toast.png') });
    await page.keyboard.press('s');
    await page.getByTestId('toast-info').filter({ hasText: /^Skipped “[^”]+”\. Nothing else runs\. u to undo\./ }).waitFor();
    await page.keyboard.press('u');
    await page.getByTestId('toast-info').filter({ hasText: /^Undone: item #\d+ \([^)]+\) is back under review\./ }).waitFor();
    await page.keyboard.press('u');
    await page.getByTestId('toast-info').filter({ hasText: '(other.jpg) is back under review. 1 planned action cancelled.' }).waitFor();
    // The counts follow the undo at once, not at the next poll.
    await expect.poll(() => count('confirmed'), { timeout: 3_000 }).toBe('0');
    await expect.poll(() => count('skipped'), { timeout: 3_000 }).toBe('0');
    expect((await apiCall<{ pending: number }>(server, 'queue.counts')).pending).toBe(PICTURES.length);
  });

  it('a decision on one picture shows at once in the history of another with the same hash', async () => {
    await openItem('photo-progressive-444.jpg');
    await expect.poll(() => page.getByTestId('history').textContent()).toMatch(/No earlier decisions/);
    await openItem('photo.jpg');
    await page.keyboard.press('e');
    await page.getByTestId('toast-info').filter({ hasText: 'Escalated “photo.jpg”. A second reviewer decides it; nothing else runs. u to undo.' }).waitFor();
    await openItem('photo-progressive-444.jpg');
    await expect.poll(() => page.getByTestId('history').textContent(), { timeout: 5_000 }).toMatch(/same hash.*photo\.jpg.*escalate/);
  });

  it('no “saving…” is left on the last item, nor after a bulk decision', async () => {
    // The last item of a list: nothing to move on to.
    await page.keyboard.press('/');
    await page.keyboard.type('photo-sharpen.jpg');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('queue-total').getAttribute('data-total')).toBe('1');
    await page.keyboard.press('Escape');
    await page.keyboard.press('s');
    await expect.poll(() => page.getByTestId('item-status').textContent(), { timeout: 3_000 }).toBe('skipped');
    await page.keyboard.press('/');
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('queue-total').getAttribute('data-total'), { timeout: 5_000 }).toBe(String(PICTURES.length - 2));

    // A bulk decision over the last two items of the list, the current one included.
    const rows = page.getByTestId('queue-item');
    const last = (await rows.count()) - 1;
    await rows.nth(last - 1).getByRole('button').click();
    await page.locator('main').focus();
    await page.keyboard.press('x');
    await page.keyboard.press('j');
    await page.keyboard.press('x');
    await page.keyboard.press('Shift+S');
    await page.getByTestId('bulk-dialog').waitFor();
    await page.getByTestId('bulk-apply').click();
    await page.getByTestId('toast-info').filter({ hasText: 'Skipped: 2 items. u undoes them one by one, newest first.' }).waitFor();
    await expect.poll(() => page.getByText('(saving…)').count(), { timeout: 3_000 }).toBe(0);
    await expect.poll(() => page.getByTestId('item-status').textContent(), { timeout: 3_000 }).toBe('skipped');
  });

  it('u still undoes after a reload: the undo history is the server’s; the open item stays leased to this window', async () => {
    const name = (await pendingNames())[0]!;
    await openItem(name);
    const id = await currentId();
    await page.keyboard.press('c');
    await page.getByTestId('toast-info').filter({ hasText: `Confirmed “${name}”` }).waitFor();
    await page.reload();
    await page.getByTestId('queue-item').first().waitFor();
    await page.locator('main').focus();
    await page.keyboard.press('u');
    await page.getByTestId('toast-info').filter({ hasText: `Undone: item #${id} (${name}) is back under review.` }).waitFor();
    expect((await get(id)).decisions[0]!.undoneAt).not.toBeNull();
    expect((await get(id)).status).toBe('pending');
    // The undone item is open again, and a reload does not make this window a stranger to its own lease.
    await expect.poll(() => page.getByTestId('claim-state').getAttribute('data-claim')).toBe('mine');
    await page.reload();
    await page.getByTestId('queue-item').first().waitFor();
    await openItem(name);
    await expect.poll(() => page.getByTestId('claim-state').getAttribute('data-claim')).toBe('mine');
    await expect(page.getByTestId('claim-conflict').count()).resolves.toBe(0);
  });

  it('the session timer survives a reload; the break reminder says how long the session really is; a break survives a reload', async () => {
    const started = await page.getByTestId('session-timer').getAttribute('data-started');
    await page.reload();
    await page.getByTestId('queue-item').first().waitFor();
    await expect.poll(() => page.getByTestId('session-timer').getAttribute('data-started')).toBe(started);

    // A reminder every 5 minutes; the session began 13 minutes ago.
    await apiCall(server, 'wellbeing.setMine', { breakEveryMinutes: 5 });
    const db = openDatabase(join(dataDir, 'matchdesk.sqlite'));
    db.prepare('UPDATE review_sessions SET started_at = ?').run(Date.now() - 13 * 60_000 - 5_000);
    db.close();
    await page.reload();
    const banner = page.getByTestId('break-reminder');
    await banner.waitFor();
    await expect(banner.textContent()).resolves.toMatch(/^You have been reviewing for 13 minutes\. Time for a 10-minute break\./);
    await expect(page.getByTestId('session-timer').textContent()).resolves.toBe('Session 0:13');
    await banner.getByRole('button', { name: 'Take a break' }).click();
    await page.getByTestId('break-screen').waitFor();
    await page.reload();
    await page.getByTestId('break-screen').waitFor();
    await expect(page.getByTestId('queue-view').count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'Back to the queue' }).click();
    await page.getByTestId('queue-item').first().waitFor();
    await expect(page.getByTestId('session-timer').textContent()).resolves.toBe('Session 0:00');
    await expect(page.getByTestId('break-reminder').count()).resolves.toBe(0);
    await apiCall(server, 'wellbeing.setMine', { breakEveryMinutes: null });
  });

  it('when the team requires a reason, f asks for one (a number key picks it), and so does the bulk dialog', async () => {
    const plans = await apiCall<{ falsePositive: Record<string, unknown> }>(server, 'settings.getActionPlans');
    await apiCall(server, 'settings.setActionPlans', { ...plans, falsePositive: { ...plans.falsePositive, requireReason: true } });
    await page.reload();
    await page.getByTestId('queue-item').first().waitFor();
    const [first, second, third] = await pendingNames();
    await openItem(first!);
    const id = await currentId();
    await page.keyboard.press('f');
    const dialog = page.getByTestId('reason-dialog');
    await dialog.waitFor();
    await expect(dialog.textContent()).resolves.toContain(`Why is “${first}” a false positive?`);
    expect((await get(id)).status).toBe('pending');
    await page.screenshot({ path: join(RESULTS, 'reason-dialog.png') });
    await page.keyboard.press('2');
    await expect.poll(async () => (await get(id)).decisions.at(-1)?.reason).toBe('Meme or sticker');
    expect((await get(id)).status).toBe('false_positive');
    await page.getByTestId('toast-info').filter({ hasText: `False positive “${first}”` }).waitFor();

    // Escape cancels: nothing decided.
    await openItem(second!);
    const other = await currentId();
    await page.keyboard.press('f');
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect((await get(other)).status).toBe('pending');

    // Bulk: the dialog will not apply without a reason, then applies it to every item.
    const ids = [other, await idOf(third!)];
    await page.keyboard.press('x');
    await openItem(third!);
    await page.keyboard.press('x');
    await page.keyboard.press('Shift+F');
    const bulk = page.getByTestId('bulk-dialog');
    await bulk.waitFor();
    await bulk.getByTestId('bulk-apply').click();
    await bulk.getByRole('alert').filter({ hasText: 'A false positive needs a reason here: choose one.' }).waitFor();
    await bulk.getByTestId('bulk-reason').selectOption('Different picture');
    await bulk.getByTestId('bulk-apply').click();
    await expect.poll(async () => (await Promise.all(ids.map(get))).map((i) => [i.status, i.decisions.at(-1)?.reason])).toEqual([
      ['false_positive', 'Different picture'],
      ['false_positive', 'Different picture'],
    ]);
  });

  it('when the setting is turned on after this window read it, the server’s refusal brings up the reason picker', async () => {
    const plans = await apiCall<{ falsePositive: Record<string, unknown> }>(server, 'settings.getActionPlans');
    await apiCall(server, 'settings.setActionPlans', { ...plans, falsePositive: { ...plans.falsePositive, requireReason: false } });
    await page.reload();
    await page.getByTestId('queue-item').first().waitFor();
    const [name] = await pendingNames();
    await openItem(name!);
    const id = await currentId();
    // Another admin turns it on; this window still has the old setting.
    await apiCall(server, 'settings.setActionPlans', { ...plans, falsePositive: { ...plans.falsePositive, requireReason: true } });
    await page.keyboard.press('f');
    const dialog = page.getByTestId('reason-dialog');
    await dialog.waitFor();
    await expect(dialog.textContent()).resolves.toContain(`Why is “${name}” a false positive?`);
    await page.keyboard.press('1');
    await expect.poll(async () => (await get(id)).decisions.at(-1)?.reason).toBe('Different picture');
    await expect(page.getByTestId('toast-error').count()).resolves.toBe(0);
    expect(errors).toEqual([]);
  });
});
