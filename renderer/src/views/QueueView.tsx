import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { CallOutput, Claim, ExtraActions, QueueCounts, QueueFilter, QueueItem, QueueStatus, Verdict } from '../../../shared/contract';
import { ApiCallError, call } from '../api';
import { SESSION_ID } from '../session';
import { useWellbeing } from '../wellbeing';
import { isTypingTarget } from '../queue/shortcuts';
import { ALL_REASONS, REASONS, VERDICT_LABEL, formatAge } from '../queue/reasons';
import { PAGE_SIZE, useQueueList } from '../queue/useQueueList';
import { ErrorNote } from './ErrorNote';
import { decidedElsewhere, onReopened, patchItem } from '../live';
import { ItemDetail, itemQuery, type ClaimState } from './ItemDetail';
import { QueueFilters } from './QueueFilters';
import { blurredPreviewQuery } from './MediaPreview';
import { ShortcutsDialog } from './ShortcutsDialog';
import { useToasts } from './Toasts';
import { Modal } from './Modal';

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

/** The toast after a decision: the file, what will run (and when), and how to take it back. */
function decisionToast(verdict: Verdict, name: string, r: CallOutput<'queue.decide'>): string {
  const labels = r.actions.map((a) => a.label ?? a.kind);
  const wait = Math.max(0, Math.round((r.undoUntil - r.decision.decidedAt) / 1000));
  const next = labels.length
    ? `${wait > 0 ? `In ${wait} s` : 'Now'}: ${labels.join(', ')}.`
    : verdict === 'escalate'
      ? 'A second reviewer decides it; nothing else runs.'
      : 'Nothing else runs.';
  return `${VERDICT_LABEL[verdict]} “${name}”. ${next} u to undo.`;
}

const FALSE_POSITIVE_REASONS = REASONS.find((g) => g.verdict === 'false_positive')!.reasons;

function heldElsewhere(claim: Claim | null | undefined, now: number): boolean {
  return !!claim && claim.sessionId !== SESSION_ID && claim.expiresAt > now;
}

