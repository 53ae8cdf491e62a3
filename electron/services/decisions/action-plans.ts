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
      })
      .prefault({}),
  })
  .prefault({});

export type ActionPlanConfig = z.output<typeof actionPlanSchema>;

export interface MatrixContext {
  server: string;
  mediaId: string;
  roomId?: string;
  eventId?: string;
  sender?: string;
  roomName?: string;
}

export interface PlanInput {
  verdict: Verdict;
  reviewer: string;
  reason: string | null;
  media: { id: number; md5: string; sha256: string; pdq: string | null; sourceRef: string; fileName: string | null; matrix: MatrixContext | null };
  matches: { matcher: 'local' | 'hma'; bankName: string; contentRef: string; signalType: string; distance: number }[];
  /** Wider actions the moderator asked for on this decision. */
  extra?: { quarantineSenderMedia?: boolean; quarantineRoomMedia?: boolean; redactSenderEvents?: boolean };
}

function mediaSignals(media: PlanInput['media']): SignalRef[] {
  const signals: SignalRef[] = [{ type: 'md5', signal: media.md5 }, { type: 'sha256', signal: media.sha256 }];
  if (media.pdq) signals.push({ type: 'pdq', signal: media.pdq });
  return signals;
}

function describe(input: PlanInput): string {
  const m = input.media.matrix;
  const where = m ? `mxc://${m.server}/${m.mediaId}${m.roomId ? ` in ${m.roomName ?? m.roomId}` : ''}${m.sender ? ` from ${m.sender}` : ''}` : input.media.fileName ?? input.media.sourceRef;
  return `${where}${input.reason ? ` (${input.reason})` : ''}`;
}

/** Turns a decision into the remote and local actions it implies, per the configured plan. */
export function planActions(input: PlanInput, config: ActionPlanConfig): ActionSpec[] {
  const actions: ActionSpec[] = [];
  const m = input.media.matrix;
  const origin = { reviewer: input.reviewer, source: m ? `mxc://${m.server}/${m.mediaId}` : input.media.sourceRef };
  if (input.verdict === 'confirm') {
    const c = config.confirm;
    if (m && c.quarantineMedia) actions.push({ kind: 'matrix.quarantine_media', params: { server: m.server, mediaId: m.mediaId } });
    if (m?.roomId && m.eventId && c.redactEvent) {
      actions.push({ kind: 'matrix.redact_event', params: { roomId: m.roomId, eventId: m.eventId, reason: 'Removed by moderators: matched known harmful media' } });
    }
    const extra = input.extra ?? {};
    if (m?.sender && (c.quarantineSenderMedia || extra.quarantineSenderMedia)) actions.push({ kind: 'matrix.quarantine_user_media', params: { userId: m.sender } });
    if (m?.roomId && extra.quarantineRoomMedia) actions.push({ kind: 'matrix.quarantine_room_media', params: { roomId: m.roomId } });
    if (m?.sender && extra.redactSenderEvents) {
      actions.push({ kind: 'matrix.redact_user_events', params: { userId: m.sender, reason: 'Removed by moderators: the account shared known harmful media' } });
    }
    if (c.addToLocalBank) {
      actions.push({
        kind: 'local.add_to_bank',
        params: { bankName: c.addToLocalBank, negative: false, signals: mediaSignals(input.media), label: input.media.fileName, note: `Confirmed by ${input.reviewer}`, metadata: origin },
      });
    }
    if (c.addToHmaBank) {
      const signals: SignalRef[] = [{ type: 'video_md5', signal: input.media.md5 }];
      if (input.media.pdq) signals.unshift({ type: 'pdq', signal: input.media.pdq });
      actions.push({
        kind: 'hma.add_to_bank',
        params: { bankName: c.addToHmaBank, signals, note: `Confirmed in Matchdesk by ${input.reviewer}` },
      });
    }
    if (m && c.notifyManagementRoom) actions.push({ kind: 'matrix.notify', params: { text: `Matchdesk: ${input.reviewer} confirmed a match for ${describe(input)}.` } });
  } else if (input.verdict === 'false_positive') {
    const f = config.falsePositive;
    for (const match of input.matches) {
      const contentId = Number(match.contentRef);
      if (!Number.isInteger(contentId)) continue;
      const note = `False positive per ${input.reviewer}${input.reason ? `: ${input.reason}` : ''}`;
      if (match.matcher === 'local' && f.disableLocalContent) actions.push({ kind: 'local.disable_content', params: { contentId, note } });
      if (match.matcher === 'hma' && f.disableHmaContent) actions.push({ kind: 'hma.disable_content', params: { bankName: match.bankName, contentId } });
    }
    if (f.addToNegativeBank) {
      actions.push({
        kind: 'local.add_to_bank',
        params: { bankName: f.addToNegativeBank, negative: true, signals: mediaSignals(input.media), label: input.media.fileName, note: `Allow-listed by ${input.reviewer}`, metadata: origin },
      });
    }
    if (m && f.protectMedia) actions.push({ kind: 'matrix.protect_media', params: { mediaId: m.mediaId } });
    if (m && f.notifyManagementRoom) actions.push({ kind: 'matrix.notify', params: { text: `Matchdesk: ${input.reviewer} marked ${describe(input)} as a false positive.` } });
  }
  return actions;
}
