// Decisions carried out on the homeserver. Every method returns an ActionResult and never
// throws for HTTP / network failures. Methods are idempotent: quarantining something already
// quarantined is success, sends use a txnId derived from the caller's idempotency key, and a
// redaction first checks whether the event is already redacted.
import { createHash } from 'node:crypto';
import { failureResult, MatrixApiError } from './errors';
import { MatrixHttp, seg } from './http';
import { getAdminMediaInfo } from './media';
import type { ActionResult, MatrixSession } from './types';

export interface QuarantineDetail {
  /** false when the server kept the item downloadable (e.g. it is protected) */
  quarantined?: boolean;
  protectedMedia?: boolean;
  /** sha256 of the file, when the server reported it (every copy with it is quarantined too) */
  sha256?: string;
}

export interface BulkQuarantineDetail {
  numQuarantined: number;
}

export interface RedactDetail {
  redactionEventId?: string;
  alreadyRedacted?: boolean;
  /** make_room_admin was needed to get power in the room */
  madeRoomAdmin?: boolean;
}

export interface RedactUserDetail {
  redactId: string;
}

export type RedactTaskStatus = 'scheduled' | 'active' | 'complete' | 'failed';

export interface RedactStatusDetail {
  status: RedactTaskStatus;
  /** event id -> reason, for events that could not be redacted */
  failedRedactions?: Record<string, string>;
  error?: string;
}

export interface NoticeDetail {
  eventId: string;
  roomId: string;
}

export interface MatrixActionsOptions {
  /** the acting account (for make_room_admin) */
  userId: string;
  /** room id or alias of the management room for notices */
  managementRoom?: string;
}

/** Deterministic Matrix txnId for a caller-supplied idempotency key. */
export function txnIdFor(kind: string, idempotencyKey: string): string {
  return `mdk-${kind}-${createHash('sha256').update(`${kind}\0${idempotencyKey}`).digest('hex').slice(0, 32)}`;
}

function ok<D>(detail?: D): ActionResult<D> {
  return detail === undefined ? { status: 'ok' } : { status: 'ok', detail };
}

export class MatrixActions {
  readonly http: MatrixHttp;
  readonly userId: string;
  #managementRoom: string | undefined;
  #managementRoomId: string | undefined;

  constructor(http: MatrixHttp, opts: MatrixActionsOptions) {
    this.http = http;
    this.userId = opts.userId;
    this.#managementRoom = opts.managementRoom;
  }

