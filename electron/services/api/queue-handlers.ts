import type { ContractHandlers } from '../../../shared/contract';
import { ContractError } from '../../../shared/result';
import type { Services } from '../app-services';
import { ClaimService } from '../queue/claims';
import { WellbeingService } from '../queue/wellbeing';
import { statsOverview } from '../queue/stats';

/** The calls this module implements (the review queue, claims, statistics, wellbeing) and those it wraps. */
export type QueueCallName =
  | 'queue.counts'
  | 'queue.list'
  | 'queue.get'
  | 'queue.facets'
  | 'queue.decide'
  | 'queue.decideMany'
  | 'queue.setBankSeverity'
  | 'claims.acquire'
  | 'claims.release'
  | 'claims.list'
  | 'stats.overview'
  | 'wellbeing.get'
  | 'wellbeing.setDefaults'
  | 'wellbeing.setMine'
  | 'media.preview';

type CoreHandlers = Omit<ContractHandlers, Exclude<QueueCallName, 'queue.decide' | 'media.preview'>>;

/**
 * The review queue's calls. `queue.decide` and `media.preview` are the core's, wrapped: a decision first checks the
 * item's lease (claims), and a reveal is refused in quiet mode and counted towards the reviewer's daily reveals.
 */
export function createQueueHandlers(services: Services, core: CoreHandlers): Pick<ContractHandlers, QueueCallName> {
  const claims = new ClaimService(services.db);
  const wellbeing = new WellbeingService(services.db);

  const decideOne: ContractHandlers['queue.decide'] = async (input, ctx) => {
    const { sessionId, ...rest } = input;
    claims.guardDecision(rest.id, ctx.actor, sessionId);
    const result = await core['queue.decide'](rest, ctx);
    claims.releaseItem(rest.id);
    return result;
  };

  return {
    'queue.counts': () => services.queue.counts(),
    'queue.list': (input) => services.queue.list(input),
    'queue.get': ({ id }) => services.queue.get(id),
    'queue.facets': () => services.queue.facets(),
    'queue.decide': decideOne,
    'queue.decideMany': async ({ ids, verdict, reason, note, sessionId }, ctx) => {
      const results = [];
      for (const id of [...new Set(ids)]) {
        try {
          const r = await decideOne({ id, verdict, ...(reason ? { reason } : {}), ...(note ? { note } : {}), sessionId }, ctx);
          results.push({ id, ok: true, decisionId: r.decision.id, status: r.status, undoUntil: r.undoUntil, error: null });
        } catch (error) {
          if (!(error instanceof ContractError)) throw error;
          results.push({ id, ok: false, decisionId: null, status: null, undoUntil: null, error: error.message });
        }
      }
      return { results };
    },
    'queue.setBankSeverity': ({ bankName, severity }, ctx) => {
      const reranked = services.queue.setBankSeverity(bankName, severity);
      services.audit.append({ actor: ctx.actor, action: 'bank.severity', subject: `bank:${bankName}`, details: { severity, reranked } });
      return { bankName, severity, reranked };
    },

    'claims.acquire': ({ queueItemId, sessionId }, ctx) => claims.acquire(queueItemId, ctx.actor, sessionId),
    'claims.release': ({ sessionId, queueItemId }, ctx) => ({ released: claims.release(ctx.actor, sessionId, queueItemId) }),
    'claims.list': () => claims.list(),

    'stats.overview': ({ days }) => statsOverview(services.db, days, Date.now()),

    'wellbeing.get': (_input, ctx) => wellbeing.state(ctx.actor),
    'wellbeing.setDefaults': (input, ctx) => {
      wellbeing.setDefaults(input);
      services.audit.append({ actor: ctx.actor, action: 'settings.wellbeing', subject: null, details: input });
      return wellbeing.state(ctx.actor);
    },
    'wellbeing.setMine': (input, ctx) => {
      wellbeing.setMine(ctx.actor, input);
      return wellbeing.state(ctx.actor);
    },

    'media.preview': async (input, ctx) => {
      const quiet = input.reveal && wellbeing.effective(ctx.actor).quietMode;
      const result = await core['media.preview'](quiet ? { ...input, reveal: false } : input, ctx);
      if (result.kind === 'image' && result.revealed) wellbeing.countReveal(ctx.actor);
      return result;
    },
  };
}
