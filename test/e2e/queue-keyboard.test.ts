import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { apiCall, startWebServer, type WebServer } from '../helpers/web-server';
import { tempDir } from '../helpers/temp-dir';
import { seedQueue, type SeededItem } from '../queue/seed-queue';
import { FIXTURE_IMAGES } from '../hashing/helpers';

// The review queue driven from the keyboard in Chromium, every step checked against the store through the API.
// A MutationObserver installed before the app loads records every <img>/<video> and its computed filter for the
// whole session: none may be shown unblurred unless the reviewer's reveal is active.

const RESULTS = join(import.meta.dirname, '..', '..', 'test-results');
const IMAGES = ['photo.jpg', 'other.jpg', 'photo-square-256.jpg', 'photo-high-saturation.jpg', 'icc-profile.png', 'photo-progressive-444.jpg'].map((f) => join(FIXTURE_IMAGES, f));

interface QueueGet {
  id: number;
  status: string;
  decisions: { id: number; verdict: string; reason: string | null; note: string | null; undoneAt: number | null; reviewer: string }[];
  media: { id: number; sha256: string };
}
interface MediaRecord {
  tag: string;
  blurred: boolean;
  filter: string;
  revealActive: boolean;
}

const MEDIA_WATCH = () => {
  const w = window as unknown as { __media: MediaRecord[]; __violations: MediaRecord[]; __testAllowsReveal: boolean; __seen: number };
  w.__media = [];
  w.__violations = [];
  w.__testAllowsReveal = false;
  w.__seen = 0;
  const seen = new WeakSet<Element>();
  const check = () => {
    const toggle = document.querySelector('[data-testid="reveal-toggle"]');
    const revealActive = toggle?.getAttribute('aria-pressed') === 'true' && w.__testAllowsReveal;
    document.querySelectorAll('img, video').forEach((el) => {
      if (!seen.has(el)) {
        seen.add(el);
        w.__seen++;
      }
      const filter = getComputedStyle(el).filter;
      const blurred = /blur\((?!0px)/.test(filter);
      const record = { tag: el.tagName, blurred, filter, revealActive };
      if (w.__media.length < 5000) w.__media.push(record);
      if (!blurred && !revealActive) w.__violations.push(record);
    });
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['class', 'style', 'src', 'aria-pressed'] });
};

async function currentId(page: Page): Promise<number> {
  return Number(await page.getByTestId('item-detail').getAttribute('data-item-id'));
}

/** Presses a decision key and waits until the next item is on screen (the store is checked separately). */
async function pressAndWaitForNext(page: Page, key: string): Promise<number> {
  const before = await currentId(page);
  await page.keyboard.press(key);
  await expect.poll(() => currentId(page), { timeout: 5_000 }).not.toBe(before);
  return before;
}

