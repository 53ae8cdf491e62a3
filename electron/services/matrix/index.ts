export * from './types';
export { MatrixApiError, MatrixLoginError, failureResult, parseRetryAfterHeader } from './errors';
export { MatrixHttp, normalizeBaseUrl, type MatrixHttpOptions, type RequestOptions } from './http';
export { login, logout, discoverHomeserver, checkServerAdmin, httpForSession, type LoginOptions, type LoginCredentials } from './auth';
export { downloadMedia, getAdminMediaInfo, parseMxc, mxcUri, DEFAULT_MAX_DOWNLOAD_BYTES, DEFAULT_DOWNLOAD_TIMEOUT_MS } from './media';
export { sniffMime, mimeKind } from './sniff';
export { mediaEventFromRaw, mediaPartsOf, mediaPartsOfContent, mediaPartsOfEvent, eventText, matrixToLink, MAX_EVENT_TEXT, type RawEvent } from './events';
export { LiveRoomSource, type LiveRoomSourceOptions } from './live-source';
export { EventReportSource, type EventReportSourceOptions, type RawEventReport } from './report-source';
export {
  QuarantineFeed,
  fetchQuarantineChanges,
  type QuarantineFeedItem,
  type QuarantineFeedOptions,
  type QuarantineFeedPollResult,
  type QuarantineChangesPage,
} from './quarantine-feed';
export {
  MatrixActions,
  runWithRetry,
  txnIdFor,
  type MatrixActionsOptions,
  type QuarantineDetail,
  type BulkQuarantineDetail,
  type RedactDetail,
  type RedactUserDetail,
  type RedactStatusDetail,
  type RedactTaskStatus,
  type NoticeDetail,
  type RetryOptions,
} from './actions';
export { MatrixModerationClient, type MatrixModerationClientOptions } from './client';
