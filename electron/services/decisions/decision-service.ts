import type { Db } from '../store/database';
import { stmt } from '../store/statements';
import type { AuditLog } from '../audit/audit-log';
import { ContractError } from '../../../shared/result';
import type { Decision, QueueStatus, Verdict } from '../../../shared/contract';
import { hasMedia, planActions, type ActionPlanConfig, type MatrixContext, type PlanInput } from './action-plans';
import { compensationFor, type ActionSpec } from './action-types';
import type { ChangeFeed } from '../events/change-feed';

const VERDICT_STATUS: Record<Verdict, QueueStatus> = {
  confirm: 'confirmed',
  false_positive: 'false_positive',
  escalate: 'escalated',
  skip: 'skipped',
};

/** States from which a reviewer may still decide: final verdicts (confirmed, false positive) need an undo first. */
const DECIDABLE: QueueStatus[] = ['pending', 'escalated', 'skipped'];

export interface DecideInput {
  id: number;
  verdict: Verdict;
  reason?: string;
  note?: string;
  reviewer: string;
  extraActions?: { quarantineSenderMedia?: boolean; quarantineRoomMedia?: boolean; redactSenderEvents?: boolean; addToBank?: string };
}

export interface UndoResult {
  decisionId: number;
  cancelled: number;
  compensations: { actionId: number; kind: string }[];
  irreversible: { actionId: number; kind: string }[];
}

interface ActionRow {
  id: number;
  decision_id: number;
  kind: string;
  params_json: string;
  state: string;
  attempts: number;
  result_json: string | null;
  idempotency_key: string;
}

/**
 * Records decisions and plans their actions in one SQLite transaction (the outbox), so a crash can neither lose
 * a decision nor leave its actions unplanned. Actions wait out the undo window before the dispatcher may run them.
 */
