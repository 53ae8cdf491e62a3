import { userInfo } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from './store/database';
import { ensurePrivateFile, securePrivateDir } from './store/file-modes';
import { AuditLog } from './audit/audit-log';
import { AuditSeal, ensureAuditKey, flushPendingAuditNotes } from './audit/audit-key';
import { AuditAnchors } from './audit/audit-anchor';
import { BankRepository } from './banks/bank-repository';
import { BankImportJobs } from './banks/bank-import-jobs';
import { LocalMatcher, localMediaMatcher } from './banks/local-matcher';
import { MediaRepository } from './queue/media-repository';
import { QueueService } from './queue/queue-service';
import { ClaimService, CLAIM_LEASE_MS, LOCAL_POLICY, type QueuePolicy } from './queue/claims';
import { ChangeFeed } from './events/change-feed';
import { IngestService, type MediaMatcher } from './ingest/ingest-service';
import { MediaVault } from './media/media-vault';
import { HashingPool, defaultWorkerCount, type HashingPoolOptions } from './hashing';
import { hashingSettingsSchema } from './hashing-settings';
import type { SecretStore } from './secrets/secret-store';
import { SettingsRepository } from './settings/settings-repository';
import { DecisionService } from './decisions/decision-service';
import { OutboxDispatcher, type DispatcherOptions } from './decisions/outbox-dispatcher';
import { localExecutors } from './decisions/local-executors';
import { actionPlanSchema } from './decisions/action-plans';
import type { ExecutorRegistry } from './decisions/action-types';
import { MatrixAccount } from './matrix-link/matrix-account';
import { matrixExecutors } from './matrix-link/matrix-executors';
import { decisionNotice } from './matrix-link/decision-notices';
import { HmaConnection } from './hma-link/hma-connection';
import { hmaExecutors } from './hma-link/hma-executors';
import { hmaMediaMatcher } from './hma-link/hma-matcher';
import type { HmaClientOptions } from './hma';

export interface ServicesOptions {
  dataDir: string;
  secrets: SecretStore;
  transport: 'ipc' | 'http';
  version: string;
  /** Electron passes its ABI build of better-sqlite3. */
  nativeBinding?: string;
  /** The native folder dialog (desktop only). */
  pickFolder?: () => Promise<string | null>;
  /** The native file dialog for bank imports (desktop only). */
  pickImportFile?: () => Promise<string | null>;
  /**
   * Whether banks.startImport may read a path on this machine (default true: the desktop app and the local browser
   * shell). A server reached by other people sets false: they upload the file instead.
   */
  localFileImports?: boolean;
  reviewer?: string;
  /** Hashing workers. Default: MATCHDESK_WORKERS, else by role (see defaultWorkerCount). */
  workers?: number;
  /**
   * How media is decoded: the desktop passes Electron's utilityProcess spawner and the bundled decoder entry; tests
   * may set caps. The `hashing` setting (maxPixels, memoryLimitMb, timeoutSeconds) fills what is not given here.
   */
  hashing?: Pick<HashingPoolOptions, 'spawner' | 'decoderEntry' | 'maxPixels' | 'memoryLimitMb' | 'taskTimeoutMs' | 'isolation'>;
  /** 'server' (the team server: hashing uses cores − 1) or 'desktop' (the default: at most 2 decoders). */
  role?: 'desktop' | 'server';
  /** How long encrypted media stays in the vault. */
  mediaRetentionMs?: number;
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
  /** How often the audit head is anchored to the management room while something new was written. Default hourly. */
  auditAnchorIntervalMs?: number;
  /** How long a claim (item lease) lasts without renewal (default 2 minutes; a team server uses 10). */
  claimLeaseMs?: number;
  /** How a team shares the queue (distinct second reviewer, shared skips); off on one machine. */
  queuePolicy?: QueuePolicy;
  /** Observer of every media lookup (the team server's latency metrics). */
  observeLookup?: (matcher: string, ms: number, ok: boolean) => void;
}

