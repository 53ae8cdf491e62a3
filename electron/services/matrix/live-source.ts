// LiveRoomSource: a plain /sync loop over the rooms the account is in. Emits MediaEvent for
// m.image / m.video / m.file / m.sticker events, skips encrypted rooms with a notice, back-fills
// a window of history on the first sync and fills gaps of limited timelines. The since token is
// persisted through an injected CursorStore only after every media event of the batch was
// handed to onMedia (at-least-once delivery; dedupe downstream by eventId).
import { failureResult } from './errors';
import { mediaEventFromRaw, type RawEvent } from './events';
import { MatrixHttp, seg } from './http';
import type { CursorStore, MediaEvent, SourceNotice } from './types';

export interface LiveRoomSourceOptions {
  http: MatrixHttp;
  /** persisted /sync since token */
  syncToken: CursorStore<string>;
  onMedia: (ev: MediaEvent) => Promise<void> | void;
  onNotice?: (n: SourceNotice) => void;
  /** history to back-fill on the first sync (no since token); default 24 h, 0 = none */
  backfillWindowMs?: number;
  /** cap of back-filled / gap-filled events per room and sync; default 1000 */
  maxBackfillEventsPerRoom?: number;
  /** long-poll timeout; default 30 s */
  syncTimeoutMs?: number;
  /** only these rooms (default: every joined room) */
  roomFilter?: (roomId: string) => boolean;
  includeAudio?: boolean;
  /** loop backoff after a failed sync: base (default 1 s) and cap (default 60 s) */
  retryBaseMs?: number;
  retryMaxMs?: number;
  now?: () => number;
}

interface RoomInfo {
  name?: string;
  alias?: string;
  encrypted: boolean;
  encryptedNoticeSent: boolean;
  /** state fetched or seen in a full sync */
  known: boolean;
}

interface SyncRoom {
  timeline?: { events?: RawEvent[]; limited?: boolean; prev_batch?: string };
  state?: { events?: RawEvent[] };
}

interface SyncResponse {
  next_batch: string;
  rooms?: { join?: Record<string, SyncRoom> };
}

const MEDIA_EVENT_TYPES = ['m.room.message', 'm.sticker'];
const STATE_TYPES = ['m.room.name', 'm.room.canonical_alias', 'm.room.encryption'];
const TIMELINE_TYPES = [...MEDIA_EVENT_TYPES, 'm.room.encrypted', ...STATE_TYPES];

const SYNC_FILTER = JSON.stringify({
  presence: { not_types: ['*'] },
  account_data: { not_types: ['*'] },
  room: {
    timeline: { types: TIMELINE_TYPES, limit: 50 },
    state: { types: STATE_TYPES, lazy_load_members: true },
    ephemeral: { not_types: ['*'] },
    account_data: { not_types: ['*'] },
  },
});
const MESSAGES_FILTER = JSON.stringify({ types: TIMELINE_TYPES, lazy_load_members: true });

export class LiveRoomSource {
  readonly #o: LiveRoomSourceOptions;
  readonly #rooms = new Map<string, RoomInfo>();
  readonly #recent = new Set<string>();
  #since: string | null | undefined = undefined; // undefined = not loaded yet
  #running = false;
  #abort: AbortController | null = null;
  #loop: Promise<void> | null = null;

