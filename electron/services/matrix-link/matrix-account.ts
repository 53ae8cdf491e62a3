import { z } from 'zod';
import {
  login,
  logout,
  MatrixLoginError,
  MatrixModerationClient,
  type EventReportSource,
  type LiveRoomSource,
  type MatrixActions,
  type MatrixSession,
  type QuarantineFeed,
  type QuarantineFeedItem,
  type SourceNotice,
} from '../matrix';
import type { SettingsRepository } from '../settings/settings-repository';
import type { SecretStore } from '../secrets/secret-store';
import type { AuditLog } from '../audit/audit-log';
import type { BankRepository } from '../banks/bank-repository';
import type { HashingPool } from '../hashing';
import { ContractError } from '../../../shared/result';
import { redactUrl } from '../../../shared/url-policy';
import { MatrixIngest, type MatrixIngestStats } from './matrix-ingest';
import type { AnchorTarget } from '../audit/audit-anchor';

export const TOKEN_SECRET = 'matrix.accessToken';
export const QUARANTINE_BANK = 'Synapse quarantine';

export const matrixSettingsSchema = z
  .object({
    homeserverUrl: z.string().nullable().default(null),
    adminApiBaseUrl: z.string().nullable().default(null),
    userId: z.string().nullable().default(null),
    deviceId: z.string().nullable().default(null),
    /** The stored token came from a Matchdesk password sign-in (its device is ours to log out when replaced). */
    tokenFromPassword: z.boolean().default(false),
    managementRoom: z.string().nullable().default(null),
    sources: z
      .object({ live: z.boolean().default(true), reports: z.boolean().default(true), quarantine: z.boolean().default(false) })
      .prefault({}),
    backfillHours: z.number().int().min(0).max(720).default(24),
    maxDownloadMb: z.number().int().min(1).max(1024).default(50),
    reportPollSeconds: z.number().int().min(5).max(3600).default(30),
    quarantinePollSeconds: z.number().int().min(30).max(86_400).default(300),
  })
  .prefault({});

export type MatrixSettings = z.output<typeof matrixSettingsSchema>;

export interface MatrixStatus {
  signedIn: boolean;
  homeserverUrl: string | null;
  adminApiBaseUrl: string | null;
  userId: string | null;
  isAdmin: boolean;
  managementRoom: string | null;
  sources: MatrixSettings['sources'];
  backfillHours: number;
  maxDownloadMb: number;
  lastError: string | null;
  notices: { at: number; kind: string; message: string }[];
  encryptedRooms: { roomId: string; name: string | null }[];
  stats: MatrixIngest['stats'];
}

const MAX_NOTICES = 50;
const STATS_KEY = 'matrix.stats';
const statsSchema = z
  .object({
    seen: z.number(),
    ingested: z.number(),
    queued: z.number(),
    skippedEncrypted: z.number(),
    skippedBySha256: z.number(),
    failed: z.number(),
    lastError: z.string().nullable(),
    reports: z.number(),
    partsHashed: z.number(),
  })
  .partial();

function cursor<T>(settings: SettingsRepository, key: string, schema: z.ZodType<T>) {
  return {
    load: () => settings.get(key, schema.nullable().default(null)) as T | null,
    save: (value: T) => settings.set(key, value),
  };
}

/**
 * The moderator account on a homeserver: sign-in (token kept in the secret store), the media sources that feed the
 * queue, and the client the outbox's Matrix actions use.
 */
export class MatrixAccount {
  private client: MatrixModerationClient | null = null;
  private session: MatrixSession | null = null;
  private live: LiveRoomSource | null = null;
  private reports: EventReportSource | null = null;
  private feed: QuarantineFeed | null = null;
  private timers: NodeJS.Timeout[] = [];
  private lastError: string | null = null;
  private readonly notices: MatrixStatus['notices'] = [];
  readonly ingest: MatrixIngest;

  constructor(
    private readonly deps: {
      settings: SettingsRepository;
      secrets: SecretStore;
      audit: AuditLog;
      banks: BankRepository;
      pool: HashingPool;
      matrixIngest: Omit<ConstructorParameters<typeof MatrixIngest>[0], 'client' | 'maxDownloadBytes' | 'statsStore'>;
      actor: () => string;
      now?: () => number;
    },
  ) {
    this.ingest = new MatrixIngest({
      ...deps.matrixIngest,
      client: () => this.client,
      maxDownloadBytes: () => this.config().maxDownloadMb * 1024 * 1024,
      // The ingest counters survive a restart.
      statsStore: {
        load: () => deps.settings.get(STATS_KEY, statsSchema.nullable().default(null)) as Partial<MatrixIngestStats> | null,
        save: (stats) => deps.settings.set(STATS_KEY, stats),
      },
      ...(deps.now ? { now: deps.now } : {}),
    });
  }

