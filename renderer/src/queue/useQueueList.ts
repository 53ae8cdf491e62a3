import { useCallback, useMemo } from 'react';
import { useQueries, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { QueueFilter, QueueItem } from '../../../shared/contract';
import { call } from '../api';

export const PAGE_SIZE = 100;

export function listPageQuery(filter: QueueFilter, page: number) {
  return {
    queryKey: ['queue.list', filter, page] as const,
    // Only the first page counts the matches (a count over 100,000 rows is the expensive part of a filter).
    queryFn: () => call('queue.list', { ...filter, limit: PAGE_SIZE, offset: page * PAGE_SIZE, withTotal: page === 0 }),
    staleTime: 15_000,
  };
}

export function fetchListPage(queryClient: QueryClient, filter: QueueFilter, page: number) {
  return queryClient.fetchQuery(listPageQuery(filter, page));
}

export interface QueueList {
  total: number | null;
  /** The item at a list position, if its page is loaded. */
  itemAt(index: number): QueueItem | undefined;
  /** Every loaded item in list order with its position. */
  loaded: { index: number; item: QueueItem }[];
  isError: boolean;
  error: unknown;
  isFetchingFirst: boolean;
}

/**
 * The queue as pages of 100 (never the whole table): page 0 always (it carries the total), and whichever pages the
 * virtual list shows. Each page is its own react-query entry, so scrolling back is instant.
 */
export function useQueueList(filter: QueueFilter, visiblePages: number[]): QueueList {
  const queryClient = useQueryClient();
  const pages = useMemo(() => [...new Set([0, ...visiblePages])].sort((a, b) => a - b), [visiblePages]);
  // No polling: claims, decisions and new items are pushed (live.ts patches these pages or refetches them).
  const results = useQueries({ queries: pages.map((p) => listPageQuery(filter, p)) });
  const first = results[0];
  const total = first?.data?.total ?? null;

  const dataKey = results.map((r) => r.dataUpdatedAt).join(',');
  const loaded = useMemo(() => {
    const out: { index: number; item: QueueItem }[] = [];
    const seen = new Set<number>();
    pages.forEach((p, i) => {
      const items = results[i]?.data?.items ?? queryClient.getQueryData<{ items: QueueItem[] }>(listPageQuery(filter, p).queryKey)?.items ?? [];
      items.forEach((item, j) => {
        if (seen.has(item.id)) return;
        seen.add(item.id);
        out.push({ index: p * PAGE_SIZE + j, item });
      });
    });
    return out;
  }, [dataKey, pages, filter, queryClient]);

  const byIndex = useMemo(() => new Map(loaded.map((e) => [e.index, e.item])), [loaded]);
  const itemAt = useCallback(
    (index: number) => byIndex.get(index) ?? queryClient.getQueryData<{ items: QueueItem[] }>(listPageQuery(filter, Math.floor(index / PAGE_SIZE)).queryKey)?.items[index % PAGE_SIZE],
    [byIndex, queryClient, filter],
  );

  return {
    total,
    itemAt,
    loaded,
    isError: results.some((r) => r.isError),
    error: results.find((r) => r.isError)?.error,
    isFetchingFirst: first?.isPending ?? true,
  };
}
