import type { Db } from '../store/database';
import type { OutboxAction } from '../../../shared/contract';
import { ACTION_LABELS, type ActionKind } from './action-types';

interface ActionRow {
  id: number;
  decision_id: number;
  kind: string;
  params_json: string;
  state: OutboxAction['state'];
  not_before: number;
  attempts: number;
  last_error: string | null;
  compensates_action_id: number | null;
  updated_at: number;
}

/** Outbox actions for the UI: all, by state, or those of one queue item's decisions. */
export function listActions(db: Db, filter: { state?: OutboxAction['state']; queueItemId?: number; limit: number }): OutboxAction[] {
  const where: string[] = [];
  if (filter.state) where.push('a.state = @state');
  if (filter.queueItemId) where.push('d.queue_item_id = @queueItemId');
  const rows = db
    .prepare(
      `SELECT a.* FROM actions a JOIN decisions d ON d.id = a.decision_id
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY a.id DESC LIMIT @limit`,
    )
    .all({ state: filter.state, queueItemId: filter.queueItemId, limit: filter.limit }) as ActionRow[];
  return rows.map((r) => ({
    id: r.id,
    decisionId: r.decision_id,
    kind: r.kind,
    label: labelFor(r.kind, JSON.parse(r.params_json) as Record<string, unknown>),
    params: JSON.parse(r.params_json) as Record<string, unknown>,
    state: r.state,
    notBefore: r.not_before,
    attempts: r.attempts,
    lastError: r.last_error,
    compensatesActionId: r.compensates_action_id,
    updatedAt: r.updated_at,
  }));
}

/** The action's label, naming the part of a Matrix event it acts on (the thumbnail is quarantined on its own). */
function labelFor(kind: string, params: Record<string, unknown>): string {
  const label = ACTION_LABELS[kind as ActionKind] ?? kind;
  return typeof params.part === 'string' && params.part !== 'media' ? `${label}: ${params.part.replace('_', ' ')}` : label;
}
