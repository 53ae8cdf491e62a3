import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { createServices } from '../../electron/services/app-services';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import { launchChromium } from '../helpers/browser';
import { apiCall, startWebServer, type WebServer } from '../helpers/web-server';
import { tempDir } from '../helpers/temp-dir';

// A reported text message in the real UI: its words and the report's reason are untrusted, so they must show as the
// characters they are — never as markup the page would run or render.

const HOSTILE = '<img src=x onerror="window.__pwned=1"><b>buy</b> followers <script>window.__pwned=2</script>';
const ROOM = '!lobby:hs.test';

describe('reports in the console (Chromium, browser shell)', () => {
  const temp = tempDir('matchdesk-e2e-reports-');
  const dataDir = join(temp.dir, 'data');
  let browser: Browser;
  let server: WebServer;

  beforeAll(async () => {
    // What the report source hands over for a reported text message (the Synapse side is tested in test/synapse).
    const services = createServices({ dataDir, version: 'e2e', transport: 'http', secrets: new FileSecretStore(join(dataDir, 'secrets.json'), plainCodec), startDispatcher: false, resumeMatrix: false, workers: 1 });
    for (const [i, reporter] of ['@alice:hs.test', '@bob:hs.test'].entries()) {
      await services.matrix.ingest.handleReport({
        report: { id: 100 + i, reporter, reason: i === 0 ? '<i>spam</i> & scam' : 'again', score: -100, receivedTs: Date.now() - 60_000 + i },
        roomId: ROOM,
        roomName: 'Lobby',
        eventId: '$spam',
        matrixToLink: `https://matrix.to/#/${encodeURIComponent(ROOM)}/%24spam`,
        kind: 'content',
        sender: '@spammer:hs.test',
        originServerTs: Date.now() - 120_000,
        eventType: 'm.room.message',
        msgtype: 'm.text',
        text: HOSTILE,
      });
    }
    // A picture-less report a moderator dismissed, reported again afterwards: back in the queue, marked.
    const meme = (id: number, reporter: string) =>
      services.matrix.ingest.handleReport({
        report: { id, reporter, reason: id === 200 ? 'offensive' : 'this one is aimed at me', score: -50, receivedTs: Date.now() - 30_000 + id },
        roomId: ROOM,
        roomName: 'Lobby',
        eventId: '$meme',
        matrixToLink: `https://matrix.to/#/${encodeURIComponent(ROOM)}/%24meme`,
        kind: 'content',
        sender: '@joker:hs.test',
        originServerTs: Date.now() - 90_000,
        eventType: 'm.room.message',
        msgtype: 'm.text',
        text: 'a harmless joke, or is it',
      });
    await meme(200, '@alice:hs.test');
    const memeItem = (services.db.prepare("SELECT id FROM queue_items WHERE event_id = '$meme'").get() as { id: number }).id;
    services.decisions.decide({ id: memeItem, verdict: 'false_positive', reviewer: 'moderator-1' });
    await meme(201, '@carol:hs.test');
    await services.close();
    browser = await launchChromium();
    server = await startWebServer(dataDir);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    temp.cleanup();
  });

  it('shows the reported message and the reasons as text, counts both reports, and dismisses the report', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.launchUrl);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Review queue', exact: true }).click();
    const row = page.getByTestId('queue-item').filter({ hasText: 'Message from @spammer:hs.test' });
    await expect(row.textContent()).resolves.toContain('Message from @spammer:hs.test');
    await expect(row.textContent()).resolves.toContain('No bank match · reported ×2');
    await row.locator('button').click();

    const text = page.getByTestId('event-text');
    await text.waitFor();
    expect(await text.textContent()).toBe(HOSTILE);
    expect(await page.locator('[data-testid="item-detail"] img, [data-testid="item-detail"] script, [data-testid="item-detail"] b').count()).toBe(0);
    expect(await page.getByTestId('reports').textContent()).toContain('<i>spam</i> & scam');
    await expect(page.getByRole('heading', { name: 'Reported by 2 users' }).isVisible()).resolves.toBe(true);
    expect(await page.getByTestId('no-match').textContent()).toContain('users reported it');
    expect(await page.getByTestId('decide-false-positive').textContent()).toContain('Dismiss report');
    expect(await page.getByTestId('decide-confirm').textContent()).toContain('Act on report');
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

    const id = Number(await page.getByTestId('item-detail').getAttribute('data-item-id'));
    await page.getByTestId('decide-false-positive').click();
    await expect
      .poll(async () => (await apiCall<{ status: string }>(server, 'queue.get', { id })).status, { timeout: 10_000 })
      .toBe('false_positive');
    const listed = await apiCall<{ items: { id: number }[] }>(server, 'queue.list', { status: 'false_positive', trigger: 'reported_only' });
    expect(listed.items.map((i) => i.id)).toEqual([id]);
    expect(errors).toEqual([]);
    await page.close();
  });
  it('marks an item a new report brought back after a decision, in the list and in the item', async () => {
    // The previous window moved on to the next item and held it when it closed: let go of what it held.
    for (const claim of await apiCall<{ sessionId: string }[]>(server, 'claims.list')) await apiCall(server, 'claims.release', { sessionId: claim.sessionId });
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(server.launchUrl);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Review queue', exact: true }).click();
    const row = page.getByTestId('queue-item').filter({ hasText: 'Message from @joker:hs.test' });
    await expect(row.getByTestId('reported-again').textContent()).resolves.toContain('reported again after a decision');
    expect(await row.getAttribute('data-status')).toBe('pending');
    await row.locator('button').click();
    const note = page.getByTestId('reopened-note');
    await note.waitFor();
    expect(await note.textContent()).toContain('moderator-1 had marked it a false positive');
    await expect(page.getByRole('heading', { name: 'Reported by 2 users' }).isVisible()).resolves.toBe(true);
    // Decidable again once this console holds it.
    await expect.poll(() => page.getByTestId('decide-confirm').isDisabled(), { timeout: 10_000 }).toBe(false);
    await page.close();
  });
});
