// What the outbox can carry out, with the parameters each action needs.

export interface SignalRef {
  type: 'pdq' | 'md5' | 'video_md5' | 'sha256';
  signal: string;
}

/** The media of one part of an item (a Matrix event's attachment or thumbnail), to add to a bank. */
export interface MediaPartSignals {
  /** 'media', 'thumbnail', … (null for an item without parts) */
  part: string | null;
  label: string | null;
  /** where it came from (mxc://…), for the bank entry's metadata */
  origin: string | null;
  signals: SignalRef[];
}

export type ActionSpec =
  | { kind: 'matrix.quarantine_media'; params: { server: string; mediaId: string; part?: string } }
  | { kind: 'matrix.unquarantine_media'; params: { server: string; mediaId: string; part?: string } }
  | { kind: 'matrix.protect_media'; params: { mediaId: string } }
  | { kind: 'matrix.unprotect_media'; params: { mediaId: string } }
  | { kind: 'matrix.quarantine_user_media'; params: { userId: string } }
  | { kind: 'matrix.quarantine_room_media'; params: { roomId: string } }
  | { kind: 'matrix.redact_user_events'; params: { userId: string; reason: string } }
  | { kind: 'matrix.redact_event'; params: { roomId: string; eventId: string; reason: string } }
  /** `text` is the headline; the executor adds the event link, what was done and what an undo could not reverse. */
  | { kind: 'matrix.notify'; params: { text: string; correction?: boolean } }
  | { kind: 'local.add_to_bank'; params: { bankName: string; negative: boolean; signals: SignalRef[]; label: string | null; note: string; metadata: Record<string, unknown> } }
  | { kind: 'local.remove_signals'; params: { bankName: string; signals: SignalRef[] } }
  /** One bank entry per part, tagged with the action's idempotency key: a re-run finds its own entries, an undo removes exactly them. */
  | { kind: 'local.add_media_to_bank'; params: { bankName: string; parts: MediaPartSignals[]; note: string; metadata: Record<string, unknown> } }
  | { kind: 'local.remove_media_from_bank'; params: { bankName: string; tag: string } }
  | { kind: 'local.disable_content'; params: { contentId: number; note: string } }
  | { kind: 'local.enable_content'; params: { contentId: number; note: string } }
  // HMA actions carry only what is sent: /c/bank/<b>/signal takes signals and a note (no metadata), and disabling
  // or enabling content leaves its note alone (HMA's only free-text field; hma-api.md §2.4).
  | { kind: 'hma.add_to_bank'; params: { bankName: string; signals: SignalRef[]; note: string } }
  | { kind: 'hma.disable_content'; params: { bankName: string; contentId: number } }
  | { kind: 'hma.enable_content'; params: { bankName: string; contentId: number } };

export type ActionKind = ActionSpec['kind'];
export type ParamsOf<K extends ActionKind> = Extract<ActionSpec, { kind: K }>['params'];

/** The outcome of one attempt, as every executor reports it. */
export type ActionResult =
  | { status: 'ok'; detail?: Record<string, unknown> }
  | { status: 'permanent_failure'; error: string }
  /**
   * `detail`: what this attempt learnt or did (kept with the attempt, handed to later attempts in `previousAttempts`).
   * `waiting`: nothing failed, the executor deliberately waits `retryAfterMs` (e.g. for a remote index): such attempts
   * do not count towards the dispatcher's maxAttempts.
   */
  | { status: 'retryable'; error: string; retryAfterMs?: number; detail?: Record<string, unknown>; waiting?: boolean };

/** An earlier attempt of the same action, as recorded. `outcome` null: it never finished (the process died). */
export interface PreviousAttempt {
  startedAt: number;
  outcome: 'ok' | 'retryable' | 'permanent' | null;
  detail: Record<string, unknown> | null;
}

export interface ActionContext {
  actionId: number;
  /** Stable across retries and restarts: executors use it to make remote calls idempotent (txn ids, check-before-add). */
  idempotencyKey: string;
  attempt: number;
  /** When the latest earlier attempt started (ms), or null on the first attempt: it may have reached the remote side. */
  previousAttemptAt: number | null;
  /** Every earlier attempt, oldest first. */
  previousAttempts: PreviousAttempt[];
}

export type ActionExecutor<K extends ActionKind = ActionKind> = (params: ParamsOf<K>, ctx: ActionContext) => Promise<ActionResult>;
export type ExecutorRegistry = { [K in ActionKind]?: ActionExecutor<K> };

/**
 * How an action that already ran is reversed when its decision is undone after the undo window.
 * null: it cannot be reversed (a redaction, a bulk quarantine), and the undo says so.
 * `idempotencyKey` is the original action's: what it tagged can be found and removed even if its result was lost.
 */
export function compensationFor(spec: ActionSpec, result: Record<string, unknown> | null, idempotencyKey?: string): ActionSpec | null {
  switch (spec.kind) {
    case 'local.add_media_to_bank':
      return idempotencyKey ? { kind: 'local.remove_media_from_bank', params: { bankName: spec.params.bankName, tag: idempotencyKey } } : null;
    case 'matrix.quarantine_media':
      return { kind: 'matrix.unquarantine_media', params: spec.params };
    case 'matrix.protect_media':
      return { kind: 'matrix.unprotect_media', params: spec.params };
    case 'local.add_to_bank':
      return { kind: 'local.remove_signals', params: { bankName: spec.params.bankName, signals: spec.params.signals } };
    case 'local.disable_content':
      return { kind: 'local.enable_content', params: { contentId: spec.params.contentId, note: 'decision undone' } };
    case 'hma.disable_content':
      return { kind: 'hma.enable_content', params: { bankName: spec.params.bankName, contentId: spec.params.contentId } };
    case 'hma.add_to_bank': {
      const contentId = typeof result?.contentId === 'number' ? result.contentId : null;
      return contentId === null ? null : { kind: 'hma.disable_content', params: { bankName: spec.params.bankName, contentId } };
    }
    case 'matrix.notify':
      return spec.params.correction ? null : { kind: 'matrix.notify', params: { text: `Correction: an earlier Matchdesk decision was undone. ${spec.params.text}`, correction: true } };
    default:
      return null;
  }
}

export const ACTION_LABELS: Record<ActionKind, string> = {
  'matrix.quarantine_media': 'Quarantine the media on the homeserver (and every copy with the same SHA-256)',
  'matrix.unquarantine_media': 'Release the media from quarantine',
  'matrix.protect_media': 'Protect the media from quarantine',
  'matrix.unprotect_media': 'Remove quarantine protection',
  'matrix.quarantine_user_media': "Quarantine all of the sender's media",
  'matrix.quarantine_room_media': "Quarantine all of the room's media",
  'matrix.redact_user_events': "Redact all of the sender's events",
  'matrix.redact_event': 'Redact the event',
  'matrix.notify': 'Post a notice to the management room',
  'local.add_to_bank': 'Add the hashes to a local bank',
  'local.remove_signals': 'Remove the hashes from a local bank',
  'local.add_media_to_bank': "Add the item's media (every part) to a local bank",
  'local.remove_media_from_bank': 'Remove the media this decision added from the local bank',
  'local.disable_content': 'Disable the bank content locally',
  'local.enable_content': 'Re-enable the bank content locally',
  'hma.add_to_bank': 'Add the hashes to an HMA bank',
  'hma.disable_content': 'Disable the bank content in HMA',
  'hma.enable_content': 'Re-enable the bank content in HMA',
};
