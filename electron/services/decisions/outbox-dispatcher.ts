import type { Db } from '../store/database';
import type { AuditLog } from '../audit/audit-log';
import type { ActionKind, ActionResult, ExecutorRegistry, PreviousAttempt } from './action-types';

export interface DispatcherOptions {
  now?: () => number;
  /** How long a claimed action may run before another dispatcher (after a crash) may take it over. */
  leaseMs?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Give up (failed, visible in the UI with a retry button) after this many retryable failures (waits not counted). */
  maxAttempts?: number;
  random?: () => number;
  actor?: string;
  /** Observer called after an executor returned and before its outcome is recorded (metrics; crash tests). */
  onExecuted?: (actionId: number, kind: ActionKind) => void;
}

/** Actions per drain of the background loop, between which the loop looks again at what is due. */
const TICK_BATCH = 50;
/** Longest run of actions between two yields to the event loop. */
const DRAIN_SLICE_MS = 4;

interface ClaimedAction {
  id: number;
  decision_id: number;
  kind: ActionKind;
  params_json: string;
  idempotency_key: string;
  attempts: number;
}

/**
 * Carries out planned actions: claims one due action at a time with a lease, runs its executor, records the attempt
 * and the outcome, and backs off on retryable failures. After a crash the lease runs out and the action is run again;
 * executors are idempotent (keyed by the action's idempotency key), so a re-run never duplicates a remote effect.
 */
