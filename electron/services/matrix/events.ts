// Turning raw Matrix events into MediaEvent objects: every mxc:// an event carries (the attachment, the client-uploaded
// thumbnail, and for an edit the same two in m.new_content), plus a readable text for events without media.
import { parseMxc } from './media';
import type { MediaEvent, MediaMsgtype, MediaPart, MediaPartName, MediaReportInfo, MediaSourceKind } from './types';

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

/** m.location carries no attachment, but its `info` may carry a thumbnail (a map picture clients show). */
const MEDIA_MSGTYPES: ReadonlySet<string> = new Set(['m.image', 'm.video', 'm.file', 'm.audio', 'm.location']);

export interface MediaEventOptions {
  /** include m.audio messages (default false: the brief covers images, video, files, stickers) */
  includeAudio?: boolean;
  /** return the media of a redacted event (the admin API still serves its original content), marked redacted */
  allowRedacted?: boolean;
}

export function matrixToLink(roomId: string, eventId?: string): string {
  const r = encodeURIComponent(roomId);
  return eventId ? `https://matrix.to/#/${r}/${encodeURIComponent(eventId)}` : `https://matrix.to/#/${r}`;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

function declared(part: MediaPart, info: Record<string, unknown> | undefined): MediaPart {
  if (!info) return part;
  const mime = str(info.mimetype);
  const size = num(info.size);
  const w = num(info.w);
  const h = num(info.h);
  if (mime !== undefined) part.declaredMime = mime;
  if (size !== undefined) part.declaredSize = size;
  if (w !== undefined) part.width = w;
  if (h !== undefined) part.height = h;
  return part;
}

function part(name: MediaPartName, uri: string | undefined, encrypted: boolean, info: Record<string, unknown> | undefined): MediaPart | null {
  if (!uri) return null;
  const parsed = parseMxc(uri);
  if (!parsed) return null;
  return declared({ part: name, mxcUri: uri.trim(), server: parsed.server, mediaId: parsed.mediaId, encrypted }, info);
}

/**
 * The mxc:// URIs of one content object: `url` (or the encrypted `file.url`) and `info.thumbnail_url` (or
 * `info.thumbnail_file.url`), with what the client declared about each. Both forms are taken when both are present:
 * clients differ in which one they show.
 */
export function mediaPartsOfContent(content: Record<string, unknown>, edit = false): MediaPart[] {
  const info = obj(content.info);
  const thumbInfo = obj(info?.thumbnail_info);
  const names: [MediaPartName, MediaPartName] = edit ? ['new_media', 'new_thumbnail'] : ['media', 'thumbnail'];
  const candidates = [
    part(names[0], str(content.url), false, info),
    part(names[0], str(obj(content.file)?.url), true, info),
    part(names[1], str(info?.thumbnail_url), false, thumbInfo),
    part(names[1], str(obj(info?.thumbnail_file)?.url), true, thumbInfo),
  ];
  return candidates.filter((p): p is MediaPart => p !== null);
}

/**
 * Every mxc:// a message or sticker carries, the one clients show first: for an edit (m.replace) the new content's
 * attachment and thumbnail, then the fallback content's (clients without edit support show those). One part per
 * distinct mxc:// URI.
 */
export function mediaPartsOfEvent(ev: RawEvent): MediaPart[] {
  const content = ev.content ?? {};
  const relates = obj(content['m.relates_to']);
  const newContent = relates?.rel_type === 'm.replace' ? obj(content['m.new_content']) : undefined;
  const all = [...(newContent ? mediaPartsOfContent(newContent, true) : []), ...mediaPartsOfContent(content)];
  const seen = new Set<string>();
  return all.filter((p) => {
    const key = `${p.server}/${p.mediaId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Media parts of a hand-built MediaEvent (older callers set only mxcUri/server/mediaId). */
export function mediaPartsOf(ev: MediaEvent): MediaPart[] {
  if (ev.parts && ev.parts.length > 0) return ev.parts;
  const p: MediaPart = { part: 'media', mxcUri: ev.mxcUri, server: ev.server, mediaId: ev.mediaId, encrypted: ev.encrypted };
  if (ev.declaredMime !== undefined) p.declaredMime = ev.declaredMime;
  if (ev.declaredSize !== undefined) p.declaredSize = ev.declaredSize;
  return [p];
}

function msgtypeOf(ev: RawEvent, opts: MediaEventOptions): MediaMsgtype | null {
  if (ev.type === 'm.sticker') return 'm.sticker';
  if (ev.type !== 'm.room.message') return null;
  const content = ev.content ?? {};
  const relates = obj(content['m.relates_to']);
  const newContent = relates?.rel_type === 'm.replace' ? obj(content['m.new_content']) : undefined;
  // An edit is shown as its new content; a fallback with media under a non-media edit still counts.
  for (const c of newContent ? [newContent, content] : [content]) {
    const mt = str(c.msgtype);
    if (!mt || !MEDIA_MSGTYPES.has(mt)) continue;
    if (mt === 'm.audio' && !opts.includeAudio) continue;
    return mt as MediaMsgtype;
  }
  return null;
}

/**
 * The MediaEvent for a media message or sticker, or null (not media, redacted, no valid mxc:// URI).
 * A replacement (m.replace edit) is reported under its own event id; its parts are the new content's and the
 * fallback's.
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
  const redacted = !!(ev.unsigned && ev.unsigned.redacted_because);
  if (redacted && !opts.allowRedacted) return null;
  const msgtype = msgtypeOf(ev, opts);
  if (!msgtype) return null;
  const parts = mediaPartsOfEvent(ev);
  const primary = parts[0];
  if (!primary) return null;

  const content = ev.content ?? {};
  const relates = obj(content['m.relates_to']);
  const newContent = relates?.rel_type === 'm.replace' ? obj(content['m.new_content']) : undefined;
  const shown = newContent && str(newContent.msgtype) === msgtype ? newContent : content;
  const out: MediaEvent = {
    source: ctx.source,
    mxcUri: primary.mxcUri,
    server: primary.server,
    mediaId: primary.mediaId,
    eventId: ev.event_id,
    roomId,
    sender: ev.sender,
    originServerTs: num(ev.origin_server_ts) ?? 0,
    msgtype,
    encrypted: primary.encrypted,
    matrixToLink: matrixToLink(roomId, ev.event_id),
    parts,
  };
  if (ctx.roomName) out.roomName = ctx.roomName;
  const body = str(shown.body);
  if (body !== undefined) out.body = body;
  if (primary.declaredMime !== undefined) out.declaredMime = primary.declaredMime;
  if (primary.declaredSize !== undefined) out.declaredSize = primary.declaredSize;
  if (newContent && typeof relates?.event_id === 'string') out.replaces = relates.event_id;
  if (redacted) out.redacted = true;
  if (ctx.report) out.report = ctx.report;
  return out;
}

export const MAX_EVENT_TEXT = 10_000;

/**
 * A readable text for any event, for a moderator looking at a report: the body of a message (for an edit, the new
 * body), else the field that carries the words of common events (room name, topic, display name, reaction key), else
 * the content as JSON. Untrusted: the caller shows it as text, never as HTML. Capped at MAX_EVENT_TEXT characters.
 */
export function eventText(ev: RawEvent): string | undefined {
  const content = ev.content ?? {};
  if (Object.keys(content).length === 0) return undefined;
  const relates = obj(content['m.relates_to']);
  const newContent = relates?.rel_type === 'm.replace' ? obj(content['m.new_content']) : undefined;
  const text =
    str(newContent?.body) ??
    str(content.body) ??
    str(content.name) ??
    str(content.topic) ??
    str(content.displayname) ??
    (ev.type === 'm.reaction' ? str(relates?.key) : undefined) ??
    JSON.stringify(content);
  return text.length > MAX_EVENT_TEXT ? `${text.slice(0, MAX_EVENT_TEXT)}…` : text;
}
