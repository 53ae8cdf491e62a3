// The calls behind the console's explanations, through the same dispatcher both transports use: banks renamed,
// deleted and browsed (audited); the u key's undo history and the session timer kept by the server across a restart;
// a reason required for false positives; decisions that say what they will do; evidence with the threshold; numbers
// refused in plain words.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDispatch } from '../helpers/local-api';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createServices, type Services } from '../../electron/services/app-services';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import { openDatabase } from '../../electron/services/store/database';
import { ReviewSessions } from '../../electron/services/queue/review-session';
import { tempDir } from '../helpers/temp-dir';
import { FIXTURE_IMAGES, vectorFor } from '../hashing/helpers';

const temp = tempDir('matchdesk-moderator-calls-');
const dataDir = join(temp.dir, 'data');
let services: Services;

function open(): Services {
  return createServices({
    dataDir,
    version: 'test',
    transport: 'http',
    secrets: new FileSecretStore(join(temp.dir, 'secrets.json'), plainCodec),
    startDispatcher: false,
    resumeMatrix: false,
    workers: 1,
    reviewer: 'alice',
  });
}

async function call<T = unknown>(name: string, input: unknown = {}): Promise<T> {
  const result = await localDispatch(services)(name, input);
  if (!result.ok) throw Object.assign(new Error(`${name}: ${result.error.message}`), { error: result.error });
  return result.value as T;
}

async function refusal(name: string, input: unknown): Promise<{ code: string; message: string; issues?: { path: string; message: string }[] }> {
  const result = await localDispatch(services)(name, input);
  if (result.ok) throw new Error(`${name} was accepted`);
  return result.error;
}

interface Item {
  id: number;
  status: string;
  media: { fileName: string };
  matches: { id: number; bankName: string; signalType: string; distance: number; signal: string | null; variant?: string | null }[];
  evidence?: { matchId: number; pdqThreshold?: number | null }[];
}

const byName = async (fileName: string): Promise<Item> => {
  const list = await call<{ items: Item[] }>('queue.list', { status: 'pending', limit: 50 });
  const found = list.items.find((i) => i.media.fileName === fileName) ?? (await call<{ items: Item[] }>('queue.list', { limit: 50 })).items.find((i) => i.media.fileName === fileName);
  return call<Item>('queue.get', { id: found!.id });
};

beforeAll(async () => {
  services = open();
  const folder = join(temp.dir, 'incoming');
  mkdirSync(folder);
  for (const f of ['photo.jpg', 'photo-rotated-cw.jpg', 'photo-mirrored.jpg', 'other.jpg', 'photo-blur-a-lot.jpg']) copyFileSync(join(FIXTURE_IMAGES, f), join(folder, f));
  const otherMd5 = createHash('md5').update(readFileSync(join(folder, 'other.jpg'))).digest('hex');
  await call('banks.importCsv', { bankName: 'Known media', csv: `signal_type,signal,label\npdq,${vectorFor('photo.jpg').pdq},the town\nmd5,${otherMd5},rings\n` });
  await call('banks.importCsv', { bankName: 'Old reports', csv: 'md5,00000000000000000000000000000001,first\nmd5,00000000000000000000000000000002,second note here\nmd5,abcdef00000000000000000000000003,third\n' });
  const { jobId } = await call<{ jobId: string }>('ingest.importFolder', { path: folder });
  for (;;) {
    const job = (await call<{ id: string; state: string }[]>('ingest.jobs')).find((j) => j.id === jobId)!;
    if (job.state !== 'running') break;
    await new Promise((r) => setTimeout(r, 50));
  }
}, 120_000);

afterAll(async () => {
  await services.close();
  temp.cleanup();
});

