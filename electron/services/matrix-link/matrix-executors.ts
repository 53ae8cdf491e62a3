import type { MatrixActions, ActionResult as MatrixResult } from '../matrix';
import type { ActionResult, ExecutorRegistry } from '../decisions/action-types';
import type { NoticeOutcome } from './decision-notices';

const RELOGIN_RETRY_MS = 5 * 60_000;

/** Maps the Matrix client's four outcomes onto the outbox's three; an expired token waits for a new sign-in. */
export function toOutboxResult(result: MatrixResult<unknown>): ActionResult {
  switch (result.status) {
    case 'ok':
      return { status: 'ok', detail: (result.detail ?? {}) as Record<string, unknown> };
    case 'retryable':
      return { status: 'retryable', error: `${result.error.code}: ${result.error.message}`, ...(result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {}) };
    case 'token_expired':
      return { status: 'retryable', error: 'The Matrix access token expired: sign in again in Settings', retryAfterMs: RELOGIN_RETRY_MS };
    case 'permanent_failure':
      return { status: 'permanent_failure', error: `${result.error.code}: ${result.error.message}` };
  }
}

/**
 * Outbox executors for homeserver actions. `actions()` returns the signed-in account's client or null; while signed
 * out, actions wait (retryable) instead of failing, so a decision is carried out once the moderator signs in again.
 */
export function matrixExecutors(
  actions: () => MatrixActions | null,
  opts: {
    /** Writes a decision's notice when it is posted (see decision-notices.ts); without it the planned headline is posted. */
    notice?: (actionId: number, headline: string, attempt: number) => NoticeOutcome;
  } = {},
): ExecutorRegistry {
  const withClient = async (run: (a: MatrixActions) => Promise<MatrixResult<unknown>>): Promise<ActionResult> => {
    const client = actions();
    if (!client) return { status: 'retryable', error: 'Not signed in to a Matrix homeserver', retryAfterMs: RELOGIN_RETRY_MS };
    return toOutboxResult(await run(client));
  };
  return {
    'matrix.quarantine_media': (p) => withClient((a) => a.quarantineMedia(p.server, p.mediaId)),
    // Undo of a quarantine: Synapse releases every copy with the same SHA-256, as it quarantined them.
    'matrix.unquarantine_media': (p) => withClient((a) => a.unquarantineMedia(p.server, p.mediaId)),
    'matrix.protect_media': (p) => withClient((a) => a.protectMedia(p.mediaId)),
    'matrix.unprotect_media': (p) => withClient((a) => a.unprotectMedia(p.mediaId)),
    'matrix.quarantine_user_media': (p) => withClient((a) => a.quarantineUserMedia(p.userId)),
    'matrix.quarantine_room_media': (p) => withClient((a) => a.quarantineRoomMedia(p.roomId)),
    // Synapse runs this as a background task; re-running it after a crash redacts nothing new.
    'matrix.redact_user_events': (p) => withClient((a) => a.redactUserEvents({ userId: p.userId, reason: p.reason })),
    'matrix.redact_event': (p, ctx) => withClient((a) => a.redactEvent({ roomId: p.roomId, eventId: p.eventId, reason: p.reason, idempotencyKey: ctx.idempotencyKey })),
    'matrix.notify': async (p, ctx) => {
      const composed = opts.notice?.(ctx.actionId, p.text, ctx.attempt) ?? { post: { text: p.text } };
      if ('waitMs' in composed) return { status: 'retryable', error: composed.reason, retryAfterMs: composed.waitMs };
      return withClient((a) => a.postNotice({ ...composed.post, idempotencyKey: ctx.idempotencyKey }));
    },
  };
}
