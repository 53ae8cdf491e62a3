import { createHash } from 'node:crypto';
import { MatrixApiError, mediaPartsOf, type MatrixModerationClient, type MediaEvent, type MediaPart, type MediaReportInfo, type ReportedEvent } from '../matrix';
import type { HashingPool, MediaHashes } from '../hashing';
import type { IngestService, MatchOutcome, Refusal } from '../ingest/ingest-service';
import type { MediaVault } from '../media/media-vault';
import type { NewMatch, QueueService } from '../queue/queue-service';
import type { Db } from '../store/database';

export interface MatrixIngestStats {
  seen: number;
  ingested: number;
  queued: number;
  skippedEncrypted: number;
  /** Not downloaded: the server's SHA-256 matched nothing, and SHA-256 is all the banks can match. */
  skippedBySha256: number;
  /** Media the isolated decoder refused (kept with digests and the reason). */
  refused: number;
  failed: number;
  lastError: string | null;
  /** Event reports received (each becomes or joins a queue item). */
  reports: number;
  /** Thumbnails and an edit's media hashed besides the attachment. */
  partsHashed: number;
}

export const EMPTY_STATS: MatrixIngestStats = { seen: 0, ingested: 0, queued: 0, skippedEncrypted: 0, skippedBySha256: 0, refused: 0, failed: 0, lastError: null, reports: 0, partsHashed: 0 };

/** Where the counters live between runs (the app keeps them in its settings table). */
export interface StatsStore {
  load(): Partial<MatrixIngestStats> | null;
  save(stats: MatrixIngestStats): void;
}

const TRANSIENT = new Set(['network', 'timeout', 'server_error', 'rate_limited', 'token_expired']);

/** What became of one mxc:// of an event; stored with the event's item (context.matrix.parts). */
export interface PartRecord {
  part: MediaPart['part'];
  mxcUri: string;
  server: string;
  mediaId: string;
  encrypted: boolean;
  state: 'hashed' | 'encrypted' | 'skipped' | 'failed';
  error?: string;
  /** the part's media_items row, when hashed */
  mediaItemId?: number;
  declaredMime?: string;
  declaredSize?: number;
  width?: number;
  height?: number;
}

interface FetchedPart {
  part: MediaPart;
  state: PartRecord['state'];
  error?: string;
  hashes?: MediaHashes;
  bytes?: Uint8Array;
  /** The decoder refused the file: hashed by its digests only, shown with the reason. */
  refused?: Refusal;
}

/** The reviewer's context for a Matrix item, stored with it (never the bytes). */
export function matrixContext(ev: MediaEvent): Record<string, unknown> {
  return {
    kind: 'media',
    server: ev.server,
    mediaId: ev.mediaId,
    mxcUri: ev.mxcUri,
    roomId: ev.roomId,
    roomName: ev.roomName ?? null,
    eventId: ev.eventId,
    sender: ev.sender,
    originServerTs: ev.originServerTs,
    msgtype: ev.msgtype,
    declaredMime: ev.declaredMime ?? null,
    matrixToLink: ev.matrixToLink,
    ...(ev.replaces ? { replaces: ev.replaces } : {}),
    ...(ev.redacted ? { redacted: true } : {}),
    ...(ev.report ? { report: ev.report } : {}),
  };
}

