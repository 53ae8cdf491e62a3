import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { openDatabase } from '../../electron/services/store/database';
import { basePriority, rankFor, reportBonus } from '../../electron/services/queue/priority';

export const SEED_BANKS = [
  { name: 'CSAM hashes', severity: 90 },
  { name: 'Terror content', severity: 70 },
  { name: 'Spam stickers', severity: 20 },
];
export const SEED_ROOMS = [
  { roomId: '!lobby:example.org', roomName: 'Lobby' },
  { roomId: '!memes:example.org', roomName: 'Memes' },
  { roomId: '!support:example.org', roomName: 'Support' },
  { roomId: '!offtopic:example.org', roomName: 'Off-topic' },
];
export const SEED_SENDERS = Array.from({ length: 40 }, (_, i) => `@user${i}:example.org`);
const SOURCES = ['matrix_live', 'matrix_live', 'matrix_live', 'matrix_report'] as const;

export interface SeedOptions {
  count: number;
  /** Real pictures for the first items (copied once per item so each has its own file); the rest have no bytes. */
  images?: string[];
  imageItems?: number;
  mediaDir?: string;
  now?: number;
  /** Spread of arrival times back from now. */
  spreadMs?: number;
}

export interface SeededItem {
  id: number;
  mediaId: number;
  source: string;
  sender: string;
  roomId: string;
  eventId: string;
  sha256: string;
  md5: string;
  bank: string;
  signalType: string;
  distance: number;
  hasImage: boolean;
}

/** Deterministic pseudo-random hex (FNV-1a seed, xorshift32 stream): fast enough for 100,000 items. */
function hex(seed: string, len: number): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193) >>> 0;
  let x = h || 1;
  let out = '';
  while (out.length < len) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out += x.toString(16).padStart(8, '0');
  }
  return out.slice(0, len);
}

/**
 * Seeds a review queue directly into a data dir's SQLite store (schema by the app's own migrations), in one
 * transaction: banks with content, media items with Matrix context, matches and ranked queue items.
 */
