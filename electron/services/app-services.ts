import { userInfo } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from './store/database';
import { AuditLog } from './audit/audit-log';
import { BankRepository } from './banks/bank-repository';
import { BankImportJobs } from './banks/bank-import-jobs';
import { LocalMatcher, localMediaMatcher } from './banks/local-matcher';
import { MediaRepository } from './queue/media-repository';
import { QueueService } from './queue/queue-service';
import { IngestService } from './ingest/ingest-service';
import { MediaVault } from './media/media-vault';
import { HashingPool } from './hashing';
import type { SecretStore } from './secrets/secret-store';
import { createDispatcher, type Dispatch } from './api/dispatcher';
import { SettingsRepository } from './settings/settings-repository';
import { DecisionService } from './decisions/decision-service';
import { OutboxDispatcher, type DispatcherOptions } from './decisions/outbox-dispatcher';
import { localExecutors } from './decisions/local-executors';
import { actionPlanSchema } from './decisions/action-plans';
import type { ExecutorRegistry } from './decisions/action-types';
import { MatrixAccount } from './matrix-link/matrix-account';
import { matrixExecutors } from './matrix-link/matrix-executors';
import { HmaConnection } from './hma-link/hma-connection';
import { hmaExecutors } from './hma-link/hma-executors';
import { hmaMediaMatcher } from './hma-link/hma-matcher';
import type { HmaClientOptions } from './hma';
import { createHandlers } from './api/handlers';

export interface ServicesOptions {
  dataDir: string;
  secrets: SecretStore;
  transport: 'ipc' | 'http';
  version: string;
  /** Electron passes its ABI build of better-sqlite3. */
  nativeBinding?: string;
  /** The native folder dialog (desktop only). */
  pickFolder?: () => Promise<string | null>;
  reviewer?: string;
  workers?: number;
  /** How long encrypted media stays in the vault. */
  mediaRetentionMs?: number;
  checkOutputs?: boolean;
  log?: (message: string) => void;
  /** Run the outbox dispatcher in the background (off in tests that drive it by hand). */
  startDispatcher?: boolean;
  /** Executors for remote actions (Matrix, HMA), added to the local ones. */
  executors?: ExecutorRegistry;
  now?: () => number;
  /** Backoff and lease settings of the outbox dispatcher. */
  outbox?: Omit<DispatcherOptions, 'now'>;
  /** Extra HMA client options (timeouts, retry policy); URLs and keys come from settings and the secret store. */
  hmaClient?: Partial<HmaClientOptions>;
  /** Sign the stored Matrix account back in at start-up (off in tests). */
  resumeMatrix?: boolean;
}

export interface Services {
  readonly dataDir: string;
  readonly version: string;
  readonly transport: 'ipc' | 'http';
  readonly reviewer: string;
  readonly secrets: SecretStore;
  readonly db: Db;
  readonly audit: AuditLog;
  readonly banks: BankRepository;
  readonly bankImports: BankImportJobs;
  readonly matcher: LocalMatcher;
  readonly media: MediaRepository;
  readonly queue: QueueService;
  readonly ingest: IngestService;
  readonly vault: MediaVault;
  readonly pool: HashingPool;
  readonly settings: SettingsRepository;
  readonly decisions: DecisionService;
  readonly outbox: OutboxDispatcher;
  readonly matrix: MatrixAccount;
  readonly hma: HmaConnection;
  readonly pickFolder?: () => Promise<string | null>;
  dispatch: Dispatch;
  isFirstRun(): boolean;
  close(): Promise<void>;
}

const DEFAULT_RETENTION_MS = 30 * 24 * 3600 * 1000;
const PURGE_INTERVAL_MS = 3600 * 1000;
const LOOKUP_RETRY_TICK_MS = 5_000;