function partRecord(f: FetchedPart, mediaItemId?: number): PartRecord {
  const p = f.part;
  const r: PartRecord = { part: p.part, mxcUri: p.mxcUri, server: p.server, mediaId: p.mediaId, encrypted: p.encrypted, state: f.state };
  if (f.error) r.error = f.error;
  if (mediaItemId !== undefined) r.mediaItemId = mediaItemId;
  if (p.declaredMime !== undefined) r.declaredMime = p.declaredMime;
  if (p.declaredSize !== undefined) r.declaredSize = p.declaredSize;
  if (p.width !== undefined) r.width = p.width;
  if (p.height !== undefined) r.height = p.height;
  return r;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function digests(bytes: Uint8Array): { md5: string; sha1: string; sha256: string } {
  const d = (alg: string) => createHash(alg).update(bytes).digest('hex');
  return { md5: d('md5'), sha1: d('sha1'), sha256: d('sha256') };
}

/**
 * Turns Matrix events into queue items. Media events (live rooms and reports): every mxc:// the event carries — the
 * attachment, the client-uploaded thumbnail, an edit's new media — is downloaded (size cap, timeout, sniffed type),
 * hashed in memory and matched; a match on any part queues the event, naming the part. Reports: every report becomes
 * or joins a queue item whether or not anything matched, media event or not. Bytes are kept only encrypted and only
 * for items that need review.
 */
export class MatrixIngest {
  readonly stats: MatrixIngestStats;

  constructor(
    private readonly deps: {
      db: Db;
      client: () => MatrixModerationClient | null;
      pool: HashingPool;
      ingest: IngestService;
      queue: QueueService;
      vault: MediaVault;
      maxDownloadBytes: () => number;
      /** True when every enabled matcher can only match exact SHA-256 (local SHA-256 banks, HMA off). */
      sha256IsAllBanksNeed?: () => boolean;
      /** Whether a SHA-256 matches any enabled bank. */
      sha256Matches?: (sha256: string) => boolean;
      /** Keeps the counters across restarts. */
      statsStore?: StatsStore;
      now?: () => number;
    },
  ) {
    this.stats = { ...EMPTY_STATS, ...(deps.statsStore?.load() ?? {}) };
  }

  /** A media event from a live room or a report. */
  async handle(ev: MediaEvent): Promise<void> {
    this.stats.seen++;
    try {
      await this.handleMedia(ev);
    } finally {
      this.saveStats();
    }
  }

  /** Any event report: media events go the media way (with the report), the others become items of their own. */
  async handleReport(re: ReportedEvent): Promise<void> {
    if (re.media) return this.handle({ ...re.media, report: re.report });
    this.stats.seen++;
    try {
      const existing = this.eventItem(re.eventId);
      if (existing !== null) {
        this.addReport(existing, re.eventId, re.roomId, re.report);
        return;
      }
      this.storeEventItem(re, []);
    } finally {
      this.saveStats();
    }
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private saveStats(): void {
    this.deps.statsStore?.save({ ...this.stats });
  }

  private eventItem(eventId: string): number | null {
    const row = this.deps.db.prepare('SELECT media_id FROM matrix_events WHERE event_id = ?').get(eventId) as { media_id: number } | undefined;
    return row?.media_id ?? null;
  }

  /** Records a report on the event's item (creating the item when the event was seen but not queued). */
  private addReport(mediaId: number, eventId: string, roomId: string, report: MediaReportInfo): void {
    const before = this.deps.db.prepare('SELECT 1 FROM queue_items WHERE media_id = ?').get(mediaId);
    const r = this.deps.queue.recordReport(mediaId, { id: report.id, eventId, roomId, reporter: report.reporter, reason: report.reason ?? null, score: report.score ?? null, receivedTs: report.receivedTs });
    // Counted once per Synapse report, however often a source delivers it again.
    if (r.added) this.stats.reports++;
    if (!before) this.stats.queued++;
  }

  private async handleMedia(ev: MediaEvent): Promise<void> {
    const existing = this.eventItem(ev.eventId);
    if (existing !== null) {
      // Seen before (live, then reported; or reported twice): one item, with every report counted.
      if (ev.report) {
        this.addReport(existing, ev.eventId, ev.roomId, ev.report);
        await this.keepBytesForReview(existing);
      }
      return;
    }
    const client = this.deps.client();
    if (!client) throw new Error('Not signed in');
    const parts = mediaPartsOf(ev);
    if (parts.every((p) => p.encrypted) && !ev.report) {
      this.stats.skippedEncrypted++;
      return;
    }

    let fetched: FetchedPart[];
    try {
      if (!ev.report && (await this.nothingCanMatch(client, parts))) {
        this.stats.skippedBySha256++;
        return;
      }
      fetched = [];
      for (const part of parts) fetched.push(await this.fetchPart(client, part));
    } catch (error) {
      this.stats.failed++;
      this.stats.lastError = `${ev.mxcUri}: ${errorText(error)}`;
      // Passing trouble (network, 5xx, 429, an expired token): throw, so the source keeps its cursor and
      // delivers the event again. A file that is gone, too large or not decodable will not get better: move on.
      if (error instanceof MatrixApiError && TRANSIENT.has(error.code)) throw error;
      return;
    }
    for (const f of fetched) if (f.state === 'failed') this.stats.lastError = `${f.part.mxcUri}: ${f.error}`;

    const hashed = fetched.filter((f) => f.state === 'hashed');
    if (hashed.length === 0) {
      if (fetched.every((f) => f.state === 'encrypted')) this.stats.skippedEncrypted++;
      else this.stats.failed++;
      // A report still reaches a moderator: the event, its text and what became of each part.
      if (ev.report) this.storeEventItem(reportedFromMedia(ev), fetched.map((f) => partRecord(f)));
      return;
    }
    this.stats.partsHashed += hashed.length - 1;
    const outcomes = await Promise.all(hashed.map((f) => this.deps.ingest.match(f.hashes!)));
    const queuedParts = this.storeMediaItem(ev, fetched, hashed, outcomes);
    if (queuedParts) await this.vaultParts(queuedParts);
  }

  /** Whether every part's server-side SHA-256 is known and none can match (SHA-256-only banks): then no download. */
  private async nothingCanMatch(client: MatrixModerationClient, parts: MediaPart[]): Promise<boolean> {
    const { sha256IsAllBanksNeed, sha256Matches } = this.deps;
    if (!client.session.isAdmin || !sha256IsAllBanksNeed?.() || !sha256Matches) return false;
    for (const part of parts) {
      if (part.encrypted) continue;
      let sha256: string | null | undefined;
      try {
        sha256 = (await client.getMediaInfo(part.server, part.mediaId)).sha256;
      } catch (error) {
        if (error instanceof MatrixApiError && TRANSIENT.has(error.code)) throw error;
        return false; // no answer (remote media, not found): the download decides
      }
      if (!sha256 || sha256Matches(sha256.toLowerCase())) return false;
    }
    return true;
  }

  private async fetchPart(client: MatrixModerationClient, part: MediaPart): Promise<FetchedPart> {
    if (part.encrypted) return { part, state: 'encrypted', error: 'end-to-end encrypted: the homeserver holds ciphertext' };
    let bytes: Uint8Array;
    try {
      const media = await client.downloadMedia(part.server, part.mediaId, { maxBytes: this.deps.maxDownloadBytes() });
      bytes = media.bytes;
    } catch (error) {
      if (error instanceof MatrixApiError && TRANSIENT.has(error.code)) throw error;
      return { part, state: 'failed', error: errorText(error) };
    }
    // Decoded in an isolated process; a refused file (bomb, broken, crash) is kept with its digests and reason.
    const { hashes, refused } = await this.deps.ingest.hashOrRefuse(new Uint8Array(bytes));
    if (refused) {
      this.stats.refused++;
      return { part, state: 'hashed', hashes, bytes, refused };
    }
    return { part, state: 'hashed', hashes, bytes };
  }

  /**
   * One transaction: the attachment (or the first part that could be hashed) is the item's media; the other hashed
   * parts are stored as its parts; every part's matches queue the item, naming the part; a report joins it. Returns
   * the hashed parts when the item is queued (their bytes go to the vault), else null.
   */
  private storeMediaItem(ev: MediaEvent, fetched: FetchedPart[], hashed: FetchedPart[], outcomes: MatchOutcome[]): { id: number; bytes: Uint8Array }[] | null {
    const { db, ingest, queue } = this.deps;
    const source = ev.source === 'report' ? 'matrix_report' : 'matrix_live';
    return db.transaction(() => {
      // Another source may have stored the event while this one was downloading.
      const raced = this.eventItem(ev.eventId);
      if (raced !== null) {
        if (ev.report) this.addReport(raced, ev.eventId, ev.roomId, ev.report);
        return null;
      }
      const context = matrixContext(ev);
      const ids = new Map<FetchedPart, number>();
      const matches: NewMatch[] = [];
      let primary: number | null = null;
      hashed.forEach((f, i) => {
        const stored = ingest.storeHashed(
          f.hashes!,
          {
            source,
            sourceRef: `${f.part.mxcUri}#${ev.eventId}`,
            fileName: primary === null ? (ev.body ?? null) : `${f.part.part} of ${ev.body ?? ev.eventId}`,
            context: {
              matrix: primary === null ? context : { ...context, part: f.part.part, mxcUri: f.part.mxcUri, server: f.part.server, mediaId: f.part.mediaId },
              ...(f.refused ? { refused: f.refused } : {}),
            },
            partOf: primary,
            part: f.part.part,
          },
          outcomes[i]!,
        );
        if (primary === null) primary = stored.mediaId;
        ids.set(f, stored.mediaId);
        matches.push(...stored.matches);
      });
      const itemId = primary!;
      // The parts are known once stored: write them into the item's context next to the event.
      const parts = fetched.map((f) => partRecord(f, ids.get(f)));
      const row = db.prepare('SELECT context_json FROM media_items WHERE id = ?').get(itemId) as { context_json: string };
      const stored = JSON.parse(row.context_json) as Record<string, unknown>;
      db.prepare('UPDATE media_items SET context_json = ? WHERE id = ?').run(JSON.stringify({ ...stored, matrix: { ...context, parts } }), itemId);
      db.prepare('INSERT OR IGNORE INTO matrix_events (event_id, room_id, media_id, created_at) VALUES (?, ?, ?, ?)').run(ev.eventId, ev.roomId, itemId, this.now());
      this.stats.ingested++;
      const matched = matches.length > 0;
      if (matched) {
        queue.enqueue(itemId, matches);
        this.stats.queued++;
      }
      // A report queues the event whether or not anything matched (addReport counts the item it creates).
      if (ev.report) this.addReport(itemId, ev.eventId, ev.roomId, ev.report);
      else if (!matched) return null;
      return hashed.map((f) => ({ id: ids.get(f)!, bytes: f.bytes! }));
    })();
  }

  /** Queued items keep their parts' bytes, encrypted, for the preview. */
  private async vaultParts(parts: { id: number; bytes: Uint8Array }[]): Promise<void> {
    const set = this.deps.db.prepare('UPDATE media_items SET vault_ref = ? WHERE id = ? AND vault_ref IS NULL');
    for (const p of parts) {
      const ref = this.deps.vault.put(p.bytes);
      if (set.run(ref, p.id).changes === 0) this.deps.vault.remove(ref);
    }
  }

  /**
   * An event first seen live (nothing matched, so no bytes kept) that is now reported: fetch its hashed parts again
   * for the reviewer's preview, keeping only bytes that are still the ones that were hashed.
   */
  private async keepBytesForReview(mediaId: number): Promise<void> {
    const client = this.deps.client();
    if (!client) return;
    const rows = this.deps.db
      .prepare('SELECT id, sha256, context_json FROM media_items WHERE (id = ? OR part_of = ?) AND vault_ref IS NULL')
      .all(mediaId, mediaId) as { id: number; sha256: string; context_json: string }[];
    for (const row of rows) {
      const m = (JSON.parse(row.context_json) as { matrix?: { server?: unknown; mediaId?: unknown } }).matrix;
      if (typeof m?.server !== 'string' || typeof m.mediaId !== 'string') continue;
      try {
        const media = await client.downloadMedia(m.server, m.mediaId, { maxBytes: this.deps.maxDownloadBytes() });
        if (createHash('sha256').update(media.bytes).digest('hex') !== row.sha256) continue;
        await this.vaultParts([{ id: row.id, bytes: media.bytes }]);
      } catch (error) {
        if (error instanceof MatrixApiError && TRANSIENT.has(error.code)) throw error;
      }
    }
  }

  /**
   * A reported event that has no media to show (a text message, an encrypted or unavailable event, media that could
   * not be fetched): an item of its own, so the report reaches a moderator. Its record holds the event's text (kept
   * encrypted, like media) and hashes of that text — or, without text, of the event's identity.
   */
  private storeEventItem(re: ReportedEvent, parts: PartRecord[]): void {
    const { db, ingest, vault } = this.deps;
    const hasText = re.text !== undefined && re.text.length > 0 && re.kind !== 'encrypted';
    const bytes = new TextEncoder().encode(hasText ? re.text : JSON.stringify({ event_id: re.eventId, room_id: re.roomId }));
    const context: Record<string, unknown> = {
      kind: hasText ? 'text' : 'event',
      eventKind: re.kind,
      roomId: re.roomId,
      roomName: re.roomName ?? null,
      eventId: re.eventId,
      sender: re.sender ?? null,
      originServerTs: re.originServerTs ?? null,
      eventType: re.eventType ?? null,
      msgtype: re.msgtype ?? null,
      matrixToLink: re.matrixToLink,
      report: re.report,
      ...(re.kind === 'redacted' ? { redacted: true } : {}),
      // A media event none of whose parts could be hashed: its parts are still quarantined on a confirm.
      ...(parts.length > 0 ? { parts, mediaUnavailable: true, server: parts[0]!.server, mediaId: parts[0]!.mediaId, mxcUri: parts[0]!.mxcUri } : {}),
    };
    // The list shows a label, never the words: those stay in the vault, shown only in the item.
    const from = re.sender ? ` from ${re.sender}` : '';
    const label =
      parts.length > 0
        ? `${re.msgtype ?? re.eventType ?? 'Media'}${from} (media not fetched)`
        : hasText
          ? `${re.eventType === 'm.room.message' || re.eventType === undefined ? 'Message' : re.eventType}${from}`
          : `${re.eventType ?? 'Event'}${from} (${re.kind === 'encrypted' ? 'end-to-end encrypted' : re.kind === 'unavailable' ? 'not on the homeserver' : 'no readable content'})`;
    const vaultRef = hasText ? vault.put(bytes) : null;
    const hashes: MediaHashes = {
      ...digests(bytes),
      videoMd5: '',
      pdq: null,
      pdqQuality: null,
      width: null,
      height: null,
      format: hasText ? 'text' : 'matrix-event',
      mime: hasText ? 'text/plain' : 'application/json',
      exifOrientation: null,
      byteLength: bytes.byteLength,
    };
    const stored = db.transaction(() => {
      const raced = this.eventItem(re.eventId);
      if (raced !== null) {
        this.addReport(raced, re.eventId, re.roomId, re.report);
        return false;
      }
      // Text is not matched against media banks: no matchers, nothing to retry.
      const { mediaId } = ingest.storeHashed(hashes, { source: 'matrix_report', sourceRef: `event:${re.eventId}`, fileName: label, context: { matrix: context }, vaultRef }, { matches: [], allowListed: false, failed: [] });
      db.prepare('INSERT OR IGNORE INTO matrix_events (event_id, room_id, media_id, created_at) VALUES (?, ?, ?, ?)').run(re.eventId, re.roomId, mediaId, this.now());
      this.addReport(mediaId, re.eventId, re.roomId, re.report);
      this.stats.ingested++;
      return true;
    })();
    if (!stored && vaultRef) vault.remove(vaultRef);
  }
}

/** A reported media event none of whose parts could be hashed, as a report of its event. */
function reportedFromMedia(ev: MediaEvent): ReportedEvent {
  const re: ReportedEvent = { report: ev.report!, roomId: ev.roomId, eventId: ev.eventId, matrixToLink: ev.matrixToLink, kind: ev.redacted ? 'redacted' : 'content', sender: ev.sender, originServerTs: ev.originServerTs, eventType: ev.msgtype === 'm.sticker' ? 'm.sticker' : 'm.room.message', msgtype: ev.msgtype };
  if (ev.roomName) re.roomName = ev.roomName;
  if (ev.body !== undefined) re.text = ev.body;
  return re;
}
