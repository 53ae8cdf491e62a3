// EventReportSource: pages through Synapse's GET /_synapse/admin/v1/event_reports (oldest first,
// with a persisted cursor), fetches each reported event with GET
// /_synapse/admin/v1/fetch_event/{eventId} (no room membership needed) and hands over every report:
// onReport gets each one with what the server knows of the event (its media parts, or its text);
// onMedia gets the reports of media events. The cursor is saved after each page was handed over.
import { MatrixApiError } from './errors';
import { eventText, matrixToLink, mediaEventFromRaw, type RawEvent } from './events';
import { MatrixHttp, seg } from './http';
import type { CursorStore, EventReportCursor, MediaEvent, MediaReportInfo, ReportedEvent, SourceNotice } from './types';

export interface EventReportSourceOptions {
  http: MatrixHttp;
  cursor: CursorStore<EventReportCursor>;
  /** every report, media or not (then onMedia is not called) */
  onReport?: (ev: ReportedEvent) => Promise<void> | void;
  /** reports of media events only (when onReport is not given); the others become notices */
  onMedia?: (ev: MediaEvent) => Promise<void> | void;
  onNotice?: (n: SourceNotice) => void;
  /** page size, default 100 */
  pageSize?: number;
  includeAudio?: boolean;
}

/** One row of GET /_synapse/admin/v1/event_reports. */
export interface RawEventReport {
  id: number;
  received_ts: number;
  room_id: string;
  event_id: string;
  user_id: string;
  reason?: string | null;
  score?: number | null;
  sender?: string | null;
  canonical_alias?: string | null;
  name?: string | null;
}

interface ReportsPage {
  event_reports?: RawEventReport[];
  next_token?: number;
  total?: number;
}

export class EventReportSource {
  readonly #o: EventReportSourceOptions;

  constructor(opts: EventReportSourceOptions) {
    this.#o = opts;
  }

  async #page(from: number, limit: number, signal?: AbortSignal): Promise<ReportsPage> {
    const req: Parameters<MatrixHttp['request']>[2] = { query: { from, limit, dir: 'f' } };
    if (signal) req.signal = signal;
    return this.#o.http.request<ReportsPage>('GET', '/_synapse/admin/v1/event_reports', req);
  }

  /**
   * Fetch every report newer than the cursor and emit its media. Returns counts. Throws
   * MatrixApiError when listing fails (the cursor then stays where it was).
   *
   * Synapse paginates by offset ordered by received_ts; deleting reports shifts offsets, so the
   * cursor also keeps the last report id and steps back when a page starts past it.
   */
  async poll(opts: { signal?: AbortSignal } = {}): Promise<{ reports: number; media: number }> {
    const o = this.#o;
    const limit = o.pageSize ?? 100;
    const saved = (await o.cursor.load()) ?? { offset: 0, lastReportId: 0 };
    let offset = saved.offset;
    let lastId = saved.lastReportId;
    let reports = 0;
    let media = 0;

    // Re-read from the last handed-out report (offset - 1) and step back while the page starts
    // after lastId (reports before it were deleted, shifting offsets).
    offset = offset > 0 ? offset - 1 : 0;
    let page = await this.#page(offset, limit, opts.signal);
    while (offset > 0 && lastId > 0) {
      const firstId = page.event_reports?.[0]?.id;
      if (firstId !== undefined && firstId <= lastId) break;
      offset = Math.max(0, offset - limit);
      page = await this.#page(offset, limit, opts.signal);
    }

    for (;;) {
      const rows = page.event_reports ?? [];
      for (const row of rows) {
        if (row.id <= lastId) continue;
        media += await this.#handle(row, opts.signal);
        reports++;
        lastId = Math.max(lastId, row.id);
      }
      offset += rows.length;
      await o.cursor.save({ offset, lastReportId: lastId });
      if (rows.length === 0 || page.next_token === undefined) break;
      offset = page.next_token;
      page = await this.#page(offset, limit, opts.signal);
    }
    return { reports, media };
  }

  /** Fetch a reported event through the admin API (null when the server does not have it). */
  async fetchEvent(eventId: string, signal?: AbortSignal): Promise<RawEvent | null> {
    try {
      const r = await this.#o.http.request<{ event?: RawEvent }>(
        'GET',
        `/_synapse/admin/v1/fetch_event/${seg(eventId)}`,
        signal ? { signal } : {},
      );
      return r.event ?? null;
    } catch (err) {
      if (err instanceof MatrixApiError && err.code === 'not_found') return null;
      throw err;
    }
  }

  async #handle(row: RawEventReport, signal?: AbortSignal): Promise<number> {
    const o = this.#o;
    const event = await this.fetchEvent(row.event_id, signal);
    const report: MediaReportInfo = { id: row.id, reporter: row.user_id, receivedTs: row.received_ts };
    if (row.reason) report.reason = row.reason;
    if (typeof row.score === 'number') report.score = row.score;
    const roomName = row.name ?? row.canonical_alias ?? undefined;
    if (!event) {
      o.onNotice?.({
        kind: 'report_event_unavailable',
        reportId: row.id,
        roomId: row.room_id,
        eventId: row.event_id,
        message: `Report ${row.id}: event ${row.event_id} is not known to the homeserver`,
      });
      if (o.onReport) await o.onReport(reportedEvent(row, report, roomName, null, 'unavailable'));
      return 0;
    }
    const redacted = !!event.unsigned?.redacted_because;
    const m = mediaEventFromRaw(
      event,
      { source: 'report', roomId: row.room_id, report, ...(roomName ? { roomName } : {}) },
      { includeAudio: o.includeAudio ?? false, allowRedacted: !!o.onReport },
    );
    if (o.onReport) {
      const kind = m ? 'media' : redacted ? 'redacted' : event.type === 'm.room.encrypted' ? 'encrypted' : 'content';
      const re = reportedEvent(row, report, roomName, event, kind);
      if (m) re.media = m;
      await o.onReport(re);
      return m ? 1 : 0;
    }
    if (!m) {
      o.onNotice?.({
        kind: 'report_without_media',
        reportId: row.id,
        roomId: row.room_id,
        eventId: row.event_id,
        message: redacted
          ? `Report ${row.id}: the reported event was already redacted`
          : event.type === 'm.room.encrypted'
            ? `Report ${row.id}: the reported event is end-to-end encrypted`
            : `Report ${row.id}: the reported event has no media`,
      });
      return 0;
    }
    await o.onMedia?.(m);
    return 1;
  }
}

function reportedEvent(
  row: RawEventReport,
  report: MediaReportInfo,
  roomName: string | undefined,
  event: RawEvent | null,
  kind: ReportedEvent['kind'],
): ReportedEvent {
  const out: ReportedEvent = { report, roomId: row.room_id, eventId: row.event_id, matrixToLink: matrixToLink(row.room_id, row.event_id), kind };
  if (roomName) out.roomName = roomName;
  const sender = event?.sender ?? row.sender ?? undefined;
  if (sender) out.sender = sender;
  if (!event) return out;
  if (typeof event.origin_server_ts === 'number') out.originServerTs = event.origin_server_ts;
  if (event.type) out.eventType = event.type;
  const msgtype = event.content?.msgtype;
  if (typeof msgtype === 'string') out.msgtype = msgtype;
  // Ciphertext is not text; a redacted event's words are shown (the report is about them) but flagged by kind.
  if (kind !== 'encrypted') {
    const text = eventText(event);
    if (text !== undefined) out.text = text;
  }
  return out;
}
