import { z } from 'zod';
import type { Verdict } from '../../../shared/contract';
import type { ActionSpec, SignalRef } from './action-types';

export const actionPlanSchema = z
  .object({
    undoWindowMs: z.number().int().min(0).max(3_600_000).default(30_000),
    confirm: z
      .object({
        quarantineMedia: z.boolean().default(true),
        redactEvent: z.boolean().default(true),
        quarantineSenderMedia: z.boolean().default(false),
        notifyManagementRoom: z.boolean().default(true),
        addToLocalBank: z.string().nullable().default('Confirmed by reviewers'),
        addToHmaBank: z.string().nullable().default(null),
      })
      .prefault({}),
    falsePositive: z
      .object({
        disableLocalContent: z.boolean().default(false),
        disableHmaContent: z.boolean().default(false),
        addToNegativeBank: z.string().nullable().default(null),
        protectMedia: z.boolean().default(false),
        notifyManagementRoom: z.boolean().default(false),
        requireReason: z.boolean().default(false),
      })
      .prefault({}),
  })
  .prefault({});

export type ActionPlanConfig = z.output<typeof actionPlanSchema>;

export interface MatrixContext {
  /** The attachment's server and id (absent for an event without media: a reported text message). */
  server?: string;
  mediaId?: string;
  roomId?: string;
  eventId?: string;
  sender?: string;
  roomName?: string;
  matrixToLink?: string;
  /** 'media' (an attachment), 'text' (a reported message), 'event' (a reported event without readable content) */
  kind?: string;
  /** Every mxc:// the event carries (attachment, thumbnail, an edit's), each quarantined on a confirm. */
  parts?: { part?: string; server?: string; mediaId?: string; encrypted?: boolean }[];
}

/** The hashes of one part of the item, for adding the item's media to a bank. */
export interface PlanPart {
  part: string | null;
  md5: string;
  sha256: string;
  pdq: string | null;
  fileName: string | null;
  origin: string | null;
}

export interface PlanInput {
  verdict: Verdict;
  reviewer: string;
  reason: string | null;
  media: {
    id: number;
    md5: string;
    sha256: string;
    pdq: string | null;
    sourceRef: string;
    fileName: string | null;
    matrix: MatrixContext | null;
    /** Every hashed part of the item, the item's own media first (absent: the item's media only). */
    parts?: PlanPart[];
  };
  matches: { matcher: 'local' | 'hma'; bankName: string; contentRef: string; signalType: string; distance: number; part?: string | null }[];
  /** Users' reports of the item (Matrix event reports). */
  reportCount?: number;
  /** Wider actions the moderator asked for on this decision. */
  extra?: { quarantineSenderMedia?: boolean; quarantineRoomMedia?: boolean; redactSenderEvents?: boolean; addToBank?: string };
}

function signalsOf(m: { md5: string; sha256: string; pdq: string | null }): SignalRef[] {
  const signals: SignalRef[] = [{ type: 'md5', signal: m.md5 }, { type: 'sha256', signal: m.sha256 }];
  if (m.pdq) signals.push({ type: 'pdq', signal: m.pdq });
  return signals;
}

/** Whether the item is media (it has bytes that a bank can hold), not a reported text or an unreadable event. */
export function hasMedia(input: PlanInput): boolean {
  const kind = input.media.matrix?.kind;
  return kind === undefined || kind === 'media';
}

