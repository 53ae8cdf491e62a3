// npm run bench:queue — the review queue at 100,000 items, measured in Chromium against `npm run web`'s server.
// Seeds the items straight into SQLite in a temp data dir (one transaction), then measures in the page itself
// (performance.now() in the renderer, so the CDP round trips of the driver do not count):
//   first_render_ms       navigation start → first queue row on screen (median of 3 loads after a warm-up)
//   next_item_p50/p95_ms  decision key press → the next item's view in the frame being painted, over 200 decisions
//   preview_next_p95_ms   the same, until the next item's blurred picture is shown (items with pictures, 50 decisions)
//   filter_ms             a filter change → the list showing the new total (median over bank, signal, source, room)
//   search_ms             Enter in the search field → the list showing the match (median over event id, user, hash)
// Ends with one JSON line. Env: BENCH_ITEMS (default 100000), BENCH_DECISIONS (default 200).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/helpers/browser';
import { startWebServer } from '../test/helpers/web-server';
import { tempDir } from '../test/helpers/temp-dir';
import { seedQueue } from '../test/queue/seed-queue';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 100_000);
const DECISIONS = Number(process.env.BENCH_DECISIONS ?? 200);
const FIXTURES = join(import.meta.dirname, '..', 'test', 'fixtures', 'pdq', 'images');

const round = (x: number) => Math.round(x * 10) / 10;
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}
const median = (values: number[]) => percentile(values, 0.5);

/** In-page probes: key presses and change events (capture phase), and when the item view, its picture or the list total change. */
// Plain JavaScript (tsx would add helpers to a TypeScript function that do not exist in the page).
const PROBE = `
(() => {
  const b = { firstRow: 0, key: 0, change: 0, itemId: '', itemShown: 0, mediaKey: '', mediaShown: 0, total: '', totalShown: 0 };
  window.__bench = b;
  document.addEventListener('keydown', () => { b.key = performance.now(); }, true);
  document.addEventListener('change', () => { b.change = performance.now(); }, true);
  const stamp = (set) => requestAnimationFrame(() => set(performance.now()));
  new MutationObserver(() => {
    if (!b.firstRow && document.querySelector('[data-testid="queue-item"]')) {
      b.firstRow = -1;
      stamp((t) => { b.firstRow = t; });
    }
    const detail = document.querySelector('[data-testid="item-detail"]');
    const id = detail ? detail.getAttribute('data-item-id') || '' : '';
    if (id && id !== b.itemId) {
      b.itemId = id;
      stamp((t) => { b.itemShown = t; });
    }
    const img = document.querySelector('img[data-testid="queue-media"]');
    const mediaKey = img ? id + ':' + img.getAttribute('src') : '';
    if (img && mediaKey !== b.mediaKey) {
      b.mediaKey = mediaKey;
      stamp((t) => { b.mediaShown = t; });
    }
    const totalEl = document.querySelector('[data-testid="queue-total"]');
    const total = totalEl ? totalEl.getAttribute('data-total') || '' : '';
    if (total !== b.total) {
      b.total = total;
      stamp((t) => { b.totalShown = t; });
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-item-id', 'data-total', 'src'] });
})();
`;

type Probe = { firstRow: number; key: number; change: number; itemId: string; itemShown: number; mediaShown: number; total: string; totalShown: number };
const probe = (page: Page) => page.evaluate(() => (window as unknown as { __bench: Probe }).__bench);

async function decideAndMeasure(page: Page, count: number, waitForPicture: boolean): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const before = await probe(page);
    await page.keyboard.press(i % 4 === 3 ? 'f' : 'c');
    await page.waitForFunction(
      ([prev, picture]) => {
        const b = (window as unknown as { __bench: Probe }).__bench;
        return b.itemId !== prev && b.itemShown > b.key && (!picture || b.mediaShown > b.key);
      },
      [before.itemId, waitForPicture] as const,
      { timeout: 10_000, polling: 'raf' },
    );
    const after = await probe(page);
    out.push((waitForPicture ? after.mediaShown : after.itemShown) - after.key);
  }
  return out;
}

async function changeAndMeasure(page: Page, apply: () => Promise<void>, mark: 'change' | 'key'): Promise<number> {
  const before = await probe(page);
  await apply();
  await page.waitForFunction(
    ([prevTotal, field]) => {
      const b = (window as unknown as { __bench: Probe & Record<string, number> }).__bench;
      return b.total !== prevTotal && b.total !== '' && b.totalShown > b[field]!;
    },
    [before.total, mark] as const,
    { timeout: 20_000, polling: 'raf' },
  );
  const after = (await probe(page)) as Probe & Record<string, number>;
  return after.totalShown - after[mark]!;
}

