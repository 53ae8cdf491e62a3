import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Claim, ExtraActions, QueueCounts, QueueFilter, QueueItem, QueueStatus, Verdict } from '../../../shared/contract';
import { call } from '../api';
import { SESSION_ID } from '../session';
import { useWellbeing } from '../wellbeing';
import { isTypingTarget } from '../queue/shortcuts';
import { ALL_REASONS, VERDICT_LABEL, formatAge } from '../queue/reasons';
import { PAGE_SIZE, useQueueList } from '../queue/useQueueList';
import { ErrorNote } from './ErrorNote';
import { ItemDetail, itemQuery, type ClaimState } from './ItemDetail';
import { QueueFilters } from './QueueFilters';
import { blurredPreviewQuery } from './MediaPreview';
import { ShortcutsDialog } from './ShortcutsDialog';
import { useToasts } from './Toasts';

/** Rows are 3.75 rem tall, so they grow with the root font size (larger on 4K screens). */
function rootRowHeight(): number {
  return Math.round(parseFloat(getComputedStyle(document.documentElement).fontSize || '15') * 3.75);
}

function useRowHeight(): number {
  const [height, setHeight] = useState(rootRowHeight);
  useEffect(() => {
    const onResize = () => setHeight(rootRowHeight());
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, []);
  return height;
}
const DECIDABLE = new Set<QueueStatus>(['pending', 'escalated', 'skipped']);
const VERDICT_STATUS: Record<Verdict, QueueStatus> = { confirm: 'confirmed', false_positive: 'false_positive', escalate: 'escalated', skip: 'skipped' };
const CLAIM_RENEW_MS = 45_000;
const PREFETCH_AHEAD = 5;

interface UndoEntry {
  queueItemId: number;
  verdict: Verdict;
  /** Resolves to the decision id once the store has it (null if the decision failed). */
  decision: Promise<number | null>;
}

function heldElsewhere(claim: Claim | null | undefined, now: number): boolean {
  return !!claim && claim.sessionId !== SESSION_ID && claim.expiresAt > now;
}

function matchSummary(item: QueueItem): string {
  const best = item.matches[0];
  if (!best) return '';
  const more = item.matches.length > 1 ? ` +${item.matches.length - 1}` : '';
  return `${best.bankName} · ${best.signalType === 'pdq' ? `PDQ ${best.distance}` : `exact ${best.signalType}`}${more}`;
}

export function QueueView({ mode, reviewer }: { mode: 'queue' | 'escalations'; reviewer: string }) {
  const queryClient = useQueryClient();
  const wellbeing = useWellbeing();
  const toasts = useToasts();
  const quiet = wellbeing.settings.quietMode;

  const [filter, setFilterState] = useState<QueueFilter>(() => ({ status: mode === 'escalations' ? 'escalated' : 'pending', sort: 'priority' }));
  const [currentId, setCurrentId] = useState<number | null>(null);
  const anchorIndex = useRef(0);
  const [decided, setDecided] = useState<Map<number, Verdict>>(() => new Map());
  const [selection, setSelection] = useState<Set<number>>(() => new Set());
  const lastClicked = useRef<number | null>(null);
  const [revealedFor, setRevealedFor] = useState<number | null>(null);
  const [reason, setReason] = useState('');
  const [note, setNote] = useState('');
  const [extraActions, setExtraActions] = useState<ExtraActions>({});
  const [claims, setClaims] = useState<Map<number, ClaimState>>(() => new Map());
  const [helpOpen, setHelpOpen] = useState(false);
  const [bulkVerdict, setBulkVerdict] = useState<Verdict | null>(null);
  const undoStack = useRef<UndoEntry[]>([]);
  const searchRef = useRef<HTMLInputElement>(null);
  const noteRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const [visiblePages, setVisiblePages] = useState<number[]>([0, 1]);
  const setFilter = useCallback((next: QueueFilter) => {
    setFilterState(next);
    setVisiblePages([0]);
    setCurrentId(null);
    anchorIndex.current = 0;
    setSelection(new Set());
    listRef.current?.scrollTo({ top: 0 });
  }, []);

  // ---- the list: pages around what is on screen and around the current item ----------------------------------------
  const rowHeight = useRowHeight();
  const list = useQueueList(filter, visiblePages);
  const total = list.total ?? 0;
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read during render on purpose
  const virtualizer = useVirtualizer({ count: total, getScrollElement: () => listRef.current, estimateSize: () => rowHeight, overscan: 8 });
  useEffect(() => virtualizer.measure(), [rowHeight, virtualizer]);
  const virtualItems = virtualizer.getVirtualItems();
  const firstVisible = virtualItems[0]?.index ?? 0;
  const lastVisible = virtualItems[virtualItems.length - 1]?.index ?? 0;

  const loaded = list.loaded;
  const currentEntry = useMemo(() => {
    if (currentId !== null) return loaded.find((e) => e.item.id === currentId) ?? null;
    return null;
  }, [loaded, currentId]);
  useEffect(() => {
    if (currentEntry) anchorIndex.current = currentEntry.index;
  }, [currentEntry]);

  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 20_000);
    return () => clearInterval(timer);
  }, []);
  const navigable = useCallback((item: QueueItem) => !decided.has(item.id) && !heldElsewhere(item.claim, Date.now()), [decided]);
  const defaultId = useMemo(() => loaded.find((e) => navigable(e.item))?.item.id ?? loaded[0]?.item.id ?? null, [loaded, navigable]);
  const current = currentId ?? defaultId;
  const currentItem = currentEntry?.item ?? (current !== null ? loaded.find((e) => e.item.id === current)?.item : undefined);

  useEffect(() => {
    const anchorPage = Math.floor(anchorIndex.current / PAGE_SIZE);
    const pages = new Set<number>([0, anchorPage, anchorPage + 1]);
    for (let p = Math.floor(firstVisible / PAGE_SIZE); p <= Math.floor(lastVisible / PAGE_SIZE); p++) pages.add(p);
    const maxPage = Math.max(0, Math.ceil(total / PAGE_SIZE) - 1);
    const next = [...pages].filter((p) => p <= maxPage).sort((a, b) => a - b);
    setVisiblePages((prev) => (prev.join(',') === next.join(',') ? prev : next));
  }, [firstVisible, lastVisible, total, current]);

  /** The items after (or before) the current one that a reviewer would move to. */
  const upcoming = useCallback(
    (dir: 1 | -1, count: number): QueueItem[] => {
      const out: QueueItem[] = [];
      let start = loaded.findIndex((e) => e.item.id === current);
      if (start < 0) {
        start = loaded.findIndex((e) => e.index >= anchorIndex.current);
        if (start < 0) start = dir === 1 ? loaded.length : loaded.length;
        else if (dir === 1) start -= 1;
      }
      for (let i = start + dir; i >= 0 && i < loaded.length && out.length < count; i += dir) {
        const item = loaded[i]!.item;
        if (navigable(item)) out.push(item);
      }
      return out;
    },
    [loaded, current, navigable],
  );

  const goTo = useCallback(
    (id: number | null) => {
      if (id === null) return;
      setCurrentId(id);
      const entry = loaded.find((e) => e.item.id === id);
      if (entry) {
        anchorIndex.current = entry.index;
        virtualizer.scrollToIndex(entry.index, { align: 'auto' });
      }
    },
    [loaded, virtualizer],
  );

  // ---- prefetch: the next items' details and blurred previews, so a decision shows the next item at once -------------
  useEffect(() => {
    upcoming(1, PREFETCH_AHEAD).forEach((item, i) => {
      if (i < 3) void queryClient.prefetchQuery(itemQuery(item.id));
      if (!item.media.mime?.startsWith('video/')) void queryClient.prefetchQuery(blurredPreviewQuery(item.media.id));
    });
  }, [upcoming, queryClient]);

  // ---- claims: a lease on the open item, renewed while it stays open, released on leaving --------------------------
  useEffect(() => {
    if (current === null) return;
    let alive = true;
    const acquire = () =>
      call('claims.acquire', { queueItemId: current, sessionId: SESSION_ID })
        .then((r) => {
          if (!alive || !r.claim) return;
          setClaims((m) => new Map(m).set(current, { kind: r.acquired ? 'mine' : 'other', claim: r.claim! }));
        })
        .catch(() => undefined);
    const first = setTimeout(acquire, 80);
    const renew = setInterval(acquire, CLAIM_RENEW_MS);
    return () => {
      alive = false;
      clearTimeout(first);
      clearInterval(renew);
      setClaims((m) => {
        if (!m.has(current)) return m;
        const next = new Map(m);
        next.delete(current);
        return next;
      });
      void call('claims.release', { sessionId: SESSION_ID, queueItemId: current }).catch(() => undefined);
    };
  }, [current]);

  const claimState: ClaimState = useMemo(() => {
    if (current === null) return { kind: 'unknown' };
    const known = claims.get(current);
    if (known) return known;
    const listed = currentItem?.claim;
    if (listed && heldElsewhere(listed, now)) return { kind: 'other', claim: listed };
    return { kind: 'unknown' };
  }, [claims, current, currentItem, now]);

  // ---- decisions ----------------------------------------------------------------------------------------------------
  const scheduleRefresh = useCallback(() => {
    if (refreshTimer.current) clearTimeout(refreshTimer.current);
    refreshTimer.current = setTimeout(() => {
      void queryClient.invalidateQueries({ queryKey: ['queue.counts'] });
      void queryClient.invalidateQueries({ queryKey: ['queue.list'] });
    }, 1_500);
  }, [queryClient]);
  useEffect(() => () => {
    if (refreshTimer.current) clearTimeout(refreshTimer.current);
  }, []);

  /** Counts move with the decision at once; the store's counts replace them shortly after. */
  const bumpCounts = useCallback(
    (moves: { from: QueueStatus | undefined; to: QueueStatus }[]) => {
      queryClient.setQueryData<QueueCounts>(['queue.counts'], (c) => {
        if (!c) return c;
        const next = { ...c };
        for (const { from, to } of moves) {
          if (!from || from === to) continue;
          next[from] = Math.max(0, next[from] - 1);
          next[to] += 1;
        }
        return next;
      });
    },
    [queryClient],
  );

  const unmark = useCallback((ids: number[]) => {
    setDecided((m) => {
      const next = new Map(m);
      for (const id of ids) next.delete(id);
      return next;
    });
  }, []);

  const statusOf = useCallback(
    (id: number): QueueStatus | undefined =>
      queryClient.getQueryData<{ status: QueueStatus }>(itemQuery(id).queryKey)?.status ?? loaded.find((e) => e.item.id === id)?.item.status,
    [queryClient, loaded],
  );

  const decide = useCallback(
    (verdict: Verdict) => {
      if (current === null) return;
      const id = current;
      const status = statusOf(id);
      if (decided.has(id)) return;
      if (status && !DECIDABLE.has(status)) {
        toasts.show(`Item #${id} is already decided (${status.replace('_', ' ')}). Press u to undo your last decision.`, 'error');
        return;
      }
      if (claimState.kind === 'other') {
        toasts.show(`Item #${id} is held by ${claimState.claim.reviewer} in another window: not decided.`, 'error');
        return;
      }
      const next = upcoming(1, 1)[0] ?? null;
      setDecided((m) => new Map(m).set(id, verdict));
      bumpCounts([{ from: status, to: VERDICT_STATUS[verdict] }]);
      setRevealedFor(null);
      if (next) goTo(next.id);
      const wider = verdict === 'confirm' && Object.values(extraActions).some(Boolean) ? { extraActions } : {};
      const input = { id, verdict, sessionId: SESSION_ID, ...(reason ? { reason } : {}), ...(note.trim() ? { note: note.trim() } : {}), ...wider };
      setReason('');
      setNote('');
      setExtraActions({});
      const decision = call('queue.decide', input).then(
        (r) => {
          queryClient.setQueryData(itemQuery(id).queryKey, (old: object | undefined) => (old ? { ...old, status: r.status } : old));
          void queryClient.invalidateQueries({ queryKey: ['queue.get', id] });
          scheduleRefresh();
          return r.decision.id;
        },
        (error: unknown) => {
          unmark([id]);
          void queryClient.invalidateQueries({ queryKey: ['queue.counts'] });
          toasts.show(`Item #${id} was not decided: ${error instanceof Error ? error.message : String(error)}`, 'error');
          return null;
        },
      );
      undoStack.current.push({ queueItemId: id, verdict, decision });
    },
    [current, statusOf, decided, claimState, upcoming, goTo, reason, note, extraActions, queryClient, scheduleRefresh, unmark, toasts, bumpCounts],
  );

  const bulkDecide = useCallback(
    (verdict: Verdict) => {
      const ids = [...selection].filter((id) => !decided.has(id));
      setBulkVerdict(null);
      if (ids.length === 0) return;
      setDecided((m) => {
        const next = new Map(m);
        for (const id of ids) next.set(id, verdict);
        return next;
      });
      bumpCounts(ids.map((id) => ({ from: statusOf(id), to: VERDICT_STATUS[verdict] })));
      if (current !== null && ids.includes(current)) {
        const next = upcoming(1, ids.length + 1).find((i) => !ids.includes(i.id));
        if (next) goTo(next.id);
      }
      setSelection(new Set());
      setRevealedFor(null);
      const input = { ids, verdict, sessionId: SESSION_ID, ...(reason ? { reason } : {}), ...(note.trim() ? { note: note.trim() } : {}) };
      setReason('');
      setNote('');
      const done = call('queue.decideMany', input).then(
        (r) => {
          const failed = r.results.filter((x) => !x.ok);
          unmark(failed.map((x) => x.id));
          if (failed.length) void queryClient.invalidateQueries({ queryKey: ['queue.counts'] });
          if (failed.length) toasts.show(`${failed.length} of ${ids.length} items were not decided: ${failed[0]!.error ?? ''}`, 'error');
          else toasts.show(`${ids.length} items: ${VERDICT_LABEL[verdict].toLowerCase()}.`);
          for (const x of r.results) void queryClient.invalidateQueries({ queryKey: ['queue.get', x.id] });
          scheduleRefresh();
          return r.results;
        },
        (error: unknown) => {
          unmark(ids);
          toasts.show(`The bulk decision failed: ${error instanceof Error ? error.message : String(error)}`, 'error');
          return [];
        },
      );
      for (const id of ids) {
        undoStack.current.push({ queueItemId: id, verdict, decision: done.then((results) => results.find((x) => x.id === id)?.decisionId ?? null) });
      }
    },
    [selection, decided, current, upcoming, goTo, reason, note, queryClient, scheduleRefresh, unmark, toasts, bumpCounts, statusOf],
  );

  const undoDecision = useCallback(
    async (decisionId: number, queueItemId: number) => {
      try {
        const r = await call('decisions.undo', { decisionId });
        unmark([queueItemId]);
        setCurrentId(queueItemId);
        setRevealedFor(null);
        const parts = [`Undone: item #${queueItemId}.`];
        if (r.cancelled) parts.push(`${r.cancelled} planned action${r.cancelled === 1 ? '' : 's'} cancelled.`);
        if (r.compensations.length) parts.push(`Reversing: ${r.compensations.map((c) => c.kind).join(', ')}.`);
        if (r.irreversible.length) parts.push(`Could not be reversed: ${r.irreversible.map((c) => c.kind).join(', ')}.`);
        toasts.show(parts.join(' '), r.irreversible.length ? 'error' : 'info');
        void queryClient.invalidateQueries({ queryKey: ['queue.get', queueItemId] });
        scheduleRefresh();
      } catch (error) {
        toasts.show(`Undo failed: ${error instanceof Error ? error.message : String(error)}`, 'error');
      }
    },
    [unmark, queryClient, scheduleRefresh, toasts],
  );

  const undoLast = useCallback(async () => {
    const entry = undoStack.current.pop();
    if (!entry) {
      toasts.show('Nothing to undo in this session.');
      return;
    }
    const decisionId = await entry.decision;
    if (decisionId === null) return void undoLast();
    await undoDecision(decisionId, entry.queueItemId);
  }, [undoDecision, toasts]);

  // ---- reveal (per item: moving to another item re-blurs) -----------------------------------------------------------
  const revealed = current !== null && revealedFor === current && !quiet;
  const setReveal = useCallback(
    (on: boolean) => {
      if (on && quiet) {
        toasts.show('Quiet mode is on: media stays blurred.');
        return;
      }
      setRevealedFor(on ? current : null);
      if (on) setTimeout(() => void queryClient.invalidateQueries({ queryKey: ['wellbeing.get'] }), 1_000);
    },
    [quiet, current, queryClient, toasts],
  );

  const toggleSelect = useCallback((id: number) => {
    setSelection((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);

  // ---- keyboard -----------------------------------------------------------------------------------------------------
  const keyState = useRef({ decide, bulkDecide, undoLast, setReveal, revealed, toggleSelect, upcoming, goTo, current, selection, helpOpen, bulkVerdict, wellbeing });
  useEffect(() => {
    keyState.current = { decide, bulkDecide, undoLast, setReveal, revealed, toggleSelect, upcoming, goTo, current, selection, helpOpen, bulkVerdict, wellbeing };
  });
  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      const s = keyState.current;
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      if (isTypingTarget(e.target)) {
        if (e.key === 'Escape') (e.target as HTMLElement).blur();
        return;
      }
      if (s.helpOpen || s.bulkVerdict || s.wellbeing.onBreak) return;
      const key = e.key;
      let handled = true;
      if (key === 'j' || key === 'ArrowDown') s.goTo(s.upcoming(1, 1)[0]?.id ?? null);
      else if (key === 'k' || key === 'ArrowUp') s.goTo(s.upcoming(-1, 1)[0]?.id ?? null);
      else if (key === 'c') s.decide('confirm');
      else if (key === 'f') s.decide('false_positive');
      else if (key === 'e') s.decide('escalate');
      else if (key === 's') s.decide('skip');
      else if (key === 'C' || key === 'F' || key === 'E' || key === 'S') {
        const verdict = ({ C: 'confirm', F: 'false_positive', E: 'escalate', S: 'skip' } as const)[key];
        if (s.selection.size > 0) setBulkVerdict(verdict);
        else s.decide(verdict);
      } else if (key === 'u') void s.undoLast();
      else if (key === 'r' || key === 'R') {
        if (!e.repeat) s.setReveal(s.wellbeing.settings.revealMode === 'hold' ? true : !s.revealed);
      } else if (key === 'x') {
        if (s.current !== null) s.toggleSelect(s.current);
      } else if (key === '?') setHelpOpen(true);
      else if (key === '/') searchRef.current?.focus();
      else if (key === 'n') noteRef.current?.focus();
      else if (/^[1-9]$/.test(key)) {
        const r = ALL_REASONS[Number(key) - 1];
        if (r) setReason(r);
      } else if (key === 'Escape') setSelection(new Set());
      else handled = false;
      if (handled) e.preventDefault();
    };
    const onKeyUp = (e: KeyboardEvent) => {
      const s = keyState.current;
      if ((e.key === 'r' || e.key === 'R') && s.wellbeing.settings.revealMode === 'hold') s.setReveal(false);
    };
    const onBlur = () => {
      if (keyState.current.wellbeing.settings.revealMode === 'hold') keyState.current.setReveal(false);
    };
    window.addEventListener('keydown', onKeyDown);
    window.addEventListener('keyup', onKeyUp);
    window.addEventListener('blur', onBlur);
    return () => {
      window.removeEventListener('keydown', onKeyDown);
      window.removeEventListener('keyup', onKeyUp);
      window.removeEventListener('blur', onBlur);
    };
  }, []);

  const onRowClick = (index: number, id: number, shift: boolean) => {
    if (shift && lastClicked.current !== null) {
      const [a, b] = [Math.min(lastClicked.current, index), Math.max(lastClicked.current, index)];
      setSelection((s) => {
        const next = new Set(s);
        for (const e of loaded) if (e.index >= a && e.index <= b) next.add(e.item.id);
        return next;
      });
      return;
    }
    lastClicked.current = index;
    goTo(id);
  };

  const pendingVerdict = current !== null ? decided.get(current) : undefined;
  const selectedCount = selection.size;
  const title = mode === 'escalations' ? 'Second review' : 'Review queue';

  return (
    <div className="queue" data-testid="queue-view">
      <section className="queue-list" aria-labelledby="queue-list-title">
        <div className="queue-list-head">
          <h2 id="queue-list-title">{title}</h2>
          <span className="muted" data-testid="queue-total" data-total={list.total ?? ''} aria-live="polite">
            {list.total === null ? 'Loading…' : `${list.total.toLocaleString()} item${list.total === 1 ? '' : 's'}`}
          </span>
          <button type="button" className="help-button" onClick={() => setHelpOpen(true)} aria-keyshortcuts="?" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)" data-testid="shortcuts-button">
            <kbd>?</kbd>
          </button>
        </div>
        <QueueFilters filter={filter} onChange={setFilter} searchRef={searchRef} lockStatus={mode === 'escalations'} />
        {selectedCount > 0 && (
          <div className="bulk-bar" role="toolbar" aria-label="Selected items" data-testid="bulk-bar">
            <span>{selectedCount} selected</span>
            <button type="button" className="confirm" onClick={() => setBulkVerdict('confirm')} data-testid="bulk-confirm">Confirm</button>
            <button type="button" className="reject" onClick={() => setBulkVerdict('false_positive')} data-testid="bulk-false-positive">False positive</button>
            <button type="button" onClick={() => setBulkVerdict('escalate')} data-testid="bulk-escalate">Escalate</button>
            <button type="button" onClick={() => setBulkVerdict('skip')} data-testid="bulk-skip">Skip</button>
            <button type="button" className="link" onClick={() => setSelection(new Set())}>Clear</button>
          </div>
        )}
        {list.isError && <ErrorNote error={list.error} />}
        <div className="items-scroll" ref={listRef} data-testid="queue-scroll">
          <ul className="items" aria-label="Queue items" data-testid="queue-items" style={{ height: virtualizer.getTotalSize() }}>
            {virtualItems.map((v) => {
              const item = list.itemAt(v.index);
              if (!item) {
                return (
                  <li key={`loading-${v.index}`} className="item loading-row" style={{ transform: `translateY(${v.start}px)`, height: rowHeight }} aria-hidden="true">
                    <span className="muted">Loading…</span>
                  </li>
                );
              }
              const isCurrent = item.id === current;
              const verdict = decided.get(item.id);
              const held = heldElsewhere(item.claim, now);
              const name = item.media.fileName ?? item.media.sourceRef;
              const classes = ['item', isCurrent ? 'selected' : '', verdict ? 'decided' : '', selection.has(item.id) ? 'checked' : '', item.media.source === 'matrix_report' ? 'reported' : ''].filter(Boolean).join(' ');
              return (
                <li key={item.id} className={classes} style={{ transform: `translateY(${v.start}px)`, height: rowHeight }} data-testid="queue-item" data-item-id={item.id} data-index={v.index} aria-current={isCurrent ? 'true' : undefined}>
                  <input type="checkbox" tabIndex={-1} checked={selection.has(item.id)} onChange={() => toggleSelect(item.id)} aria-label={`Select ${name}`} data-testid="queue-item-select" />
                  <button type="button" tabIndex={isCurrent ? 0 : -1} onClick={(e) => onRowClick(v.index, item.id, e.shiftKey)}>
                    <span className="item-name">{name}</span>
                    <span className="item-match">
                      {matchSummary(item)}
                      {item.media.source === 'matrix_report' ? ' · reported' : ''}
                      {item.media.source === 'synapse_upload' && (item.media.context.check as { action?: string } | undefined)?.action === 'block' ? ' · blocked at upload' : ''} · {formatAge(now - item.createdAt)}
                    </span>
                  </button>
                  {verdict && <span className={`pill pill-${verdict}`}>{VERDICT_LABEL[verdict]}</span>}
                  {!verdict && held && <span className="pill pill-held" title={`Held by ${item.claim!.reviewer}`}>held</span>}
                </li>
              );
            })}
          </ul>
          {list.total === 0 && <p className="muted empty">Nothing here.</p>}
        </div>
      </section>
      <section className="queue-detail" aria-label="Item under review">
        {current !== null ? (
          <ItemDetail
            key={current}
            id={current}
            placeholder={currentItem}
            revealed={revealed}
            quiet={quiet}
            onToggleReveal={() => setReveal(!revealed)}
            onDecide={decide}
            onUndo={(decisionId, queueItemId) => void undoDecision(decisionId, queueItemId)}
            reason={reason}
            setReason={setReason}
            note={note}
            setNote={setNote}
            extraActions={extraActions}
            setExtraActions={setExtraActions}
            claim={claimState}
            pendingVerdict={pendingVerdict}
            noteRef={noteRef}
            reviewer={reviewer}
            now={now}
          />
        ) : (
          <p className="muted empty-detail">{list.total === 0 ? 'The queue is empty for these filters.' : 'Select an item.'}</p>
        )}
      </section>
      {helpOpen && <ShortcutsDialog onClose={() => setHelpOpen(false)} />}
      {bulkVerdict && (
        <BulkDialog verdict={bulkVerdict} count={selectedCount} reason={reason} onConfirm={() => bulkDecide(bulkVerdict)} onCancel={() => setBulkVerdict(null)} />
      )}
    </div>
  );
}

function BulkDialog({ verdict, count, reason, onConfirm, onCancel }: { verdict: Verdict; count: number; reason: string; onConfirm: () => void; onCancel: () => void }) {
  const ref = useRef<HTMLButtonElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div className="modal-backdrop" onClick={onCancel}>
      <div
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="bulk-title"
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onCancel();
        }}
        data-testid="bulk-dialog"
      >
        <h2 id="bulk-title">
          {VERDICT_LABEL[verdict]}: {count} item{count === 1 ? '' : 's'}?
        </h2>
        <p>Each item is decided on its own{reason ? `, with the reason “${reason}”` : ''}. You can undo them one by one (u).</p>
        <div className="actions">
          <button ref={ref} type="button" className={verdict === 'confirm' ? 'confirm' : verdict === 'false_positive' ? 'reject' : 'primary'} onClick={onConfirm} data-testid="bulk-apply">
            Decide {count} item{count === 1 ? '' : 's'}
          </button>
          <button type="button" onClick={onCancel}>Cancel</button>
        </div>
      </div>
    </div>
  );
}

