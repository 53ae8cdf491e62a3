import { useEffect, useRef, useState, type RefObject } from 'react';
import { useQuery } from '@tanstack/react-query';
import type { QueueFilter, QueueSort, QueueStatus, QueueTrigger } from '../../../shared/contract';
import { call } from '../api';

const STATUSES: { value: QueueStatus | ''; label: string }[] = [
  { value: 'pending', label: 'Pending' },
  { value: 'escalated', label: 'Escalated' },
  { value: 'confirmed', label: 'Confirmed' },
  { value: 'false_positive', label: 'False positive' },
  { value: 'skipped', label: 'Skipped' },
  { value: '', label: 'All' },
];
const SORTS: { value: QueueSort; label: string }[] = [
  { value: 'priority', label: 'Priority' },
  { value: 'oldest', label: 'Oldest first' },
  { value: 'newest', label: 'Newest first' },
  { value: 'distance', label: 'Closest match' },
];
const HOUR = 3_600_000;
const AGES: { value: string; label: string; min?: number; max?: number }[] = [
  { value: '', label: 'Any age' },
  { value: 'lt1h', label: 'Under 1 hour', max: HOUR },
  { value: 'lt24h', label: 'Under 24 hours', max: 24 * HOUR },
  { value: 'gt24h', label: 'Over 24 hours', min: 24 * HOUR },
  { value: 'gt7d', label: 'Over 7 days', min: 7 * 24 * HOUR },
];
const TRIGGERS: { value: QueueTrigger | ''; label: string }[] = [
  { value: '', label: 'Reported or matched' },
  { value: 'reported', label: 'Reported by users' },
  { value: 'reported_only', label: 'Reported, no bank match' },
  { value: 'matched', label: 'Matched a bank' },
  { value: 'matched_only', label: 'Matched, not reported' },
  { value: 'reported_and_matched', label: 'Reported and matched' },
];
const SOURCE_LABEL: Record<string, string> = { matrix_report: 'Matrix reports', matrix_live: 'Matrix (live)', local_file: 'Local files', demo: 'Demo', upload: 'Uploads', bot_check: 'Bot checks', synapse_upload: 'Checked at upload (Synapse)' };

function ageValue(filter: QueueFilter): string {
  return AGES.find((a) => a.min === filter.minAgeMs && a.max === filter.maxAgeMs)?.value ?? '';
}

function without<K extends keyof QueueFilter>(filter: QueueFilter, key: K, value: QueueFilter[K] | '' | undefined): QueueFilter {
  const next = { ...filter };
  if (value === '' || value === undefined || (typeof value === 'number' && Number.isNaN(value))) delete next[key];
  else next[key] = value as QueueFilter[K];
  return next;
}

/** Text that applies after a pause in typing (or at once on Enter). */
function useDebouncedText(value: string | undefined, apply: (v: string) => void, delay: number): [string, (v: string) => void, () => void] {
  const [text, setText] = useState(value ?? '');
  const [prop, setProp] = useState(value);
  if (prop !== value) {
    setProp(value);
    setText(value ?? '');
  }
  const applyRef = useRef(apply);
  useEffect(() => {
    applyRef.current = apply;
  });
  useEffect(() => {
    if (text.trim() === (value ?? '')) return;
    const t = setTimeout(() => applyRef.current(text.trim()), delay);
    return () => clearTimeout(t);
  }, [text, value, delay]);
  return [text, setText, () => apply(text.trim())];
}