describe('evidence in words: threshold and the matched transform', () => {
  it('a PDQ match carries its bank’s threshold; rotated and mirrored copies say which variant matched', async () => {
    const blurred = await byName('photo-blur-a-lot.jpg');
    const pdq = blurred.matches.find((m) => m.signalType === 'pdq')!;
    expect(pdq.distance).toBe(14);
    expect(pdq.signal).toBe(vectorFor('photo.jpg').pdq);
    expect(blurred.evidence!.find((e) => e.matchId === pdq.id)!.pdqThreshold).toBe(31);
    expect((await byName('photo-rotated-cw.jpg')).matches[0]).toMatchObject({ signalType: 'pdq', variant: 'rotate90' });
    expect((await byName('photo-mirrored.jpg')).matches[0]).toMatchObject({ signalType: 'pdq', variant: 'flipY' });
    const md5 = await byName('other.jpg');
    expect(md5.evidence![0]!.pdqThreshold).toBeNull();
  });
});

describe('banks: rename, delete, browse', () => {
  it('renames a bank everywhere its name is kept, audited; queue filters and evidence still find it', async () => {
    const before = await call<{ total: number }>('queue.list', { bank: 'Known media', limit: 1 });
    expect(before.total).toBe(5);
    const r = await call<{ bank: { name: string }; matches: number }>('banks.rename', { bankName: 'Known media', newName: 'Town pictures' });
    expect(r).toMatchObject({ bank: { name: 'Town pictures' }, matches: 5 });
    expect((await call<{ total: number }>('queue.list', { bank: 'Town pictures', limit: 1 })).total).toBe(5);
    expect((await call<{ total: number }>('queue.list', { bank: 'Known media', limit: 1 })).total).toBe(0);
    expect((await byName('photo-blur-a-lot.jpg')).evidence![0]!.pdqThreshold).toBe(31);
    const audit = await call<{ action: string; subject: string; details: Record<string, unknown> }[]>('audit.list', { limit: 5 });
    expect(audit[0]).toMatchObject({ action: 'bank.rename', subject: 'bank:Town pictures', details: { from: 'Known media', to: 'Town pictures', matches: 5 } });
    expect((await refusal('banks.rename', { bankName: 'Town pictures', newName: 'Old reports' })).message).toBe('A bank named Old reports already exists');
    expect((await refusal('banks.rename', { bankName: 'Nope', newName: 'X' })).code).toBe('not_found');
  });

  it('renaming the bank that confirmed media go to carries the decision setting along', async () => {
    await call('banks.create', { name: 'Confirmed by reviewers' });
    await call('banks.rename', { bankName: 'Confirmed by reviewers', newName: 'Confirmed (team)' });
    expect((await call<{ confirm: { addToLocalBank: string } }>('settings.getActionPlans')).confirm.addToLocalBank).toBe('Confirmed (team)');
  });

  it('browses a bank newest first and searches labels, notes and hash prefixes', async () => {
    const all = await call<{ total: number; items: { label: string; signals: { type: string; signal: string }[] }[] }>('banks.content', { bankName: 'Old reports' });
    expect(all.total).toBe(3);
    expect(all.items.map((i) => i.label)).toEqual(['third', 'second note here', 'first']);
    expect(all.items[0]!.signals).toEqual([{ type: 'md5', signal: 'abcdef00000000000000000000000003' }]);
    expect((await call<{ total: number }>('banks.content', { bankName: 'Old reports', search: 'note' })).total).toBe(1);
    expect((await call<{ items: { label: string }[] }>('banks.content', { bankName: 'Old reports', search: 'ABCDEF' })).items.map((i) => i.label)).toEqual(['third']);
    expect((await call<{ total: number }>('banks.content', { bankName: 'Old reports', search: '%' })).total).toBe(0);
    const page = await call<{ total: number; items: unknown[] }>('banks.content', { bankName: 'Old reports', limit: 2, offset: 2 });
    expect(page).toMatchObject({ total: 3 });
    expect(page.items).toHaveLength(1);
  });

  it('deletes a bank with its content, audited; the items it matched stay; a bank decisions add to is refused', async () => {
    const refused = await refusal('banks.delete', { bankName: 'Confirmed (team)' });
    expect(refused.code).toBe('conflict');
    expect(refused.message).toContain('Settings → What a decision does');
    const pending = (await call<{ pending: number }>('queue.counts')).pending;
    const r = await call('banks.delete', { bankName: 'Town pictures' });
    expect(r).toEqual({ bankName: 'Town pictures', content: 2, signals: 2, openItems: 5 });
    expect((await call<{ name: string }[]>('banks.list')).map((b) => b.name)).not.toContain('Town pictures');
    expect((await call<{ pending: number }>('queue.counts')).pending).toBe(pending);
    expect(services.db.prepare("SELECT COUNT(*) AS n FROM bank_signals s JOIN bank_content c ON c.id = s.content_id WHERE c.label IN ('the town', 'rings')").get()).toEqual({ n: 0 });
    expect((await call<{ action: string; details: Record<string, unknown> }[]>('audit.list', { limit: 1 }))[0]).toMatchObject({ action: 'bank.delete', details: { content: 2, signals: 2, openItems: 5 } });
  });
});