  constructor(opts: LiveRoomSourceOptions) {
    this.#o = opts;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Rooms skipped because they are end-to-end encrypted (room id -> name). */
  encryptedRooms(): Map<string, string | undefined> {
    const out = new Map<string, string | undefined>();
    for (const [id, r] of this.#rooms) if (r.encrypted) out.set(id, r.name ?? r.alias);
    return out;
  }

  /** Start the background loop (no-op when running). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#abort = new AbortController();
    this.#loop = this.#run(this.#abort.signal);
  }

  /** Stop the loop and wait for the in-flight sync to finish or abort. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#abort?.abort();
    await this.#loop?.catch(() => undefined);
    this.#loop = null;
  }

  async #run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (this.#running && !signal.aborted) {
      try {
        await this.syncOnce({ signal });
        failures = 0;
      } catch (err) {
        if (signal.aborted) break;
        const res = failureResult(err, 'sync');
        if (res.status === 'token_expired') {
          this.#o.onNotice?.({
            kind: 'auth_expired',
            softLogout: res.softLogout,
            message: `Live rooms stopped: the access token is no longer valid (${res.error.message})`,
          });
          this.#running = false;
          break;
        }
        failures++;
        const retryable = res.status === 'retryable';
        const msg = res.status === 'ok' ? 'sync failed' : res.error.message;
        if (failures === 1 || !retryable) this.#o.onNotice?.({ kind: 'source_error', retryable, message: `Live rooms: ${msg}` });
        const base = this.#o.retryBaseMs ?? 1000;
        const cap = this.#o.retryMaxMs ?? 60_000;
        const backoff = Math.min(cap, base * 2 ** Math.min(failures - 1, 10));
        const wait = Math.max(backoff, res.status === 'retryable' ? (res.retryAfterMs ?? 0) : 0);
        await sleep(wait, signal);
      }
    }
  }

  /**
   * One /sync round: back-fill on the first one, emit media, then persist the token.
   * Throws MatrixApiError on failure (the token is then not advanced).
   */
  async syncOnce(opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<{ emitted: number }> {
    const o = this.#o;
    if (this.#since === undefined) this.#since = (await o.syncToken.load()) ?? null;
    const since = this.#since;
    const first = since === null;
    const pollMs = first ? 0 : (opts.timeoutMs ?? o.syncTimeoutMs ?? 30_000);
    const req: Parameters<MatrixHttp['request']>[2] = {
      query: { filter: SYNC_FILTER, timeout: pollMs, since: since ?? undefined, set_presence: 'offline' },
      timeoutMs: pollMs + 30_000,
    };
    if (opts.signal) req.signal = opts.signal;
    const res = await o.http.request<SyncResponse>('GET', '/_matrix/client/v3/sync', req);

    let emitted = 0;
    const joined = res.rooms?.join ?? {};
    for (const [roomId, room] of Object.entries(joined)) {
      if (o.roomFilter && !o.roomFilter(roomId)) continue;
      emitted += await this.#processRoom(roomId, room, { first, since, signal: opts.signal });
    }
    await o.syncToken.save(res.next_batch);
    this.#since = res.next_batch;
    return { emitted };
  }

  #room(roomId: string): RoomInfo {
    let r = this.#rooms.get(roomId);
    if (!r) {
      r = { encrypted: false, encryptedNoticeSent: false, known: false };
      this.#rooms.set(roomId, r);
    }
    return r;
  }

  #applyState(info: RoomInfo, ev: RawEvent): void {
    const c = ev.content ?? {};
    if (ev.type === 'm.room.encryption' && typeof c.algorithm === 'string') info.encrypted = true;
    else if (ev.type === 'm.room.encrypted') info.encrypted = true;
    else if (ev.type === 'm.room.name') info.name = typeof c.name === 'string' && c.name ? c.name : undefined;
    else if (ev.type === 'm.room.canonical_alias') info.alias = typeof c.alias === 'string' ? c.alias : undefined;
  }

  async #fetchRoomState(roomId: string, info: RoomInfo, signal?: AbortSignal): Promise<void> {
    const get = async (type: string): Promise<Record<string, unknown> | null> => {
      try {
        return await this.#o.http.request(
          'GET',
          `/_matrix/client/v3/rooms/${seg(roomId)}/state/${seg(type)}/`,
          signal ? { signal } : {},
        );
      } catch (err) {
        const r = failureResult(err);
        if (r.status === 'permanent_failure') return null; // 404: no such state
        throw err;
      }
    };
    const [enc, name, alias] = await Promise.all([
      get('m.room.encryption'),
      get('m.room.name'),
      get('m.room.canonical_alias'),
    ]);
    if (enc && typeof enc.algorithm === 'string') info.encrypted = true;
    if (name && typeof name.name === 'string' && name.name) info.name = name.name;
    if (alias && typeof alias.alias === 'string') info.alias = alias.alias;
    info.known = true;
  }

