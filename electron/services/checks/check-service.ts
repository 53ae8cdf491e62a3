import { createHash } from 'node:crypto';
import type { Services } from '../app-services';
import { HashError, type MediaHashes } from '../hashing';
import { hmaMediaMatcher } from '../hma-link/hma-matcher';
import type { MediaMatcher } from '../ingest/ingest-service';
import type { NewMatch } from '../queue/queue-service';
import { mxcUri } from '../matrix/media';
import { CleanCache } from './clean-cache';
import type { CheckContext, CheckHashes } from './check-request';
import { CHECK_RULES_SETTING, checkRulesSchema, confidenceFor, decide, HMA_PDQ_THRESHOLD, type CheckAction, type CheckRules, type ScoredMatch } from './check-rules';

/** The answer, in the Mjolnir plan's shape plus what Matchdesk adds (the queue item, which matcher, cache). */
export interface CheckAnswer {
  action: CheckAction;
  reason: string;
  matchedHash: string | null;
  hashType: string | null;
  /** 0–1 from the kind of match (see check-rules.ts); null when nothing matched. */
  confidence: number | null;
  /** The bank that decided, null when nothing matched. */
  source: string | null;
  matcher: 'local' | 'hma' | null;
  /** The review queue item a `review` or `block` created (null otherwise, and when a reviewer already cleared it). */
  queueItemId: number | null;
  cached: boolean;
  /** Matchers that could not answer in time (HMA down or slow): the answer rests on the others. */
  degraded: string[];
}

/** Who asked and how: a bot's hash check, a check of an mxc URI, or the Synapse module at upload time. */
export interface CheckOrigin {
  /** The bot key's name, recorded with the queue item. */
  client: string;
  /** 'bot_check' for the check API, 'synapse_upload' for the Synapse module's upload checks. */
  source: 'bot_check' | 'synapse_upload';
}

export interface UploadInfo {
  /** mxc://server/mediaId the homeserver will give the file if it is allowed. */
  mxc: { server: string; mediaId: string } | null;
  fileName: string | null;
}

export interface CheckServiceOptions {
  /** How long a check waits for HMA before answering from the local banks alone. */
  hmaTimeoutMs?: number;
  cacheEntries?: number;
  cacheTtlMs?: number;
  /** Downloads an mxc:// URI with the server's Matrix service account. */
  download?: (server: string, mediaId: string) => Promise<Uint8Array>;
}

const DEFAULT_HMA_TIMEOUT_MS = 1_500;
const UPLOAD_MEMORY = 20_000;

/**
 * The check API's domain: bot hash sets, mxc URIs and uploads matched against the local banks and HMA, an action from
 * the rules per bank, and a review queue item for every `review` and `block` (with the event, room and sender).
 */
export class CheckService {
  private readonly clean: CleanCache;
  private readonly hma: MediaMatcher;
  private thresholds: { version: number; byBank: Map<string, number> } = { version: -1, byBank: new Map() };
  /** Answers to upload checks by mxc URI: the media event that follows an upload is answered from here. */
  private readonly uploads = new Map<string, { answer: CheckAnswer; mediaId: number | null; generation: string }>();

  constructor(
    private readonly services: Services,
    private readonly options: CheckServiceOptions = {},
  ) {
    this.clean = new CleanCache(options.cacheEntries ?? 100_000, options.cacheTtlMs ?? 10 * 60_000, services.now);
    this.hma = hmaMediaMatcher(services.hma);
  }

  rules(): CheckRules {
    return this.services.settings.get(CHECK_RULES_SETTING, checkRulesSchema);
  }

  get cacheSize(): number {
    return this.clean.size;
  }

  private generation(rules: CheckRules): string {
    return `${this.services.banks.version}:${this.services.hma.client() ? 'hma' : ''}:${JSON.stringify(rules)}`;
  }

  async checkHashes(hashes: CheckHashes, ctx: CheckContext, origin: CheckOrigin): Promise<CheckAnswer> {
    const rules = this.rules();
    const generation = this.generation(rules);
    const key = `h:${hashes.md5 ?? ''}:${hashes.sha1 ?? ''}:${hashes.sha256 ?? ''}:${hashes.pdq ?? ''}`;
    if (this.clean.has(key, generation)) return cleanAnswer(true);
    const signals = { md5: hashes.md5 ?? '', sha256: hashes.sha256 ?? '', pdq: hashes.pdq ?? null };
    const answer = await this.evaluate(signals, rules, (verdictMatches, action, reason) =>
      this.record({ md5: signals.md5, ...(hashes.sha1 ? { sha1: hashes.sha1 } : {}), sha256: signals.sha256, pdq: signals.pdq }, null, ctx, origin, verdictMatches, action, reason, null),
    );
    if (answer.action === 'allow' && answer.source === null && answer.degraded.length === 0) this.clean.add(key, generation);
    return answer;
  }