export interface Services {
  readonly dataDir: string;
  readonly version: string;
  /** The services' clock (tests move it). */
  readonly now: () => number;
  readonly transport: 'ipc' | 'http';
  /** Background work (ingest, imports) is attributed to this name; contract calls to their caller (CallContext). */
  readonly reviewer: string;
  readonly secrets: SecretStore;
  readonly db: Db;
  readonly audit: AuditLog;
  /** The audit head, sealed in the secret store. */
  readonly auditSeal: AuditSeal;
  /** Posts the audit head to the management room (hourly, and on demand). */
  readonly auditAnchors: AuditAnchors;
  readonly banks: BankRepository;
  readonly bankImports: BankImportJobs;
  readonly matcher: LocalMatcher;
  readonly media: MediaRepository;
  readonly queue: QueueService;
  readonly claims: ClaimService;
  readonly policy: QueuePolicy;
  /** Every change consoles should see at once (claims, decisions, new items): pushed to them. */
  readonly changes: ChangeFeed;
  readonly ingest: IngestService;
  readonly vault: MediaVault;
  readonly pool: HashingPool;
  readonly settings: SettingsRepository;
  readonly decisions: DecisionService;
  readonly outbox: OutboxDispatcher;
  readonly matrix: MatrixAccount;
  readonly hma: HmaConnection;
  readonly pickFolder?: () => Promise<string | null>;
  readonly pickImportFile?: () => Promise<string | null>;
  readonly localFileImports: boolean;
  isFirstRun(): boolean;
  close(): Promise<void>;
}

const DEFAULT_RETENTION_MS = 30 * 24 * 3600 * 1000;
const PURGE_INTERVAL_MS = 3600 * 1000;
const LOOKUP_RETRY_TICK_MS = 5_000;
const IMPORT_PROGRESS_EVERY_MS = 1_000;