  private config(): MatrixSettings {
    return this.deps.settings.get('matrix', matrixSettingsSchema);
  }

  actions(): MatrixActions | null {
    return this.client?.actions ?? null;
  }

  /** The management room as the audit log's anchor target; null when signed out or no room is set. */
  anchorTarget(): AnchorTarget | null {
    const room = this.config().managementRoom;
    const actions = this.client?.actions;
    if (!room || !actions) return null;
    return {
      name: room,
      post: async (text, idempotencyKey) => {
        const r = await actions.postNotice({ text, idempotencyKey });
        return r.status === 'ok' ? { ok: true, ref: `${r.detail?.roomId ?? room}/${r.detail?.eventId ?? ''}` } : { ok: false, error: `${r.status}: ${r.error.message}` };
      },
    };
  }

  status(): MatrixStatus {
    const c = this.config();
    return {
      signedIn: this.session !== null,
      homeserverUrl: c.homeserverUrl,
      adminApiBaseUrl: c.adminApiBaseUrl,
      userId: c.userId,
      isAdmin: this.session?.isAdmin ?? false,
      managementRoom: c.managementRoom,
      sources: c.sources,
      backfillHours: c.backfillHours,
      maxDownloadMb: c.maxDownloadMb,
      lastError: this.lastError,
      notices: [...this.notices],
      encryptedRooms: [...(this.live?.encryptedRooms() ?? new Map<string, string | undefined>())].map(([roomId, name]) => ({ roomId, name: name ?? null })),
      stats: { ...this.ingest.stats },
    };
  }

  async signIn(input: {
    homeserverUrl: string;
    adminApiBaseUrl?: string | null;
    accessToken?: string;
    user?: string;
    password?: string;
    managementRoom?: string | null;
  }, actor = this.deps.actor()): Promise<MatrixStatus> {
    const credentials = input.accessToken ? { accessToken: input.accessToken } : input.user && input.password ? { user: input.user, password: input.password } : null;
    if (!credentials) throw new ContractError('invalid_input', 'Give an access token, or a user name and password');
    let session: MatrixSession;
    try {
      session = await login({ homeserverUrl: input.homeserverUrl, ...(input.adminApiBaseUrl ? { adminApiBaseUrl: input.adminApiBaseUrl } : {}), credentials });
    } catch (error) {
      this.deps.audit.append({ actor, action: 'matrix.signIn.failed', subject: redactUrl(input.homeserverUrl), details: { code: error instanceof MatrixLoginError ? error.code : 'unknown' } });
      throw loginError(error);
    }
    await this.stop();
    const c = this.config();
    const replaced = this.deps.secrets.get(TOKEN_SECRET);
    this.deps.secrets.set(TOKEN_SECRET, session.accessToken);
    this.deps.settings.set('matrix', {
      ...c,
      homeserverUrl: session.homeserverUrl,
      adminApiBaseUrl: session.adminApiBaseUrl === session.homeserverUrl ? null : session.adminApiBaseUrl,
      userId: session.userId,
      deviceId: session.deviceId ?? null,
      tokenFromPassword: !('accessToken' in credentials),
      managementRoom: input.managementRoom === undefined ? c.managementRoom : input.managementRoom,
    });
    // A different account or server: its sync position and report cursor mean nothing here.
    if (c.userId !== session.userId || c.homeserverUrl !== session.homeserverUrl) {
      for (const key of ['matrix.cursor.sync', 'matrix.cursor.reports', 'matrix.cursor.quarantine']) this.deps.settings.set(key, null);
    }
    this.deps.audit.append({ actor, action: 'matrix.signIn', subject: session.userId, details: { homeserver: session.homeserverUrl, isAdmin: session.isAdmin } });
    // The session this one replaces, if a Matchdesk password sign-in created it: log it out on the server, so no
    // forgotten device keeps a valid token. (A pasted token may be the moderator's own client: it is left alone.)
    if (replaced && replaced !== session.accessToken && c.tokenFromPassword && c.homeserverUrl) {
      const revoked = await this.revoke(c.homeserverUrl, replaced);
      this.deps.audit.append({ actor, action: 'matrix.logout', subject: c.userId, details: { reason: 'replaced by a new sign-in', deviceId: c.deviceId, revoked } });
    }
    this.open(session);
    return this.status();
  }

