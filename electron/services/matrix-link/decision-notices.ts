// The management room's notice for a decision, written when it is posted: the event (a matrix.to link), why it was
// queued, what was done (from the decision's actions as they stand) and, for the correction after an undo, what was
// reversed and what could not be.
import type { Db } from '../store/database';
import { matrixToLink } from '../matrix';

export interface NoticeText {
  text: string;
  html: string;
}

/** Post now, or wait for the decision's other actions to settle first (they are what the notice reports). */
export type NoticeOutcome = { post: NoticeText } | { waitMs: number; reason: string };

/** Attempts a notice waits for its sibling actions before it posts what it knows. */
export const NOTICE_WAIT_ATTEMPTS = 6;
const NOTICE_WAIT_MS = 1_000;
const MATCHES_LISTED = 3;

interface ActionRow {
  id: number;
  kind: string;
  params_json: string;
  state: string;
  last_error: string | null;
  result_json: string | null;
  compensates_action_id: number | null;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const partName = (part: unknown): string => (typeof part === 'string' && part !== 'media' ? part.replace('_', ' ') : 'attachment');
const quote = (s: string, max = 200): string => `“${s.length > max ? `${s.slice(0, max - 1)}…` : s}”`;

/** What an action did, as a line of the notice. */
export function describeAction(kind: string, params: Record<string, unknown>, result: Record<string, unknown> | null): string {
  const str = (k: string) => (typeof params[k] === 'string' ? (params[k] as string) : '?');
  const mxc = () => `mxc://${str('server')}/${str('mediaId')} (${partName(params.part)})`;
  switch (kind) {
    case 'matrix.quarantine_media':
      return `quarantined ${mxc()}${result && result.quarantined === false ? ' — the server kept it downloadable (protected media)' : ''}`;
    case 'matrix.unquarantine_media':
      return `released ${mxc()} from quarantine`;
    case 'matrix.redact_event':
      return result?.alreadyRedacted ? 'the event was already redacted' : 'redacted the event';
    case 'matrix.quarantine_user_media':
      return `quarantined all media of ${str('userId')}`;
    case 'matrix.quarantine_room_media':
      return "quarantined all of the room's media";
    case 'matrix.redact_user_events':
      return `started redacting all events of ${str('userId')}`;
    case 'matrix.protect_media':
      return `protected media ${str('mediaId')} from quarantine`;
    case 'matrix.unprotect_media':
      return `removed the quarantine protection of media ${str('mediaId')}`;
    case 'local.add_to_bank':
      return params.negative ? `allow-listed its hashes in the local bank “${str('bankName')}”` : `added its hashes to the local bank “${str('bankName')}”`;
    case 'local.add_media_to_bank': {
      const n = Array.isArray(params.parts) ? params.parts.length : 0;
      return `added its media (${n} part${n === 1 ? '' : 's'}) to the local bank “${str('bankName')}”`;
    }
    case 'local.remove_signals':
    case 'local.remove_media_from_bank':
      return `removed what it had added to the local bank “${str('bankName')}”`;
    case 'local.disable_content':
      return `disabled local bank entry #${String(params.contentId)}`;
    case 'local.enable_content':
      return `re-enabled local bank entry #${String(params.contentId)}`;
    case 'hma.add_to_bank':
      return `added its hashes to the HMA bank “${str('bankName')}”`;
    case 'hma.disable_content':
      return `disabled entry #${String(params.contentId)} of the HMA bank “${str('bankName')}”`;
    case 'hma.enable_content':
      return `re-enabled entry #${String(params.contentId)} of the HMA bank “${str('bankName')}”`;
    default:
      return kind;
  }
}

/** Why an action that ran stays when its decision is undone. */
export function describeIrreversible(kind: string, params: Record<string, unknown>): string {
  switch (kind) {
    case 'matrix.redact_event':
      return 'the event stays redacted: Matrix cannot undo a redaction';
    case 'matrix.redact_user_events':
      return `the events of ${String(params.userId)} stay redacted: Matrix cannot undo a redaction`;
    case 'matrix.quarantine_room_media':
      return "the room's media stays quarantined: a bulk quarantine is released item by item on the homeserver";
    case 'matrix.quarantine_user_media':
      return `the media of ${String(params.userId)} stays quarantined: a bulk quarantine is released item by item on the homeserver`;
    case 'hma.add_to_bank':
      return `the entry in the HMA bank “${String(params.bankName)}” stays (its id is unknown): disable it in HMA`;
    default:
      return `${describeAction(kind, params, null)} — not reversed`;
  }
}

const settled = (state: string) => state === 'done' || state === 'failed' || state === 'cancelled';
const parse = (json: string | null): Record<string, unknown> | null => (json ? (JSON.parse(json) as Record<string, unknown>) : null);

interface ItemFacts {
  link: string | null;
  reportCount: number;
  latestReport: { reporter: string; reason: string | null } | null;
  matches: { bankName: string; signalType: string; distance: number; part: string | null }[];
}

function itemFacts(db: Db, queueItemId: number): ItemFacts {
  const item = db.prepare('SELECT q.media_id, q.report_count, m.context_json FROM queue_items q JOIN media_items m ON m.id = q.media_id WHERE q.id = ?').get(queueItemId) as
    | { media_id: number; report_count: number; context_json: string }
    | undefined;
  if (!item) return { link: null, reportCount: 0, latestReport: null, matches: [] };
  const matrix = (JSON.parse(item.context_json) as { matrix?: { roomId?: unknown; eventId?: unknown } }).matrix;
  const roomId = typeof matrix?.roomId === 'string' ? matrix.roomId : null;
  const eventId = typeof matrix?.eventId === 'string' ? matrix.eventId : null;
  const latest = db
    .prepare('SELECT reporter, reason FROM matrix_reports WHERE queue_item_id = ? ORDER BY received_ts DESC, report_id DESC LIMIT 1')
    .get(queueItemId) as { reporter: string; reason: string | null } | undefined;
  const matches = db
    .prepare('SELECT bank_name AS bankName, signal_type AS signalType, distance, part FROM matches WHERE media_id = ? ORDER BY distance, id')
    .all(item.media_id) as ItemFacts['matches'];
  return {
    link: roomId && eventId ? matrixToLink(roomId, eventId) : null,
    reportCount: item.report_count,
    latestReport: latest ?? null,
    matches,
  };
}

/** A notice as plain-text lines and the same as HTML, every quoted value escaped. */
class Notice {
  private readonly lines: string[] = [];
  private readonly html: string[] = [];