export class DecisionService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly plan: () => ActionPlanConfig,
    private readonly now: () => number = Date.now,
    private readonly options: { events?: ChangeFeed; sharedSkips?: boolean } = {},
  ) {}

  decide(input: DecideInput): { decision: Decision; status: QueueStatus; actions: { id: number; kind: string }[] } {
    const result = this.decideInTransaction(input);
    this.options.events?.publish({ type: 'decision', queueItemId: input.id, decisionId: result.decision.id, verdict: input.verdict, status: result.status, reviewer: input.reviewer });
    return result;
  }

  private decideInTransaction(input: DecideInput): { decision: Decision; status: QueueStatus; actions: { id: number; kind: string }[] } {
    return this.db.transaction(() => {
      const row = stmt(this.db, 'SELECT id, media_id, status, report_count FROM queue_items WHERE id = ?').get(input.id) as
        | { id: number; media_id: number; status: QueueStatus; report_count: number }
        | undefined;
      if (!row) throw new ContractError('not_found', `Queue item ${input.id} does not exist`);
      if (!DECIDABLE.includes(row.status)) {
        const by = stmt(this.db, 'SELECT reviewer FROM decisions WHERE queue_item_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1').get(input.id) as { reviewer: string } | undefined;
        throw new ContractError('conflict', `Queue item ${input.id} was already decided${by ? ` by ${by.reviewer}` : ''} (${row.status.replace('_', ' ')})`);
      }
      const at = this.now();
      // On a team a skip hands the item back to the others: it stays open (the skipper is not served it again).
      const status = input.verdict === 'skip' && this.options.sharedSkips ? 'pending' : VERDICT_STATUS[input.verdict];
      const decisionId = Number(
        stmt(this.db, 'INSERT INTO decisions (queue_item_id, verdict, reviewer, reason, note, decided_at, previous_status) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(input.id, input.verdict, input.reviewer, input.reason ?? null, input.note ?? null, at, row.status).lastInsertRowid,
      );
      stmt(this.db, 'UPDATE queue_items SET status = ?, updated_at = ? WHERE id = ?').run(status, at, input.id);

      const media = stmt(this.db, 'SELECT id, md5, sha256, pdq, source_ref, file_name, context_json FROM media_items WHERE id = ?').get(row.media_id) as {
        id: number;
        md5: string;
        sha256: string;
        pdq: string | null;
        source_ref: string;
        file_name: string | null;
        context_json: string;
      };
      // A match on a part (a thumbnail) is suppressed by that part's own SHA-256 after a false positive.
      const matches = stmt(
        this.db,
        `SELECT m.matcher, m.bank_name, m.content_ref, m.signal_type, m.distance, m.part,
                (SELECT p.sha256 FROM media_items p WHERE p.part_of = m.media_id AND p.part = m.part) AS part_sha256
           FROM matches m WHERE m.media_id = ?`,
      ).all(row.media_id) as {
        matcher: 'local' | 'hma';
        bank_name: string;
        content_ref: string;
        signal_type: string;
        distance: number;
        part: string | null;
        part_sha256: string | null;
      }[];
      const parts = this.db
        .prepare('SELECT part, md5, sha256, pdq, file_name, context_json FROM media_items WHERE id = ? OR part_of = ? ORDER BY part_of IS NOT NULL, id')
        .all(row.media_id, row.media_id) as { part: string | null; md5: string; sha256: string; pdq: string | null; file_name: string | null; context_json: string }[];
      const context = JSON.parse(media.context_json) as { matrix?: MatrixContext };
      const config = this.plan();
      const plan: PlanInput = {
        verdict: input.verdict,
        reviewer: input.reviewer,
        reason: input.reason ?? null,
        media: {
          id: media.id,
          md5: media.md5,
          sha256: media.sha256,
          pdq: media.pdq,
          sourceRef: media.source_ref,
          fileName: media.file_name,
          matrix: context.matrix ?? null,
          parts: parts.map((p) => {
            const mx = (JSON.parse(p.context_json) as { matrix?: { mxcUri?: unknown } }).matrix;
            return { part: p.part, md5: p.md5, sha256: p.sha256, pdq: p.pdq, fileName: p.file_name, origin: typeof mx?.mxcUri === 'string' ? mx.mxcUri : null };
          }),
        },
        matches: matches.map((m) => ({ matcher: m.matcher, bankName: m.bank_name, contentRef: m.content_ref, signalType: m.signal_type, distance: m.distance, part: m.part })),
        reportCount: row.report_count,
        ...(input.extraActions ? { extra: input.extraActions } : {}),
      };
      if (input.extraActions?.addToBank) this.checkAddToBank(plan, input.extraActions.addToBank);
      const specs = planActions(plan, config);
      const actions = specs.map((spec, i) => ({ id: this.insertAction(decisionId, spec, `d${decisionId}:${i}:${spec.kind}`, at + config.undoWindowMs, null), kind: spec.kind }));

      if (input.verdict === 'false_positive') {
        const fp = stmt(this.db, 
          'INSERT INTO fp_feedback (decision_id, media_id, matcher, bank_name, content_ref, signal_type, distance, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        );
        const suppress = stmt(this.db, 
          'INSERT OR IGNORE INTO suppressions (media_sha256, matcher, bank_name, content_ref, decision_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        );
        for (const m of matches) {
          fp.run(decisionId, media.id, m.matcher, m.bank_name, m.content_ref, m.signal_type, m.distance, at);
          suppress.run(m.part_sha256 ?? media.sha256, m.matcher, m.bank_name, m.content_ref, decisionId, at);
        }
      }
      this.audit.append({
        actor: input.reviewer,
        action: `decision.${input.verdict}`,
        subject: `queue:${input.id}`,
        details: { decisionId, from: row.status, to: status, reason: input.reason ?? null, note: input.note ?? null, sha256: media.sha256, pdq: media.pdq, actions: actions.map((a) => a.kind) },
      });
      return {
        decision: { id: decisionId, queueItemId: input.id, verdict: input.verdict, reviewer: input.reviewer, reason: input.reason ?? null, note: input.note ?? null, decidedAt: at, undoneAt: null, undoneBy: null },
        status,
        actions,
      };
    })();
  }

  /**
   * Undoes a decision. Actions that have not started are cancelled (inside the undo window that is all of them,
   * and nothing reaches the homeserver or HMA). Actions that already ran get compensating actions where one exists;
   * the rest are reported as irreversible.
   */
  undo(decisionId: number, reviewer: string): UndoResult {
    const { result, queueItemId, status } = this.undoInTransaction(decisionId, reviewer);
    this.options.events?.publish({ type: 'undo', queueItemId, decisionId, status, by: reviewer });
    return result;
  }

  /** Who made a decision (undo rights: a reviewer undoes their own, a lead anyone's). */
  deciderOf(decisionId: number): string | null {
    return (stmt(this.db, 'SELECT reviewer FROM decisions WHERE id = ?').get(decisionId) as { reviewer: string } | undefined)?.reviewer ?? null;
  }

  private undoInTransaction(decisionId: number, reviewer: string): { result: UndoResult; queueItemId: number; status: QueueStatus } {
    return this.db.transaction(() => {
      const decision = stmt(this.db, 'SELECT id, queue_item_id, verdict, undone_at, previous_status FROM decisions WHERE id = ?').get(decisionId) as
        | { id: number; queue_item_id: number; verdict: Verdict; undone_at: number | null; previous_status: QueueStatus | null }
        | undefined;
      if (!decision) throw new ContractError('not_found', `Decision ${decisionId} does not exist`);
      if (decision.undone_at) throw new ContractError('conflict', `Decision ${decisionId} was already undone`);
      const latest = stmt(this.db, 'SELECT MAX(id) AS id FROM decisions WHERE queue_item_id = ? AND undone_at IS NULL').get(decision.queue_item_id) as { id: number };
      if (latest.id !== decisionId) throw new ContractError('conflict', 'Only the latest decision on an item can be undone');
      const at = this.now();
      const result: UndoResult = { decisionId, cancelled: 0, compensations: [], irreversible: [] };
      const actions = stmt(this.db, 'SELECT * FROM actions WHERE decision_id = ? AND compensates_action_id IS NULL ORDER BY id').all(decisionId) as ActionRow[];
      for (const action of actions) {
        if (action.state === 'pending' && action.attempts === 0) {
          stmt(this.db, "UPDATE actions SET state = 'cancelled', updated_at = ? WHERE id = ?").run(at, action.id);
          result.cancelled++;
          continue;
        }
        if (action.state === 'cancelled' || action.state === 'failed') {
          if (action.state === 'failed') stmt(this.db, "UPDATE actions SET state = 'cancelled', updated_at = ? WHERE id = ?").run(at, action.id);
          continue;
        }
        // Started, running or done: it may have reached the remote side, so it is reversed, not cancelled.
        const spec = { kind: action.kind, params: JSON.parse(action.params_json) } as ActionSpec;
        const compensation = compensationFor(spec, action.result_json ? (JSON.parse(action.result_json) as Record<string, unknown>) : null, action.idempotency_key);
        if (!compensation) {
          result.irreversible.push({ actionId: action.id, kind: action.kind });
          continue;
        }
        const id = this.insertAction(decisionId, compensation, `undo:${action.id}:${compensation.kind}`, at, action.id);
        result.compensations.push({ actionId: id, kind: compensation.kind });
      }
      stmt(this.db, 'UPDATE decisions SET undone_at = ?, undone_by = ? WHERE id = ?').run(at, reviewer, decisionId);
      const restored = decision.previous_status ?? 'pending';
      stmt(this.db, 'UPDATE queue_items SET status = ?, updated_at = ? WHERE id = ?').run(restored, at, decision.queue_item_id);
      stmt(this.db, 'DELETE FROM suppressions WHERE decision_id = ?').run(decisionId);
      this.audit.append({
        actor: reviewer,
        action: 'decision.undo',
        subject: `queue:${decision.queue_item_id}`,
        details: { decisionId, verdict: decision.verdict, cancelled: result.cancelled, compensations: result.compensations.map((c) => c.kind), irreversible: result.irreversible.map((c) => c.kind) },
      });
      return { result, queueItemId: decision.queue_item_id, status: restored };
    })();
  }

  /** Adding media to a bank needs media, and a bank that matches (not an allow-list). */
  private checkAddToBank(plan: PlanInput, bankName: string): void {
    if (plan.verdict !== 'confirm') throw new ContractError('invalid_input', 'Media is added to a bank only with a confirm');
    if (!hasMedia(plan)) throw new ContractError('invalid_input', 'This item has no media to add to a bank (a reported message or an unreadable event)');
    const bank = this.db.prepare('SELECT kind FROM banks WHERE name = ?').get(bankName) as { kind: string } | undefined;
    if (bank && bank.kind !== 'positive') throw new ContractError('invalid_input', `${bankName} is an allow-list (negative) bank`);
  }

  private insertAction(decisionId: number, spec: ActionSpec, key: string, notBefore: number, compensates: number | null): number {
    const at = this.now();
    return Number(
      stmt(this.db, 
          `INSERT INTO actions (decision_id, kind, params_json, idempotency_key, state, not_before, compensates_action_id, created_at, updated_at)
           VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?)`,
        )
        .run(decisionId, spec.kind, JSON.stringify(spec.params), key, notBefore, compensates, at, at).lastInsertRowid,
    );
  }
}
