import { useQuery } from '@tanstack/react-query';
import { call } from '../api';

const LABELS = [
  ['pending', 'Pending'],
  ['escalated', 'Escalated'],
  ['confirmed', 'Confirmed'],
  ['false_positive', 'False positive'],
  ['skipped', 'Skipped'],
] as const;

export function CountsBar() {
  // Refetched when a change is pushed (live.ts), not on a timer.
  const counts = useQuery({ queryKey: ['queue.counts'], queryFn: () => call('queue.counts', {}) });
  return (
    <dl className="counts" aria-label="Queue counts" data-testid="queue-counts">
      {LABELS.map(([key, label]) => (
        <div key={key} className={`count count-${key}`}>
          <dt>{label}</dt>
          <dd data-testid={`count-${key}`}>{counts.data ? counts.data[key] : '–'}</dd>
        </div>
      ))}
    </dl>
  );
}
