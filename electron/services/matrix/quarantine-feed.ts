// QuarantineFeed: follows Synapse's GET /_synapse/admin/v1/media/quarantine_changes?from=<int>
// (Synapse ≥ 1.152). Response: { next_batch: int, changes: [{ origin, media_id, quarantined }] }
// in stream order, at most 100 per page; `from` is exclusive and a `from` beyond the server's
// stream position is a 400 M_INVALID_PARAM. Older servers answer 404 / M_UNRECOGNIZED: reported
// as unsupported. There is no "list quarantined media" endpoint, so replaying from 0 is how a
// local bank is built; unquarantined items tell the bank to drop their hashes.
//
// Quarantined items are downloaded with admin_unsafely_bypass_quarantine=true (bytes in memory)
// and carry the server's sha256 from the admin media info.
import { failureResult, MatrixApiError } from './errors';
import { MatrixHttp } from './http';
import { downloadMedia, getAdminMediaInfo } from './media';
import type { ActionError, CursorStore, DownloadedMedia, DownloadOptions, QuarantineChange, SourceNotice } from './types';

export interface QuarantineFeedItem {
  change: QuarantineChange;
  /** server's sha256 (hex) when known; for unquarantined items too, so the bank can drop it */
  sha256?: string | null;
  mediaType?: string;
  /** bytes, for quarantined items when downloads are on */
  media?: DownloadedMedia;
  /** non-retryable failure fetching info or bytes for this item (e.g. media deleted) */
  error?: ActionError;
}

export interface QuarantineFeedOptions {
  http: MatrixHttp;
  /** persisted `from` position (stream id) */
  cursor: CursorStore<number>;
  onChange: (item: QuarantineFeedItem) => Promise<void> | void;
  onNotice?: (n: SourceNotice) => void;
  /** download quarantined media (default true) */
  download?: boolean;
  downloadOptions?: Omit<DownloadOptions, 'bypassQuarantine'>;
  /** look up the server's sha256 per item (default true) */
  fetchSha256?: boolean;
}

export interface QuarantineChangesPage {
  nextBatch: number;
  changes: QuarantineChange[];
}

export type QuarantineFeedPollResult =
  | { supported: true; changes: number; position: number }
  | { supported: false; reason: string };

/** Synapse on sqlite serialises the flag as 0/1 rather than a JSON boolean. */
function truthy(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return !['', '0', 'f', 'false'].includes(v.toLowerCase());
  return false;
}

/** One raw page of quarantine_changes. Throws MatrixApiError (code 'unsupported'/'not_found' on old servers). */
export async function fetchQuarantineChanges(
  http: MatrixHttp,
  from: number,
  signal?: AbortSignal,
): Promise<QuarantineChangesPage> {
  const r = await http.request<{ next_batch?: unknown; changes?: unknown }>(
    'GET',
    '/_synapse/admin/v1/media/quarantine_changes',
    { query: { from }, ...(signal ? { signal } : {}) },
  );
  if (typeof r.next_batch !== 'number' || !Array.isArray(r.changes)) {
    throw new MatrixApiError('unsupported', 'quarantine_changes: unexpected response shape');
  }
  const changes: QuarantineChange[] = [];
  for (const c of r.changes as Array<Record<string, unknown>>) {
    if (typeof c.origin === 'string' && typeof c.media_id === 'string') {
      changes.push({ server: c.origin, mediaId: c.media_id, quarantined: truthy(c.quarantined) });
    }
  }
  return { nextBatch: r.next_batch, changes };
}

const isAbsent = (e: unknown): e is MatrixApiError =>
  e instanceof MatrixApiError && (e.code === 'unsupported' || (e.code === 'not_found' && e.errcode !== 'M_NOT_FOUND') || e.httpStatus === 405);

export class QuarantineFeed {
  readonly #o: QuarantineFeedOptions;
  #unsupportedNoticeSent = false;

  constructor(opts: QuarantineFeedOptions) {
    this.#o = opts;
  }

  /**
   * Consume every change after the cursor. Returns { supported: false } on servers without the
   * endpoint. Throws MatrixApiError for retryable / auth failures (cursor not advanced past the
   * failed page).
   */
  async poll(opts: { signal?: AbortSignal } = {}): Promise<QuarantineFeedPollResult> {
    const o = this.#o;
    let from = (await o.cursor.load()) ?? 0;
    let total = 0;
    for (;;) {
      let page: QuarantineChangesPage;
      try {
        page = await fetchQuarantineChanges(o.http, from, opts.signal);
      } catch (err) {
        if (isAbsent(err)) {
          const reason = `This homeserver does not offer /_synapse/admin/v1/media/quarantine_changes (Synapse ≥ 1.152 needed): ${err.message}`;
          if (!this.#unsupportedNoticeSent) {
            this.#unsupportedNoticeSent = true;
            o.onNotice?.({ kind: 'feed_unsupported', feed: 'quarantine_changes', message: reason });
          }
          return { supported: false, reason };
        }
        if (err instanceof MatrixApiError && err.errcode === 'M_INVALID_PARAM' && from > 0) {
          // Our position is ahead of the server (restored DB?): replay from the start.
          o.onNotice?.({
            kind: 'source_error',
            retryable: true,
            message: 'Quarantine feed position is ahead of the server; replaying from the start',
          });
          from = 0;
          await o.cursor.save(0);
          continue;
        }
        throw err;
      }
      for (const change of page.changes) {
        await o.onChange(await this.#enrich(change, opts.signal));
        total++;
      }
      const advanced = page.nextBatch !== from;
      from = page.nextBatch;
      await o.cursor.save(from);
      if (page.changes.length === 0 || !advanced) break;
    }
    return { supported: true, changes: total, position: from };
  }

  async #enrich(change: QuarantineChange, signal?: AbortSignal): Promise<QuarantineFeedItem> {
    const o = this.#o;
    const item: QuarantineFeedItem = { change };
    const soft = (err: unknown): void => {
      const r = failureResult(err);
      if (r.status === 'permanent_failure') {
        item.error = r.error;
        return;
      }
      throw err; // retryable / token expired: stop the page
    };
    if (o.fetchSha256 ?? true) {
      try {
        const info = await getAdminMediaInfo(o.http, change.server, change.mediaId, signal ? { signal } : {});
        if (info.sha256 !== undefined) item.sha256 = info.sha256;
        if (info.mediaType) item.mediaType = info.mediaType;
      } catch (err) {
        soft(err);
      }
    }
    if (change.quarantined && (o.download ?? true) && !item.error) {
      try {
        item.media = await downloadMedia(o.http, change.server, change.mediaId, {
          ...o.downloadOptions,
          ...(signal ? { signal } : {}),
          bypassQuarantine: true,
        });
      } catch (err) {
        soft(err);
      }
    }
    return item;
  }
}