  static fromSession(
    session: MatrixSession,
    opts: { managementRoom?: string; timeoutMs?: number; fetchFn?: typeof fetch } = {},
  ): MatrixActions {
    const http = new MatrixHttp({
      homeserverUrl: session.homeserverUrl,
      adminApiBaseUrl: session.adminApiBaseUrl,
      accessToken: session.accessToken,
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.fetchFn ? { fetchFn: opts.fetchFn } : {}),
    });
    return new MatrixActions(http, {
      userId: session.userId,
      ...(opts.managementRoom ? { managementRoom: opts.managementRoom } : {}),
    });
  }

  setManagementRoom(roomIdOrAlias: string | undefined): void {
    this.#managementRoom = roomIdOrAlias;
    this.#managementRoomId = undefined;
  }

  // ------------------------------------------------------------------------------ quarantine

  /**
   * Quarantine one media item (Synapse ≥ 1.128 also quarantines every local copy with the same
   * SHA-256). Already quarantined → ok. Protected media stays downloadable: ok with
   * detail.quarantined=false, protectedMedia=true.
   */
  async quarantineMedia(server: string, mediaId: string): Promise<ActionResult<QuarantineDetail>> {
    const path = `/_synapse/admin/v1/media/quarantine/${seg(server)}/${seg(mediaId)}`;
    try {
      await this.http.request('POST', path, { body: {} });
    } catch (err) {
      return failureResult(err, `POST ${path}`);
    }
    return ok(await this.#verifyQuarantine(server, mediaId));
  }

  async #verifyQuarantine(server: string, mediaId: string): Promise<QuarantineDetail | undefined> {
    try {
      const info = await getAdminMediaInfo(this.http, server, mediaId);
      const d: QuarantineDetail = { quarantined: !!info.quarantinedBy };
      if (info.safeFromQuarantine) d.protectedMedia = true;
      if (info.sha256) d.sha256 = info.sha256;
      return d;
    } catch {
      return undefined; // the quarantine itself succeeded; the check is best effort
    }
  }

  /** POST /_synapse/admin/v1/user/{userId}/media/quarantine */
  async quarantineUserMedia(userId: string): Promise<ActionResult<BulkQuarantineDetail>> {
    return this.#bulkQuarantine(`/_synapse/admin/v1/user/${seg(userId)}/media/quarantine`);
  }

  /** POST /_synapse/admin/v1/room/{roomId}/media/quarantine */
  async quarantineRoomMedia(roomId: string): Promise<ActionResult<BulkQuarantineDetail>> {
    return this.#bulkQuarantine(`/_synapse/admin/v1/room/${seg(roomId)}/media/quarantine`);
  }

  async #bulkQuarantine(path: string): Promise<ActionResult<BulkQuarantineDetail>> {
    try {
      const r = await this.http.request<{ num_quarantined?: number }>('POST', path, { body: {} });
      return ok({ numQuarantined: typeof r.num_quarantined === 'number' ? r.num_quarantined : 0 });
    } catch (err) {
      return failureResult(err, `POST ${path}`);
    }
  }

  /** Reverse a quarantine. Not quarantined → ok. */
  async unquarantineMedia(server: string, mediaId: string): Promise<ActionResult<undefined>> {
    return this.#simplePost(`/_synapse/admin/v1/media/unquarantine/${seg(server)}/${seg(mediaId)}`);
  }

  /** Protect local media from quarantine (confirmed false positive). Already protected → ok. */
  async protectMedia(mediaId: string): Promise<ActionResult<undefined>> {
    return this.#simplePost(`/_synapse/admin/v1/media/protect/${seg(mediaId)}`);
  }

  async unprotectMedia(mediaId: string): Promise<ActionResult<undefined>> {
    return this.#simplePost(`/_synapse/admin/v1/media/unprotect/${seg(mediaId)}`);
  }

  async #simplePost(path: string): Promise<ActionResult<undefined>> {
    try {
      await this.http.request('POST', path, { body: {} });
      return ok();
    } catch (err) {
      return failureResult(err, `POST ${path}`);
    }
  }

  // ------------------------------------------------------------------------------ redaction

  /**
   * Redact one event via the client API. On M_FORBIDDEN (no power / not in room) the account
   * gets power through POST /_synapse/admin/v1/rooms/{roomId}/make_room_admin, joins if it was
   * only invited, and retries once.
   */
  async redactEvent(args: {
    roomId: string;
    eventId: string;
    reason?: string;
    idempotencyKey: string;
  }): Promise<ActionResult<RedactDetail>> {
    const { roomId, eventId } = args;
    // Already redacted (e.g. by an earlier attempt with another device or token)? The client
    // API shows unsigned.redacted_because when the account can see the event; the admin
    // fetch_event does not (it serves the original content).
    try {
      const r = await this.http.request<{ unsigned?: Record<string, unknown> }>(
        'GET',
        `/_matrix/client/v3/rooms/${seg(roomId)}/event/${seg(eventId)}`,
      );
      if (r.unsigned?.redacted_because) return ok({ alreadyRedacted: true });
    } catch (err) {
      const res = failureResult(err);
      if (res.status === 'retryable' || res.status === 'token_expired') return res;
      // not in the room / not visible: let the redaction itself decide
    }

    const txnId = txnIdFor('redact', args.idempotencyKey);
    const path = `/_matrix/client/v3/rooms/${seg(roomId)}/redact/${seg(eventId)}/${seg(txnId)}`;
    const body = args.reason ? { reason: args.reason } : {};
    const put = () => this.http.request<{ event_id?: string }>('PUT', path, { body });
    try {
      const r = await put();
      return ok(r.event_id ? { redactionEventId: r.event_id } : {});
    } catch (err) {
      if (!(err instanceof MatrixApiError) || err.code !== 'forbidden' || err.errcode !== 'M_FORBIDDEN') {
        return failureResult(err, `PUT redact`);
      }
    }
    const elevated = await this.makeRoomAdmin(roomId);
    if (elevated.status !== 'ok') return elevated;
    try {
      const r = await put();
      return ok({ ...(r.event_id ? { redactionEventId: r.event_id } : {}), madeRoomAdmin: true });
    } catch (err) {
      return failureResult(err, `PUT redact (after make_room_admin)`);
    }
  }

  /**
   * POST /_synapse/admin/v1/rooms/{roomId}/make_room_admin for this account, then join the
   * room when needed (make_room_admin invites into private rooms).
   */
  async makeRoomAdmin(roomId: string): Promise<ActionResult<undefined>> {
    const path = `/_synapse/admin/v1/rooms/${seg(roomId)}/make_room_admin`;
    try {
      await this.http.request('POST', path, { body: { user_id: this.userId } });
    } catch (err) {
      return failureResult(err, `POST ${path}`);
    }
    return this.#ensureJoined(roomId);
  }

  async #ensureJoined(roomId: string): Promise<ActionResult<undefined>> {
    try {
      const m = await this.http.request<{ membership?: string }>(
        'GET',
        `/_matrix/client/v3/rooms/${seg(roomId)}/state/m.room.member/${seg(this.userId)}`,
      );
      if (m.membership === 'join') return ok();
    } catch (err) {
      const res = failureResult(err);
      if (res.status === 'retryable' || res.status === 'token_expired') return res;
    }
    try {
      await this.http.request('POST', `/_matrix/client/v3/join/${seg(roomId)}`, { body: {} });
      return ok();
    } catch (err) {
      return failureResult(err, 'POST join');
    }
  }

  /**
   * Redact all of a user's events (POST /_synapse/admin/v1/user/{userId}/redact). Starts a
   * background task on the server: persist detail.redactId and poll getUserRedactionStatus
   * rather than starting it again (the server cannot deduplicate these).
   */
  async redactUserEvents(args: {
    userId: string;
    /** default: every room the user is in or banned from */
    rooms?: string[];
    reason?: string;
    limit?: number;
    beforeTs?: number;
    afterTs?: number;
    /** redact as the room admin (use_admin) */
    useAdmin?: boolean;
  }): Promise<ActionResult<RedactUserDetail>> {
    const path = `/_synapse/admin/v1/user/${seg(args.userId)}/redact`;
    const body: Record<string, unknown> = { rooms: args.rooms ?? [] };
    if (args.reason !== undefined) body.reason = args.reason;
    if (args.limit !== undefined) body.limit = args.limit;
    if (args.beforeTs !== undefined) body.before_ts = args.beforeTs;
    if (args.afterTs !== undefined) body.after_ts = args.afterTs;
    if (args.useAdmin !== undefined) body.use_admin = args.useAdmin;
    try {
      const r = await this.http.request<{ redact_id?: unknown }>('POST', path, { body });
      if (typeof r.redact_id !== 'string') {
        return { status: 'permanent_failure', error: { code: 'http_error', message: `${path}: no redact_id in response` } };
      }
      return ok({ redactId: r.redact_id });
    } catch (err) {
      return failureResult(err, `POST ${path}`);
    }
  }

  /** GET /_synapse/admin/v1/user/redact_status/{redactId} */
  async getUserRedactionStatus(redactId: string): Promise<ActionResult<RedactStatusDetail>> {
    const path = `/_synapse/admin/v1/user/redact_status/${seg(redactId)}`;
    try {
      const r = await this.http.request<{ status?: string; failed_redactions?: Record<string, string>; error?: string }>(
        'GET',
        path,
      );
      const status = (['scheduled', 'active', 'complete', 'failed'] as const).find((s) => s === r.status) ?? 'failed';
      const d: RedactStatusDetail = { status };
      if (r.failed_redactions && Object.keys(r.failed_redactions).length > 0) d.failedRedactions = r.failed_redactions;
      if (r.error) d.error = r.error;
      return ok(d);
    } catch (err) {
      return failureResult(err, `GET ${path}`);
    }
  }

  // ------------------------------------------------------------------------------ notices

  /** Resolve the configured management room (alias → room id), cached. */
  async resolveManagementRoom(): Promise<ActionResult<string>> {
    if (this.#managementRoomId) return ok(this.#managementRoomId);
    const target = this.#managementRoom;
    if (!target) {
      return { status: 'permanent_failure', error: { code: 'bad_request', message: 'No management room configured' } };
    }
    if (target.startsWith('!')) {
      this.#managementRoomId = target;
      return ok(target);
    }
    try {
      const r = await this.http.request<{ room_id?: string }>('GET', `/_matrix/client/v3/directory/room/${seg(target)}`);
      if (!r.room_id) throw new MatrixApiError('not_found', `alias ${target} has no room id`);
      this.#managementRoomId = r.room_id;
      return ok(r.room_id);
    } catch (err) {
      return failureResult(err, 'resolve management room');
    }
  }

  /**
   * Post an m.notice (plain text, optional HTML: the caller escapes what it quotes) to the management room (or
   * `roomId`). It mentions nobody. The txnId
   * comes from the idempotency key, so a retried call does not post twice. Joins the room once
   * if the account is not in it.
   */
  async postNotice(args: {
    text: string;
    html?: string;
    idempotencyKey: string;
    roomId?: string;
  }): Promise<ActionResult<NoticeDetail>> {
    let roomId = args.roomId;
    if (!roomId) {
      const r = await this.resolveManagementRoom();
      if (r.status !== 'ok') return r;
      roomId = r.detail as string;
    }
    // An empty m.mentions turns off the body-based push rules: names, "@room" or user ids quoted from a report or
    // a room name must not ping anyone in the management room.
    const content: Record<string, unknown> = { msgtype: 'm.notice', body: args.text, 'm.mentions': {} };
    if (args.html) {
      content.format = 'org.matrix.custom.html';
      content.formatted_body = args.html;
    }
    const txnId = txnIdFor('notice', args.idempotencyKey);
    const path = `/_matrix/client/v3/rooms/${seg(roomId)}/send/m.room.message/${seg(txnId)}`;
    const send = async (): Promise<ActionResult<NoticeDetail>> => {
      const r = await this.http.request<{ event_id?: string }>('PUT', path, { body: content });
      return ok({ eventId: r.event_id ?? '', roomId: roomId as string });
    };
    try {
      return await send();
    } catch (err) {
      if (!(err instanceof MatrixApiError) || err.errcode !== 'M_FORBIDDEN') return failureResult(err, 'send notice');
    }
    const joined = await this.#ensureJoined(roomId);
    if (joined.status !== 'ok') return joined;
    try {
      return await send();
    } catch (err) {
      return failureResult(err, 'send notice');
    }
  }
}

