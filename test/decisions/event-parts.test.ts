// Decisions on Matrix events with several media parts (an image and its client-made thumbnail), on reported items that
// matched nothing, and on reported text messages: what a confirm does, what an undo reverses, and the notice.
import { describe, expect, it } from 'vitest';
import { fixture, type Fixture } from './seed';
import { OutboxDispatcher } from '../../electron/services/decisions/outbox-dispatcher';
import { localExecutors } from '../../electron/services/decisions/local-executors';
import type { ActionResult, ExecutorRegistry } from '../../electron/services/decisions/action-types';
import { decisionNotice, NOTICE_WAIT_ATTEMPTS } from '../../electron/services/matrix-link/decision-notices';
import { ContractError } from '../../shared/result';

const ROOM = '!room:hs.test';
let n = 0;

/** An image event whose thumbnail matched a bank (the attack: an unrelated image with a banked thumbnail). */
function eventWithThumbnail(f: Fixture, opts: { reported?: boolean; matched?: boolean } = {}): { queueItemId: number; mediaId: number } {
  n++;
  const eventId = `$ev${n}`;
  const parts = [
    { part: 'media', mxcUri: `mxc://hs.test/Main${n}`, server: 'hs.test', mediaId: `Main${n}`, encrypted: false, state: 'hashed' },
    { part: 'thumbnail', mxcUri: `mxc://hs.test/Thumb${n}`, server: 'hs.test', mediaId: `Thumb${n}`, encrypted: false, state: 'hashed' },
  ];
  const matrix = { kind: 'media', server: 'hs.test', mediaId: `Main${n}`, mxcUri: `mxc://hs.test/Main${n}`, roomId: ROOM, roomName: 'Lobby', eventId, sender: '@bad:hs.test', matrixToLink: `https://matrix.to/#/${encodeURIComponent(ROOM)}/${encodeURIComponent(eventId)}` };
  const insert = f.db.prepare(
    "INSERT INTO media_items (source, source_ref, file_name, byte_length, md5, sha256, pdq, context_json, part_of, part, created_at) VALUES ('matrix_live', ?, ?, 10, ?, ?, ?, ?, ?, ?, 0)",
  );
  const hex = (c: string, len: number) => `${c}${n}`.padEnd(len, c);
  const mediaId = Number(insert.run(`${parts[0]!.mxcUri}#${eventId}`, 'holiday.jpg', hex('a', 32), hex('b', 64), hex('c', 64), JSON.stringify({ matrix: { ...matrix, parts } }), null, 'media').lastInsertRowid);
  const thumbId = Number(insert.run(`${parts[1]!.mxcUri}#${eventId}`, 'thumbnail of holiday.jpg', hex('d', 32), hex('e', 64), hex('f', 64), JSON.stringify({ matrix: { ...matrix, part: 'thumbnail' } }), mediaId, 'thumbnail').lastInsertRowid);
  parts[0]!.state = 'hashed';
  f.db.prepare('UPDATE media_items SET context_json = ? WHERE id = ?').run(JSON.stringify({ matrix: { ...matrix, parts: parts.map((p, i) => ({ ...p, mediaItemId: i === 0 ? mediaId : thumbId })) } }), mediaId);
  let queueItemId = 0;
  if (opts.matched ?? true) {
    queueItemId = f.queue.enqueue(mediaId, [{ matcher: 'local', bankName: 'Known abuse', contentRef: '7', signalType: 'pdq', signal: null, distance: 4, label: null, severity: 90, part: 'thumbnail' }]);
  }
  if (opts.reported) {
    queueItemId = f.queue.recordReport(mediaId, { id: 1000 + n, eventId, roomId: ROOM, reporter: '@alice:hs.test', reason: 'gross <script>alert(1)</script>', receivedTs: 0 }).queueItemId;
  }
  return { queueItemId, mediaId };
}

