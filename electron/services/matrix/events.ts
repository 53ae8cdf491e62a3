// Turning raw Matrix events into MediaEvent objects.
import { parseMxc } from './media';
import type { MediaEvent, MediaMsgtype, MediaReportInfo, MediaSourceKind } from './types';

/** A client/federation-format event as returned by /sync, /messages or fetch_event. */
export interface RawEvent {
  event_id?: string;
  type?: string;
  room_id?: string;
  sender?: string;
  origin_server_ts?: number;
  state_key?: string;
  content?: Record<string, unknown>;
  unsigned?: Record<string, unknown>;
  redacts?: string;
}

const MEDIA_MSGTYPES: ReadonlySet<string> = new Set(['m.image', 'm.video', 'm.file', 'm.audio']);

export interface MediaEventOptions {
  /** include m.audio messages (default false: the brief covers images, video, files, stickers) */
  includeAudio?: boolean;
}

export function matrixToLink(roomId: string, eventId?: string): string {
  const r = encodeURIComponent(roomId);
  return eventId ? `https://matrix.to/#/${r}/${encodeURIComponent(eventId)}` : `https://matrix.to/#/${r}`;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * The MediaEvent for a media message or sticker, or null (not media, redacted, malformed mxc).
 * A replacement (m.replace edit) is reported under its own event id with the new content.
 */
export function mediaEventFromRaw(
  ev: RawEvent,
  ctx: {
    source: MediaSourceKind;
    roomId?: string;
    roomName?: string;
    report?: MediaReportInfo;
  },
  opts: MediaEventOptions = {},
): MediaEvent | null {
  const roomId = ev.room_id ?? ctx.roomId;
  if (!ev.event_id || !roomId || !ev.sender) return null;
  if (ev.unsigned && ev.unsigned.redacted_because) return null;
  let content = ev.content ?? {};
  let msgtype: MediaMsgtype;
  if (ev.type === 'm.sticker') {
    msgtype = 'm.sticker';
  } else if (ev.type === 'm.room.message') {
    const relates = content['m.relates_to'] as { rel_type?: string } | undefined;
    const newContent = content['m.new_content'];
    if (relates?.rel_type === 'm.replace' && newContent && typeof newContent === 'object') {
      content = newContent as Record<string, unknown>;
    }
    const mt = str(content.msgtype);
    if (!mt || !MEDIA_MSGTYPES.has(mt)) return null;
    if (mt === 'm.audio' && !opts.includeAudio) return null;
    msgtype = mt as MediaMsgtype;
  } else {
    return null;
  }

  let url = str(content.url);
  let encrypted = false;
  const file = content.file as { url?: unknown } | undefined;
  if (!url && file && typeof file === 'object') {
    url = str(file.url);
    encrypted = true;
  }
  if (!url) return null;
  const parsed = parseMxc(url);
  if (!parsed) return null;

  const info = (content.info && typeof content.info === 'object' ? content.info : {}) as Record<string, unknown>;
  const out: MediaEvent = {
    source: ctx.source,
    mxcUri: url.trim(),
    server: parsed.server,
    mediaId: parsed.mediaId,
    eventId: ev.event_id,
    roomId,
    sender: ev.sender,
    originServerTs: num(ev.origin_server_ts) ?? 0,
    msgtype,
    encrypted,
    matrixToLink: matrixToLink(roomId, ev.event_id),
  };
  if (ctx.roomName) out.roomName = ctx.roomName;
  const body = str(content.body);
  if (body !== undefined) out.body = body;
  const mime = str(info.mimetype);
  if (mime !== undefined) out.declaredMime = mime;
  const size = num(info.size);
  if (size !== undefined) out.declaredSize = size;
  if (ctx.report) out.report = ctx.report;
  return out;
}