function matchSummary(item: QueueItem): string {
  const best = item.matches[0];
  if (!best) return item.reportCount > 0 ? 'No bank match' : '';
  const more = item.matches.length > 1 ? ` +${item.matches.length - 1}` : '';
  const part = best.part && best.part !== 'media' ? ` (${best.part.replace('_', ' ')})` : '';
  return `${best.bankName} · ${best.signalType === 'pdq' ? `PDQ ${best.distance}` : `exact ${best.signalType}`}${part}${more}`;
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
  /** Items whose decision is on its way to the store ("saving…" only until it answers). */
  const [saving, setSaving] = useState<Set<number>>(() => new Set());
  /** The false-positive reason picker, open when the team requires a reason and none is chosen. */
  const [askReason, setAskReason] = useState(false);
  /** Decisions on their way: u waits for them, so it undoes the latest one the store has. */
  const inflight = useRef(new Set<Promise<unknown>>());
  const plans = useQuery({ queryKey: ['settings.getActionPlans'], queryFn: () => call('settings.getActionPlans', {}), staleTime: 30_000 });
  const requireReason = plans.data?.falsePositive.requireReason ?? false;
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
  // Not served: items decided here or (since the list loaded) by someone else, held by someone else, skipped by this
  // moderator on a team (until someone else has had them), or escalated by them (their second review is someone else's).
  const navigable = useCallback(
    (item: QueueItem) =>
      !decided.has(item.id) &&
      !heldElsewhere(item.claim, Date.now()) &&
      !item.skippedByMe &&
      !(item.status === 'escalated' && item.escalatedBy === reviewer) &&
      !(filter.status && item.status !== filter.status),
    [decided, reviewer, filter.status],
  );
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
          // Someone else got there first: the list learns it now (the pushed claim may still be on its way), so an
          // item this console picked by itself moves on to the next free one.
          if (!r.acquired && r.claim) patchItem(queryClient, current, (item) => ({ ...item, claim: r.claim }));
          if (!alive || !r.claim) return;
          // An item this console picked by itself stays put once it holds it, even if one above it frees up.
          if (r.acquired) setCurrentId((id) => id ?? current);
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
  }, [current, queryClient]);

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
  // An item this console decided that a new report reopened is open again here too.
  useEffect(() => onReopened((id) => unmark([id])), [unmark]);

  const setSavingFor = useCallback((ids: number[], on: boolean) => {
    setSaving((prev) => {
      const next = new Set(prev);
      for (const id of ids) {
        if (on) next.add(id);
        else next.delete(id);
      }
      return next;
    });
  }, []);
  const track = useCallback(<T,>(p: Promise<T>): Promise<T> => {
    inflight.current.add(p);
    void p.finally(() => inflight.current.delete(p));
    return p;
  }, []);
  /** After a decision or an undo: counts, and every open or prefetched item (its history may name this one). */
  const refreshAfterDecision = useCallback(() => {
    void queryClient.invalidateQueries({ queryKey: ['queue.counts'] });
    void queryClient.invalidateQueries({ queryKey: ['queue.get'] });
    scheduleRefresh();
  }, [queryClient, scheduleRefresh]);
  const nameOf = useCallback(
    (id: number): string => {
      const item = loaded.find((e) => e.item.id === id)?.item ?? queryClient.getQueryData<QueueItem>(itemQuery(id).queryKey);
      return item ? (item.media.fileName ?? item.media.sourceRef) : `item #${id}`;
    },
    [loaded, queryClient],
  );

  const statusOf = useCallback(
    (id: number): QueueStatus | undefined =>
      queryClient.getQueryData<{ status: QueueStatus }>(itemQuery(id).queryKey)?.status ?? loaded.find((e) => e.item.id === id)?.item.status,
    [queryClient, loaded],
  );

  const decide = useCallback(
    (verdict: Verdict, chosenReason?: string) => {
      if (current === null) return;
      const id = current;
      const status = statusOf(id);
      // One decision at a time per item; once the store has it, its status says whether it can be decided again.
      if (saving.has(id)) return;
      if (status && !DECIDABLE.has(status)) {
        toasts.show(`Item #${id} is already decided (${status.replace('_', ' ')}). Press u to undo your last decision.`, 'error');
        return;
      }
      if (claimState.kind === 'other') {
        toasts.show(`Item #${id} is held by ${claimState.claim.reviewer} in another window: not decided.`, 'error');
        return;
      }
      const why = chosenReason ?? reason;
      if (verdict === 'false_positive' && requireReason && !why) {
        setAskReason(true);
        return;
      }
      const name = nameOf(id);
      const next = upcoming(1, 1)[0] ?? null;
      setDecided((m) => new Map(m).set(id, verdict));
      setSavingFor([id], true);
      bumpCounts([{ from: status, to: VERDICT_STATUS[verdict] }]);
      setRevealedFor(null);
      if (next) goTo(next.id);
      const wider = verdict === 'confirm' && Object.values(extraActions).some(Boolean) ? { extraActions } : {};
      const input = { id, verdict, sessionId: SESSION_ID, ...(why ? { reason: why } : {}), ...(note.trim() ? { note: note.trim() } : {}), ...wider };
      setReason('');
      setNote('');
      setExtraActions({});
      void track(
        call('queue.decide', input).then(
          (r) => {
            queryClient.setQueryData(itemQuery(id).queryKey, (old: object | undefined) => (old ? { ...old, status: r.status } : old));
            setSavingFor([id], false);
            toasts.show(decisionToast(verdict, name, r));
            refreshAfterDecision();
          },
          (error: unknown) => {
            setSavingFor([id], false);
            unmark([id]);
            void queryClient.invalidateQueries({ queryKey: ['queue.counts'] });
            // The team's setting changed since this window read it: back to the item, and ask for the reason.
            if (error instanceof ApiCallError && error.issues?.some((i) => i.path === 'reason')) {
              void queryClient.invalidateQueries({ queryKey: ['settings.getActionPlans'] });
              goTo(id);
              setAskReason(true);
              return;
            }
            toasts.show(`Item #${id} was not decided: ${error instanceof Error ? error.message : String(error)}`, 'error');
          },
        ),
      );
    },
    [current, statusOf, saving, claimState, reason, requireReason, nameOf, upcoming, goTo, note, extraActions, queryClient, unmark, toasts, bumpCounts, setSavingFor, track, refreshAfterDecision],
  );

  const bulkDecide = useCallback(
    (verdict: Verdict, chosenReason: string) => {
      const ids = [...selection].filter((id) => !saving.has(id));
      setBulkVerdict(null);
      if (ids.length === 0) return;
      setDecided((m) => {
        const next = new Map(m);
        for (const id of ids) next.set(id, verdict);
        return next;
      });
      setSavingFor(ids, true);
      bumpCounts(ids.map((id) => ({ from: statusOf(id), to: VERDICT_STATUS[verdict] })));
      if (current !== null && ids.includes(current)) {
        const next = upcoming(1, ids.length + 1).find((i) => !ids.includes(i.id));
        if (next) goTo(next.id);
      }
      setSelection(new Set());
      setRevealedFor(null);
      const input = { ids, verdict, sessionId: SESSION_ID, ...(chosenReason ? { reason: chosenReason } : {}), ...(note.trim() ? { note: note.trim() } : {}) };
      setReason('');
      setNote('');
      void track(
        call('queue.decideMany', input).then(
          (r) => {
            setSavingFor(ids, false);
            const failed = r.results.filter((x) => !x.ok);
            unmark(failed.map((x) => x.id));
            for (const x of r.results) if (x.status) queryClient.setQueryData(itemQuery(x.id).queryKey, (old: object | undefined) => (old ? { ...old, status: x.status } : old));
            if (failed.length) toasts.show(`${failed.length} of ${ids.length} items were not decided: ${failed[0]!.error ?? ''}`, 'error');
            const done = ids.length - failed.length;
            if (done) toasts.show(`${VERDICT_LABEL[verdict]}: ${done} item${done === 1 ? '' : 's'}${chosenReason ? ` (${chosenReason})` : ''}. u undoes them one by one, newest first.`);
            refreshAfterDecision();
          },
          (error: unknown) => {
            setSavingFor(ids, false);
            unmark(ids);
            void queryClient.invalidateQueries({ queryKey: ['queue.counts'] });
            toasts.show(`The bulk decision failed: ${error instanceof Error ? error.message : String(error)}`, 'error');
          },
        ),
      );
    },
    [selection, saving, current, upcoming, goTo, note, queryClient, unmark, toasts, bumpCounts, statusOf, setSavingFor, track, refreshAfterDecision],
  );

  const undone = useCallback(
    (queueItemId: number, r: { cancelled: number; compensations: { kind: string }[]; irreversible: { kind: string }[] }, name: string) => {
      unmark([queueItemId]);
      setCurrentId(queueItemId);
      setRevealedFor(null);
      const parts = [`Undone: item #${queueItemId} (${name}) is back under review.`];
      if (r.cancelled) parts.push(`${r.cancelled} planned action${r.cancelled === 1 ? '' : 's'} cancelled.`);
      if (r.compensations.length) parts.push(`Reversing: ${r.compensations.map((c) => c.kind).join(', ')}.`);
      if (r.irreversible.length) parts.push(`Could not be reversed: ${r.irreversible.map((c) => c.kind).join(', ')}.`);
      toasts.show(parts.join(' '), r.irreversible.length ? 'error' : 'info');
      refreshAfterDecision();
      void queryClient.invalidateQueries({ queryKey: ['queue.list'] });
    },
    [unmark, toasts, refreshAfterDecision, queryClient],
  );

  const undoDecision = useCallback(
    async (decisionId: number, queueItemId: number) => {
      try {
        undone(queueItemId, await call('decisions.undo', { decisionId }), nameOf(queueItemId));
      } catch (error) {
        toasts.show(`Undo failed: ${error instanceof Error ? error.message : String(error)}`, 'error');
      }
    },
    [undone, nameOf, toasts],
  );

  /** u: the store keeps the undo history, so it survives a reload; decisions still on their way are waited for. */
  const undoLast = useCallback(async () => {
    await Promise.allSettled([...inflight.current]);
    try {
      const r = await call('decisions.undoLast', {});
      if (!r.undone) toasts.show(r.reason ?? 'Nothing to undo.');
      else undone(r.undone.queueItemId, r.undone, r.undone.fileName ?? `item #${r.undone.queueItemId}`);
    } catch (error) {
      toasts.show(`Undo failed: ${error instanceof Error ? error.message : String(error)}`, 'error');
    }
  }, [undone, toasts]);

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
  const keyState = useRef({ decide, undoLast, setReveal, revealed, toggleSelect, upcoming, goTo, current, selection, helpOpen, bulkVerdict, askReason, wellbeing });
  useEffect(() => {
    keyState.current = { decide, undoLast, setReveal, revealed, toggleSelect, upcoming, goTo, current, selection, helpOpen, bulkVerdict, askReason, wellbeing };
  });
  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      const s = keyState.current;
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      if (isTypingTarget(e.target)) {
        if (e.key === 'Escape') (e.target as HTMLElement).blur();
        return;
      }
      if (s.helpOpen || s.bulkVerdict || s.askReason || s.wellbeing.onBreak) return;
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

  const pendingVerdict = current !== null && saving.has(current) ? decided.get(current) : undefined;
  // Behind an open dialog the queue is inert: not reachable by keyboard or assistive technology.
  const dialogOpen = helpOpen || bulkVerdict !== null || askReason;
  const selectedCount = selection.size;
  const title = mode === 'escalations' ? 'Second review' : 'Review queue';

  return (
    <div className="queue" data-testid="queue-view">
      <section className="queue-list" aria-labelledby="queue-list-title" inert={dialogOpen}>
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
              const changed = !verdict && filter.status !== undefined && item.status !== filter.status ? item.status : null;
              const decidedBy = changed ? decidedElsewhere.get(item.id)?.reviewer : undefined;
              const name = item.media.fileName ?? item.media.sourceRef;
              const classes = ['item', isCurrent ? 'selected' : '', verdict ? 'decided' : '', selection.has(item.id) ? 'checked' : '', item.reportCount > 0 ? 'reported' : ''].filter(Boolean).join(' ');
              return (
                <li key={item.id} className={classes} style={{ transform: `translateY(${v.start}px)`, height: rowHeight }} data-testid="queue-item" data-item-id={item.id} data-index={v.index} data-status={item.status} data-held-by={held ? item.claim!.reviewer : undefined} aria-current={isCurrent ? 'true' : undefined}>
                  <input type="checkbox" tabIndex={-1} checked={selection.has(item.id)} onChange={() => toggleSelect(item.id)} aria-label={`Select ${name}`} data-testid="queue-item-select" />
                  <button type="button" tabIndex={isCurrent ? 0 : -1} onClick={(e) => onRowClick(v.index, item.id, e.shiftKey)}>
                    <span className="item-name">{name}</span>
                    <span className="item-match">
                      {matchSummary(item)}
                      {item.reportCount > 0 ? ` · reported${item.reportCount > 1 ? ` ×${item.reportCount}` : ''}` : ''}
                      {item.reopened && DECIDABLE.has(item.status) && <strong data-testid="reported-again"> · reported again after a decision</strong>}
                      {item.media.source === 'synapse_upload' && (item.media.context.check as { action?: string } | undefined)?.action === 'block' ? ' · blocked at upload' : ''} · {formatAge(now - item.createdAt)}
                    </span>
                  </button>
                  {verdict && <span className={`pill pill-${verdict}`}>{VERDICT_LABEL[verdict]}</span>}
                  {changed && (
                    <span className="pill" title={decidedBy ? `Decided by ${decidedBy}` : undefined} data-testid="decided-elsewhere">
                      {changed.replace('_', ' ')}
                      {decidedBy ? ` · ${decidedBy}` : ''}
                    </span>
                  )}
                  {!verdict && !changed && held && <span className="pill pill-held" title={`Held by ${item.claim!.reviewer}`}>held · {item.claim!.reviewer}</span>}
                </li>
              );
            })}
          </ul>
          {list.total === 0 && <p className="muted empty">Nothing here.</p>}
        </div>
      </section>
      <section className="queue-detail" aria-label="Item under review" inert={dialogOpen}>
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
        <BulkDialog verdict={bulkVerdict} count={selectedCount} reason={reason} reasonRequired={bulkVerdict === 'false_positive' && requireReason} onConfirm={(why) => bulkDecide(bulkVerdict, why)} onCancel={() => setBulkVerdict(null)} />
      )}
      {askReason && (
        <ReasonDialog
          name={current !== null ? nameOf(current) : ''}
          onPick={(why) => {
            setAskReason(false);
            decide('false_positive', why);
          }}
          onCancel={() => setAskReason(false)}
        />
      )}
    </div>
  );
}

