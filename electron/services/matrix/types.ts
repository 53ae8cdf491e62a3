// Types shared by the Matrix client, the media sources and the homeserver actions.
// Plain Node code: never import `electron` here.

export type MediaSourceKind = 'live' | 'report' | 'quarantine';

export type MediaMsgtype = 'm.image' | 'm.video' | 'm.file' | 'm.audio' | 'm.sticker';

export interface MediaReportInfo {
  /** Synapse event report id */
  id: number;
  reason?: string;
  score?: number;
  /** user id of the reporter */
  reporter: string;
  receivedTs: number;
}

/** One piece of media seen in a room, a report or the quarantine feed. */
export interface MediaEvent {
  source: MediaSourceKind;
  mxcUri: string;
  server: string;
  mediaId: string;
  eventId: string;
  roomId: string;
  roomName?: string;
  sender: string;
  originServerTs: number;
  /** 'm.sticker' for sticker events (their event type), else content.msgtype */
  msgtype: MediaMsgtype;
  body?: string;
  declaredMime?: string;
  declaredSize?: number;
  /**
   * true when the attachment is end-to-end encrypted (content.file): the bytes served by the
   * homeserver are ciphertext and cannot be hashed without the key.
   */
  encrypted: boolean;
  report?: MediaReportInfo;
  /** https://matrix.to/#/<roomId>/<eventId> */
  matrixToLink: string;
}

/** Something a source wants a moderator to see that is not a media item. */
export type SourceNotice =
  | { kind: 'encrypted_room'; roomId: string; roomName?: string; message: string }
  | { kind: 'report_without_media'; reportId: number; roomId: string; eventId: string; message: string }
  | { kind: 'report_event_unavailable'; reportId: number; roomId: string; eventId: string; message: string }
  | { kind: 'feed_unsupported'; feed: 'quarantine_changes'; message: string }
  | { kind: 'auth_expired'; softLogout: boolean; message: string }
  | { kind: 'source_error'; message: string; retryable: boolean };

// ---------------------------------------------------------------------------------------------
// Sessions and login

export interface MatrixSession {
  /** client-server API base, e.g. https://matrix.example.org (no trailing slash) */
  homeserverUrl: string;
  /** base for /_synapse/admin; defaults to homeserverUrl */
  adminApiBaseUrl: string;
  userId: string;
  deviceId?: string;
  /** the caller stores this (secrets service); never logged */
  accessToken: string;
  isAdmin: boolean;
  /** the homeserver's server name as used in mxc:// URIs (the part after ':' in userId) */
  serverName: string;
}

export type LoginErrorCode =
  | 'invalid_url' // not a parseable URL, not https (outside loopback), or with credentials or whitespace in it
  | 'insecure_discovery' // .well-known pointed an https homeserver (or any) at a plain-http or otherwise refused URL
  | 'unreachable' // DNS / connection refused / timeout
  | 'not_matrix_server' // reachable, but no Matrix client API there
  | 'bad_credentials' // wrong user or password, missing token
  | 'token_expired' // M_UNKNOWN_TOKEN (invalid, expired or revoked token)
  | 'soft_logout' // M_UNKNOWN_TOKEN with soft_logout: true (re-login keeps the device)
  | 'not_admin' // authenticated, but not a server admin and admin rights were required
  | 'admin_api_unreachable' // the admin API base URL cannot be reached or does not serve /_synapse/admin
  | 'rate_limited'
  | 'server_error'
  | 'unknown';

// ---------------------------------------------------------------------------------------------
// Action results

export type ActionErrorCode =
  | 'rate_limited'
  | 'server_error'
  | 'network'
  | 'timeout'
  | 'token_expired'
  | 'forbidden'
  | 'not_found'
  | 'bad_request'
  | 'unsupported'
  | 'too_large'
  | 'http_error';

export interface ActionError {
  code: ActionErrorCode;
  message: string;
  httpStatus?: number;
  /** Matrix errcode (M_FORBIDDEN, M_LIMIT_EXCEEDED, …) when the server sent one */
  errcode?: string;
}

/**
 * Outcome of a homeserver action. `token_expired` is its own status: it is neither permanent
 * (it succeeds after re-login) nor retryable by waiting.
 */
export type ActionResult<D = unknown> =
  | { status: 'ok'; detail?: D }
  | { status: 'permanent_failure'; error: ActionError }
  | { status: 'retryable'; error: ActionError; retryAfterMs?: number }
  | { status: 'token_expired'; error: ActionError; softLogout: boolean };

// ---------------------------------------------------------------------------------------------
// Media

export interface DownloadOptions {
  /** default 50 MiB */
  maxBytes?: number;
  /** whole request, default 30 s */
  timeoutMs?: number;
  /** admin only: admin_unsafely_bypass_quarantine=true */
  bypassQuarantine?: boolean;
  signal?: AbortSignal;
}

export interface DownloadedMedia {
  server: string;
  mediaId: string;
  /** in memory only; never written to disk */
  bytes: Uint8Array;
  size: number;
  /** from magic bytes; 'application/octet-stream' when unknown */
  sniffedMime: string;
  /** Content-Type sent by the server (untrusted) */
  headerMime?: string;
}

/** Synapse GET /_synapse/admin/v1/media/{origin}/{mediaId} (`media_info`). */
export interface AdminMediaInfo {
  server: string;
  mediaId: string;
  mediaType?: string;
  mediaLength?: number;
  uploadName?: string;
  userId?: string | null;
  createdTs?: number;
  quarantinedBy?: string | null;
  safeFromQuarantine?: boolean | null;
  /** hex sha256 of the file as stored by the server, when it has one */
  sha256?: string | null;
}

// ---------------------------------------------------------------------------------------------
// Persisted cursors (the caller persists them; the sources only hand them over)

export interface CursorStore<T> {
  load(): Promise<T | null> | T | null;
  save(value: T): Promise<void> | void;
}

export interface EventReportCursor {
  /** forward (dir=f) offset of the next page */
  offset: number;
  /** highest report id handed out */
  lastReportId: number;
}

export interface QuarantineChange {
  server: string;
  mediaId: string;
  quarantined: boolean;
}
