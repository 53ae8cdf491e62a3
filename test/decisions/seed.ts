import { openDatabase, type Db } from '../../electron/services/store/database';
import { AuditLog } from '../../electron/services/audit/audit-log';
import { BankRepository } from '../../electron/services/banks/bank-repository';
import { QueueService } from '../../electron/services/queue/queue-service';
import { DecisionService } from '../../electron/services/decisions/decision-service';
import { actionPlanSchema, type ActionPlanConfig } from '../../electron/services/decisions/action-plans';

export interface Fixture {
  db: Db;
  audit: AuditLog;
  banks: BankRepository;
  queue: QueueService;
  decisions: DecisionService;
  clock: { now: number };
  plan: ActionPlanConfig;
  addItem(opts?: { matrix?: boolean; distance?: number; bankName?: string; contentRef?: string; matcher?: 'local' | 'hma'; sha256?: string }): number;
}

let counter = 0;

export function fixture(overrides: Partial<ActionPlanConfig> = {}): Fixture {
  const db = openDatabase(':memory:');
  const clock = { now: 1_700_000_000_000 };
  const now = () => clock.now;
  const audit = new AuditLog(db, now);
  const banks = new BankRepository(db, now);
  const queue = new QueueService(db, now);
  const plan = { ...actionPlanSchema.parse(undefined), ...overrides };
  const decisions = new DecisionService(db, audit, () => plan, now);
  return {
    db,
    audit,
    banks,
    queue,
    decisions,
    clock,
    plan,
    addItem(opts = {}) {
      counter++;
      const context = opts.matrix
        ? { matrix: { server: 'hs.test', mediaId: `media${counter}`, roomId: '!room:hs.test', eventId: `$ev${counter}`, sender: '@bad:hs.test' } }
        : {};
      const mediaId = Number(
        db
          .prepare("INSERT INTO media_items (source, source_ref, file_name, byte_length, md5, sha256, pdq, context_json, created_at) VALUES ('test', ?, ?, 10, ?, ?, NULL, ?, ?)")
          .run(`ref${counter}`, `f${counter}.jpg`, counter.toString(16).padStart(32, '0'), opts.sha256 ?? counter.toString(16).padStart(64, '0'), JSON.stringify(context), clock.now).lastInsertRowid,
      );
      return queue.enqueue(mediaId, [
        {
          matcher: opts.matcher ?? 'local',
          bankName: opts.bankName ?? 'Bank',
          contentRef: opts.contentRef ?? '1',
          signalType: opts.distance === undefined ? 'md5' : 'pdq',
          signal: null,
          distance: opts.distance ?? 0,
          label: null,
          severity: 50,
        },
      ]);
    },
  };
}