describe('the review queue from the keyboard, in Chromium', () => {
  const temp = tempDir('matchdesk-queue-e2e-');
  const dataDir = join(temp.dir, 'data');
  let browser: Browser;
  let server: WebServer;
  let page: Page;
  let seeded: SeededItem[];
  const errors: string[] = [];
  const get = (id: number) => apiCall<QueueGet>(server, 'queue.get', { id });

  beforeAll(async () => {
    mkdirSync(RESULTS, { recursive: true });
    seeded = seedQueue(dataDir, { count: 80, images: IMAGES, imageItems: 56, mediaDir: join(temp.dir, 'media'), spreadMs: 5 * 3_600_000 });
    [browser, server] = await Promise.all([launchChromium(), startWebServer(dataDir)]);
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.addInitScript(MEDIA_WATCH);
    await page.goto(server.launchUrl);
    await page.getByRole('heading', { name: 'Matchdesk', exact: true }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    temp.cleanup();
  });

  it('shows the queue in the store’s priority order, with counts per status and a blurred first item', async () => {
    await page.getByTestId('queue-item').first().waitFor();
    const api = await apiCall<{ items: { id: number }[]; total: number }>(server, 'queue.list', { status: 'pending', limit: 10 });
    expect(api.total).toBe(80);
    await expect.poll(() => page.getByTestId('count-pending').textContent()).toBe('80');
    const shown = await page.getByTestId('queue-item').evaluateAll((els) => els.slice(0, 10).map((e) => Number(e.getAttribute('data-item-id'))));
    expect(shown).toEqual(api.items.map((i) => i.id));
    expect(await currentId(page)).toBe(api.items[0]!.id);
    // Reports come first.
    const first = seeded.find((s) => s.id === api.items[0]!.id)!;
    expect(first.source).toBe('matrix_report');
    await page.screenshot({ path: join(RESULTS, 'queue-list.png') });
  });

  it('decides 20 items with c/f/e/s, with a reason from the number keys and a note, and never while typing', async () => {
    const expected = new Map<number, { verdict: string; reason?: string; note?: string }>();
    // A reason by number key, then confirm.
    await page.keyboard.press('2');
    await expect(page.getByTestId('reason').inputValue()).resolves.toBe('Near-copy of banked content');
    expected.set(await pressAndWaitForNext(page, 'c'), { verdict: 'confirm', reason: 'Near-copy of banked content' });
    // A note: typing letters in the field (c, f, e, s, j, u) decides nothing; Esc leaves the field.
    const beforeNote = await currentId(page);
    await page.keyboard.press('n');
    await expect(page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).resolves.toBe('note');
    await page.keyboard.type('scanned: c f e s j u');
    expect(await currentId(page)).toBe(beforeNote);
    await page.keyboard.press('Escape');
    expected.set(await pressAndWaitForNext(page, 'f'), { verdict: 'false_positive', note: 'scanned: c f e s j u' });
    const keys = ['c', 'f', 'c', 'e', 's', 'c', 'f', 'c', 'c', 'f', 'e', 'c', 'f', 's', 'c', 'f', 'c', 'c'];
    const verdicts: Record<string, string> = { c: 'confirm', f: 'false_positive', e: 'escalate', s: 'skip' };
    for (const key of keys) expected.set(await pressAndWaitForNext(page, key), { verdict: verdicts[key]! });
    expect(expected.size).toBe(20);

    // Every decision is in the store, as given.
    await expect
      .poll(async () => (await Promise.all([...expected.keys()].map(get))).filter((i) => i.decisions.length === 1).length, { timeout: 10_000 })
      .toBe(20);
    for (const [id, want] of expected) {
      const item = await get(id);
      expect(item.decisions[0]).toMatchObject({ verdict: want.verdict, reason: want.reason ?? null, note: want.note ?? null, undoneAt: null });
      expect(item.status).toBe({ confirm: 'confirmed', false_positive: 'false_positive', escalate: 'escalated', skip: 'skipped' }[want.verdict]);
    }
    const counts = await apiCall<Record<string, number>>(server, 'queue.counts');
    expect(counts).toMatchObject({ pending: 60, confirmed: 10, false_positive: 6, escalated: 2, skipped: 2 });
    await expect.poll(() => page.getByTestId('count-confirmed').textContent()).toBe('10');
  });

  it('undoes the last decision with u: the store marks it undone and the item is back under review', async () => {
    const audit = await apiCall<{ action: string; subject: string }[]>(server, 'audit.list', { limit: 5 });
    const last = audit.find((e) => e.action.startsWith('decision.'))!;
    const lastId = Number(last.subject.split(':')[1]);
    await page.keyboard.press('u');
    await expect.poll(() => currentId(page)).toBe(lastId);
    await expect.poll(async () => (await get(lastId)).status).toBe('pending');
    const item = await get(lastId);
    expect(item.decisions).toHaveLength(1);
    expect(item.decisions[0]!.undoneAt).not.toBeNull();
    await page.getByTestId('toast-info').filter({ hasText: `Undone: item #${lastId}` }).waitFor();
  });

  it('bulk-decides a selection made with x (Shift+F, Enter in the dialog)', async () => {
    const chosen: number[] = [];
    for (let i = 0; i < 3; i++) {
      chosen.push(await currentId(page));
      await page.keyboard.press('x');
      await page.keyboard.press('j');
      await expect.poll(() => currentId(page)).not.toBe(chosen[i]);
    }
    await expect(page.getByTestId('bulk-bar').textContent()).resolves.toContain('3 selected');
    await page.keyboard.press('Shift+F');
    await page.getByTestId('bulk-dialog').waitFor();
    await expect(page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).resolves.toBe('bulk-apply');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await Promise.all(chosen.map(get))).map((i) => i.status), { timeout: 10_000 }).toEqual(['false_positive', 'false_positive', 'false_positive']);
    await expect(page.getByTestId('bulk-bar').count()).resolves.toBe(0);
  });

  it('filters by bank and sender and searches by event id and hash, matching what the store answers', async () => {
    // Filter: bank (a select reached from the filter panel, changed with the arrow keys).
    await page.locator('.more-filters summary').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('bank-filter').locator('option').count()).toBeGreaterThan(1);
    await page.getByTestId('bank-filter').focus();
    await page.keyboard.press('ArrowDown');
    const bank = await page.getByTestId('bank-filter').inputValue();
    expect(bank).not.toBe('');
    const byBank = await apiCall<{ total: number; items: { id: number }[] }>(server, 'queue.list', { status: 'pending', bank, limit: 100 });
    await expect.poll(() => page.getByTestId('queue-total').getAttribute('data-total')).toBe(String(byBank.total));
    const shownIds = await page.getByTestId('queue-item').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-item-id'))));
    expect(shownIds.length).toBeGreaterThan(0);
    expect(shownIds.every((id) => byBank.items.some((i) => i.id === id))).toBe(true);
    await page.keyboard.press('Escape'); // leaves the select
    await page.getByTestId('bank-filter').selectOption('');

    // Filter: sender (typed, applied after a pause).
    const sender = seeded.find((s) => s.id === shownIds[0])!.sender;
    await page.getByTestId('sender-filter').focus();
    await page.keyboard.type(sender);
    const bySender = await apiCall<{ total: number }>(server, 'queue.list', { status: 'pending', sender, limit: 1 });
    await expect.poll(() => page.getByTestId('queue-total').getAttribute('data-total')).toBe(String(bySender.total));
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('queue-total').getAttribute('data-total')).not.toBe(String(bySender.total));

    // Search by event id: / focuses the search field.
    const pending = await apiCall<{ items: { id: number }[] }>(server, 'queue.list', { status: 'pending', limit: 500 });
    const pendingIds = new Set(pending.items.map((i) => i.id));
    const withImage = seeded.filter((s) => s.hasImage && pendingIds.has(s.id));
    const target = withImage.find((s) => withImage.filter((o) => o.sha256 === s.sha256).length >= 3)!;
    await page.keyboard.press('/');
    await page.keyboard.type(target.eventId);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('queue-total').getAttribute('data-total')).toBe('1');
    await expect.poll(() => currentId(page)).toBe(target.id);
    const byEvent = await apiCall<{ items: { id: number }[] }>(server, 'queue.list', { search: target.eventId, status: 'pending' });
    expect(byEvent.items.map((i) => i.id)).toEqual([target.id]);

    // Search by SHA-256: every pending item with that picture.
    await page.keyboard.press('Control+A');
    await page.keyboard.type(target.sha256);
    await page.keyboard.press('Enter');
    const byHash = await apiCall<{ total: number }>(server, 'queue.list', { search: target.sha256, status: 'pending' });
    expect(byHash.total).toBeGreaterThanOrEqual(3);
    await expect.poll(() => page.getByTestId('queue-total').getAttribute('data-total')).toBe(String(byHash.total));
    await page.keyboard.press('Escape');
  });

  it('reveals with r only on demand, re-blurs on navigation, counts reveals, and quiet mode keeps media blurred', async () => {
    await page.getByTestId('queue-media').waitFor();
    const media = page.getByTestId('queue-media');
    await expect(media.getAttribute('class')).resolves.toContain('blurred');
    expect(await media.evaluate((el) => getComputedStyle(el).filter)).toMatch(/blur\(28px\) grayscale\(1\)/);
    await page.screenshot({ path: join(RESULTS, 'queue-item-blurred.png') });
    const item = await get(await currentId(page));
    const before = await apiCall<{ revealedToday: number }>(server, 'wellbeing.get');

    await page.evaluate(() => ((window as unknown as { __testAllowsReveal: boolean }).__testAllowsReveal = true));
    await page.keyboard.press('r');
    await page.locator('[data-testid="media-preview"][data-revealed="true"]').waitFor();
    expect(await media.evaluate((el) => getComputedStyle(el).filter)).toBe('none');
    await page.screenshot({ path: join(RESULTS, 'queue-item-revealed.png') });
    // The reveal is in the store: the audit chain and today's count.
    const audit = await apiCall<{ action: string; subject: string }[]>(server, 'audit.list', { limit: 10 });
    expect(audit.some((e) => e.action === 'media.reveal' && e.subject === `media:${item.media.id}`)).toBe(true);
    await expect.poll(async () => (await apiCall<{ revealedToday: number }>(server, 'wellbeing.get')).revealedToday).toBe(before.revealedToday + 1);

    // r again blurs; and a revealed item re-blurs when the reviewer moves on.
    await page.keyboard.press('r');
    await page.locator('[data-testid="media-preview"][data-revealed="false"]').waitFor();
    await page.keyboard.press('r');
    await page.locator('[data-testid="media-preview"][data-revealed="true"]').waitFor();
    await page.keyboard.press('j');
    await page.locator('[data-testid="media-preview"][data-revealed="false"]').first().waitFor();
    await expect(page.getByTestId('reveal-toggle').getAttribute('aria-pressed')).resolves.toBe('false');
    await page.evaluate(() => ((window as unknown as { __testAllowsReveal: boolean }).__testAllowsReveal = false));

    // Quiet mode (from the keyboard: Tab to the toggle is the same as focusing it) is stored for this reviewer.
    await page.getByTestId('quiet-toggle').focus();
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await apiCall<{ effective: { quietMode: boolean } }>(server, 'wellbeing.get')).effective.quietMode).toBe(true);
    // The page knows it too before we try to reveal (under load its settings can lag the store by a moment).
    await page.locator('[data-testid="quiet-toggle"][aria-pressed="true"]').waitFor();
    await page.getByTestId('quiet-toggle').blur();
    await page.keyboard.press('r');
    await page.getByTestId('toast-info').filter({ hasText: 'Quiet mode' }).first().waitFor();
    await expect(page.getByTestId('media-preview').getAttribute('data-revealed')).resolves.toBe('false');
    // Even a direct API reveal is refused in quiet mode.
    const forced = await apiCall<{ kind: string; revealed?: boolean }>(server, 'media.preview', { mediaId: item.media.id, reveal: true });
    expect(forced).toMatchObject({ kind: 'image', revealed: false });
    await page.getByTestId('quiet-toggle').focus();
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await apiCall<{ effective: { quietMode: boolean } }>(server, 'wellbeing.get')).effective.quietMode).toBe(false);
    await page.getByTestId('quiet-toggle').blur();
  });

  it('? lists every shortcut; Esc closes it', async () => {
    await page.keyboard.press('?');
    const dialog = page.getByTestId('shortcuts-dialog');
    await dialog.waitFor();
    for (const text of ['Next item', 'Confirm match', 'False positive', 'Escalate', 'Skip', 'Undo', 'Reveal', 'Decide every selected item']) {
      await expect(dialog.textContent()).resolves.toContain(text);
    }
    await page.screenshot({ path: join(RESULTS, 'queue-shortcuts.png') });
    await page.keyboard.press('Escape');
    await expect(dialog.count()).resolves.toBe(0);
  });

  it('a second window cannot decide the item the first one holds (claims)', async () => {
    const held = await currentId(page);
    await expect.poll(() => page.getByTestId('claim-state').getAttribute('data-claim')).toBe('mine');
    const claims = await apiCall<{ queueItemId: number; sessionId: string }[]>(server, 'claims.list');
    expect(claims.some((c) => c.queueItemId === held)).toBe(true);

    const second = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    try {
      await second.goto(server.launchUrl);
      await second.getByTestId('queue-item').first().waitFor();
      await second.keyboard.press('/');
      await second.keyboard.type(`#${held}`);
      await second.keyboard.press('Enter');
      await expect.poll(() => second.getByTestId('item-detail').getAttribute('data-item-id')).toBe(String(held));
      await expect.poll(() => second.getByTestId('claim-state').getAttribute('data-claim')).toBe('other');
      await second.keyboard.press('Escape');
      await second.keyboard.press('c');
      await second.getByTestId('claim-conflict').waitFor();
      expect((await get(held)).decisions.filter((d) => d.undoneAt === null)).toHaveLength(0);
      // The API refuses it too, for another window of the same reviewer.
      await expect(apiCall(server, 'queue.decide', { id: held, verdict: 'confirm', sessionId: 'another-window-1234' })).rejects.toThrow(/another window/);
    } finally {
      await second.close();
    }
    // The holder decides; the lease ends with the decision.
    await pressAndWaitForNext(page, 'e');
    await expect.poll(async () => (await get(held)).status).toBe('escalated');
    await expect.poll(async () => (await apiCall<{ queueItemId: number }[]>(server, 'claims.list')).some((c) => c.queueItemId === held)).toBe(false);
  });

  it('second review: escalated items keep both reviewers’ decisions', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Second review', exact: true }).click();
    await page.getByTestId('queue-item').first().waitFor();
    const escalated = await apiCall<{ total: number }>(server, 'queue.list', { status: 'escalated', limit: 1 });
    await expect.poll(() => page.getByTestId('queue-total').getAttribute('data-total')).toBe(String(escalated.total));
    const id = await currentId(page);
    await page.keyboard.press('1');
    await page.keyboard.press('c');
    await expect.poll(async () => (await get(id)).status, { timeout: 10_000 }).toBe('confirmed');
    const item = await get(id);
    expect(item.decisions.map((d) => d.verdict)).toEqual(['escalate', 'confirm']);
  });

  it('statistics: charts of depth, throughput, time to decision and false positives by bank and distance', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Statistics', exact: true }).click();
    await page.getByTestId('stats-view').waitFor();
    for (const chart of ['chart-depth', 'chart-per-hour', 'chart-ttd', 'chart-fp-bank', 'chart-distance']) {
      await page.getByTestId(chart).locator('svg.recharts-surface').first().waitFor();
    }
    const stats = await apiCall<{ totals: { confirm: number; false_positive: number } }>(server, 'stats.overview', { days: 7 });
    await expect(page.getByTestId('stat-tiles').textContent()).resolves.toContain(`Confirmed${stats.totals.confirm}`);
    const report = await apiCall<{ byBankAndDistance: { distance: number; falsePositive: number }[] }>(server, 'feedback.report');
    expect(report.byBankAndDistance.reduce((n, r) => n + r.falsePositive, 0)).toBeGreaterThan(0);
    // The histogram has one bar slot per PDQ distance 0–31.
    await expect(page.getByTestId('chart-distance').locator('.recharts-xAxis .recharts-cartesian-axis-tick').count()).resolves.toBe(32);
    await page.setViewportSize({ width: 1440, height: 1400 });
    await page.getByTestId('stats-days').selectOption('1');
    await page.getByTestId('chart-depth').locator('.recharts-line').first().waitFor();
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(RESULTS, 'queue-stats.png') });
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('actions view lists the outbox; the layout holds at 1280×720 and on a 4K screen', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Actions', exact: true }).click();
    await page.getByTestId('actions-table').waitFor();
    await page.getByTestId('actions-table').locator('tbody tr').first().waitFor();
    await page.screenshot({ path: join(RESULTS, 'queue-actions.png') });

    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Review queue', exact: true }).click();
    for (const [w, h, name] of [[1280, 720, 'queue-1280x720.png'], [3840, 2160, 'queue-4k.png']] as const) {
      await page.setViewportSize({ width: w, height: h });
      await page.getByTestId('item-detail').waitFor();
      // Nothing essential falls off screen: the decision buttons and the list are visible without scrolling the page.
      for (const id of ['decide-confirm', 'decide-false-positive', 'reveal-toggle', 'queue-search']) {
        const box = await page.getByTestId(id).boundingBox();
        expect(box, id).not.toBeNull();
        expect(box!.y + box!.height, `${id} at ${w}×${h}`).toBeLessThanOrEqual(h);
        expect(box!.x + box!.width, `${id} at ${w}×${h}`).toBeLessThanOrEqual(w);
      }
      await page.screenshot({ path: join(RESULTS, name) });
    }
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('never showed queue media unblurred unless the reveal was active, over the whole session', async () => {
    const log = await page.evaluate(() => {
      const w = window as unknown as { __media: MediaRecord[]; __violations: MediaRecord[]; __seen: number };
      return { seen: w.__seen, records: w.__media.length, revealed: w.__media.filter((m) => !m.blurred).length, violations: w.__violations };
    });
    expect(log.seen).toBeGreaterThan(20);
    expect(log.revealed).toBeGreaterThan(0); // the observer did see the deliberate reveals
    expect(log.violations).toEqual([]);
    expect(errors).toEqual([]);
  });
});