function reportedText(f: Fixture): number {
  n++;
  const eventId = `$text${n}`;
  const matrix = { kind: 'text', roomId: ROOM, eventId, sender: '@spammer:hs.test', matrixToLink: `https://matrix.to/#/${encodeURIComponent(ROOM)}/${encodeURIComponent(eventId)}` };
  const mediaId = Number(
    f.db
      .prepare("INSERT INTO media_items (source, source_ref, file_name, byte_length, md5, sha256, context_json, created_at) VALUES ('matrix_report', ?, 'buy now', 7, ?, ?, ?, 0)")
      .run(`event:${eventId}`, `${n}`.padEnd(32, '1'), `${n}`.padEnd(64, '2'), JSON.stringify({ matrix })).lastInsertRowid,
  );
  return f.queue.recordReport(mediaId, { id: 2000 + n, eventId, roomId: ROOM, reporter: '@alice:hs.test', reason: 'spam', receivedTs: 0 }).queueItemId;
}

function recording(script: Record<string, ActionResult[]> = {}) {
  const calls: { kind: string; params: Record<string, unknown> }[] = [];
  const make = (kind: string) => async (params: Record<string, unknown>) => {
    calls.push({ kind, params });
    return script[kind]?.shift() ?? { status: 'ok' as const };
  };
  const kinds = ['matrix.quarantine_media', 'matrix.unquarantine_media', 'matrix.redact_event', 'matrix.notify', 'matrix.protect_media'];
  return { calls, executors: Object.fromEntries(kinds.map((k) => [k, make(k)])) as ExecutorRegistry };
}

describe('decisions on a Matrix event with a thumbnail', () => {
  it('a confirm quarantines the attachment and the thumbnail; an undo releases both and names the redaction as irreversible', async () => {
    const f = fixture({ undoWindowMs: 0 });
    const { calls, executors } = recording();
    const outbox = new OutboxDispatcher(f.db, f.audit, { ...executors, ...localExecutors(f.banks) }, { now: () => f.clock.now });
    const { queueItemId } = eventWithThumbnail(f);
    const { decision, actions } = f.decisions.decide({ id: queueItemId, verdict: 'confirm', reviewer: 'ann' });
    expect(actions.map((a) => a.kind)).toEqual(['matrix.quarantine_media', 'matrix.quarantine_media', 'matrix.redact_event', 'local.add_to_bank', 'matrix.notify']);
    await outbox.drain();
    expect(calls.filter((c) => c.kind === 'matrix.quarantine_media').map((c) => c.params)).toEqual([
      { server: 'hs.test', mediaId: `Main${n}`, part: 'media' },
      { server: 'hs.test', mediaId: `Thumb${n}`, part: 'thumbnail' },
    ]);
    expect(f.queue.get(queueItemId).actions.map((a) => a.label)).toContain('Quarantine the media on the homeserver (and every copy with the same SHA-256): thumbnail');
    const undo = f.decisions.undo(decision.id, 'bob');
    expect(undo.compensations.map((c) => c.kind)).toEqual(['matrix.unquarantine_media', 'matrix.unquarantine_media', 'local.remove_signals', 'matrix.notify']);
    expect(undo.irreversible.map((c) => c.kind)).toEqual(['matrix.redact_event']);
    await outbox.drain();
    expect(calls.filter((c) => c.kind === 'matrix.unquarantine_media').map((c) => c.params.mediaId)).toEqual([`Main${n}`, `Thumb${n}`]);
  });

  it('a false positive on a thumbnail match is remembered for the thumbnail: the same thumbnail does not come back', () => {
    const f = fixture();
    const { queueItemId, mediaId } = eventWithThumbnail(f);
    f.decisions.decide({ id: queueItemId, verdict: 'false_positive', reviewer: 'ann' });
    const thumb = f.db.prepare('SELECT sha256 FROM media_items WHERE part_of = ?').get(mediaId) as { sha256: string };
    expect(f.db.prepare('SELECT media_sha256 FROM suppressions').all()).toEqual([{ media_sha256: thumb.sha256 }]);
  });

  it('adds every part of a reported item to a bank from the decision; runs once however often it is retried; the undo removes exactly what it added', async () => {
    const f = fixture({ undoWindowMs: 0, confirm: { ...fixture().plan.confirm, addToLocalBank: null } });
    const { executors } = recording();
    const outbox = new OutboxDispatcher(f.db, f.audit, { ...executors, ...localExecutors(f.banks) }, { now: () => f.clock.now });
    const { queueItemId, mediaId } = eventWithThumbnail(f, { reported: true, matched: false });
    // the thumbnail's MD5 was banked before, by someone else: it must stay after the undo
    const thumb = f.db.prepare('SELECT md5 FROM media_items WHERE part_of = ?').get(mediaId) as { md5: string };
    const bank = f.banks.create({ name: 'Reported and confirmed' });
    f.banks.addContent(bank.id, [{ type: 'md5', signal: thumb.md5 }], { label: 'imported earlier' });
    expect(f.banks.byName('Reported and confirmed')?.signalCount).toBe(1);

    const { decision, actions } = f.decisions.decide({ id: queueItemId, verdict: 'confirm', reviewer: 'ann', extraActions: { addToBank: 'Reported and confirmed' } });
    expect(actions.map((a) => a.kind)).toContain('local.add_media_to_bank');
    await outbox.drain();
    // attachment: md5, sha256, pdq; thumbnail: sha256, pdq (its md5 was there already)
    expect(f.banks.byName('Reported and confirmed')).toMatchObject({ contentCount: 3, signalCount: 6 });
    // a crash after the executor ran and before its outcome was recorded: the re-run adds nothing
    const action = f.db.prepare("SELECT id FROM actions WHERE kind = 'local.add_media_to_bank'").get() as { id: number };
    f.db.prepare("UPDATE actions SET state = 'pending', not_before = 0 WHERE id = ?").run(action.id);
    await outbox.drain();
    expect(f.banks.byName('Reported and confirmed')).toMatchObject({ contentCount: 3, signalCount: 6 });
    expect(f.db.prepare('SELECT attempts FROM actions WHERE id = ?').get(action.id)).toEqual({ attempts: 2 });

    const undo = f.decisions.undo(decision.id, 'ann');
    expect(undo.compensations.map((c) => c.kind)).toContain('local.remove_media_from_bank');
    await outbox.drain();
    expect(f.banks.byName('Reported and confirmed')).toMatchObject({ contentCount: 1, signalCount: 1 });
  });

  it('refuses to add media to an allow-list bank, or the media of an item that has none', () => {
    const f = fixture();
    const { queueItemId } = eventWithThumbnail(f);
    f.banks.create({ name: 'Allowed', kind: 'negative' });
    expect(() => f.decisions.decide({ id: queueItemId, verdict: 'confirm', reviewer: 'ann', extraActions: { addToBank: 'Allowed' } })).toThrow(/allow-list/);
    const text = reportedText(f);
    expect(() => f.decisions.decide({ id: text, verdict: 'confirm', reviewer: 'ann', extraActions: { addToBank: 'Anything' } })).toThrow(ContractError);
    expect(f.db.prepare('SELECT COUNT(*) AS n FROM decisions').get()).toEqual({ n: 0 });
  });
});