export function QueueFilters({ filter, onChange, searchRef, lockStatus }: { filter: QueueFilter; onChange: (f: QueueFilter) => void; searchRef: RefObject<HTMLInputElement | null>; lockStatus: boolean }) {
  // The filter menus' options are fetched when the panel is first opened (not in the way of the first render).
  const [opened, setOpened] = useState(false);
  const facets = useQuery({ queryKey: ['queue.facets'], queryFn: () => call('queue.facets', {}), staleTime: 60_000, enabled: opened });
  const [search, setSearch, applySearch] = useDebouncedText(filter.search, (v) => onChange(without(filter, 'search', v)), 250);
  const [sender, setSender, applySender] = useDebouncedText(filter.sender, (v) => onChange(without(filter, 'sender', v)), 400);
  const advancedCount = ['bank', 'signalType', 'source', 'room', 'sender', 'minDistance', 'maxDistance', 'minAgeMs', 'maxAgeMs'].filter((k) => filter[k as keyof QueueFilter] !== undefined).length;

  return (
    <div className="queue-filters" role="search" aria-label="Filter the queue">
      <div className="filter-row">
        <label htmlFor="queue-search" className="sr-only">Search</label>
        <input
          id="queue-search"
          ref={searchRef}
          type="search"
          placeholder="Search hash, $event, @user, mxc://, # (press /)"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') applySearch();
          }}
          data-testid="queue-search"
          aria-keyshortcuts="/"
          spellCheck={false}
          autoComplete="off"
        />
      </div>
      <div className="filter-row">
        {!lockStatus && (
          <>
            <label htmlFor="status-filter">Status</label>
            <select id="status-filter" value={filter.status ?? ''} onChange={(e) => onChange(without(filter, 'status', e.target.value as QueueStatus | ''))} data-testid="status-filter">
              {STATUSES.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
            </select>
          </>
        )}
        <label htmlFor="sort-filter">Sort</label>
        <select id="sort-filter" value={filter.sort ?? 'priority'} onChange={(e) => onChange({ ...filter, sort: e.target.value as QueueSort })} data-testid="sort-filter">
          {SORTS.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
        </select>
      </div>
      <div className="filter-row">
        <label htmlFor="trigger-filter">Why queued</label>
        <select id="trigger-filter" value={filter.trigger ?? ''} onChange={(e) => onChange(without(filter, 'trigger', e.target.value as QueueTrigger | ''))} data-testid="trigger-filter">
          {TRIGGERS.map((t) => <option key={t.value} value={t.value}>{t.label}</option>)}
        </select>
      </div>
      <details className="more-filters" onToggle={(e) => e.currentTarget.open && setOpened(true)}>
        <summary>More filters{advancedCount > 0 ? ` (${advancedCount} on)` : ''}</summary>
        <div className="filter-grid">
          <label htmlFor="bank-filter">Bank</label>
          <select id="bank-filter" value={filter.bank ?? ''} onChange={(e) => onChange(without(filter, 'bank', e.target.value))} data-testid="bank-filter">
            <option value="">Any bank</option>
            {facets.data?.banks.map((b) => <option key={b.name} value={b.name}>{b.name}{b.severity !== null ? ` (severity ${b.severity})` : ''}</option>)}
          </select>
          <label htmlFor="signal-filter">Signal</label>
          <select id="signal-filter" value={filter.signalType ?? ''} onChange={(e) => onChange(without(filter, 'signalType', e.target.value))} data-testid="signal-filter">
            <option value="">Any signal</option>
            {facets.data?.signalTypes.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
          <label htmlFor="source-filter">Source</label>
          <select id="source-filter" value={filter.source ?? ''} onChange={(e) => onChange(without(filter, 'source', e.target.value))} data-testid="source-filter">
            <option value="">Any source</option>
            {facets.data?.sources.map((s) => <option key={s} value={s}>{SOURCE_LABEL[s] ?? s}</option>)}
          </select>
          <label htmlFor="room-filter">Room</label>
          <select id="room-filter" value={filter.room ?? ''} onChange={(e) => onChange(without(filter, 'room', e.target.value))} data-testid="room-filter">
            <option value="">Any room</option>
            {facets.data?.rooms.map((r) => <option key={r.roomId} value={r.roomId}>{r.roomName ?? r.roomId} ({r.count})</option>)}
          </select>
          <label htmlFor="sender-filter">Sender</label>
          <input id="sender-filter" type="text" placeholder="@user:server" value={sender} onChange={(e) => setSender(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && applySender()} data-testid="sender-filter" spellCheck={false} autoComplete="off" />
          <span id="distance-label">PDQ distance</span>
          <span className="distance-range" role="group" aria-labelledby="distance-label">
            <input type="number" min={0} max={256} aria-label="Minimum distance" value={filter.minDistance ?? ''} onChange={(e) => onChange(without(filter, 'minDistance', e.target.value === '' ? undefined : Number(e.target.value)))} data-testid="min-distance" />
            <span aria-hidden="true">–</span>
            <input type="number" min={0} max={256} aria-label="Maximum distance" value={filter.maxDistance ?? ''} onChange={(e) => onChange(without(filter, 'maxDistance', e.target.value === '' ? undefined : Number(e.target.value)))} data-testid="max-distance" />
          </span>
          <label htmlFor="age-filter">Age</label>
          <select
            id="age-filter"
            value={ageValue(filter)}
            onChange={(e) => {
              const age = AGES.find((a) => a.value === e.target.value);
              onChange(without(without(filter, 'minAgeMs', age?.min), 'maxAgeMs', age?.max));
            }}
            data-testid="age-filter"
          >
            {AGES.map((a) => <option key={a.value} value={a.value}>{a.label}</option>)}
          </select>
        </div>
        {advancedCount > 0 && (
          <button type="button" className="link" onClick={() => onChange({ ...(filter.status ? { status: filter.status } : {}), sort: filter.sort ?? 'priority', ...(filter.search ? { search: filter.search } : {}) })}>
            Clear these filters
          </button>
        )}
      </details>
    </div>
  );
}
