import type { ContractHandlers } from '../../../shared/contract';
import type { Services } from '../app-services';
import { ReviewSessions } from '../queue/review-session';
import { WellbeingService } from '../queue/wellbeing';
import { lastUndoable, UNDO_HISTORY_MS } from '../decisions/undo-history';

type SessionCallName = 'wellbeing.session' | 'wellbeing.sessionEvent' | 'decisions.undoLast';

/** What the server keeps for a reviewer's sitting: the session timer and breaks, and the u key's undo history. */
export function sessionHandlers(services: Services): Pick<ContractHandlers, SessionCallName> {
  const sessions = new ReviewSessions(services.db);
  const wellbeing = new WellbeingService(services.db, services.now);
  const breakMinutes = (reviewer: string) => wellbeing.effective(reviewer).breakMinutes;
  return {
    'wellbeing.session': (_input, ctx) => sessions.touch(ctx.actor, breakMinutes(ctx.actor)),
    'wellbeing.sessionEvent': ({ event }, ctx) => sessions.event(ctx.actor, event, breakMinutes(ctx.actor)),
    'decisions.undoLast': (_input, ctx) => {
      const last = lastUndoable(services.db, ctx.actor, services.now());
      if (!last) return { undone: null, reason: `Nothing to undo: you made no decision in the last ${UNDO_HISTORY_MS / 3600_000} hours that is still in effect.` };
      const result = services.decisions.undo(last.decisionId, ctx.actor);
      return { undone: { ...result, queueItemId: last.queueItemId, verdict: last.verdict, fileName: last.fileName }, reason: null };
    },
  };
}