describe('decisions on a reported text message', () => {
  it('a confirm redacts the message and notifies; nothing to quarantine, nothing for a bank', () => {
    const f = fixture();
    const id = reportedText(f);
    const { actions } = f.decisions.decide({ id, verdict: 'confirm', reviewer: 'ann' });
    expect(actions.map((a) => a.kind)).toEqual(['matrix.redact_event', 'matrix.notify']);
    const params = f.db.prepare("SELECT params_json FROM actions WHERE kind = 'matrix.redact_event'").get() as { params_json: string };
    expect(JSON.parse(params.params_json)).toMatchObject({ roomId: ROOM, reason: 'Removed by moderators after a report' });
  });

  it('dismissing it (false positive) with notices on posts that the report was dismissed', () => {
    const f = fixture({ falsePositive: { ...fixture().plan.falsePositive, notifyManagementRoom: true, protectMedia: true } });
    const id = reportedText(f);
    f.decisions.decide({ id, verdict: 'false_positive', reviewer: 'ann' });
    const rows = f.db.prepare('SELECT kind, params_json FROM actions').all() as { kind: string; params_json: string }[];
    expect(rows.map((r) => r.kind)).toEqual(['matrix.notify']);
    expect(JSON.parse(rows[0]!.params_json).text).toMatch(/^Matchdesk: ann dismissed the report of the message \$text\d+ in !room:hs.test from @spammer:hs.test\.$/);
  });
});