// ---------------------------------------------------------------------------------------------

export interface RetryOptions {
  /** default 8 */
  maxAttempts?: number;
  /** give up (returning the last retryable result) after this long, default 5 min */
  maxElapsedMs?: number;
  /** default 500 ms, doubled per attempt */
  baseDelayMs?: number;
  /** default 30 s */
  maxDelayMs?: number;
  signal?: AbortSignal;
  onRetry?: (result: ActionResult<unknown>, attempt: number, delayMs: number) => void;
}

/**
 * Run an idempotent action until it is no longer `retryable`, honouring retryAfterMs.
 * ok / permanent_failure / token_expired are returned at once.
 */
export async function runWithRetry<D>(
  action: () => Promise<ActionResult<D>>,
  opts: RetryOptions = {},
): Promise<ActionResult<D>> {
  const maxAttempts = opts.maxAttempts ?? 8;
  const deadline = Date.now() + (opts.maxElapsedMs ?? 300_000);
  const base = opts.baseDelayMs ?? 500;
  const cap = opts.maxDelayMs ?? 30_000;
  let attempt = 0;
  for (;;) {
    attempt++;
    const res = await action();
    if (res.status !== 'retryable') return res;
    if (attempt >= maxAttempts || opts.signal?.aborted) return res;
    const backoff = Math.min(cap, base * 2 ** (attempt - 1));
    const delay = Math.max(res.retryAfterMs ?? 0, backoff);
    if (Date.now() + delay > deadline) return res;
    opts.onRetry?.(res, attempt, delay);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, delay);
      opts.signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });
  }
}