/** Builds every domain service over one data directory. Imports nothing from electron: runs under plain Node. */
export function createServices(options: ServicesOptions): Services {
  const now = options.now ?? Date.now;
  const db = openDatabase(join(options.dataDir, 'matchdesk.sqlite'), { nativeBinding: options.nativeBinding });
  const audit = new AuditLog(db, now);
  const banks = new BankRepository(db, now);
  const matcher = new LocalMatcher(db, banks, now);
  const bankImports = new BankImportJobs(
    db,
    banks,
    (job) =>
      audit.append({
        actor: options.reviewer ?? safeUserName(),
        action: 'bank.import',
        subject: `bank:${job.bankName}`,
        details: { format: job.format, state: job.state, added: job.added, duplicates: job.duplicates, rejected: job.rejected.length, error: job.error },
      }),
    now,
  );
  const media = new MediaRepository(db, now);
  const queue = new QueueService(db, now);
  const settings = new SettingsRepository(db);
  const decisions = new DecisionService(db, audit, () => settings.get('actionPlans', actionPlanSchema), now);
  let matrix: MatrixAccount | null = null;
  const hma = new HmaConnection(settings, options.secrets, options.hmaClient);
  const outbox = new OutboxDispatcher(
    db,
    audit,
    {
      ...localExecutors(banks),
      ...matrixExecutors(() => matrix?.actions() ?? null),
      ...hmaExecutors(() => hma.client(), { markerScope: () => hma.markerScope(), timeoutMs: () => hma.config().timeoutMs, indexRefreshMs: () => hma.config().indexRefreshSeconds * 1000, serverTimeoutMs: () => hma.config().serverTimeoutSeconds * 1000, now }),
      ...(options.executors ?? {}),
    },
    { ...options.outbox, now },
  );
  const vault = new MediaVault(join(options.dataDir, 'vault'), db, options.secrets, now);
  const workers = options.workers ?? 2;
  const pool = new HashingPool({ workers });
  const reviewer = options.reviewer ?? safeUserName();
  const ingest = new IngestService({ db, pool, media, queue, audit, vault, matchers: [localMediaMatcher(matcher), hmaMediaMatcher(hma)], actor: () => reviewer, workers, now });
  matrix = new MatrixAccount({
    settings,
    secrets: options.secrets,
    audit,
    banks,
    pool,
    matrixIngest: {
      db,
      pool,
      ingest,
      vault,
      sha256IsAllBanksNeed: () => !hma.client() && matcher.onlyExactSha256(),
      sha256Matches: (sha256) => matcher.match({ md5: '', sha256, pdq: null }).some((m) => m.bankKind === 'positive'),
    },
    actor: () => reviewer,
    now,
  });
  if (options.resumeMatrix ?? true) void matrix.resume();
  const retention = options.mediaRetentionMs ?? DEFAULT_RETENTION_MS;
  vault.purgeOlderThan(retention);
  const purgeTimer = setInterval(() => vault.purgeOlderThan(retention), PURGE_INTERVAL_MS);
  purgeTimer.unref();
  const lookupTimer = setInterval(() => void ingest.retryPendingLookups().catch(() => undefined), LOOKUP_RETRY_TICK_MS);
  lookupTimer.unref();
  if (options.startDispatcher ?? true) outbox.start();

  const services: Services = {
    dataDir: options.dataDir,
    version: options.version,
    transport: options.transport,
    reviewer,
    secrets: options.secrets,
    db,
    audit,
    banks,
    bankImports,
    matcher,
    media,
    queue,
    ingest,
    vault,
    pool,
    settings,
    decisions,
    outbox,
    matrix,
    hma,
    pickFolder: options.pickFolder,
    dispatch: async () => ({ ok: false, error: { code: 'internal', message: 'not ready' } }),
    isFirstRun: () => {
      const row = db.prepare('SELECT (SELECT COUNT(*) FROM media_items) + (SELECT COUNT(*) FROM banks) AS n').get() as { n: number };
      return row.n === 0;
    },
    close: async () => {
      clearInterval(purgeTimer);
      clearInterval(lookupTimer);
      await outbox.stop();
      await matrix?.stop();
      await pool.close();
      db.close();
    },
  };
  services.dispatch = createDispatcher(createHandlers(services), {
    checkOutputs: options.checkOutputs,
    onInternalError: (name, error) => options.log?.(`call ${name} failed: ${error instanceof Error ? error.stack : String(error)}`),
  });
  return services;
}

function safeUserName(): string {
  try {
    return userInfo().username || 'reviewer';
  } catch {
    return 'reviewer';
  }
}