describe('the management-room notice', () => {
  it('links the event, says why it was queued, lists what was done, and escapes what it quotes in HTML', async () => {
    const f = fixture({ undoWindowMs: 0 });
    const { executors } = recording({ 'matrix.redact_event': [{ status: 'permanent_failure', error: 'forbidden: no power' }] });
    const outbox = new OutboxDispatcher(f.db, f.audit, { ...executors, ...localExecutors(f.banks) }, { now: () => f.clock.now });
    const { queueItemId } = eventWithThumbnail(f, { reported: true });
    f.decisions.decide({ id: queueItemId, verdict: 'confirm', reviewer: 'ann', reason: 'Known abuse material' });
    const notify = f.db.prepare("SELECT id, params_json FROM actions WHERE kind = 'matrix.notify'").get() as { id: number; params_json: string };
    const headline = (JSON.parse(notify.params_json) as { text: string }).text;

    // before the others ran: wait (up to a few attempts), then post what is known
    expect(decisionNotice(f.db, notify.id, headline, 1)).toMatchObject({ waitMs: expect.any(Number) });
    const late = decisionNotice(f.db, notify.id, headline, NOTICE_WAIT_ATTEMPTS);
    expect('post' in late && late.post.text).toMatch(/Not done:\n- quarantined mxc:\/\/hs\.test\/Main\d+ \(attachment\) — still pending/);

    await outbox.drain();
    const composed = decisionNotice(f.db, notify.id, headline, 1);
    if (!('post' in composed)) throw new Error('expected a notice');
    const link = `https://matrix.to/#/${encodeURIComponent(ROOM)}/${encodeURIComponent(`$ev${n}`)}`;
    expect(composed.post.text.split('\n')).toEqual([
      `Matchdesk: ann confirmed a match for mxc://hs.test/Main${n} in Lobby from @bad:hs.test (Known abuse material).`,
      `Event: ${link}`,
      'Reported 1 time; latest by @alice:hs.test: “gross <script>alert(1)</script>”.',
      'Matched: Known abuse (the thumbnail, PDQ distance 4).',
      'Done:',
      `- quarantined mxc://hs.test/Main${n} (attachment)`,
      `- quarantined mxc://hs.test/Thumb${n} (thumbnail)`,
      '- added its hashes to the local bank “Confirmed by reviewers”',
      'Not done:',
      '- redacted the event — failed: forbidden: no power',
    ]);
    expect(composed.post.html).toContain(`<a href="${link}">${link}</a>`);
    expect(composed.post.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(composed.post.html).not.toContain('<script>');
  });

  it('the correction after an undo says what was reversed and that the redaction stays', async () => {
    const f = fixture({ undoWindowMs: 0 });
    const { executors } = recording();
    const outbox = new OutboxDispatcher(f.db, f.audit, { ...executors, ...localExecutors(f.banks) }, { now: () => f.clock.now });
    const { queueItemId } = eventWithThumbnail(f);
    const { decision } = f.decisions.decide({ id: queueItemId, verdict: 'confirm', reviewer: 'ann' });
    await outbox.drain();
    f.decisions.undo(decision.id, 'bob');
    await outbox.drain();
    const correction = f.db.prepare("SELECT id, params_json FROM actions WHERE kind = 'matrix.notify' AND compensates_action_id IS NOT NULL").get() as { id: number; params_json: string };
    const composed = decisionNotice(f.db, correction.id, (JSON.parse(correction.params_json) as { text: string }).text, 1);
    if (!('post' in composed)) throw new Error('expected a notice');
    const lines = composed.post.text.split('\n');
    expect(lines[0]).toBe('Matchdesk correction: bob undid the decision of ann.');
    expect(lines[1]).toMatch(/^Event: https:\/\/matrix\.to\/#\//);
    expect(lines.slice(2)).toEqual([
      'Reversed:',
      `- released mxc://hs.test/Main${n} (attachment) from quarantine`,
      `- released mxc://hs.test/Thumb${n} (thumbnail) from quarantine`,
      '- removed what it had added to the local bank “Confirmed by reviewers”',
      'Could not be undone:',
      '- the event stays redacted: Matrix cannot undo a redaction',
    ]);
  });
});