/** A reason for each verdict's dialog: the reasons of that verdict (and "(none)" unless one is required). */
function ReasonSelect({ verdict, value, onChange, required, id }: { verdict: Verdict; value: string; onChange: (v: string) => void; required: boolean; id: string }) {
  const group = REASONS.find((g) => g.verdict === verdict);
  const options = group ? group.reasons : [];
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)} required={required} data-testid="bulk-reason">
      {!required && <option value="">(no reason)</option>}
      {required && !value && <option value="">Choose a reason…</option>}
      {options.map((r) => <option key={r} value={r}>{r}</option>)}
      {value && !options.includes(value) && <option value={value}>{value}</option>}
    </select>
  );
}

function BulkDialog({ verdict, count, reason, reasonRequired, onConfirm, onCancel }: { verdict: Verdict; count: number; reason: string; reasonRequired: boolean; onConfirm: (reason: string) => void; onCancel: () => void }) {
  const ref = useRef<HTMLButtonElement>(null);
  const [why, setWhy] = useState(reason);
  const [missing, setMissing] = useState(false);
  useEffect(() => ref.current?.focus(), []);
  const submit = () => {
    if (reasonRequired && !why) {
      setMissing(true);
      return;
    }
    onConfirm(why);
  };
  return (
    <Modal titleId="bulk-title" testId="bulk-dialog" onClose={onCancel}>
      <h2 id="bulk-title">
        {VERDICT_LABEL[verdict]}: {count} item{count === 1 ? '' : 's'}?
      </h2>
      <p>Each item is decided on its own, with the same reason. You can undo them one by one (u), newest first.</p>
      {verdict !== 'skip' && (
        <p>
          <label htmlFor="bulk-reason">Reason{reasonRequired ? ' (required)' : ''}</label>{' '}
          <ReasonSelect id="bulk-reason" verdict={verdict} value={why} onChange={(v) => { setWhy(v); setMissing(false); }} required={reasonRequired} />
          {missing && <span className="field-error" role="alert"> A false positive needs a reason here: choose one.</span>}
        </p>
      )}
      <div className="actions">
        <button ref={ref} type="button" className={verdict === 'confirm' ? 'confirm' : verdict === 'false_positive' ? 'reject' : 'primary'} onClick={submit} data-testid="bulk-apply">
          Decide {count} item{count === 1 ? '' : 's'}
        </button>
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
    </Modal>
  );
}