describe('numbers are refused in plain words, never stored as 0', () => {
  it('bank severity and threshold, the undo window, the Matrix download cap', async () => {
    await call('banks.create', { name: 'Numbers' });
    const empty = await refusal('banks.update', { bankName: 'Numbers', severity: null });
    expect(empty.issues).toEqual([{ path: 'severity', message: 'Severity is missing: enter a whole number from 0 to 100' }]);
    expect((await refusal('banks.update', { bankName: 'Numbers', pdqThreshold: 200 })).issues![0]!.message).toBe('The PDQ threshold must be a whole number from 0 to 128');
    expect((await refusal('banks.update', { bankName: 'Numbers', severity: 2.5 })).issues![0]!.message).toBe('Severity must be a whole number from 0 to 100');
    expect((await call<{ severity: number }[]>('banks.list')).find((b) => (b as unknown as { name: string }).name === 'Numbers')!.severity).toBe(50);
    const plans = await call<Record<string, unknown>>('settings.getActionPlans');
    expect((await refusal('settings.setActionPlans', { ...plans, undoWindowMs: -1000 })).issues![0]!.message).toBe('The undo window must be a whole number of seconds from 0 to 3600');
    expect((await refusal('matrix.updateOptions', { maxDownloadMb: 0 })).issues![0]!.message).toBe('The largest download must be a whole number from 1 to 1024');
  });
});

describe('decisions say what they will do; a reason can be required for false positives', () => {
  it('queue.decide lists the planned actions in words', async () => {
    const item = await byName('photo.jpg');
    const r = await call<{ actions: { kind: string; label: string }[] }>('queue.decide', { id: item.id, verdict: 'confirm' });
    expect(r.actions.map((a) => a.label)).toEqual(['add its hashes to the local bank “Confirmed (team)”']);
    await call('decisions.undo', { decisionId: (await call<{ decisions: { id: number }[] }>('queue.get', { id: item.id })).decisions[0]!.id });
  });

  it('with the setting on, a false positive without a reason is refused (one by one and in bulk); with one it goes through', async () => {
    const plans = await call<{ falsePositive: Record<string, unknown> }>('settings.getActionPlans');
    expect(plans.falsePositive.requireReason).toBe(false);
    await call('settings.setActionPlans', { ...plans, falsePositive: { ...plans.falsePositive, requireReason: true } });
    const item = await byName('photo-mirrored.jpg');
    const refused = await refusal('queue.decide', { id: item.id, verdict: 'false_positive' });
    expect(refused.message).toMatch(/A false positive needs a reason here/);
    const bulk = await call<{ results: { ok: boolean; error: string | null }[] }>('queue.decideMany', { ids: [item.id], verdict: 'false_positive', sessionId: 'test-session-1' });
    expect(bulk.results[0]).toMatchObject({ ok: false, error: expect.stringMatching(/needs a reason/) });
    expect((await call<Item>('queue.get', { id: item.id })).status).toBe('pending');
    await call('queue.decide', { id: item.id, verdict: 'false_positive', reason: 'Different picture' });
    expect((await call<Item>('queue.get', { id: item.id })).status).toBe('false_positive');
    // Escalating needs none.
    await call('queue.decide', { id: (await byName('other.jpg')).id, verdict: 'escalate' });
  });
});

