// Team mode end to end: one `matchdesk serve` against a real Synapse, and each moderator a real Matrix user with a
// power level in the management room, working in their own Chromium context through their own browser-shell host
// (the relay that keeps the session token out of the page).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:https';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startSynapse, type SynapseHarness } from './harness';
import { createTeamRoom, setPowerLevel, startServe, writeTeamConfig, type ServeProcess, type TeamRoom } from './team-setup';
import { waitFor } from './helpers';
import { renderScene } from '../../electron/services/demo/demo-media';
import { TeamServerClient } from '../../electron/team-client/team-server-client';
import { requestOpenIdToken } from '../../electron/team-client/matrix-openid';
import { launchChromium } from '../helpers/browser';
import { apiCall, startWebServer, type WebServer } from '../helpers/web-server';
import { tempDir } from '../helpers/temp-dir';
import { makeTestCert, type TestCert } from '../helpers/tls';

const IMAGES = 8;

interface Moderator {
  name: string;
  web: WebServer;
  context: BrowserContext;
  page: Page;
}

describe('team mode: several moderators, one server, a real Synapse', () => {
  const temp = tempDir('matchdesk-team-e2e-');
  let hs: SynapseHarness;
  let team: TeamRoom;
  let cert: TestCert;
  let serve: ServeProcess;
  let browser: Browser;
  let lead: TeamServerClient;
  let leadToken: string;
  let communityRoom: string;
  const posted = new Map<number, { eventId: string; mediaId: string }>();
  const mods: Record<string, Moderator> = {};

  const leadCall = async <T = unknown>(name: string, input: unknown = {}): Promise<T> => {
    const r = await lead.call(leadToken, name, input);
    if (!r.ok) throw new Error(`${name}: ${r.error.code} ${r.error.message}`);
    return r.value as T;
  };

  /** A moderator's own console: a browser-shell host (its own data dir) and a Chromium context, connected and signed in through the UI. */
  async function openConsole(name: string, expect: 'queue' | 'no-access' = 'queue'): Promise<Moderator> {
    const web = await startWebServer(join(temp.dir, `console-${name}`), { MATCHDESK_TEAM_CA: cert.certFile });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto(web.launchUrl);
    // A fresh console works on this machine; the welcome screen offers the team server.
    await page.getByTestId('welcome-team').click();
    await page.getByTestId('team-url').fill(serve.url);
    await page.getByTestId('team-connect').click();
    await page.getByTestId('team-sign-in').waitFor();
    const account = team.people[name]!;
    await page.getByTestId('si-homeserver').fill(hs.baseUrl);
    await page.getByTestId('si-user').fill(account.userId);
    await page.getByTestId('si-password').fill(account.password);
    await page.getByTestId('si-submit').click();
    if (expect === 'queue') {
      await page.getByTestId('queue-view').waitFor({ timeout: 30_000 });
      await expectText(page.getByTestId('who'), `${account.userId} · browser shell · team server`);
    }
    const mod = { name, web, context, page };
    mods[name] = mod;
    return mod;
  }

  const expectText = async (locator: ReturnType<Page['getByTestId']>, text: string) => expect.poll(() => locator.textContent(), { timeout: 15_000 }).toContain(text);
  const currentItem = async (page: Page) => Number(await page.getByTestId('item-detail').getAttribute('data-item-id'));

  beforeAll(async () => {
    hs = await startSynapse();
    team = await createTeamRoom(hs, { lena: 100, lars: 100, alice: 50, bob: 50, dave: 50, carol: 10 });
    cert = makeTestCert(temp.dir);
    // Default role levels and refresh interval: what an admin gets without tuning.
    const config = writeTeamConfig(temp.dir, { hs, roomId: team.roomId, cert, dataDir: join(temp.dir, 'server') });
    serve = await startServe(['--config', config], { NODE_EXTRA_CA_CERTS: cert.certFile });
    lead = new TeamServerClient(serve.url, { ca: cert.ca });
    const { openid } = await requestOpenIdToken({ homeserverUrl: hs.baseUrl, user: team.people.lena!.userId, password: team.people.lena!.password });
    const signedIn = await lead.signIn(openid, 'test harness');
    if (!signedIn.ok) throw new Error(signedIn.error.message);
    leadToken = signedIn.value.token;

    // The lead sets the team up: actions run at once (no undo window), and a bank of the pictures to be posted.
    const plans = await leadCall<Record<string, unknown>>('settings.getActionPlans');
    await leadCall('settings.setActionPlans', { ...plans, undoWindowMs: 0 });
    const pictures = await Promise.all(Array.from({ length: IMAGES }, (_, i) => renderScene(300 + i)));
    await leadCall('banks.importCsv', { bankName: 'Known abuse (team test)', csv: pictures.map((p, i) => `md5,${createHash('md5').update(p).digest('hex')},scene ${i}`).join('\n') });

    // Someone posts the pictures in a room the service account watches: the server ingests them live.
    communityRoom = await hs.createRoom(hs.user.accessToken, { name: 'Community', invite: [hs.admin.userId] });
    await hs.joinRoom(hs.admin.accessToken, communityRoom);
    for (const [i, bytes] of pictures.entries()) {
      const media = await hs.uploadMedia(hs.user.accessToken, new Uint8Array(bytes), 'image/jpeg', `scene-${i}.jpg`);
      const eventId = await hs.sendImage(hs.user.accessToken, communityRoom, media, { mimetype: 'image/jpeg', body: `scene-${i}.jpg` });
      posted.set(i, { eventId, mediaId: media.mediaId });
    }
    let pending = 0;
    await waitFor(
      () => {
        void leadCall<{ pending: number }>('queue.counts').then((c) => (pending = c.pending));
        return pending === IMAGES;
      },
      { timeoutMs: 120_000, intervalMs: 500, what: `${IMAGES} items ingested by the server` },
    );
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const m of Object.values(mods)) {
      await m.context.close().catch(() => undefined);
      await m.web.stop();
    }
    await browser?.close();
    lead?.close();
    await serve?.stop();
    await hs?.dispose();
    temp.cleanup();
  });

  it('two moderators never hold the same item', async () => {
    const alice = await openConsole('alice');
    const bob = await openConsole('bob');
    await expect.poll(async () => (await leadCall<{ reviewer: string }[]>('claims.list')).length, { timeout: 15_000 }).toBe(2);
    const claims = await leadCall<{ queueItemId: number; reviewer: string }[]>('claims.list');
    const held = new Map(claims.map((c) => [c.reviewer, c.queueItemId]));
    expect(held.get(team.people.alice!.userId)).toBeDefined();
    expect(held.get(team.people.bob!.userId)).toBeDefined();
    expect(held.get(team.people.alice!.userId)).not.toBe(held.get(team.people.bob!.userId));
    await expect.poll(() => currentItem(alice.page)).toBe(held.get(team.people.alice!.userId));
    await expect.poll(() => currentItem(bob.page)).toBe(held.get(team.people.bob!.userId));

    // Alice opens Bob's item on purpose: she is told he has it, and cannot decide it.
    const bobs = held.get(team.people.bob!.userId)!;
    await alice.page.locator(`[data-testid="queue-item"][data-item-id="${bobs}"] button`).click();
    await expectText(alice.page.getByTestId('claim-conflict'), `${team.people.bob!.userId} is reviewing this item`);
    expect(await alice.page.getByTestId('decide-confirm').isDisabled()).toBe(true);
    expect((await leadCall<{ queueItemId: number; reviewer: string }[]>('claims.list')).find((c) => c.queueItemId === bobs)?.reviewer).toBe(team.people.bob!.userId);
    await alice.page.keyboard.press('j');
  });

  it("A's decision shows on B's console within 1 s", async () => {
    const alice = mods.alice!;
    const bob = mods.bob!;
    await expect.poll(async () => (await leadCall<{ reviewer: string }[]>('claims.list')).some((c) => c.reviewer === team.people.alice!.userId), { timeout: 10_000 }).toBe(true);
    const id = await currentItem(alice.page);
    const row = bob.page.locator(`[data-testid="queue-item"][data-item-id="${id}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('pending');
    const started = Date.now();
    await alice.page.keyboard.press('c');
    await bob.page.locator(`[data-testid="queue-item"][data-item-id="${id}"][data-status="confirmed"]`).waitFor({ timeout: 1_000 });
    const elapsed = Date.now() - started;
    console.log(`[team e2e] Alice's decision on Bob's console after ${elapsed} ms`);
    expect(elapsed).toBeLessThan(1_000);
    await expectText(row.getByTestId('decided-elsewhere'), team.people.alice!.userId);
  });

  it('an action runs exactly once when two consoles decide the same item at the same moment', async () => {
    const items = await leadCall<{ items: { id: number; claim: unknown; media: { context: { matrix?: { eventId: string; mediaId: string } } } }[] }>('queue.list', { status: 'pending', limit: 50 });
    const target = items.items.find((i) => !i.claim)!;
    const { eventId, mediaId } = target.media.context.matrix!;
    const results = await Promise.allSettled([
      apiCall(mods.alice!.web, 'queue.decide', { id: target.id, verdict: 'confirm', sessionId: 'alice-race-window' }),
      apiCall(mods.bob!.web, 'queue.decide', { id: target.id, verdict: 'confirm', sessionId: 'bob-race-window' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(String(loser.reason)).toMatch(new RegExp(`(being reviewed by|already decided by) @(alice|bob)`));
    const detail = await leadCall<{ decisions: unknown[] }>('queue.get', { id: target.id });
    expect(detail.decisions).toHaveLength(1);
    // The server's one outbox acts: once.
    await expect
      .poll(async () => (await leadCall<{ actions: { state: string }[] }>('queue.get', { id: target.id })).actions.every((a) => a.state === 'done'), { timeout: 60_000, interval: 500 })
      .toBe(true);
    const redactions = await hs.api('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(communityRoom)}/messages?dir=b&limit=200&filter=${encodeURIComponent(JSON.stringify({ types: ['m.room.redaction'] }))}`, hs.user.accessToken);
    const redacting = (redactions.json.chunk as { redacts?: string; content?: { redacts?: string } }[]).filter((e) => (e.redacts ?? e.content?.redacts) === eventId);
    expect(redacting).toHaveLength(1);
    const notices = await hs.api('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(team.roomId)}/messages?dir=b&limit=200`, hs.admin.accessToken);
    const aboutIt = (notices.json.chunk as { content: { msgtype?: string; body?: string } }[]).filter((e) => e.content.msgtype === 'm.notice' && (e.content.body ?? '').includes(mediaId));
    expect(aboutIt).toHaveLength(1);
    const info = await hs.api('GET', `/_synapse/admin/v1/media/${hs.serverName}/${mediaId}`, hs.admin.accessToken);
    expect((info.json.media_info as { quarantined_by?: string }).quarantined_by).toBeTruthy();
  });

  it('a revoked session stops working at once', async () => {
    const bob = mods.bob!;
    const stored = JSON.parse(readFileSync(join(temp.dir, 'console-bob', 'secrets.json'), 'utf8')) as Record<string, string>;
    const bobToken = (JSON.parse(Buffer.from(stored['team.session']!, 'base64').toString('utf8')) as { token: string }).token;
    expect(await bob.page.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage }))).not.toContain(bobToken.slice(4, 20));
    const lena = await openConsole('lena');
    await lena.page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Team', exact: true }).click();
    const row = lena.page.locator(`[data-testid="session-row"][data-user="${team.people.bob!.userId}"]`);
    await row.getByTestId('session-revoke').click();
    const revokedAt = Date.now();
    await expect.poll(async () => (await lead.call(bobToken, 'queue.counts', {})).ok).toBe(false);
    expect(await lead.call(bobToken, 'queue.counts', {})).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    await bob.page.getByTestId('session-ended').waitFor({ timeout: 5_000 });
    console.log(`[team e2e] Bob's console showed the ended session ${Date.now() - revokedAt} ms after the revoke`);
    await expectText(bob.page.getByTestId('session-ended'), `ended by ${team.people.lena!.userId}`);
    await expect(apiCall(bob.web, 'queue.counts')).rejects.toThrow(/Sign in|session/);
  });

  it('a user below the reviewer level gets 403 and a clear screen', async () => {
    const carol = await openConsole('carol', 'no-access');
    await carol.page.getByTestId('team-no-access').waitFor({ timeout: 15_000 });
    await expectText(carol.page.getByTestId('no-access-reason'), 'has power level 10 in the management room; reviewers need 50');
    const { openid } = await requestOpenIdToken({ homeserverUrl: hs.baseUrl, user: team.people.carol!.userId, password: team.people.carol!.password });
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(serve.url);
      const body = JSON.stringify({ openid, client: 'raw' });
      const req = request({ host: u.hostname, port: u.port, path: '/api/v1/session', method: 'POST', ca: cert.ca, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(403);
  });

  it('demoting a moderator in the room ends their access within a minute', async () => {
    const dave = await openConsole('dave');
    await expect.poll(async () => (await leadCall<{ reviewer: string }[]>('claims.list')).some((c) => c.reviewer === team.people.dave!.userId), { timeout: 10_000 }).toBe(true);
    await setPowerLevel(hs, team.roomId, team.people.dave!.userId, 0);
    const demotedAt = Date.now();
    await dave.page.getByTestId('team-no-access').waitFor({ timeout: 60_000 });
    const elapsed = Date.now() - demotedAt;
    console.log(`[team e2e] Dave's console lost access ${elapsed} ms after the demotion`);
    expect(elapsed).toBeLessThan(60_000);
    await expectText(dave.page.getByTestId('no-access-reason'), 'has power level 0');
    await expect(apiCall(dave.web, 'queue.counts')).rejects.toThrow(/power level 0/);
    // What he held went back to the team.
    expect((await leadCall<{ reviewer: string }[]>('claims.list')).some((c) => c.reviewer === team.people.dave!.userId)).toBe(false);
  });
  it("a lead imports a CSV bank through the browser shell; another lead's console shows it as it lands, without a reload", async () => {
    const banksTab = (page: Page) => page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Banks', exact: true }).click();
    const lena = mods.lena ?? (await openConsole('lena'));
    const lars = await openConsole('lars');
    await banksTab(lars.page);
    await lars.page.getByTestId('banks-table').waitFor();
    await banksTab(lena.page);
    const file = join(temp.dir, 'team-partner-list.csv');
    writeFileSync(file, `signal_type,signal,label\n${Array.from({ length: 3_000 }, (_, i) => `md5,${(0xabc000 + i).toString(16).padStart(32, '0')},partner ${i}`).join('\n')}\n`);
    await lena.page.getByTestId('bank-name').fill('Partner list (team e2e)');
    await lena.page.getByTestId('bank-file').setInputFiles(file);
    await lena.page.getByTestId('import-csv').click();
    const job = lena.page.getByTestId('bank-import-job').filter({ hasText: 'team-partner-list.csv' });
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    await expect.poll(() => job.textContent()).toMatch(/3,000 signals added/);
    // Lars's console was told (pushed, nothing polls the banks): the new bank with its counts.
    const row = lars.page.getByTestId('banks-table').getByRole('row').filter({ hasText: 'Partner list (team e2e)' });
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toMatch(/3,000/);
    // On the server the import is Lena's, not the server's.
    const jobs = await leadCall<{ fileName: string; actor: string; state: string; added: number }[]>('banks.importJobs');
    expect(jobs.find((j) => j.fileName === 'team-partner-list.csv')).toMatchObject({ actor: team.people.lena!.userId, state: 'done', added: 3_000 });
  });
});