export function seedQueue(dataDir: string, options: SeedOptions): SeededItem[] {
  const now = options.now ?? Date.now();
  const spread = options.spreadMs ?? 3 * 24 * 3_600_000;
  const db = openDatabase(join(dataDir, 'matchdesk.sqlite'));
  const seeded: SeededItem[] = [];
  try {
    db.transaction(() => {
      const contentIds = new Map<string, number[]>();
      for (const bank of SEED_BANKS) {
        const bankId = Number(db.prepare('INSERT INTO banks (name, kind, severity, pdq_threshold, enabled, created_at) VALUES (?, ?, ?, 31, 1, ?)').run(bank.name, 'positive', bank.severity, now).lastInsertRowid);
        const ids: number[] = [];
        for (let c = 0; c < 5; c++) {
          ids.push(Number(db.prepare('INSERT INTO bank_content (bank_id, label, note, metadata_json, created_at) VALUES (?, ?, ?, ?, ?)').run(bankId, `${bank.name} #${c + 1}`, `Added from a partner list (batch ${c + 1})`, JSON.stringify({ partner: 'ExampleNet', batch: c + 1 }), now).lastInsertRowid));
        }
        contentIds.set(bank.name, ids);
      }
      const insertMedia = db.prepare(
        `INSERT INTO media_items (source, source_ref, file_name, mime, format, byte_length, width, height, exif_orientation, md5, sha1, sha256, pdq, pdq_quality, context_json, vault_ref, created_at)
         VALUES (@source, @sourceRef, @fileName, @mime, @format, @byteLength, @width, @height, @exif, @md5, NULL, @sha256, @pdq, @pdqQuality, @context, NULL, @createdAt)`,
      );
      const insertMatch = db.prepare(
        `INSERT INTO matches (media_id, matcher, bank_name, content_ref, signal_type, signal, distance, label, severity, variant, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const insertItem = db.prepare(
        `INSERT INTO queue_items (media_id, status, priority, best_distance, created_at, updated_at, source, room_id, sender, event_id, mxc, rank, report_count)
         VALUES (@mediaId, 'pending', @priority, @distance, @createdAt, @createdAt, @source, @roomId, @sender, @eventId, @mxc, @rank, @reportCount)`,
      );
      const insertReport = db.prepare(
        `INSERT INTO matrix_reports (report_id, queue_item_id, event_id, room_id, reporter, reason, score, received_ts, created_at)
         VALUES (?, ?, ?, ?, ?, ?, -100, ?, ?)`,
      );
      const images = (options.images ?? []).map((path) => ({ path, bytes: readFileSync(path) }));
      const imageItems = images.length ? Math.min(options.imageItems ?? images.length, options.count) : 0;
      if (imageItems && options.mediaDir) mkdirSync(options.mediaDir, { recursive: true });
      for (let i = 0; i < options.count; i++) {
        const createdAt = now - Math.floor(((i * 7919) % options.count) * (spread / options.count)) - 1000;
        const bank = SEED_BANKS[i % 3 === 0 ? 0 : i % 3 === 1 ? 1 : 2]!;
        const signalType = i % 5 === 0 ? 'md5' : 'pdq';
        const distance = signalType === 'pdq' ? (i * 13) % 32 : 0;
        const room = SEED_ROOMS[i % SEED_ROOMS.length]!;
        const sender = SEED_SENDERS[(i * 7) % SEED_SENDERS.length]!;
        const eventId = `$ev${i}-${hex(`e${i}`, 10)}`;
        const server = 'example.org';
        const mxcId = `M${hex(`m${i}`, 20)}`;
        let source: string = SOURCES[i % SOURCES.length]!;
        let sourceRef = `mxc://${server}/${mxcId}`;
        let sha256 = hex(`s${i}`, 64);
        let md5 = hex(`d${i}`, 32);
        let fileName = `image-${i}.jpg`;
        const hasImage = i < imageItems && !!options.mediaDir;
        let byteLength = 50_000 + ((i * 37) % 900_000);
        if (hasImage) {
          const image = images[i % images.length]!;
          sourceRef = join(options.mediaDir!, `item-${i}${extname(image.path)}`);
          copyFileSync(image.path, sourceRef);
          sha256 = createHash('sha256').update(image.bytes).digest('hex');
          md5 = createHash('md5').update(image.bytes).digest('hex');
          byteLength = image.bytes.length;
          fileName = `item-${i}${extname(image.path)}`;
          source = 'local_file';
        }
        const matrix = { server, mediaId: mxcId, roomId: room.roomId, roomName: room.roomName, eventId, sender, originServerTs: createdAt - 5_000, matrixToLink: `https://matrix.to/#/${encodeURIComponent(room.roomId)}/${encodeURIComponent(eventId)}` };
        const mediaId = Number(
          insertMedia.run({
            source,
            sourceRef,
            fileName,
            mime: 'image/jpeg',
            format: 'jpeg',
            byteLength,
            width: 640 + (i % 5) * 160,
            height: 480 + (i % 3) * 120,
            exif: i % 17 === 0 ? 6 : 1,
            md5,
            sha256,
            pdq: hex(`p${i}`, 64),
            pdqQuality: 40 + (i % 60),
            context: JSON.stringify({ matrix }),
            createdAt,
          }).lastInsertRowid,
        );
        const contents = contentIds.get(bank.name)!;
        const contentRef = String(contents[i % contents.length]!);
        insertMatch.run(mediaId, 'local', bank.name, contentRef, signalType, signalType === 'pdq' ? hex(`b${i}`, 64) : md5, distance, `${bank.name} #${(i % 5) + 1}`, bank.severity, signalType === 'pdq' && i % 4 === 1 ? 'rotate90' : null, createdAt);
        const reportCount = source === 'matrix_report' ? 1 : 0;
        const priority = basePriority([{ signalType, distance, severity: bank.severity }]) + reportBonus(reportCount);
        const id = Number(
          insertItem.run({
            mediaId,
            priority,
            distance,
            createdAt,
            source,
            roomId: room.roomId,
            sender,
            eventId,
            mxc: `${server}/${mxcId}`,
            rank: rankFor(priority, createdAt),
            reportCount,
          }).lastInsertRowid,
        );
        if (reportCount > 0) insertReport.run(i + 1, id, eventId, room.roomId, `@reporter${i % 7}:example.org`, 'Reported as abuse', createdAt, createdAt);
        seeded.push({ id, mediaId, source, sender, roomId: room.roomId, eventId, sha256, md5, bank: bank.name, signalType, distance, hasImage });
      }
    })();
  } finally {
    db.close();
  }
  return seeded;
}
