import { useEffect, useState } from 'react';
import type { QueryClient } from '@tanstack/react-query';
import type { Claim, QueueItem, QueueStatus } from '../../shared/contract';
import type { ConsoleEvent } from '../../shared/events';
import { reportAccessProblem, transport } from './api';

type ListPage = { items: QueueItem[]; total: number };

const REFRESH_AFTER_MS = 1_500;

/** Changes one item in every cached list page and in its detail, without refetching the lists. */
export function patchItem(queryClient: QueryClient, id: number, patch: (item: QueueItem) => QueueItem): void {
  queryClient.setQueriesData<ListPage>({ queryKey: ['queue.list'] }, (page) => {
    if (!page || !page.items.some((i) => i.id === id)) return page;
    return { ...page, items: page.items.map((i) => (i.id === id ? patch(i) : i)) };
  });
  queryClient.setQueryData<QueueItem>(['queue.get', id], (item) => (item ? patch(item) : item));
}

/** Told when a new report reopens an item (the queue view forgets that it decided it). */
const reopenListeners = new Set<(queueItemId: number) => void>();
export function onReopened(listener: (queueItemId: number) => void): () => void {
  reopenListeners.add(listener);
  return () => reopenListeners.delete(listener);
}

/** Who decided items this console did not (shown on their rows). */
export const decidedElsewhere = new Map<number, { reviewer: string; status: QueueStatus }>();

/**
 * Applies what the host pushes (this machine's services, or the team server through the host) to react-query's
 * caches: claims and decisions patch the cached lists and items in place at once; counts and list membership are
 * refetched once things settle. Nothing polls the lists.
 */
export function startLiveUpdates(queryClient: QueryClient, onState: (live: boolean) => void): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const refreshSoon = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      void queryClient.invalidateQueries({ queryKey: ['queue.counts'] });
      void queryClient.invalidateQueries({ queryKey: ['queue.list'] });
      void queryClient.invalidateQueries({ queryKey: ['claims.list'] });
    }, REFRESH_AFTER_MS);
  };
  const onEvent = (event: ConsoleEvent) => {
    switch (event.type) {
      case 'claim':
        patchItem(queryClient, event.queueItemId, (item) => ({ ...item, claim: event.claim as Claim | null }));
        void queryClient.invalidateQueries({ queryKey: ['claims.list'] });
        break;
      case 'decision':
      case 'undo':
        if (event.type === 'decision') {
          decidedElsewhere.set(event.queueItemId, { reviewer: event.reviewer, status: event.status });
          // Only rows still on screen need it: keep the latest few thousand.
          if (decidedElsewhere.size > 5_000) decidedElsewhere.delete(decidedElsewhere.keys().next().value!);
        } else decidedElsewhere.delete(event.queueItemId);
        patchItem(queryClient, event.queueItemId, (item) => ({ ...item, status: event.status, claim: null }));
        void queryClient.invalidateQueries({ queryKey: ['queue.get', event.queueItemId] });
        refreshSoon();
        break;
      case 'reopen':
        // A new report took a decided item back to the queue: it is open again, for whoever takes it.
        decidedElsewhere.delete(event.queueItemId);
        for (const listener of reopenListeners) listener(event.queueItemId);
        patchItem(queryClient, event.queueItemId, (item) => ({ ...item, status: event.status }));
        void queryClient.invalidateQueries({ queryKey: ['queue.get', event.queueItemId] });
        refreshSoon();
        break;
      case 'queue':
        refreshSoon();
        void queryClient.invalidateQueries({ queryKey: ['queue.facets'] });
        break;
      case 'settings':
        for (const key of SETTINGS_KEYS[event.area] ?? []) void queryClient.invalidateQueries({ queryKey: [key] });
        break;
      case 'resync':
        void queryClient.invalidateQueries({ predicate: (q) => q.queryKey[0] !== 'console.status' && q.queryKey[0] !== 'app.info' });
        break;
      case 'connection':
        onState(event.state === 'live');
        break;
      case 'access':
        reportAccessProblem({ state: event.state, message: event.message });
        void queryClient.invalidateQueries({ queryKey: ['console.status'] });
        break;
    }
  };
  const unsubscribe = transport.subscribe(onEvent);
  return () => {
    unsubscribe();
    if (timer) clearTimeout(timer);
  };
}

const SETTINGS_KEYS: Record<string, string[]> = {
  banks: ['banks.list', 'queue.facets', 'banks.importJobs'],
  bankImports: ['banks.importJobs'],
  actionPlans: ['settings.getActionPlans'],
  wellbeing: ['wellbeing.get'],
  hma: ['hma.getSettings'],
  matrix: ['matrix.status'],
  checks: ['checks.getRules'],
  botKeys: ['botKeys.list'],
  desktop: ['settings.getDesktop'],
};

/** Whether the live stream is connected (the header shows it). */
export function useLiveUpdates(queryClient: QueryClient): boolean {
  const [live, setLive] = useState(transport.kind === 'ipc');
  useEffect(() => startLiveUpdates(queryClient, setLive), [queryClient]);
  return live;
}
