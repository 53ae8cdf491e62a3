import type { Db } from '../store/database';
import type { MediaMatcher } from '../ingest/ingest-service';
import type { NewMatch } from '../queue/queue-service';
import type { BankRepository } from './bank-repository';
import { PdqIndex } from './pdq-index';
import { signalKey } from './bank-signals';
import { DIHEDRAL_NAMES } from '../hashing';

export interface MediaSignals {
  md5: string;
  sha256: string;
  pdq: string | null;
  /** The 8 dihedral PDQ variants (original first), to find rotated and mirrored copies. */
  pdqDihedral?: string[] | null;
}

export interface LocalMatch {
  bankId: number;
  bankName: string;
  bankKind: 'positive' | 'negative';
  severity: number;
  contentId: number;
  signalType: string;
  signal: string;
  distance: number;
  label: string | null;
  /** For PDQ: which transform of the media matched ('original', 'rotate90', …). */
  variant: string | null;
}

interface SignalRow {
  bankId: number;
  bankName: string;
  bankKind: 'positive' | 'negative';
  severity: number;
  pdqThreshold: number;
  contentId: number;
  signalType: string;
  signal: string;
  label: string | null;
}

const SIGNAL_SELECT = `
  SELECT b.id AS bankId, b.name AS bankName, b.kind AS bankKind, b.severity, b.pdq_threshold AS pdqThreshold,
         c.id AS contentId, s.signal_type AS signalType, s.signal, c.label
    FROM bank_signals s
    JOIN banks b ON b.id = s.bank_id
    JOIN bank_content c ON c.id = s.content_id
   WHERE b.enabled = 1 AND (c.disabled_until IS NULL OR c.disabled_until <= @now)`;

/**
 * Matches media against the local banks with HMA's semantics: PDQ within each bank's threshold (31 by default),
 * exact MD5 / video_md5 / SHA-256. The PDQ side uses an in-memory index rebuilt when the banks change.
 */
export class LocalMatcher {
  private index: PdqIndex | null = null;
  private indexVersion = -1;
  private maxThreshold = 31;
  /** Highest bank_signals id in the index (ids are AUTOINCREMENT: new signals are always above it). */
  private highWater = 0;
  /** Last bank_signal_removals entry applied. */
  private removalsSeen = 0;
  /** How many times the PDQ index was loaded from scratch (once, unless a bank of most of it was deleted). */
  fullLoads = 0;