async function main(): Promise<void> {
  const temp = tempDir('matchdesk-queue-bench-');
  const dataDir = join(temp.dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const t0 = performance.now();
  const seeded = seedQueue(dataDir, {
    count: ITEMS,
    images: ['photo.jpg', 'other.jpg', 'photo-square-256.jpg', 'photo-high-saturation.jpg', 'icc-profile.png'].map((f) => join(FIXTURES, f)),
    imageItems: 400,
    mediaDir: join(temp.dir, 'media'),
    spreadMs: 14 * 24 * 3_600_000,
  });
  const seedS = (performance.now() - t0) / 1000;
  console.error(`seeded ${seeded.length} items in ${seedS.toFixed(1)} s`);

  const [browser, server] = await Promise.all([launchChromium(), startWebServer(dataDir)]);
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.addInitScript({ content: PROBE });

    // ---- first render ----------------------------------------------------------------------------------------------
    const loads: number[] = [];
    for (let i = 0; i < 4; i++) {
      if (i === 0) await page.goto(server.launchUrl);
      else await page.reload();
      await page.waitForFunction(() => (window as unknown as { __bench: Probe }).__bench.firstRow > 0, undefined, { timeout: 30_000 });
      if (i > 0) loads.push((await probe(page)).firstRow);
    }
    const firstRender = median(loads);
    console.error(`first render: ${loads.map(round).join(', ')} ms`);
    await page.getByTestId('item-detail').waitFor();
    await page.waitForTimeout(500);

    // ---- decisions: next item -------------------------------------------------------------------------------------
    const next = await decideAndMeasure(page, DECISIONS, false);
    console.error(`next item over ${next.length} decisions: p50 ${round(median(next))} ms, p95 ${round(percentile(next, 0.95))} ms, max ${round(Math.max(...next))} ms`);

    // ---- filters -----------------------------------------------------------------------------------------------------
    await page.locator('.more-filters summary').click();
    const filterTimes: number[] = [];
    for (const [testId, value] of [
      ['bank-filter', 'Terror content'],
      ['bank-filter', ''],
      ['signal-filter', 'md5'],
      ['signal-filter', ''],
      ['source-filter', 'matrix_report'],
      ['source-filter', ''],
      ['room-filter', '!support:example.org'],
      ['room-filter', ''],
    ] as const) {
      filterTimes.push(await changeAndMeasure(page, () => page.getByTestId(testId).selectOption(value).then(() => undefined), 'change'));
    }
    console.error(`filter: ${filterTimes.map(round).join(', ')} ms`);

    // ---- search ------------------------------------------------------------------------------------------------------
    const target = seeded[Math.floor(ITEMS * 0.77)]!;
    const searchTimes: number[] = [];
    for (const text of [target.eventId, target.sender, target.sha256, '']) {
      searchTimes.push(
        await changeAndMeasure(
          page,
          async () => {
            await page.getByTestId('queue-search').fill(text);
            await page.getByTestId('queue-search').press('Enter');
          },
          'key',
        ),
      );
    }
    console.error(`search: ${searchTimes.map(round).join(', ')} ms`);

    // ---- decisions on items with pictures: next item's blurred preview ---------------------------------------------
    await page.getByTestId('queue-search').press('Escape');
    await changeAndMeasure(page, () => page.getByTestId('source-filter').selectOption('local_file').then(() => undefined), 'change');
    await page.locator('img[data-testid="queue-media"]').waitFor();
    await page.waitForTimeout(500);
    const withPreview = await decideAndMeasure(page, Math.min(50, DECISIONS), true);
    console.error(`next item with its blurred picture: p50 ${round(median(withPreview))} ms, p95 ${round(percentile(withPreview, 0.95))} ms`);

    const result = {
      items: ITEMS,
      first_render_ms: round(firstRender),
      next_item_p50_ms: round(median(next)),
      next_item_p95_ms: round(percentile(next, 0.95)),
      filter_ms: round(median(filterTimes)),
      filter_max_ms: round(Math.max(...filterTimes)),
      search_ms: round(median(searchTimes)),
      preview_next_p95_ms: round(percentile(withPreview, 0.95)),
      decisions: next.length,
      seed_s: round(seedS),
    };
    console.log(JSON.stringify(result));
  } finally {
    await browser.close();
    await server.stop();
    temp.cleanup();
  }
}

await main();
