import type { ContractHandlers, QueueItem } from '../../../shared/contract';
import type { CallContext } from '../../../shared/call-context';
import { ContractError } from '../../../shared/result';
import type { Services } from '../app-services';
import { WellbeingService } from '../queue/wellbeing';
import { statsOverview } from '../queue/stats';
import { reviewerStats } from '../queue/reviewer-stats';

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
  | 'claims.next'
  | 'claims.release'
  | 'claims.releaseOthers'
  | 'claims.list'
  | 'decisions.undo'
  | 'stats.overview'
  | 'stats.reviewers'
  | 'wellbeing.get'
  | 'wellbeing.setDefaults'
  | 'wellbeing.setMine'
  | 'wellbeing.team'
  | 'media.preview';

/** The core's calls this module wraps (it adds claims, skips, undo rights and reveal counting around them). */
type Wrapped = 'queue.decide' | 'media.preview' | 'decisions.undo';
type CoreHandlers = Omit<ContractHandlers, Exclude<QueueCallName, Wrapped>>;

/**
 * The review queue's calls. `queue.decide`, `decisions.undo` and `media.preview` are the core's, wrapped: a decision
 * first holds the item's lease (claims), an undo is the decider's own (or a lead's), and a reveal is refused in quiet
 * mode and counted towards the reviewer's daily reveals. Every claim, reveal and decision counts as review time.
 */
export function createQueueHandlers(services: Services, core: CoreHandlers): Pick<ContractHandlers, QueueCallName> {
  const claims = services.claims;
  const wellbeing = new WellbeingService(services.db, services.now);

  const decideOne: ContractHandlers['queue.decide'] = async (input, ctx) => {
    const { sessionId, ...rest } = input;
    wellbeing.touch(ctx.actor);
    if (ctx.host === 'team' && !sessionId) throw new ContractError('invalid_input', 'On a team server a decision says which console window holds the item (sessionId)');
    claims.guardDecision(rest.id, ctx.actor, sessionId);
    const result = await core['queue.decide'](rest, ctx);
    claims.releaseItem(rest.id);
    if (rest.verdict === 'skip') claims.recordSkip(rest.id, ctx.actor);
    return result;
  };

  /** Marks what this caller is not served (skipped by them, or escalated by them on a team). */
  const annotate = <T extends QueueItem>(items: T[], ctx: CallContext): T[] => {
    if (ctx.host !== 'team' || items.length === 0) return items;
    const ids = items.map((i) => i.id);
    const skipped = claims.skippedBy(ctx.actor, ids);
    const escalated = items.filter((i) => i.status === 'escalated').map((i) => i.id);
    const by = new Map<number, string>();
    if (escalated.length > 0) {
      const rows = services.db
        .prepare(
          `SELECT d.queue_item_id, d.reviewer FROM decisions d
            WHERE d.id IN (SELECT MAX(id) FROM decisions WHERE undone_at IS NULL AND queue_item_id IN (${escalated.map(() => '?').join(',')}) GROUP BY queue_item_id)
              AND d.verdict = 'escalate'`,
        )
        .all(...escalated) as { queue_item_id: number; reviewer: string }[];
      for (const r of rows) by.set(r.queue_item_id, r.reviewer);
    }
    return items.map((i) => ({ ...i, skippedByMe: skipped.has(i.id), ...(i.status === 'escalated' ? { escalatedBy: by.get(i.id) ?? null } : {}) }));
  };

  return {
    'queue.counts': () => services.queue.counts(),
    'queue.list': (input, ctx) => {
      const page = services.queue.list(input);
      return { ...page, items: annotate(page.items, ctx) };
    },
    'queue.get': ({ id }, ctx) => {
      const item = annotate([services.queue.get(id)], ctx)[0]!;
      const kind = (item.media.context.matrix as { kind?: unknown } | undefined)?.kind;
      if (kind !== 'text') return item;
      // A reported message's words are kept like media: encrypted, for the retention period.
      const ref = services.media.get(item.media.id)?.vaultRef;
      const bytes = ref ? services.vault.get(ref) : null;
      return { ...item, eventText: bytes ? bytes.toString('utf8') : null };
    },
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
    'decisions.undo': (input, ctx) => {
      const decider = services.decisions.deciderOf(input.decisionId);
      if (decider !== null && decider !== ctx.actor && ctx.role !== 'lead') {
        throw new ContractError('forbidden', `Decision ${input.decisionId} was made by ${decider}: only they or a lead can undo it`);
      }
      return core['decisions.undo'](input, ctx);
    },

    'claims.acquire': ({ queueItemId, sessionId }, ctx) => {
      wellbeing.touch(ctx.actor);
      const result = claims.acquire(queueItemId, ctx.actor, sessionId);
      if (result.acquired && ctx.host === 'team') services.audit.append({ actor: ctx.actor, action: 'claim.acquire', subject: `queue:${queueItemId}`, details: {} });
      return result;
    },
    'claims.next': ({ sessionId, status, afterId }, ctx) => {
      wellbeing.touch(ctx.actor);
      const result = claims.next(ctx.actor, sessionId, { status, sort: 'priority' }, afterId);
      if (result.acquired && result.claim && ctx.host === 'team') services.audit.append({ actor: ctx.actor, action: 'claim.acquire', subject: `queue:${result.claim.queueItemId}`, details: { served: true } });
      return result;
    },
    'claims.release': ({ sessionId, queueItemId }, ctx) => ({ released: claims.release(ctx.actor, sessionId, queueItemId) }),
    'claims.releaseOthers': ({ queueItemId }, ctx) => {
      const released = claims.releaseHeldBy(queueItemId);
      if (released) services.audit.append({ actor: ctx.actor, action: 'claim.release_other', subject: `queue:${queueItemId}`, details: { heldBy: released.reviewer } });
      return { released };
    },
    'claims.list': () => claims.list(),

    'stats.overview': ({ days }) => statsOverview(services.db, days, Date.now()),
    'stats.reviewers': ({ days }) => reviewerStats(services.db, days, services.now()),

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
    'wellbeing.team': () => wellbeing.team(),

    'media.preview': async (input, ctx) => {
      wellbeing.touch(ctx.actor);
      const quiet = input.reveal && wellbeing.effective(ctx.actor).quietMode;
      const result = await core['media.preview'](quiet ? { ...input, reveal: false } : input, ctx);
      if (result.kind === 'image' && result.revealed) wellbeing.countReveal(ctx.actor);
      return result;
    },
  };
}
