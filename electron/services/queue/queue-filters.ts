import type { QueueSort, QueueStatus, QueueTrigger } from '../../../shared/contract';

export interface QueueListFilter {
  status?: QueueStatus;
  bank?: string;
  signalType?: string;
  source?: string;
  room?: string;
  sender?: string;
  trigger?: QueueTrigger;
  minDistance?: number;
  maxDistance?: number;
  minAgeMs?: number;
  maxAgeMs?: number;
  search?: string;
  sort?: QueueSort;
}

export interface BuiltFilter {
  where: string;
  params: Record<string, string | number>;
  orderBy: string;
}

const ORDER: Record<QueueSort, string> = {
  priority: 'q.rank DESC, q.id ASC',
  oldest: 'q.created_at ASC, q.id ASC',
  newest: 'q.created_at DESC, q.id DESC',
  // Items without a match (reported only) have no distance: they come last.
  distance: 'q.best_distance IS NULL, q.best_distance ASC, q.rank DESC, q.id ASC',
};

/** "Reported" is a user report (report_count); "matched" is a bank match (an item with a match has a best distance). */
const TRIGGER: Record<QueueTrigger, string> = {
  reported: 'q.report_count > 0',
  matched: 'q.best_distance IS NOT NULL',
  reported_and_matched: 'q.report_count > 0 AND q.best_distance IS NOT NULL',
  reported_only: 'q.report_count > 0 AND q.best_distance IS NULL',
  matched_only: 'q.report_count = 0 AND q.best_distance IS NOT NULL',
};

/** What a search string is: each kind is answered by an index (hash columns, event id, sender, room, mxc). */
export function searchClause(raw: string, params: Record<string, string | number>): string | null {
  const s = raw.trim();
  if (!s) return null;
  const lower = s.toLowerCase();
  params.search = s;
  if (/^[0-9a-f]{64}$/.test(lower)) {
    params.search = lower;
    return 'q.media_id IN (SELECT COALESCE(part_of, id) FROM media_items WHERE sha256 = @search OR pdq = @search)';
  }
  if (/^[0-9a-f]{32}$/.test(lower)) {
    params.search = lower;
    return 'q.media_id IN (SELECT COALESCE(part_of, id) FROM media_items WHERE md5 = @search)';
  }
  if (/^[0-9a-f]{40}$/.test(lower)) {
    params.search = lower;
    return 'q.media_id IN (SELECT COALESCE(part_of, id) FROM media_items WHERE sha1 = @search)';
  }
  if (s.startsWith('$')) return 'q.event_id = @search';
  if (s.startsWith('@')) return 'q.sender = @search';
  if (s.startsWith('!')) return 'q.room_id = @search';
  if (lower.startsWith('mxc://')) {
    params.search = s.slice('mxc://'.length);
    // A thumbnail's or an edit's mxc:// finds its event: parts are stored under `<mxc>#<event id>`.
    params.partRefFrom = `${s}#`;
    params.partRefTo = `${s}$`;
    return `(q.mxc = @search OR q.media_id IN (SELECT part_of FROM media_items WHERE source IN ('matrix_live', 'matrix_report')
              AND source_ref >= @partRefFrom AND source_ref < @partRefTo AND part_of IS NOT NULL))`;
  }
  if (/^#?\d{1,15}$/.test(s)) {
    params.searchNum = Number(s.replace('#', ''));
    return '(q.id = @searchNum OR q.media_id = @searchNum)';
  }
  // A Matrix media id (with or without its server), else the start of a file name.
  params.searchLike = `${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return `(q.mxc = @search OR q.mxc LIKE '%/' || @search OR q.media_id IN (SELECT id FROM media_items WHERE file_name LIKE @searchLike ESCAPE '\\'))`;
}

export function buildFilter(filter: QueueListFilter, now: number): BuiltFilter {
  const where: string[] = [];
  const params: Record<string, string | number> = {};
  if (filter.status) {
    where.push('q.status = @status');
    params.status = filter.status;
  }
  if (filter.source) {
    where.push('q.source = @source');
    params.source = filter.source;
  }
  if (filter.room) {
    where.push('q.room_id = @room');
    params.room = filter.room;
  }
  if (filter.sender) {
    where.push('q.sender = @sender');
    params.sender = filter.sender;
  }
  if (filter.trigger) where.push(TRIGGER[filter.trigger]);
  if (filter.bank) {
    where.push('q.media_id IN (SELECT media_id FROM matches WHERE bank_name = @bank)');
    params.bank = filter.bank;
  }
  if (filter.signalType) {
    where.push('q.media_id IN (SELECT media_id FROM matches WHERE signal_type = @signalType)');
    params.signalType = filter.signalType;
  }
  if (filter.minDistance !== undefined) {
    where.push('q.best_distance >= @minDistance');
    params.minDistance = filter.minDistance;
  }
  if (filter.maxDistance !== undefined) {
    where.push('q.best_distance <= @maxDistance');
    params.maxDistance = filter.maxDistance;
  }
  if (filter.minAgeMs !== undefined) {
    where.push('q.created_at <= @createdBefore');
    params.createdBefore = now - filter.minAgeMs;
  }
  if (filter.maxAgeMs !== undefined) {
    where.push('q.created_at >= @createdAfter');
    params.createdAfter = now - filter.maxAgeMs;
  }
  if (filter.search) {
    const clause = searchClause(filter.search, params);
    if (clause) where.push(clause);
  }
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', params, orderBy: ORDER[filter.sort ?? 'priority'] };
}