export class OutboxDispatcher {
  private readonly now: () => number;
  private readonly leaseMs: number;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxAttempts: number;
  private readonly random: () => number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly actor: string;
  private readonly onExecuted?: (actionId: number, kind: ActionKind) => void;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly executors: ExecutorRegistry,
    options: DispatcherOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.baseBackoffMs = options.baseBackoffMs ?? 2_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 10 * 60_000;
    this.maxAttempts = options.maxAttempts ?? 20;
    this.random = options.random ?? Math.random;
    this.actor = options.actor ?? 'matchdesk';
    this.onExecuted = options.onExecuted;
  }

  private claim(): ClaimedAction | null {
    const at = this.now();
    return this.db.transaction(() => {
      const row = this.db
        .prepare(
          `SELECT id, decision_id, kind, params_json, idempotency_key, attempts FROM actions
            WHERE (state = 'pending' AND not_before <= @at) OR (state = 'running' AND lease_until < @at)
            ORDER BY not_before, id LIMIT 1`,
        )
        .get({ at }) as ClaimedAction | undefined;
      if (!row) return null;
      this.db.prepare("UPDATE actions SET state = 'running', lease_until = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?").run(at + this.leaseMs, at, row.id);
      return { ...row, attempts: row.attempts + 1 };
    })();
  }

  /** Runs one due action if there is one; returns whether it did. */
  async runOnce(): Promise<boolean> {
    const action = this.claim();
    if (!action) return false;
    const started = this.now();
    const previousAttempts = (
      this.db.prepare('SELECT started_at, outcome, detail_json FROM action_attempts WHERE action_id = ? ORDER BY id').all(action.id) as {
        started_at: number;
        outcome: PreviousAttempt['outcome'];
        detail_json: string | null;
      }[]
    ).map((r): PreviousAttempt => ({ startedAt: r.started_at, outcome: r.outcome, detail: r.detail_json ? (JSON.parse(r.detail_json) as Record<string, unknown>) : null }));
    const previousAttemptAt = previousAttempts.length ? Math.max(...previousAttempts.map((a) => a.startedAt)) : null;
    const attemptId = Number(this.db.prepare('INSERT INTO action_attempts (action_id, started_at) VALUES (?, ?)').run(action.id, started).lastInsertRowid);
    const executor = this.executors[action.kind] as ((p: unknown, c: unknown) => Promise<ActionResult>) | undefined;
    let result: ActionResult;
    if (!executor) {
      result = { status: 'retryable', error: `Not configured: nothing can carry out ${action.kind} yet (connect ${action.kind.split('.')[0]} in Settings)`, retryAfterMs: this.maxBackoffMs };
    } else {
      try {
        result = await executor(JSON.parse(action.params_json), {
          actionId: action.id,
          idempotencyKey: action.idempotency_key,
          attempt: action.attempts,
          previousAttemptAt,
          previousAttempts,
        });
      } catch (error) {
        result = { status: 'retryable', error: error instanceof Error ? error.message : String(error) };
      }
    }
    this.onExecuted?.(action.id, action.kind);
    this.record(action, attemptId, result);
    return true;
  }

  private record(action: ClaimedAction, attemptId: number, result: ActionResult): void {
    const at = this.now();
    this.db.transaction(() => {
      const outcome = result.status === 'ok' ? 'ok' : result.status === 'retryable' ? 'retryable' : 'permanent';
      const error = result.status === 'ok' ? null : result.error;
      const detail = result.status !== 'permanent_failure' && result.detail ? JSON.stringify(result.detail) : null;
      const waiting = result.status === 'retryable' && result.waiting === true ? 1 : 0;
      this.db.prepare('UPDATE action_attempts SET finished_at = ?, outcome = ?, error = ?, detail_json = ?, waiting = ? WHERE id = ?').run(at, outcome, error, detail, waiting, attemptId);
      // Attempts that failed, or died without a record; not the deliberate waits.
      const counted = (this.db.prepare('SELECT COUNT(*) AS n FROM action_attempts WHERE action_id = ? AND waiting = 0').get(action.id) as { n: number }).n;
      if (result.status === 'ok') {
        this.db.prepare("UPDATE actions SET state = 'done', lease_until = NULL, last_error = NULL, result_json = ?, updated_at = ? WHERE id = ?").run(detail, at, action.id);
      } else if (result.status === 'retryable' && counted < this.maxAttempts) {
        const backoff = Math.min(this.maxBackoffMs, this.baseBackoffMs * 2 ** Math.min(action.attempts - 1, 20));
        const wait = Math.max(result.retryAfterMs ?? 0, backoff * (0.5 + this.random() / 2));
        this.db.prepare("UPDATE actions SET state = 'pending', lease_until = NULL, last_error = ?, not_before = ?, updated_at = ? WHERE id = ?").run(error, at + Math.round(wait), at, action.id);
      } else {
        this.db.prepare("UPDATE actions SET state = 'failed', lease_until = NULL, last_error = ?, updated_at = ? WHERE id = ?").run(error, at, action.id);
      }
      this.audit.append({
        actor: this.actor,
        action: `action.${outcome}`,
        subject: `action:${action.id}`,
        details: { kind: action.kind, decisionId: action.decision_id, attempt: action.attempts, error, result: result.status === 'ok' ? (result.detail ?? null) : null },
      });
    })();
  }

  /** Runs every action that is due now, one after another. */
  async drain(maxActions = Number.POSITIVE_INFINITY): Promise<number> {
    let done = 0;
    let slice = performance.now();
    while (done < maxActions && (await this.runOnce())) {
      done++;
      // Local executors finish without a macrotask: yield every few milliseconds, so a long backlog never stalls the
      // host's requests (and a busy host, whose every loop turn is long, still gets more than one action per turn).
      if (performance.now() - slice >= DRAIN_SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        slice = performance.now();
      }
    }
    return done;
  }

  /** Puts a failed action back in line now (the UI's retry button). */
  retry(actionId: number): boolean {
    const at = this.now();
    const changed = this.db.prepare("UPDATE actions SET state = 'pending', not_before = ?, updated_at = ? WHERE id = ? AND state = 'failed'").run(at, at, actionId).changes;
    if (changed) this.audit.append({ actor: this.actor, action: 'action.retry', subject: `action:${actionId}`, details: {} });
    return changed === 1;
  }

  start(intervalMs = 1_000): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      // A full batch means more is due: go on at once (drain yields after every action), rather than wait a tick.
      let more = false;
      this.running = this.drain(TICK_BATCH)
        .then((done) => void (more = done === TICK_BATCH))
        .catch(() => undefined)
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.timer = setTimeout(tick, more ? 0 : intervalMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