/** The distinct mxc:// parts of a Matrix item (the attachment alone for items stored before parts were recorded). */
export function mxcParts(m: MatrixContext): { server: string; mediaId: string; part: string }[] {
  const listed = (m.parts ?? []).filter((p): p is { part?: string; server: string; mediaId: string } => typeof p.server === 'string' && typeof p.mediaId === 'string');
  const all = listed.length > 0 ? listed.map((p) => ({ server: p.server, mediaId: p.mediaId, part: p.part ?? 'media' })) : m.server && m.mediaId ? [{ server: m.server, mediaId: m.mediaId, part: 'media' }] : [];
  const seen = new Set<string>();
  return all.filter((p) => {
    const key = `${p.server}/${p.mediaId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function describe(input: PlanInput): string {
  const m = input.media.matrix;
  if (!m) return `${input.media.fileName ?? input.media.sourceRef}${input.reason ? ` (${input.reason})` : ''}`;
  const what = m.server && m.mediaId ? `mxc://${m.server}/${m.mediaId}` : `the ${m.kind === 'text' ? 'message' : 'event'} ${m.eventId ?? ''}`.trimEnd();
  return `${what}${m.roomId ? ` in ${m.roomName ?? m.roomId}` : ''}${m.sender ? ` from ${m.sender}` : ''}${input.reason ? ` (${input.reason})` : ''}`;
}

/** Turns a decision into the remote and local actions it implies, per the configured plan. */
export function planActions(input: PlanInput, config: ActionPlanConfig): ActionSpec[] {
  const actions: ActionSpec[] = [];
  const m = input.media.matrix;
  const media = hasMedia(input);
  const matched = input.matches.length > 0;
  const reported = (input.reportCount ?? 0) > 0;
  // Every mxc:// the event carries, also when none could be hashed (encrypted, too large): quarantine needs only the id.
  const parts = m ? mxcParts(m) : [];
  const origin = { reviewer: input.reviewer, source: m?.server && m.mediaId ? `mxc://${m.server}/${m.mediaId}` : (m?.eventId ?? input.media.sourceRef) };
  if (input.verdict === 'confirm') {
    const c = config.confirm;
    // The attachment, its thumbnail and an edit's media: clients show each of them.
    if (c.quarantineMedia) for (const p of parts) actions.push({ kind: 'matrix.quarantine_media', params: { server: p.server, mediaId: p.mediaId, part: p.part } });
    if (m?.roomId && m.eventId && c.redactEvent) {
      const reason = matched ? 'Removed by moderators: matched known harmful media' : 'Removed by moderators after a report';
      actions.push({ kind: 'matrix.redact_event', params: { roomId: m.roomId, eventId: m.eventId, reason } });
    }
    const extra = input.extra ?? {};
    if (m?.sender && (c.quarantineSenderMedia || extra.quarantineSenderMedia)) actions.push({ kind: 'matrix.quarantine_user_media', params: { userId: m.sender } });
    if (m?.roomId && extra.quarantineRoomMedia) actions.push({ kind: 'matrix.quarantine_room_media', params: { roomId: m.roomId } });
    if (m?.sender && extra.redactSenderEvents) {
      actions.push({ kind: 'matrix.redact_user_events', params: { userId: m.sender, reason: 'Removed by moderators: the account shared known harmful media' } });
    }
    if (c.addToLocalBank && media) {
      actions.push({
        kind: 'local.add_to_bank',
        params: { bankName: c.addToLocalBank, negative: false, signals: signalsOf(input.media), label: input.media.fileName, note: `Confirmed by ${input.reviewer}`, metadata: origin },
      });
    }
    if (extra.addToBank && media) {
      const hashed = input.media.parts ?? [{ part: null, md5: input.media.md5, sha256: input.media.sha256, pdq: input.media.pdq, fileName: input.media.fileName, origin: null }];
      actions.push({
        kind: 'local.add_media_to_bank',
        params: {
          bankName: extra.addToBank,
          parts: hashed.map((p) => ({ part: p.part, label: p.fileName, origin: p.origin, signals: signalsOf(p) })),
          note: `${reported && !matched ? 'Reported, confirmed' : 'Confirmed'} by ${input.reviewer}${input.reason ? `: ${input.reason}` : ''}`,
          metadata: origin,
        },
      });
    }
    if (c.addToHmaBank && media) {
      const signals: SignalRef[] = [{ type: 'video_md5', signal: input.media.md5 }];
      if (input.media.pdq) signals.unshift({ type: 'pdq', signal: input.media.pdq });
      actions.push({
        kind: 'hma.add_to_bank',
        params: { bankName: c.addToHmaBank, signals, note: `Confirmed in Matchdesk by ${input.reviewer}` },
      });
    }
    if (m && c.notifyManagementRoom) {
      const verb = matched ? 'confirmed a match for' : 'acted on a report of';
      actions.push({ kind: 'matrix.notify', params: { text: `Matchdesk: ${input.reviewer} ${verb} ${describe(input)}.` } });
    }
  } else if (input.verdict === 'false_positive') {
    const f = config.falsePositive;
    for (const match of input.matches) {
      const contentId = Number(match.contentRef);
      if (!Number.isInteger(contentId)) continue;
      const note = `False positive per ${input.reviewer}${input.reason ? `: ${input.reason}` : ''}`;
      if (match.matcher === 'local' && f.disableLocalContent) actions.push({ kind: 'local.disable_content', params: { contentId, note } });
      if (match.matcher === 'hma' && f.disableHmaContent) actions.push({ kind: 'hma.disable_content', params: { bankName: match.bankName, contentId } });
    }
    if (f.addToNegativeBank && media) {
      actions.push({
        kind: 'local.add_to_bank',
        params: { bankName: f.addToNegativeBank, negative: true, signals: signalsOf(input.media), label: input.media.fileName, note: `Allow-listed by ${input.reviewer}`, metadata: origin },
      });
    }
    if (m && f.protectMedia) for (const p of parts) actions.push({ kind: 'matrix.protect_media', params: { mediaId: p.mediaId } });
    if (m && f.notifyManagementRoom) {
      const text = matched ? `marked ${describe(input)} as a false positive` : `dismissed the report of ${describe(input)}`;
      actions.push({ kind: 'matrix.notify', params: { text: `Matchdesk: ${input.reviewer} ${text}.` } });
    }
  }
  return actions;
}