  constructor(
    private readonly db: Db,
    private readonly banks: BankRepository,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The PDQ index, brought up to date with the banks: built once from every PDQ signal, then kept current by adding
   * signals above the high-water id and removing those in the removal log (filled by a trigger, cascades included).
   * A bank import of millions of rows therefore costs only its own rows, never a rebuild.
   */
  private pdqIndex(): PdqIndex {
    if (this.index && this.indexVersion === this.banks.version) return this.index;
    const version = this.banks.version;
    const maxSeq = (this.db.prepare('SELECT COALESCE(MAX(seq), 0) AS m FROM bank_signal_removals').get() as { m: number }).m;
    let index = this.index;
    if (index) {
      const removed = this.db.prepare('SELECT signal_id AS id FROM bank_signal_removals WHERE seq > ? AND seq <= ?').all(this.removalsSeen, maxSeq) as { id: number }[];
      if (removed.length > Math.max(10_000, index.size / 4)) index = null; // a bank deleted: cheaper to start again
      else for (const r of removed) index.remove(r.id);
    }
    if (!index) {
      index = new PdqIndex();
      this.highWater = 0;
      this.fullLoads++;
    }
    const fresh = this.db.prepare("SELECT id, signal FROM bank_signals WHERE id > ? AND signal_type = 'pdq' ORDER BY id").iterate(this.highWater) as Iterable<{ id: number; signal: string }>;
    for (const row of fresh) {
      index.add(row.id, row.signal);
      this.highWater = row.id;
    }
    this.removalsSeen = maxSeq;
    // The log only serves this matcher: keep it short.
    this.db.prepare('DELETE FROM bank_signal_removals WHERE seq <= ?').run(maxSeq);
    const max = this.db.prepare('SELECT MAX(pdq_threshold) AS m FROM banks WHERE enabled = 1').get() as { m: number | null };
    this.maxThreshold = max.m ?? 31;
    this.index = index;
    this.indexVersion = version;
    return index;
  }

  /** Brings the PDQ index up to date now (otherwise done by the next match). */
  syncIndex(): { size: number } {
    return { size: this.pdqIndex().size };
  }

  /** True when the enabled banks hold SHA-256 signals only (so nothing but the file's SHA-256 can match). */
  onlyExactSha256(): boolean {
    const row = this.db
      .prepare(
        `SELECT SUM(CASE WHEN s.signal_type = 'sha256' THEN 1 ELSE 0 END) AS sha, SUM(CASE WHEN s.signal_type != 'sha256' THEN 1 ELSE 0 END) AS other
           FROM bank_signals s JOIN banks b ON b.id = s.bank_id WHERE b.enabled = 1 AND b.kind = 'positive'`,
      )
      .get() as { sha: number | null; other: number | null };
    return (row.sha ?? 0) > 0 && (row.other ?? 0) === 0;
  }

  match(media: MediaSignals): LocalMatch[] {
    const now = this.now();
    const found: LocalMatch[] = [];
    const exact = this.db.prepare(`${SIGNAL_SELECT} AND s.skey = @skey AND s.signal_type = @type AND s.signal = @signal`);
    const exactQueries: [string, string][] = [
      ['md5', media.md5],
      ['video_md5', media.md5],
      ['sha256', media.sha256],
    ];
    for (const [type, signal] of exactQueries) {
      if (!signal) continue;
      for (const row of exact.all({ now, type, signal, skey: signalKey(signal) }) as SignalRow[]) found.push(toMatch(row, 0));
    }
    if (media.pdq) {
      // Each bank hash is matched by the closest of the media's variants; the original wins ties.
      const variants = media.pdqDihedral && media.pdqDihedral.length === DIHEDRAL_NAMES.length ? media.pdqDihedral : [media.pdq];
      const best = new Map<number, { distance: number; variant: string }>();
      variants.forEach((hex, i) => {
        for (const hit of this.pdqIndex().query(hex, this.maxThreshold)) {
          const seen = best.get(hit.id);
          if (!seen || hit.distance < seen.distance) best.set(hit.id, { distance: hit.distance, variant: DIHEDRAL_NAMES[i] ?? 'original' });
        }
      });
      const byId = this.db.prepare(`${SIGNAL_SELECT} AND s.id = @id`);
      for (const [id, hit] of best) {
        const row = byId.get({ now, id }) as SignalRow | undefined;
        if (row && hit.distance <= row.pdqThreshold) found.push({ ...toMatch(row, hit.distance), variant: hit.variant });
      }
    }
    return found;
  }
}

function toMatch(row: SignalRow, distance: number): LocalMatch {
  return {
    bankId: row.bankId,
    bankName: row.bankName,
    bankKind: row.bankKind,
    severity: row.severity,
    contentId: row.contentId,
    signalType: row.signalType,
    signal: row.signal,
    distance,
    label: row.label,
    variant: null,
  };
}

/** Adapts the local banks to the ingest pipeline: negative-bank hits allow-list the item for every matcher. */
export function localMediaMatcher(matcher: LocalMatcher): MediaMatcher {
  return {
    name: 'local',
    async match(hashes) {
      const found = matcher.match(hashes);
      const allowListed = found.some((m) => m.bankKind === 'negative');
      if (allowListed) return { matches: [], allowListed };
      const matches: NewMatch[] = found
        .filter((m) => m.bankKind === 'positive')
        .map((m) => ({
          matcher: 'local',
          bankName: m.bankName,
          contentRef: String(m.contentId),
          signalType: m.signalType,
          signal: m.signal,
          distance: m.distance,
          label: m.label,
          severity: m.severity,
          variant: m.variant,
        }));
      return { matches, allowListed };
    },
  };
}