/** f when the team requires a reason for false positives and none is chosen: pick one (1–4 or the arrows, Enter). */
function ReasonDialog({ name, onPick, onCancel }: { name: string; onPick: (reason: string) => void; onCancel: () => void }) {
  const [index, setIndex] = useState(0);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  return (
    <Modal
      titleId="reason-title"
      testId="reason-dialog"
      onClose={onCancel}
      onKeyDown={(e) => {
        // Enter on a radio button picks it (browsers do not submit a form from one).
        if (e.key === 'Enter' && (e.target as HTMLElement).tagName === 'INPUT') {
          e.preventDefault();
          onPick(FALSE_POSITIVE_REASONS[index]!);
        }
        const n = Number(e.key);
        if (Number.isInteger(n) && n >= 1 && n <= FALSE_POSITIVE_REASONS.length) {
          e.preventDefault();
          onPick(FALSE_POSITIVE_REASONS[n - 1]!);
        }
      }}
    >
      <h2 id="reason-title">Why is “{name}” a false positive?</h2>
      <p className="muted">Your team asks for a reason with every false positive. Press its number, or choose and press Enter.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onPick(FALSE_POSITIVE_REASONS[index]!);
        }}
      >
        <fieldset>
          <legend className="sr-only">Reason</legend>
          {FALSE_POSITIVE_REASONS.map((r, i) => (
            <label key={r} className="check">
              <input ref={i === 0 ? first : undefined} type="radio" name="fp-reason" checked={index === i} onChange={() => setIndex(i)} />
              <kbd>{i + 1}</kbd> {r}
            </label>
          ))}
        </fieldset>
        <div className="actions">
          <button type="submit" className="reject" data-testid="reason-apply">Mark as false positive</button>
          <button type="button" onClick={onCancel}>Cancel</button>
        </div>
      </form>
    </Modal>
  );
}
