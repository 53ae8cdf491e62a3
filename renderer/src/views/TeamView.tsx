import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { call } from '../api';
import { ErrorNote } from './ErrorNote';

function when(at: number | null): string {
  return at ? new Date(at).toLocaleString() : '–';
}

/** Team mode: sessions (a lead ends anyone's), who holds what, per-reviewer figures and the team's wellbeing totals. */
export function TeamView({ role, me }: { role: 'reviewer' | 'lead'; me: string }) {
  const queryClient = useQueryClient();
  const lead = role === 'lead';
  const sessions = useQuery({ queryKey: ['sessions.list'], queryFn: () => call('sessions.list', {}) });
  const claims = useQuery({ queryKey: ['claims.list'], queryFn: () => call('claims.list', {}), enabled: lead });
  const reviewers = useQuery({ queryKey: ['stats.reviewers'], queryFn: () => call('stats.reviewers', { days: 7 }), enabled: lead });
  const wellbeing = useQuery({ queryKey: ['wellbeing.team'], queryFn: () => call('wellbeing.team', {}), enabled: lead });
  const revoke = useMutation({ mutationFn: (id: string) => call('sessions.revoke', { id }), onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['sessions.list'] }) });
  const release = useMutation({ mutationFn: (queueItemId: number) => call('claims.releaseOthers', { queueItemId }), onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['claims.list'] }) });
  return (
    <section aria-labelledby="team-title" data-testid="team-view">
      <h2 id="team-title">Team</h2>
      <h3>{lead ? 'Sessions' : 'Your sessions'}</h3>
      {sessions.isError && <ErrorNote error={sessions.error} />}
      {revoke.isError && <ErrorNote error={revoke.error} />}
      <table className="table" data-testid="sessions-table">
        <thead>
          <tr><th>Moderator</th><th>Role</th><th>Console</th><th>Signed in</th><th>Last seen</th><th>Expires</th><th /></tr>
        </thead>
        <tbody>
          {sessions.data?.map((s) => (
            <tr key={s.id} data-testid="session-row" data-user={s.userId}>
              <td>{s.userId}</td>
              <td>{s.role ?? 'no access'}</td>
              <td>{s.client}{s.current ? ' (this console)' : ''}</td>
              <td>{when(s.createdAt)}</td>
              <td>{when(s.lastSeenAt)}</td>
              <td>{when(s.expiresAt)}</td>
              <td>
                {!s.current && (lead || s.userId === me) && (
                  <button type="button" onClick={() => revoke.mutate(s.id)} disabled={revoke.isPending} data-testid="session-revoke">
                    End session
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {lead && (
        <>
          <h3>Who holds what</h3>
          {release.isError && <ErrorNote error={release.error} />}
          <table className="table" data-testid="claims-table">
            <thead>
              <tr><th>Item</th><th>Held by</th><th>Since</th><th>Lease ends</th><th /></tr>
            </thead>
            <tbody>
              {claims.data?.map((c) => (
                <tr key={c.queueItemId}>
                  <td>#{c.queueItemId}</td>
                  <td>{c.reviewer}</td>
                  <td>{when(c.claimedAt)}</td>
                  <td>{when(c.expiresAt)}</td>
                  <td>
                    {c.reviewer !== me && (
                      <button type="button" onClick={() => release.mutate(c.queueItemId)} data-testid="claim-release-other">
                        Release
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Reviewers, last 7 days</h3>
          <table className="table" data-testid="reviewer-stats">
            <thead>
              <tr><th>Reviewer</th><th>Decisions</th><th>Confirmed</th><th>False positive</th><th>Escalated</th><th>Skipped</th><th>Undone</th><th>Holding</th></tr>
            </thead>
            <tbody>
              {reviewers.data?.map((r) => (
                <tr key={r.reviewer}>
                  <td>{r.reviewer}</td>
                  <td>{r.decisions}</td>
                  <td>{r.confirm}</td>
                  <td>{r.false_positive}</td>
                  <td>{r.escalate}</td>
                  <td>{r.skip}</td>
                  <td>{r.undone}</td>
                  <td>{r.holding}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Team wellbeing today</h3>
          {wellbeing.data && (
            <p data-testid="team-wellbeing">
              {wellbeing.data.reviewersActive} reviewer{wellbeing.data.reviewersActive === 1 ? '' : 's'} active, {wellbeing.data.activeMinutesToday} minutes of review work, {wellbeing.data.revealsToday} reveals
              {wellbeing.data.overSoftLimit ? `; ${wellbeing.data.overSoftLimit} over their daily reveal limit` : ''}. Nobody’s own figures are shown here.
            </p>
          )}
        </>
      )}
    </section>
  );
}