  /** Hashes the bytes in the isolated hashing pool (PDQ with its rotations and mirrors) and checks them. */
  async checkBytes(bytes: Uint8Array, ctx: CheckContext, origin: CheckOrigin, upload: UploadInfo = { mxc: null, fileName: null }): Promise<CheckAnswer> {
    const rules = this.rules();
    const generation = this.generation(rules);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const key = `b:${sha256}`;
    if (this.clean.has(key, generation)) return this.remember(upload, cleanAnswer(true), null, generation);
    let hashes: MediaHashes;
    let note = '';
    try {
      // The pool takes ownership of what it is given (the buffer moves to the worker): it gets a copy, the vault may need the bytes.
      hashes = await this.services.pool.hashBytes(bytes.slice(), { dihedral: true });
    } catch (error) {
      if (!(error instanceof HashError) || error.code === 'too_large') throw error;
      // An image that cannot be decoded can still be a banked file: its digests are checked.
      hashes = digestsOnly(bytes, sha256);
      note = ` (not decodable as an image: ${error.code}; digests only)`;
    }
    let mediaId: number | null = null;
    const answer = await this.evaluate({ md5: hashes.md5, sha256: hashes.sha256, pdq: hashes.pdq, pdqDihedral: hashes.pdqDihedral ?? null }, rules, (matches, action, reason) => {
      const recorded = this.record(hashes, bytes, ctx, origin, matches, action, reason, upload);
      mediaId = recorded.mediaId;
      return recorded;
    });
    answer.reason += note;
    if (answer.action === 'allow' && answer.source === null && answer.degraded.length === 0) this.clean.add(key, generation);
    return this.remember(upload, answer, mediaId, generation);
  }

  /** Checks the media behind an mxc:// URI: answered from its upload check when there was one, else downloaded. */
  async checkMxc(mxc: { server: string; mediaId: string }, ctx: CheckContext, origin: CheckOrigin): Promise<CheckAnswer> {
    const uri = mxcUri(mxc.server, mxc.mediaId);
    const rules = this.rules();
    const generation = this.generation(rules);
    const known = this.uploads.get(uri);
    // Banks or rules changed since the upload: the media is checked again.
    if (known && known.generation === generation) {
      if (known.mediaId !== null) this.attachContext(known.mediaId, ctx);
      return { ...known.answer, cached: true };
    }
    if (this.clean.has(`m:${uri}`, generation)) return cleanAnswer(true);
    if (!this.options.download) throw new CheckUnavailableError('This server has no Matrix service account to download media with');
    const bytes = await this.options.download(mxc.server, mxc.mediaId);
    const answer = await this.checkBytes(bytes, ctx, origin, { mxc, fileName: null });
    if (answer.action === 'allow' && answer.source === null && answer.degraded.length === 0) this.clean.add(`m:${uri}`, generation);
    return answer;
  }

  private remember(upload: UploadInfo, answer: CheckAnswer, mediaId: number | null, generation: string): CheckAnswer {
    if (!upload.mxc) return answer;
    const uri = mxcUri(upload.mxc.server, upload.mxc.mediaId);
    this.uploads.delete(uri);
    this.uploads.set(uri, { answer, mediaId, generation });
    while (this.uploads.size > UPLOAD_MEMORY) this.uploads.delete(this.uploads.keys().next().value!);
    return answer;
  }