  async #processRoom(
    roomId: string,
    room: SyncRoom,
    ctx: { first: boolean; since: string | null; signal?: AbortSignal | undefined },
  ): Promise<number> {
    const o = this.#o;
    const info = this.#room(roomId);
    for (const ev of room.state?.events ?? []) this.#applyState(info, ev);
    if (ctx.first) info.known = true;
    const timeline = room.timeline?.events ?? [];
    for (const ev of timeline) if (ev.type !== 'm.room.message' && ev.type !== 'm.sticker') this.#applyState(info, ev);
    const hasMedia = timeline.some((e) => MEDIA_EVENT_TYPES.includes(e.type ?? ''));
    if (!info.known && (hasMedia || room.timeline?.limited)) await this.#fetchRoomState(roomId, info, ctx.signal);

    if (info.encrypted) {
      if (!info.encryptedNoticeSent) {
        info.encryptedNoticeSent = true;
        const label = info.name ?? info.alias;
        const n: SourceNotice = {
          kind: 'encrypted_room',
          roomId,
          message: `Room ${label ?? roomId} is end-to-end encrypted; its media cannot be scanned and is skipped.`,
        };
        if (label) n.roomName = label;
        o.onNotice?.(n);
      }
      return 0;
    }

    // Older events first: back-fill (first sync) or gap fill (limited incremental timeline).
    let older: RawEvent[] = [];
    const prev = room.timeline?.prev_batch;
    if (room.timeline?.limited && prev) {
      const windowMs = o.backfillWindowMs ?? 24 * 3600_000;
      const now = (o.now ?? Date.now)();
      if (ctx.first) {
        const oldestTs = timeline[0]?.origin_server_ts ?? now;
        if (windowMs > 0 && oldestTs >= now - windowMs) {
          older = await this.#paginateBack(roomId, prev, { cutoffTs: now - windowMs, signal: ctx.signal });
        }
      } else {
        older = await this.#paginateBack(roomId, prev, {
          to: ctx.since ?? undefined,
          cutoffTs: windowMs > 0 ? now - windowMs : undefined,
          signal: ctx.signal,
        });
      }
    }
    const roomName = info.name ?? info.alias;
    let emitted = 0;
    for (const ev of [...older, ...timeline]) {
      if (!ev.event_id || this.#recent.has(ev.event_id)) continue;
      const m = mediaEventFromRaw(
        ev,
        { source: 'live', roomId, ...(roomName ? { roomName } : {}) },
        { includeAudio: o.includeAudio ?? false },
      );
      if (!m) continue;
      await o.onMedia(m);
      this.#remember(ev.event_id);
      emitted++;
    }
    return emitted;
  }

  #remember(eventId: string): void {
    this.#recent.add(eventId);
    if (this.#recent.size > 5000) {
      const first = this.#recent.values().next().value;
      if (first !== undefined) this.#recent.delete(first);
    }
  }

  /** /messages dir=b from `from` back to `to` / cutoffTs / the cap; returns oldest first. */
  async #paginateBack(
    roomId: string,
    from: string,
    opts: { to?: string | undefined; cutoffTs?: number | undefined; signal?: AbortSignal | undefined },
  ): Promise<RawEvent[]> {
    const cap = this.#o.maxBackfillEventsPerRoom ?? 1000;
    const out: RawEvent[] = [];
    let token: string | undefined = from;
    while (token && out.length < cap) {
      const req: Parameters<MatrixHttp['request']>[2] = {
        query: { dir: 'b', from: token, to: opts.to, limit: Math.min(100, cap - out.length), filter: MESSAGES_FILTER },
      };
      if (opts.signal) req.signal = opts.signal;
      const r: { chunk?: RawEvent[]; end?: string } = await this.#o.http.request(
        'GET',
        `/_matrix/client/v3/rooms/${seg(roomId)}/messages`,
        req,
      );
      const chunk = r.chunk ?? [];
      let reachedCutoff = false;
      for (const ev of chunk) {
        if (opts.cutoffTs !== undefined && (ev.origin_server_ts ?? 0) < opts.cutoffTs) {
          reachedCutoff = true;
          break;
        }
        out.push(ev);
      }
      if (reachedCutoff || chunk.length === 0 || !r.end || r.end === token) break;
      token = r.end;
    }
    return out.reverse();
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
