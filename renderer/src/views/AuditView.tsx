import { useMutation, useQuery } from '@tanstack/react-query';
import { call } from '../api';
import { ErrorNote } from './ErrorNote';

export function AuditView() {
  const entries = useQuery({ queryKey: ['audit.list'], queryFn: () => call('audit.list', { limit: 200 }) });
  const verify = useMutation({ mutationFn: () => call('audit.verify', {}) });
  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      <p>
        <button type="button" onClick={() => verify.mutate()} data-testid="audit-verify">Verify the chain</button>{' '}
        {verify.data && (
          <span role="status" className={verify.data.ok ? 'ok' : 'bad'}>
            {verify.data.ok ? `Intact: ${verify.data.rows} rows chained by SHA-256.` : `Tampering detected at row ${verify.data.firstBadSeq}: ${verify.data.problem}`}
          </span>
        )}
      </p>
      {entries.isError && <ErrorNote error={entries.error} />}
      <table className="table" data-testid="audit-table">
        <thead>
          <tr><th>#</th><th>When</th><th>Who</th><th>Action</th><th>Subject</th><th>Details</th></tr>
        </thead>
        <tbody>
          {entries.data?.map((e) => (
            <tr key={e.seq}>
              <td>{e.seq}</td>
              <td>{new Date(e.at).toLocaleString()}</td>
              <td>{e.actor}</td>
              <td>{e.action}</td>
              <td>{e.subject}</td>
              <td><code className="details">{JSON.stringify(e.details)}</code></td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