/** Builds every domain service over one data directory. Imports nothing from electron: runs under plain Node. */
export function createServices(options: ServicesOptions): Services {
  const now = options.now ?? Date.now;
  // Other users of the machine must not read the data folder: 0700 / 0600, tightened now if it was left looser.
  const loosened = securePrivateDir(options.dataDir);
  ensurePrivateFile(join(options.dataDir, 'matchdesk.sqlite'));
  const db = openDatabase(join(options.dataDir, 'matchdesk.sqlite'), { nativeBinding: options.nativeBinding });
  securePrivateDir(options.dataDir); // the -wal and -shm files SQLite just created
  // The audit chain's key lives in the secret store; rows from its creation on carry an HMAC.
  const audit = new AuditLog(db, now, ensureAuditKey(options.secrets, db));
  const auditSeal = new AuditSeal(audit, options.secrets, now);
  const banks = new BankRepository(db, now);
  const matcher = new LocalMatcher(db, banks, now);
  const changes = new ChangeFeed(now);
  // Consoles showing bank imports refresh on these: a start and an end (the bank list), progress at most once a second.
  let importProgressAt = -Infinity;
  const bankImports = new BankImportJobs({
    db,
    banks,
    spoolDir: join(options.dataDir, 'bank-imports'),
    onStart: () => changes.publish({ type: 'settings', area: 'banks' }),
    onProgress: () => {
      if (performance.now() - importProgressAt < IMPORT_PROGRESS_EVERY_MS) return;
      importProgressAt = performance.now();
      changes.publish({ type: 'settings', area: 'bankImports' });
    },
    onDone: (job) => {
      audit.append({
        actor: job.actor,
        action: 'bank.import',
        subject: `bank:${job.bankName}`,
        details: {
          format: job.format,
          file: job.fileName,
          state: job.state,
          rows: job.total,
          added: job.added,
          duplicates: job.duplicates,
          rejected: job.rejectedCount,
          error: job.error,
        },
      });
      changes.publish({ type: 'settings', area: 'banks' });
    },
    log: options.log,
    now,
  });
  const media = new MediaRepository(db, now);
  const policy = options.queuePolicy ?? LOCAL_POLICY;
  const reviewer = options.reviewer ?? safeUserName();
  const queue = new QueueService(db, now, changes, { audit, actor: () => reviewer });
  const claims = new ClaimService(db, now, options.claimLeaseMs ?? CLAIM_LEASE_MS, changes, policy);
  const settings = new SettingsRepository(db);
  const decisions = new DecisionService(db, audit, () => settings.get('actionPlans', actionPlanSchema), now, { events: changes, sharedSkips: policy.sharedSkips });
  let matrix: MatrixAccount | null = null;
  const hma = new HmaConnection(settings, options.secrets, options.hmaClient);
  const outbox = new OutboxDispatcher(
    db,
    audit,
    {
      ...localExecutors(banks),
      ...matrixExecutors(() => matrix?.actions() ?? null, { notice: (actionId, headline, attempt) => decisionNotice(db, actionId, headline, attempt) }),
      ...hmaExecutors(() => hma.client(), { markerScope: () => hma.markerScope(), timeoutMs: () => hma.config().timeoutMs, indexRefreshMs: () => hma.config().indexRefreshSeconds * 1000, serverTimeoutMs: () => hma.config().serverTimeoutSeconds * 1000, now }),
      ...(options.executors ?? {}),
    },
    { ...options.outbox, now },
  );
  const vault = new MediaVault(join(options.dataDir, 'vault'), db, options.secrets, now);
  const fromEnv = Number(process.env.MATCHDESK_WORKERS);
  const workers = options.workers ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : defaultWorkerCount(options.role));
  const hashingSettings = settings.get('hashing', hashingSettingsSchema);
  const pool = new HashingPool({
    workers,
    maxPixels: hashingSettings.maxPixels,
    memoryLimitMb: hashingSettings.memoryLimitMb,
    taskTimeoutMs: hashingSettings.timeoutSeconds * 1000,
    ...options.hashing,
  });
  const ingest = new IngestService({ db, pool, media, queue, audit, vault, matchers: [localMediaMatcher(matcher), hmaMediaMatcher(hma)].map((m) => timed(m, options.observeLookup)), actor: () => reviewer, workers, now });
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
      queue,
      vault,
      sha256IsAllBanksNeed: () => !hma.client() && matcher.onlyExactSha256(),
      sha256Matches: (sha256) => matcher.match({ md5: '', sha256, pdq: null }).some((m) => m.bankKind === 'positive'),
    },
    actor: () => reviewer,
    now,
  });
  if (options.resumeMatrix ?? true) void matrix.resume();
  flushPendingAuditNotes(db, settings, audit, 'matchdesk');
  if (loosened.length > 0) {
    audit.append({ actor: 'matchdesk', action: 'security.permissionsTightened', subject: options.dataDir, details: { paths: loosened.length } });
    options.log?.(`Tightened the permissions of ${loosened.length} file(s) under ${options.dataDir} (0700 folders, 0600 files).`);
  }
  auditSeal.sealNow();
  auditSeal.start();
  const auditAnchors = new AuditAnchors({ audit, target: () => matrix?.anchorTarget() ?? null, actor: () => 'matchdesk', now });
  auditAnchors.start(options.auditAnchorIntervalMs);
  const retention = options.mediaRetentionMs ?? DEFAULT_RETENTION_MS;
  vault.purgeOlderThan(retention);
  const purgeTimer = setInterval(() => vault.purgeOlderThan(retention), PURGE_INTERVAL_MS);
  purgeTimer.unref();
  const lookupTimer = setInterval(() => void ingest.retryPendingLookups().catch(() => undefined), LOOKUP_RETRY_TICK_MS);
  lookupTimer.unref();
  if (options.startDispatcher ?? true) outbox.start();
  bankImports.resume();

  const services: Services = {
    now,
    dataDir: options.dataDir,
    version: options.version,
    transport: options.transport,
    reviewer,
    secrets: options.secrets,
    db,
    audit,
    auditSeal,
    auditAnchors,
    banks,
    bankImports,
    matcher,
    media,
    queue,
    claims,
    policy,
    changes,
    ingest,
    vault,
    pool,
    settings,
    decisions,
    outbox,
    matrix,
    hma,
    pickFolder: options.pickFolder,
    pickImportFile: options.pickImportFile,
    localFileImports: options.localFileImports ?? true,
    isFirstRun: () => {
      const row = db.prepare('SELECT (SELECT COUNT(*) FROM media_items) + (SELECT COUNT(*) FROM banks) AS n').get() as { n: number };
      return row.n === 0;
    },
    close: async () => {
      clearInterval(purgeTimer);
      auditAnchors.stop();
      auditSeal.stop();
      try {
        auditSeal.sealNow();
      } catch {
        // the secret store may be gone already (tests); the last periodic seal stands
      }
      clearInterval(lookupTimer);
      await outbox.stop();
      await bankImports.close();
      await matrix?.stop();
      await pool.close();
      db.close();
    },
  };
  return services;
}

function timed(matcher: MediaMatcher, observe: ServicesOptions['observeLookup']): MediaMatcher {
  if (!observe) return matcher;
  return {
    name: matcher.name,
    match: async (signals) => {
      const started = performance.now();
      try {
        const result = await matcher.match(signals);
        observe(matcher.name, performance.now() - started, true);
        return result;
      } catch (error) {
        observe(matcher.name, performance.now() - started, false);
        throw error;
      }
    },
  };
}

function safeUserName(): string {
  try {
    return userInfo().username || 'reviewer';
  } catch {
    return 'reviewer';
  }
}