  /** On start-up: pick up the stored token and check it. A failed check leaves the account signed out, with the reason. */
  async resume(): Promise<void> {
    const token = this.deps.secrets.get(TOKEN_SECRET);
    const c = this.config();
    if (!token || !c.homeserverUrl) return;
    try {
      const session = await login({ homeserverUrl: c.homeserverUrl, ...(c.adminApiBaseUrl ? { adminApiBaseUrl: c.adminApiBaseUrl } : {}), credentials: { accessToken: token } });
      this.open(session);
    } catch (error) {
      this.lastError = loginError(error).message;
    }
  }

  /**
   * Signs out: POST /logout revokes the token on the server (and deletes its device), then it leaves the secret store.
   * If the server cannot be reached the token is still forgotten here, and the status says it may still be valid.
   */
  async signOut(actor = this.deps.actor()): Promise<MatrixStatus> {
    await this.stop();
    const c = this.config();
    const token = this.session?.accessToken ?? this.deps.secrets.get(TOKEN_SECRET);
    const homeserverUrl = this.session?.homeserverUrl ?? c.homeserverUrl;
    const revoked = token && homeserverUrl ? await this.revoke(homeserverUrl, token) : null;
    this.deps.secrets.delete(TOKEN_SECRET);
    this.deps.settings.set('matrix', { ...c, tokenFromPassword: false });
    this.deps.audit.append({ actor, action: 'matrix.signOut', subject: c.userId, details: { revoked } });
    this.session = null;
    this.client = null;
    this.lastError = revoked === false ? 'Signed out here, but the homeserver could not be told: the token may stay valid until it expires or is removed from the account\'s sessions.' : null;
    return this.status();
  }

  /** POST /logout for a token; true when the server confirmed (or no longer knew it). */
  private async revoke(homeserverUrl: string, accessToken: string): Promise<boolean> {
    try {
      await logout({ homeserverUrl, accessToken });
      return true;
    } catch {
      return false;
    }
  }

  /** `actor`: who asked (a contract call's caller); by default the services' own name. */
  updateOptions(patch: Partial<Pick<MatrixSettings, 'managementRoom' | 'sources' | 'backfillHours' | 'maxDownloadMb'>>, actor = this.deps.actor()): MatrixStatus {
    const next = { ...this.config(), ...patch };
    this.deps.settings.set('matrix', next);
    this.deps.audit.append({ actor, action: 'settings.matrix', subject: null, details: patch });
    if (this.session) {
      const session = this.session;
      void this.stop().then(() => this.open(session));
    }
    return this.status();
  }

  /** Polls event reports and the quarantine feed now (they otherwise run on their timers). */
  async pollNow(): Promise<{ reports: number; reportMedia: number; quarantineChanges: number | null }> {
    if (!this.client) throw new ContractError('unavailable', 'Not signed in to a Matrix homeserver');
    const r = this.reports ? await this.reports.poll() : { reports: 0, media: 0 };
    const q = this.feed ? await this.feed.poll() : null;
    return { reports: r.reports, reportMedia: r.media, quarantineChanges: q && q.supported ? q.changes : null };
  }

  private open(session: MatrixSession): void {
    const c = this.config();
    this.session = session;
    this.lastError = null;
    this.client = new MatrixModerationClient(session, { ...(c.managementRoom ? { managementRoom: c.managementRoom } : {}), download: { maxBytes: c.maxDownloadMb * 1024 * 1024 } });
    const onMedia = (ev: Parameters<MatrixIngest['handle']>[0]) => this.ingest.handle(ev);
    const onNotice = (n: SourceNotice) => this.notice(n);
    if (c.sources.live) {
      this.live = this.client.createLiveRoomSource({
        syncToken: cursor(this.deps.settings, 'matrix.cursor.sync', z.string()),
        onMedia,
        onNotice,
        backfillWindowMs: c.backfillHours * 3600_000,
      });
      this.live.start();
    }
    if (c.sources.reports && session.isAdmin) {
      // Every report reaches the queue, media or not.
      this.reports = this.client.createEventReportSource({
        cursor: cursor(this.deps.settings, 'matrix.cursor.reports', z.object({ offset: z.number(), lastReportId: z.number() })),
        onReport: (re) => this.ingest.handleReport(re),
        onNotice,
      });
      this.every(c.reportPollSeconds * 1000, () => this.reports?.poll());
    }
    if (c.sources.quarantine && session.isAdmin) {
      this.feed = this.client.createQuarantineFeed({ cursor: cursor(this.deps.settings, 'matrix.cursor.quarantine', z.number()), onChange: (item) => this.onQuarantineChange(item), onNotice });
      this.every(c.quarantinePollSeconds * 1000, () => this.feed?.poll());
    }
  }

