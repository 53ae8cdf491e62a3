import type { Db } from '../store/database';
import type { Media } from '../../../shared/contract';

export interface NewMedia {
  source: string;
  sourceRef: string;
  fileName: string | null;
  mime: string | null;
  format: string | null;
  byteLength: number;
  width: number | null;
  height: number | null;
  exifOrientation: number | null;
  md5: string;
  sha1: string | null;
  sha256: string;
  pdq: string | null;
  pdqQuality: number | null;
  context?: Record<string, unknown>;
  vaultRef?: string | null;
  /** For one part of a larger item (a Matrix event's thumbnail): the item's media id, and which part this is. */
  partOf?: number | null;
  part?: string | null;
}

interface MediaRow {
  id: number;
  source: string;
  source_ref: string;
  file_name: string | null;
  mime: string | null;
  format: string | null;
  byte_length: number;
  width: number | null;
  height: number | null;
  exif_orientation: number | null;
  md5: string;
  sha1: string | null;
  sha256: string;
  pdq: string | null;
  pdq_quality: number | null;
  context_json: string;
  vault_ref: string | null;
  created_at: number;
}

function refusalOf(context: Record<string, unknown>): { code: string; reason: string } | null {
  const r = context.refused as { code?: unknown; reason?: unknown } | undefined;
  return r && typeof r.code === 'string' && typeof r.reason === 'string' ? { code: r.code, reason: r.reason } : null;
}

export function mediaFromRow(row: MediaRow): Media {
  const context = JSON.parse(row.context_json) as Record<string, unknown>;
  return {
    id: row.id,
    source: row.source,
    sourceRef: row.source_ref,
    fileName: row.file_name,
    mime: row.mime,
    format: row.format,
    byteLength: row.byte_length,
    width: row.width,
    height: row.height,
    exifOrientation: row.exif_orientation,
    md5: row.md5,
    sha1: row.sha1,
    sha256: row.sha256,
    pdq: row.pdq,
    pdqQuality: row.pdq_quality,
    context,
    refused: refusalOf(context),
    createdAt: row.created_at,
  };
}

/** Media items: hashes, source and metadata. Never the bytes (those live, encrypted, in the vault). */
export class MediaRepository {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /** Inserts the item, or returns the existing one for the same source, reference and content. */
  upsert(media: NewMedia): { id: number; created: boolean } {
    const existing = this.db
      .prepare('SELECT id FROM media_items WHERE source = ? AND source_ref = ? AND sha256 = ?')
      .get(media.source, media.sourceRef, media.sha256) as { id: number } | undefined;
    if (existing) return { id: existing.id, created: false };
    const result = this.db
      .prepare(
        `INSERT INTO media_items (source, source_ref, file_name, mime, format, byte_length, width, height, exif_orientation,
                                  md5, sha1, sha256, pdq, pdq_quality, context_json, vault_ref, part_of, part, created_at)
         VALUES (@source, @sourceRef, @fileName, @mime, @format, @byteLength, @width, @height, @exifOrientation,
                 @md5, @sha1, @sha256, @pdq, @pdqQuality, @contextJson, @vaultRef, @partOf, @part, @createdAt)`,
      )
      .run({
        ...media,
        contextJson: JSON.stringify(media.context ?? {}),
        vaultRef: media.vaultRef ?? null,
        partOf: media.partOf ?? null,
        part: media.part ?? null,
        createdAt: this.now(),
      });
    return { id: Number(result.lastInsertRowid), created: true };
  }

  get(id: number): (Media & { vaultRef: string | null }) | null {
    const row = this.db.prepare('SELECT * FROM media_items WHERE id = ?').get(id) as MediaRow | undefined;
    return row ? { ...mediaFromRow(row), vaultRef: row.vault_ref } : null;
  }
}
