import { z } from 'zod';
import { claimSchema, queueStatusSchema, verdictSchema } from './contract';

// What the services push to every console when the shared state changes (the team server over Server-Sent Events,
// the desktop over IPC, the browser shell over its loopback stream). Consoles patch or invalidate their caches from
// these; none of them polls the whole list. Only team-visible facts travel here: never media, never wellbeing figures.

export const changeEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('claim'), queueItemId: z.number().int(), claim: claimSchema.nullable() }),
  z.object({
    type: z.literal('decision'),
    queueItemId: z.number().int(),
    decisionId: z.number().int(),
    verdict: verdictSchema,
    status: queueStatusSchema,
    reviewer: z.string(),
  }),
  z.object({ type: z.literal('undo'), queueItemId: z.number().int(), decisionId: z.number().int(), status: queueStatusSchema, by: z.string() }),
  /** A new report took a decided item (false positive, skipped) back to the queue. */
  z.object({ type: z.literal('reopen'), queueItemId: z.number().int(), status: queueStatusSchema, previousStatus: queueStatusSchema }),
  /** New items, or new matches on items, from ingest. */
  z.object({ type: z.literal('queue'), queueItemIds: z.array(z.number().int()) }),
  /** Banks, severities, action plans or other shared settings changed: refetch what shows them. */
  z.object({ type: z.literal('settings'), area: z.string() }),
]);

export type ChangeEvent = z.output<typeof changeEventSchema>;
/** An event as delivered: numbered (per server run) and stamped with the server's clock. */
export type Pushed = ChangeEvent & { seq: number; at: number };

/** Not a change but the console's own access: sent to one session when it ends or its role is gone. */
export const accessEventSchema = z.object({
  type: z.literal('access'),
  state: z.enum(['signed_out', 'no_access']),
  message: z.string(),
});
export type AccessEvent = z.output<typeof accessEventSchema>;

/** What a console's transport hands the renderer. `resync`: events may have been missed, refetch everything. */
export type ConsoleEvent = Pushed | AccessEvent | { type: 'resync' } | { type: 'connection'; state: 'live' | 'reconnecting' };