  private async evaluate(
    signals: { md5: string; sha256: string; pdq: string | null; pdqDihedral?: string[] | null },
    rules: CheckRules,
    record: (matches: ScoredMatch[], action: CheckAction, reason: string) => { queueItemId: number | null },
  ): Promise<CheckAnswer> {
    const degraded: string[] = [];
    const hmaOn = this.services.hma.client() !== null;
    const [local, hma] = await Promise.all([this.localMatches(signals), hmaOn ? this.hmaMatches(signals).catch(() => (degraded.push('hma'), [])) : []]);
    let matches = [...local, ...hma];
    if (signals.sha256) matches = this.withoutSuppressed(signals.sha256, matches);
    const verdict = decide(matches, rules);
    const d = verdict.decisive;
    let queueItemId: number | null = null;
    if (verdict.action !== 'allow') {
      queueItemId = record(matches, verdict.action, verdict.reason).queueItemId;
    }
    const degradedNote = degraded.length > 0 ? ` (${degraded.join(', ')} did not answer in time)` : '';
    return {
      action: verdict.action,
      reason: verdict.reason + degradedNote,
      matchedHash: d?.signal ?? null,
      hashType: d ? (d.signalType === 'video_md5' ? 'md5' : d.signalType) : null,
      confidence: d ? d.confidence : null,
      source: d?.bankName ?? null,
      matcher: d?.matcher ?? null,
      queueItemId,
      cached: false,
      degraded,
    };
  }

  private bankThreshold(bankName: string): number {
    const { banks, db } = this.services;
    if (this.thresholds.version !== banks.version) {
      const rows = db.prepare('SELECT name, pdq_threshold AS t FROM banks').all() as { name: string; t: number }[];
      this.thresholds = { version: banks.version, byBank: new Map(rows.map((r) => [r.name, r.t])) };
    }
    return this.thresholds.byBank.get(bankName) ?? HMA_PDQ_THRESHOLD;
  }

  private localMatches(signals: { md5: string; sha256: string; pdq: string | null; pdqDihedral?: string[] | null }): ScoredMatch[] {
    return this.services.matcher.match(signals).map((m) => {
      const pdqThreshold = this.bankThreshold(m.bankName);
      return {
        matcher: 'local' as const,
        bankName: m.bankName,
        bankKind: m.bankKind,
        contentRef: String(m.contentId),
        signalType: m.signalType,
        signal: m.signal,
        distance: m.distance,
        pdqThreshold,
        confidence: confidenceFor(m.signalType, m.distance, pdqThreshold),
        label: m.label,
        severity: m.severity,
        variant: m.variant,
      };
    });
  }

