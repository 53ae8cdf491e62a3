// Types shared by the Matrix client, the media sources and the homeserver actions.
// Plain Node code: never import `electron` here.

export type MediaSourceKind = 'live' | 'report' | 'quarantine';

export type MediaMsgtype = 'm.image' | 'm.video' | 'm.file' | 'm.audio' | 'm.location' | 'm.sticker';

export interface MediaReportInfo {
  /** Synapse event report id */
  id: number;
  reason?: string;
  score?: number;
  /** user id of the reporter */
  reporter: string;
  receivedTs: number;
}

/**
 * Which mxc:// of an event a media part is: the attachment (`url` or encrypted `file`), the client-uploaded thumbnail
 * (`info.thumbnail_url` / `info.thumbnail_file`), and for an edit (m.replace) the same two in `m.new_content`.
 */
export type MediaPartName = 'media' | 'thumbnail' | 'new_media' | 'new_thumbnail';

/** One mxc:// an event carries. */
export interface MediaPart {
  part: MediaPartName;
  mxcUri: string;
  server: string;
  mediaId: string;
  /** end-to-end encrypted attachment (`file` / `thumbnail_file`): the server holds ciphertext */
  encrypted: boolean;
  /** what the sender's client declared (`info` or `thumbnail_info`); untrusted */
  declaredMime?: string;
  declaredSize?: number;
  width?: number;
  height?: number;
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
  /**
   * Every mxc:// the event carries, the attachment first (the same as mxcUri/server/mediaId). Absent on events built by
   * hand: then the attachment is the only part (see mediaPartsOf).
   */
  parts?: MediaPart[];
  /** for an edit (m.replace): the event it replaces */
  replaces?: string;
  /** the event was redacted (reports only: the admin API still serves the original content) */
  redacted?: boolean;
}

/** What a reported event turned out to be when the admin API fetched it. */
export type ReportedEventKind = 'media' | 'content' | 'encrypted' | 'redacted' | 'unavailable';

/**
 * One event report with what the homeserver knows of the event: its media (parts), or its text for a non-media
 * event. Every report is handed over, whether or not the event carries media.
 */
export interface ReportedEvent {
  report: MediaReportInfo;
  roomId: string;
  roomName?: string;
  eventId: string;
  matrixToLink: string;
  kind: ReportedEventKind;
  /** set when kind is 'media' (and for a redacted media event whose original content is still served) */
  media?: MediaEvent;
  sender?: string;
  originServerTs?: number;
  eventType?: string;
  msgtype?: string;
  /** the event's text (body, or a readable rendering of other content); untrusted: show it as text, never as HTML */
  text?: string;
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
