// MatrixModerationClient: one signed-in account with its HTTP client, media helpers, sources and
// actions. Build it from the MatrixSession that login() returned (the token is stored by the
// caller's secrets service and handed in here).
import { MatrixActions } from './actions';
import { httpForSession } from './auth';
import { EventReportSource, type EventReportSourceOptions } from './report-source';
import { LiveRoomSource, type LiveRoomSourceOptions } from './live-source';
import { downloadMedia, getAdminMediaInfo } from './media';
import { QuarantineFeed, type QuarantineFeedOptions } from './quarantine-feed';
import type { MatrixHttp } from './http';
import type { AdminMediaInfo, DownloadedMedia, DownloadOptions, MatrixSession } from './types';

export interface MatrixModerationClientOptions {
  /** room id or alias for notices */
  managementRoom?: string;
  /** default per-request timeout, 30 s */
  timeoutMs?: number;
  /** defaults for downloadMedia */
  download?: Omit<DownloadOptions, 'signal' | 'bypassQuarantine'>;
  fetchFn?: typeof fetch;
}

export class MatrixModerationClient {
  readonly session: MatrixSession;
  readonly http: MatrixHttp;
  readonly actions: MatrixActions;
  readonly #download: Omit<DownloadOptions, 'signal' | 'bypassQuarantine'>;

  constructor(session: MatrixSession, opts: MatrixModerationClientOptions = {}) {
    this.session = session;
    this.http = httpForSession(session, {
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.fetchFn ? { fetchFn: opts.fetchFn } : {}),
    });
    this.actions = new MatrixActions(this.http, {
      userId: session.userId,
      ...(opts.managementRoom ? { managementRoom: opts.managementRoom } : {}),
    });
    this.#download = opts.download ?? {};
  }

  /** Authenticated-media download into memory (size cap, timeout, sniffed mime). */
  downloadMedia(server: string, mediaId: string, opts: DownloadOptions = {}): Promise<DownloadedMedia> {
    return downloadMedia(this.http, server, mediaId, { ...this.#download, ...opts });
  }

  /** Synapse admin media info, including the server's sha256. */
  getMediaInfo(server: string, mediaId: string): Promise<AdminMediaInfo> {
    return getAdminMediaInfo(this.http, server, mediaId);
  }

  createLiveRoomSource(opts: Omit<LiveRoomSourceOptions, 'http'>): LiveRoomSource {
    return new LiveRoomSource({ ...opts, http: this.http });
  }

  createEventReportSource(opts: Omit<EventReportSourceOptions, 'http'>): EventReportSource {
    return new EventReportSource({ ...opts, http: this.http });
  }

  createQuarantineFeed(opts: Omit<QuarantineFeedOptions, 'http'>): QuarantineFeed {
    return new QuarantineFeed({ ...opts, http: this.http });
  }
}
