import { userInfo } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from './store/database';
import { AuditLog } from './audit/audit-log';
import { BankRepository } from './banks/bank-repository';
import { LocalMatcher, localMediaMatcher } from './banks/local-matcher';
import { MediaRepository } from './queue/media-repository';
import { QueueService } from './queue/queue-service';
import { IngestService } from './ingest/ingest-service';
import { MediaVault } from './media/media-vault';
import { HashingPool } from './hashing';
import type { SecretStore } from './secrets/secret-store';
import { createDispatcher, type Dispatch } from './api/dispatcher';
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
  readonly matcher: LocalMatcher;
  readonly media: MediaRepository;
  readonly queue: QueueService;
  readonly ingest: IngestService;
  readonly vault: MediaVault;
  readonly pool: HashingPool;
  readonly pickFolder?: () => Promise<string | null>;
  dispatch: Dispatch;
  isFirstRun(): boolean;
  close(): Promise<void>;
}

const DEFAULT_RETENTION_MS = 30 * 24 * 3600 * 1000;
const PURGE_INTERVAL_MS = 3600 * 1000;

/** Builds every domain service over one data directory. Imports nothing from electron: runs under plain Node. */
export function createServices(options: ServicesOptions): Services {
  const db = openDatabase(join(options.dataDir, 'matchdesk.sqlite'), { nativeBinding: options.nativeBinding });
  const audit = new AuditLog(db);
  const banks = new BankRepository(db);
  const matcher = new LocalMatcher(db, banks);
  const media = new MediaRepository(db);
  const queue = new QueueService(db, audit);
  const vault = new MediaVault(join(options.dataDir, 'vault'), db, options.secrets);
  const workers = options.workers ?? 2;
  const pool = new HashingPool({ workers });
  const reviewer = options.reviewer ?? safeUserName();
  const ingest = new IngestService({ db, pool, media, queue, audit, vault, matchers: [localMediaMatcher(matcher)], actor: () => reviewer, workers });
  const retention = options.mediaRetentionMs ?? DEFAULT_RETENTION_MS;
  vault.purgeOlderThan(retention);
  const purgeTimer = setInterval(() => vault.purgeOlderThan(retention), PURGE_INTERVAL_MS);
  purgeTimer.unref();

  const services: Services = {
    dataDir: options.dataDir,
    version: options.version,
    transport: options.transport,
    reviewer,
    secrets: options.secrets,
    db,
    audit,
    banks,
    matcher,
    media,
    queue,
    ingest,
    vault,
    pool,
    pickFolder: options.pickFolder,
    dispatch: async () => ({ ok: false, error: { code: 'internal', message: 'not ready' } }),
    isFirstRun: () => {
      const row = db.prepare('SELECT (SELECT COUNT(*) FROM media_items) + (SELECT COUNT(*) FROM banks) AS n').get() as { n: number };
      return row.n === 0;
    },
    close: async () => {
      clearInterval(purgeTimer);
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
