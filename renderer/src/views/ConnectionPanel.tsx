import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { callConsole } from '../api';
import { ErrorNote } from './ErrorNote';

export const consoleStatusQuery = { queryKey: ['console.status'] as const, queryFn: () => callConsole('console.status', {}), staleTime: Infinity };

/** After switching where the console works, nothing cached from the other place may show. */
export function useConsoleSwitch() {
  const queryClient = useQueryClient();
  return () => {
    queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== 'console.status' });
    void queryClient.invalidateQueries({ queryKey: ['console.status'] });
  };
}

/** "Work on this machine" or "Connect to a team server": where this console's queue, banks and actions live. */
export function ConnectionPanel() {
  const status = useQuery(consoleStatusQuery);
  const switched = useConsoleSwitch();
  const [url, setUrl] = useState('');
  const connect = useMutation({ mutationFn: (serverUrl: string) => callConsole('console.connect', { serverUrl }), onSuccess: switched });
  const local = useMutation({ mutationFn: () => callConsole('console.useLocal', {}), onSuccess: switched });
  const signOut = useMutation({ mutationFn: () => callConsole('console.signOut', {}), onSuccess: switched });
  const s = status.data;
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (url.trim()) connect.mutate(url.trim());
  };
  return (
    <section className="settings-section" aria-labelledby="workspace-title" data-testid="connection-panel">
      <h3 id="workspace-title">Where this console works</h3>
      {s?.mode === 'team' ? (
        <>
          <p role="status" data-testid="connection-status">
            Connected to the team server <strong>{s.serverUrl}</strong>
            {s.signedIn && s.userId ? (
              <>
                {' '}as <strong>{s.userId}</strong> ({s.role}). The queue, banks and actions are the team’s; only the server acts on the homeserver and HMA.
              </>
            ) : (
              '; not signed in.'
            )}
          </p>
          <p className="muted">Your session token is kept {s.tokenProtection === 'os-keychain' ? 'in the OS keychain' : 'in a file readable only by you (mode 0600)'}, never in this page.</p>
          <div className="actions">
            {s.signedIn && (
              <button type="button" onClick={() => signOut.mutate()} data-testid="team-sign-out">
                Sign out of the team server
              </button>
            )}
            <button type="button" onClick={() => local.mutate()} data-testid="use-local">
              Work on this machine instead
            </button>
          </div>
        </>
      ) : (
        <>
          <p role="status" data-testid="connection-status">Working on this machine: the queue, banks and actions are this computer’s own.</p>
          <form onSubmit={onSubmit} className="settings-form">
            <label htmlFor="team-url">Connect to a team server</label>
            <input id="team-url" type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://matchdesk.example.org" autoComplete="url" spellCheck={false} data-testid="team-url" />
            <button type="submit" disabled={!url.trim() || connect.isPending} data-testid="team-connect">
              Connect
            </button>
          </form>
          <p className="muted">On a team server you sign in with your Matrix account; your role comes from your power level in the team’s management room. This machine’s own data stays here, untouched.</p>
        </>
      )}
      {[connect, local, signOut].map((m, i) => (m.isError ? <ErrorNote key={i} error={m.error} /> : null))}
    </section>
  );
}
