import { MatrixApiError, type MatrixModerationClient, type MediaEvent } from '../matrix';
import type { HashingPool } from '../hashing';
import { type IngestService } from '../ingest/ingest-service';
import type { MediaVault } from '../media/media-vault';
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
}

const TRANSIENT = new Set(['network', 'timeout', 'server_error', 'rate_limited', 'token_expired']);

/** The reviewer's context for a Matrix item, stored with it (never the bytes). */
export function matrixContext(ev: MediaEvent): Record<string, unknown> {
  return {
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
    ...(ev.report ? { report: ev.report } : {}),
  };
}

/**
 * Turns media events from the live rooms and the event reports into queue items: download (size cap, timeout,
 * sniffed type), hash in memory, match, and keep the bytes only encrypted and only for items that need review.
 */
export class MatrixIngest {
  readonly stats: MatrixIngestStats = { seen: 0, ingested: 0, queued: 0, skippedEncrypted: 0, skippedBySha256: 0, refused: 0, failed: 0, lastError: null };

  constructor(
    private readonly deps: {
      db: Db;
      client: () => MatrixModerationClient | null;
      pool: HashingPool;
      ingest: IngestService;
      vault: MediaVault;
      maxDownloadBytes: () => number;
      /** True when every enabled matcher can only match exact SHA-256 (local SHA-256 banks, HMA off). */
      sha256IsAllBanksNeed?: () => boolean;
      /** Whether a SHA-256 matches any enabled bank. */
      sha256Matches?: (sha256: string) => boolean;
    },
  ) {}

  async handle(ev: MediaEvent): Promise<void> {
    this.stats.seen++;
    if (ev.encrypted) {
      this.stats.skippedEncrypted++;
      return;
    }
    const client = this.deps.client();
    if (!client) throw new Error('Not signed in');
    const sourceRef = `${ev.mxcUri}#${ev.eventId}`;
    const source = ev.source === 'report' ? 'matrix_report' : 'matrix_live';
    const existing = this.deps.db.prepare("SELECT id, source, context_json FROM media_items WHERE source_ref = ? AND source LIKE 'matrix_%'").get(sourceRef) as
      | { id: number; source: string; context_json: string }
      | undefined;
    if (existing) {
      // Seen live before, now reported (or reported twice): keep one item, add the report and raise it.
      if (ev.report) {
        const context = JSON.parse(existing.context_json) as { matrix?: Record<string, unknown> };
        context.matrix = { ...(context.matrix ?? {}), report: ev.report };
        this.deps.db.prepare("UPDATE media_items SET source = 'matrix_report', context_json = ? WHERE id = ?").run(JSON.stringify(context), existing.id);
      }
      return;
    }
    try {
      if (client.session.isAdmin && this.deps.sha256IsAllBanksNeed?.() && this.deps.sha256Matches) {
        // Synapse knows the file's SHA-256: when that is all the banks can match, a miss needs no download.
        const info = await client.getMediaInfo(ev.server, ev.mediaId);
        if (info.sha256 && !this.deps.sha256Matches(info.sha256.toLowerCase())) {
          this.stats.skippedBySha256++;
          return;
        }
      }
      const media = await client.downloadMedia(ev.server, ev.mediaId, { maxBytes: this.deps.maxDownloadBytes() });
      // Decoded in an isolated process; a refused file (bomb, broken, crash) is kept with its digests and reason.
      const { hashes, refused } = await this.deps.ingest.hashOrRefuse(new Uint8Array(media.bytes));
      if (refused) this.stats.refused++;
      const result = await this.deps.ingest.ingestHashed(hashes, { source, sourceRef, fileName: ev.body ?? null, context: { matrix: matrixContext(ev), ...(refused ? { refused } : {}) } });
      this.stats.ingested++;
      if (result.queued) {
        this.stats.queued++;
        const ref = this.deps.vault.put(media.bytes);
        this.deps.db.prepare('UPDATE media_items SET vault_ref = ? WHERE id = ? AND vault_ref IS NULL').run(ref, result.mediaId);
      }
    } catch (error) {
      this.stats.failed++;
      this.stats.lastError = `${ev.mxcUri}: ${error instanceof Error ? error.message : String(error)}`;
      // Passing trouble (network, 5xx, 429, an expired token): throw, so the source keeps its cursor and
      // delivers the event again. A file that is gone, too large or not decodable will not get better: move on.
      if (error instanceof MatrixApiError && TRANSIENT.has(error.code)) throw error;
    }
  }
}