  line(text: string, html = escapeHtml(text)): void {
    this.lines.push(text);
    this.html.push(`<p>${html}</p>`);
  }

  list(title: string, items: string[]): void {
    if (items.length === 0) return;
    this.lines.push(`${title}`, ...items.map((i) => `- ${i}`));
    this.html.push(`<p>${escapeHtml(title)}</p><ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`);
  }

  done(): NoticeText {
    return { text: this.lines.join('\n'), html: this.html.join('') };
  }
}

function eventLine(notice: Notice, facts: ItemFacts): void {
  if (!facts.link) return;
  notice.line(`Event: ${facts.link}`, `Event: <a href="${escapeHtml(facts.link)}">${escapeHtml(facts.link)}</a>`);
}

function whyLines(notice: Notice, facts: ItemFacts): void {
  if (facts.reportCount > 0) {
    const r = facts.latestReport;
    const latest = r ? `; latest by ${r.reporter}${r.reason ? `: ${quote(r.reason)}` : ''}` : '';
    notice.line(`Reported ${facts.reportCount} time${facts.reportCount === 1 ? '' : 's'}${latest}.`);
  }
  if (facts.matches.length > 0) {
    const shown = facts.matches.slice(0, MATCHES_LISTED).map((m) => {
      const how = m.signalType === 'pdq' ? `PDQ distance ${m.distance}` : `exact ${m.signalType}`;
      return `${m.bankName} (${m.part ? `the ${partName(m.part)}, ` : ''}${how})`;
    });
    const more = facts.matches.length > MATCHES_LISTED ? ` and ${facts.matches.length - MATCHES_LISTED} more` : '';
    notice.line(`Matched: ${shown.join('; ')}${more}.`);
  }
}

/**
 * The notice an outbox action `matrix.notify` posts, from the decision's actions as they stand now. While other
 * actions of the decision are still running (and for at most NOTICE_WAIT_ATTEMPTS attempts) it asks to wait, so
 * that it reports what happened rather than what was planned.
 */
export function decisionNotice(db: Db, actionId: number, headline: string, attempt: number): NoticeOutcome {
  const action = db.prepare('SELECT a.decision_id, a.compensates_action_id, d.queue_item_id, d.reviewer, d.undone_by FROM actions a JOIN decisions d ON d.id = a.decision_id WHERE a.id = ?').get(actionId) as
    | { decision_id: number; compensates_action_id: number | null; queue_item_id: number; reviewer: string; undone_by: string | null }
    | undefined;
  if (!action) return { post: { text: headline, html: escapeHtml(headline) } };
  const correction = action.compensates_action_id !== null;
  const all = db.prepare('SELECT id, kind, params_json, state, last_error, result_json, compensates_action_id FROM actions WHERE decision_id = ? ORDER BY id').all(action.decision_id) as ActionRow[];
  const others = all.filter((a) => a.id !== actionId && a.kind !== 'matrix.notify' && (a.compensates_action_id !== null) === correction);
  const unsettled = others.filter((a) => !settled(a.state));
  if (unsettled.length > 0 && attempt < NOTICE_WAIT_ATTEMPTS) {
    return { waitMs: NOTICE_WAIT_MS, reason: `Waiting for ${unsettled.length} other action${unsettled.length === 1 ? '' : 's'} of the decision before posting the notice` };
  }
  const facts = itemFacts(db, action.queue_item_id);
  const notice = new Notice();
  const describe = (a: ActionRow) => describeAction(a.kind, JSON.parse(a.params_json) as Record<string, unknown>, parse(a.result_json));
  const notDone = (a: ActionRow) =>
    `${describe(a)} — ${a.state === 'failed' ? `failed${a.last_error ? `: ${a.last_error}` : ''}` : a.state === 'cancelled' ? 'cancelled' : 'still pending, will be retried'}`;

  if (!correction) {
    notice.line(headline);
    eventLine(notice, facts);
    whyLines(notice, facts);
    notice.list('Done:', others.filter((a) => a.state === 'done').map(describe));
    notice.list('Not done:', others.filter((a) => a.state !== 'done').map(notDone));
    return { post: notice.done() };
  }

  const by = action.undone_by ?? 'a moderator';
  notice.line(`Matchdesk correction: ${by} undid the decision of ${action.reviewer}.${facts.link ? '' : ` ${headline}`}`);
  eventLine(notice, facts);
  notice.list('Reversed:', others.filter((a) => a.state === 'done').map(describe));
  notice.list('Not reversed yet:', others.filter((a) => a.state !== 'done').map(notDone));
  const compensated = new Set(all.map((a) => a.compensates_action_id).filter((id): id is number => id !== null));
  const stays = all
    .filter((a) => a.compensates_action_id === null && a.kind !== 'matrix.notify' && !compensated.has(a.id) && (a.state === 'done' || a.state === 'running'))
    .map((a) => describeIrreversible(a.kind, JSON.parse(a.params_json) as Record<string, unknown>));
  notice.list('Could not be undone:', stays);
  return { post: notice.done() };
}