describe('kept by the server: the u key’s undo history and the session timer survive a restart', () => {
  it('undoLast undoes the latest decision still in effect, newest first, after a restart too', async () => {
    const rotated = await byName('photo-rotated-cw.jpg');
    const blurred = await byName('photo-blur-a-lot.jpg');
    await call('queue.decide', { id: rotated.id, verdict: 'skip' });
    await call('queue.decide', { id: blurred.id, verdict: 'confirm' });
    const session = await call<{ startedAt: number }>('wellbeing.session');

    await services.close();
    services = open();
    const again = await call<{ startedAt: number }>('wellbeing.session');
    expect(again.startedAt).toBe(session.startedAt);

    const first = await call<{ undone: { queueItemId: number; verdict: string; fileName: string; cancelled: number } }>('decisions.undoLast');
    expect(first.undone).toMatchObject({ queueItemId: blurred.id, verdict: 'confirm', fileName: 'photo-blur-a-lot.jpg', cancelled: 1 });
    const second = await call<{ undone: { queueItemId: number; verdict: string } }>('decisions.undoLast');
    expect(second.undone).toMatchObject({ queueItemId: rotated.id, verdict: 'skip' });
    const third = await call<{ undone: { fileName: string } }>('decisions.undoLast');
    expect(third.undone.fileName).toBe('other.jpg');
    expect((await call<{ undone: { fileName: string } }>('decisions.undoLast')).undone.fileName).toBe('photo-mirrored.jpg');
    const none = await call<{ undone: null; reason: string }>('decisions.undoLast');
    expect(none).toEqual({ undone: null, reason: 'Nothing to undo: you made no decision in the last 12 hours that is still in effect.' });
    expect((await call<Item>('queue.get', { id: blurred.id })).status).toBe('pending');
  });

  it('a break started before a restart is still on after it; ending it starts a new session', async () => {
    const onBreak = await call<{ onBreakSince: number | null }>('wellbeing.sessionEvent', { event: 'start_break' });
    expect(onBreak.onBreakSince).not.toBeNull();
    await services.close();
    services = open();
    expect((await call<{ onBreakSince: number | null }>('wellbeing.session')).onBreakSince).toBe(onBreak.onBreakSince);
    const back = await call<{ onBreakSince: number | null; startedAt: number; now: number }>('wellbeing.sessionEvent', { event: 'end_break' });
    expect(back.onBreakSince).toBeNull();
    expect(back.startedAt).toBe(back.now);
    const snoozed = await call<{ snoozedUntil: number; now: number }>('wellbeing.sessionEvent', { event: 'snooze' });
    expect(snoozed.snoozedUntil - snoozed.now).toBe(10 * 60_000);
  });

  it('coming back after longer than a break starts a new session; a short absence (a reload) does not', () => {
    const db = openDatabase(':memory:');
    const clock = { now: 1_700_000_000_000 };
    const sessions = new ReviewSessions(db, () => clock.now);
    const first = sessions.touch('bob', 10);
    clock.now += 9 * 60_000;
    expect(sessions.touch('bob', 10).startedAt).toBe(first.startedAt);
    clock.now += 9 * 60_000;
    expect(sessions.touch('bob', 10).startedAt).toBe(first.startedAt);
    clock.now += 11 * 60_000;
    expect(sessions.touch('bob', 10).startedAt).toBe(clock.now);
    db.close();
  });
});
