import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { call } from '../api';
import type { QueueStatus } from '../../../shared/contract';
import { ErrorNote } from './ErrorNote';
import { ItemDetail } from './ItemDetail';

const STATUSES: { value: QueueStatus | ''; label: string }[] = [
  { value: 'pending', label: 'Pending' },
  { value: 'escalated', label: 'Escalated' },
  { value: 'confirmed', label: 'Confirmed' },
  { value: 'false_positive', label: 'False positive' },
  { value: 'skipped', label: 'Skipped' },
  { value: '', label: 'All' },
];
const PAGE = 100;

export function QueueView() {
  const [status, setStatus] = useState<QueueStatus | ''>('pending');
  const [page, setPage] = useState(0);
  const [selected, setSelected] = useState<number | null>(null);
  const list = useQuery({
    queryKey: ['queue.list', status, page],
    queryFn: () => call('queue.list', { ...(status ? { status } : {}), limit: PAGE, offset: page * PAGE }),
    refetchInterval: 3_000,
  });
  const items = list.data?.items ?? [];
  const current = selected !== null && items.some((i) => i.id === selected) ? selected : (items[0]?.id ?? null);

  const selectNextAfter = (id: number) => {
    const index = items.findIndex((i) => i.id === id);
    const next = items[index + 1] ?? items[index - 1];
    setSelected(next && next.id !== id ? next.id : null);
  };

  return (
    <div className="queue">
      <section className="queue-list" aria-label="Queue">
        <div className="queue-filters">
          <label htmlFor="status-filter">Status</label>
          <select id="status-filter" value={status} onChange={(e) => { setStatus(e.target.value as QueueStatus | ''); setPage(0); setSelected(null); }} data-testid="status-filter">
            {STATUSES.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
          </select>
          <span className="muted">{list.data ? `${list.data.total} item${list.data.total === 1 ? '' : 's'}` : ''}</span>
        </div>
        {list.isError && <ErrorNote error={list.error} />}
        <ul className="items" role="listbox" aria-label="Queue items" data-testid="queue-items">
          {items.map((item) => {
            const best = item.matches[0];
            return (
              <li key={item.id} role="option" aria-selected={item.id === current} className={item.id === current ? 'item selected' : 'item'} data-testid="queue-item" data-item-id={item.id}>
                <button type="button" onClick={() => setSelected(item.id)}>
                  <span className="item-name">{item.media.fileName ?? item.media.sourceRef}</span>
                  <span className="item-match">
                    {best ? `${best.bankName} · ${best.signalType === 'pdq' ? `PDQ ${best.distance}` : `exact ${best.signalType}`}` : ''}
                  </span>
                </button>
              </li>
            );
          })}
          {list.data && items.length === 0 && <li className="muted empty">Nothing here.</li>}
        </ul>
        {list.data && list.data.total > PAGE && (
          <div className="pager">
            <button type="button" disabled={page === 0} onClick={() => setPage((p) => p - 1)}>Previous</button>
            <span>Page {page + 1} of {Math.ceil(list.data.total / PAGE)}</span>
            <button type="button" disabled={(page + 1) * PAGE >= list.data.total} onClick={() => setPage((p) => p + 1)}>Next</button>
          </div>
        )}
      </section>
      <section className="queue-detail" aria-label="Item">
        {current !== null ? <ItemDetail key={current} id={current} onDecided={() => selectNextAfter(current)} /> : <p className="muted">Select an item.</p>}
      </section>
    </div>
  );
}
