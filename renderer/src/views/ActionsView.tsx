import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { OutboxAction } from '../../../shared/contract';
import { call } from '../api';
import { ErrorNote } from './ErrorNote';

type StateFilter = OutboxAction['state'] | 'open';

/** The outbox: actions that failed or are still waiting, with Retry for failed ones. */
export function ActionsView() {
  const queryClient = useQueryClient();
  const [state, setState] = useState<StateFilter>('open');
  const actions = useQuery({
    queryKey: ['actions.list', state],
    queryFn: async () => {
      if (state !== 'open') return call('actions.list', { state, limit: 200 });
      const [failed, pending, running] = await Promise.all([
        call('actions.list', { state: 'failed', limit: 200 }),
        call('actions.list', { state: 'pending', limit: 200 }),
        call('actions.list', { state: 'running', limit: 200 }),
      ]);
      return [...failed, ...running, ...pending];
    },
    refetchInterval: 5_000,
  });
  const retry = useMutation({
    mutationFn: (id: number) => call('actions.retry', { id }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['actions.list'] }),
  });
  return (
    <section aria-labelledby="actions-view-title" data-testid="actions-view">
      <div className="stats-head">
        <h2 id="actions-view-title">Actions</h2>
        <label htmlFor="actions-state">Show</label>
        <select id="actions-state" value={state} onChange={(e) => setState(e.target.value as StateFilter)} data-testid="actions-state">
          <option value="open">Failed, running and pending</option>
          <option value="failed">Failed</option>
          <option value="pending">Pending</option>
          <option value="running">Running</option>
          <option value="done">Done</option>
          <option value="cancelled">Cancelled</option>
        </select>
      </div>
      <p className="muted">Actions planned by decisions (quarantine, redaction, bank updates, notices). They wait out the undo window, then run with retries.</p>
      {actions.isError && <ErrorNote error={actions.error} />}
      {retry.isError && <ErrorNote error={retry.error} />}
      <table className="table" data-testid="actions-table">
        <thead>
          <tr><th>#</th><th>Action</th><th>State</th><th>Attempts</th><th>Not before</th><th>Last error</th><th><span className="sr-only">Retry</span></th></tr>
        </thead>
        <tbody>
          {actions.data?.map((a) => (
            <tr key={a.id}>
              <td>{a.id}</td>
              <td>{a.label}{a.compensatesActionId ? <span className="muted"> (reverses #{a.compensatesActionId})</span> : null}</td>
              <td><span className={`pill pill-${a.state}`}>{a.state}</span></td>
              <td>{a.attempts}</td>
              <td>{new Date(a.notBefore).toLocaleString()}</td>
              <td className="wrap">{a.lastError ?? ''}</td>
              <td>{a.state === 'failed' && <button type="button" onClick={() => retry.mutate(a.id)} disabled={retry.isPending}>Retry</button>}</td>
            </tr>
          ))}
          {actions.data?.length === 0 && (
            <tr><td colSpan={7} className="muted">Nothing here.</td></tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