  private every(ms: number, run: () => Promise<unknown> | undefined): void {
    const tick = async () => {
      try {
        await run();
      } catch (error) {
        this.lastError = error instanceof Error ? error.message : String(error);
      }
      this.timers.push(setTimeout(() => void tick(), ms));
    };
    void tick();
  }

  /** The quarantine feed keeps a local bank in step with what the server's admins quarantined (and released). */
  private async onQuarantineChange(item: QuarantineFeedItem): Promise<void> {
    const bank = this.deps.banks.ensure({ name: QUARANTINE_BANK, severity: 80 });
    const mxc = `mxc://${item.change.server}/${item.change.mediaId}`;
    if (!item.change.quarantined) {
      this.deps.banks.removeContentByMetadata(bank.id, 'mxc', mxc);
      return;
    }
    const signals: { type: 'md5' | 'sha256' | 'pdq'; signal: string }[] = [];
    if (item.media) {
      // A file the decoder refuses (a bomb, broken) still enters the bank by its MD5 and SHA-256.
      const { hashes } = await this.deps.matrixIngest.ingest.hashOrRefuse(new Uint8Array(item.media.bytes));
      signals.push({ type: 'md5', signal: hashes.md5 }, { type: 'sha256', signal: hashes.sha256 });
      if (hashes.pdq) signals.push({ type: 'pdq', signal: hashes.pdq });
    } else if (item.sha256) {
      signals.push({ type: 'sha256', signal: item.sha256 });
    }
    if (signals.length > 0) this.deps.banks.addContent(bank.id, signals, { label: mxc, note: 'Quarantined on the homeserver', metadata: { mxc } });
  }

  private notice(n: SourceNotice): void {
    if (n.kind === 'auth_expired') this.lastError = n.message;
    this.notices.unshift({ at: (this.deps.now ?? Date.now)(), kind: n.kind, message: n.message });
    this.notices.length = Math.min(this.notices.length, MAX_NOTICES);
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    await this.live?.stop();
    this.live = null;
    this.reports = null;
    this.feed = null;
  }
}

const LOGIN_MESSAGES: Record<string, string> = {
  invalid_url: 'That is not a usable homeserver URL: use https://… (plain http only for this machine), with no user name, password or spaces in it.',
  insecure_discovery: "The homeserver's .well-known points to an insecure address (plain http or credentials in the URL); Matchdesk will not follow it.",
  unreachable: 'The homeserver could not be reached. Check the URL and your connection.',
  not_matrix_server: 'There is no Matrix homeserver at that URL.',
  bad_credentials: 'The homeserver refused these credentials.',
  token_expired: 'The access token is invalid or has expired: sign in again.',
  soft_logout: 'The session was logged out by the server: sign in again.',
  not_admin: 'This account is not a server admin; Matchdesk needs admin rights for reports and quarantine.',
  admin_api_unreachable: 'The admin API (/_synapse/admin) could not be reached at the admin URL.',
  rate_limited: 'The homeserver is rate-limiting sign-in attempts; wait and try again.',
  server_error: 'The homeserver answered with a server error.',
};

function loginError(error: unknown): ContractError {
  if (error instanceof MatrixLoginError) {
    const code = error.code === 'unreachable' || error.code === 'server_error' || error.code === 'rate_limited' ? 'unavailable' : error.code === 'invalid_url' || error.code === 'insecure_discovery' ? 'invalid_input' : 'unauthorized';
    const base = LOGIN_MESSAGES[error.code] ?? error.message;
    return new ContractError(code, error.code === 'invalid_url' || error.code === 'insecure_discovery' ? `${base} (${error.message})` : base);
  }
  return new ContractError('internal', error instanceof Error ? error.message : String(error));
}