  private async hmaMatches(signals: { md5: string; sha256: string; pdq: string | null }): Promise<ScoredMatch[]> {
    const timeoutMs = this.options.hmaTimeoutMs ?? DEFAULT_HMA_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`HMA did not answer in ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const result = await Promise.race([this.hma.match(signals), timeout]);
      return result.matches.map((m) => ({
        matcher: 'hma' as const,
        bankName: m.bankName,
        bankKind: 'positive' as const,
        contentRef: m.contentRef,
        signalType: m.signalType,
        signal: m.signal,
        distance: m.distance,
        pdqThreshold: HMA_PDQ_THRESHOLD,
        confidence: confidenceFor(m.signalType, m.distance, HMA_PDQ_THRESHOLD),
        label: m.label,
        severity: m.severity,
        variant: m.variant ?? null,
      }));
    } finally {
      clearTimeout(timer);
    }
  }

  /** A reviewer who called this media and bank content a false positive is not asked again, and the check allows it. */
  private withoutSuppressed(sha256: string, matches: ScoredMatch[]): ScoredMatch[] {
    const suppressed = this.services.db.prepare('SELECT 1 FROM suppressions WHERE media_sha256 = ? AND matcher = ? AND bank_name = ? AND content_ref = ?');
    return matches.filter((m) => m.bankKind === 'negative' || !suppressed.get(sha256, m.matcher, m.bankName, m.contentRef));
  }

  /** Stores the media and its matches and queues it, with who sent it where and what the check answered. */
  private record(
    hashes: Pick<MediaHashes, 'md5' | 'sha256' | 'pdq'> & Partial<MediaHashes>,
    bytes: Uint8Array | null,
    ctx: CheckContext,
    origin: CheckOrigin,
    matches: ScoredMatch[],
    action: CheckAction,
    reason: string,
    upload: UploadInfo | null,
  ): { queueItemId: number | null; mediaId: number } {
    const { db, media, queue, vault } = this.services;
    const positive: NewMatch[] = matches
      .filter((m) => m.bankKind === 'positive')
      .map((m) => ({
        matcher: m.matcher,
        bankName: m.bankName,
        contentRef: m.contentRef,
        signalType: m.signalType,
        signal: m.signal,
        distance: m.distance,
        label: m.label,
        severity: m.severity,
        variant: m.variant,
      }));
    const mxc = upload?.mxc ?? null;
    const refusedUpload = origin.source === 'synapse_upload' && action === 'block';
    const sourceRef = ctx.eventId ?? (mxc ? mxcUri(mxc.server, mxc.mediaId) : `${origin.source}:${hashes.sha256 || hashes.md5 || hashes.pdq}`);
    const matrix = {
      ...(ctx.roomId ? { roomId: ctx.roomId } : {}),
      ...(ctx.eventId ? { eventId: ctx.eventId } : {}),
      ...(ctx.userId ? { sender: ctx.userId } : {}),
      ...(ctx.timestamp !== null ? { originServerTs: ctx.timestamp } : {}),
      // A blocked upload never got its mxc URI: Synapse deleted the file.
      ...(mxc && !refusedUpload ? { server: mxc.server, mediaId: mxc.mediaId } : {}),
    };
    const check = {
      action,
      reason,
      client: origin.client,
      at: origin.source === 'synapse_upload' ? 'upload' : 'check',
      ...(ctx.mediaType ? { mediaType: ctx.mediaType } : {}),
      ...(mxc && refusedUpload ? { refusedMxc: mxcUri(mxc.server, mxc.mediaId) } : {}),
    };
    return db.transaction(() => {
      const { id, created } = media.upsert({
        source: origin.source,
        sourceRef,
        fileName: upload?.fileName ?? null,
        mime: hashes.mime ?? null,
        format: hashes.format ?? null,
        byteLength: hashes.byteLength ?? 0,
        width: hashes.width ?? null,
        height: hashes.height ?? null,
        exifOrientation: hashes.exifOrientation ?? null,
        md5: hashes.md5,
        sha1: hashes.sha1 ?? null,
        sha256: hashes.sha256,
        pdq: hashes.pdq,
        pdqQuality: hashes.pdqQuality ?? null,
        context: { matrix, check },
      });
      // The bytes are kept only encrypted, so a reviewer can look at a blocked upload that the homeserver never stored.
      if (created && bytes) db.prepare('UPDATE media_items SET vault_ref = ? WHERE id = ?').run(vault.put(bytes), id);
      const queueItemId = positive.length > 0 ? queue.enqueue(id, positive) : null;
      return { queueItemId, mediaId: id };
    })();
  }

  /** The media event that followed an upload: its event, room and sender go onto the upload's queue item. */
  private attachContext(mediaId: number, ctx: CheckContext): void {
    if (!ctx.eventId && !ctx.roomId && !ctx.userId) return;
    const { db } = this.services;
    const row = db.prepare('SELECT context_json FROM media_items WHERE id = ?').get(mediaId) as { context_json: string } | undefined;
    if (!row) return;
    const context = JSON.parse(row.context_json) as { matrix?: Record<string, unknown> };
    const matrix = { ...(context.matrix ?? {}), ...(ctx.roomId ? { roomId: ctx.roomId } : {}), ...(ctx.eventId ? { eventId: ctx.eventId } : {}), ...(ctx.userId ? { sender: ctx.userId } : {}) };
    db.transaction(() => {
      db.prepare('UPDATE media_items SET context_json = ? WHERE id = ?').run(JSON.stringify({ ...context, matrix }), mediaId);
      db.prepare('UPDATE queue_items SET room_id = COALESCE(?, room_id), event_id = COALESCE(?, event_id), sender = COALESCE(?, sender) WHERE media_id = ?').run(
        ctx.roomId,
        ctx.eventId,
        ctx.userId,
        mediaId,
      );
    })();
    const item = db.prepare('SELECT id FROM queue_items WHERE media_id = ?').get(mediaId) as { id: number } | undefined;
    if (item) this.services.changes.publish({ type: 'queue', queueItemIds: [item.id] });
  }
}

/** The check cannot be made (no service account to download with, the homeserver refusing). */
export class CheckUnavailableError extends Error {}

function cleanAnswer(cached: boolean): CheckAnswer {
  return { action: 'allow', reason: 'No bank matched', matchedHash: null, hashType: null, confidence: null, source: null, matcher: null, queueItemId: null, cached, degraded: [] };
}

function digestsOnly(bytes: Uint8Array, sha256: string): MediaHashes {
  const md5 = createHash('md5').update(bytes).digest('hex');
  return {
    md5,
    sha1: createHash('sha1').update(bytes).digest('hex'),
    sha256,
    videoMd5: md5,
    pdq: null,
    pdqQuality: null,
    width: null,
    height: null,
    format: null,
    mime: null,
    exifOrientation: null,
    byteLength: bytes.byteLength,
  };
}
