import { useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import type { ConsoleStatus } from '../../../shared/console-contract';
import { ApiCallError, callConsole } from '../api';
import { useConsoleSwitch } from './ConnectionPanel';
import { ErrorNote } from './ErrorNote';

/** A team server's sign-in: with the moderator's own Matrix account (the server only ever sees an OpenID token). */
export function TeamSignIn({ status }: { status: ConsoleStatus }) {
  const switched = useConsoleSwitch();
  const [homeserverUrl, setHomeserverUrl] = useState('');
  const [how, setHow] = useState<'password' | 'token'>('password');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [accessToken, setAccessToken] = useState('');
  const signIn = useMutation({
    mutationFn: () =>
      callConsole(
        'console.signIn',
        how === 'password' ? { homeserverUrl: homeserverUrl.trim(), user: user.trim(), password } : { homeserverUrl: homeserverUrl.trim(), accessToken: accessToken.trim() },
      ),
    onSuccess: () => {
      setPassword('');
      setAccessToken('');
      switched();
    },
    // Signed in, but no role: the host noted why, and the no-access screen says it.
    onError: (error) => {
      if (error instanceof ApiCallError && error.code === 'no_access') switched();
    },
  });
  const local = useMutation({ mutationFn: () => callConsole('console.useLocal', {}), onSuccess: switched });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    signIn.mutate();
  };
  const ended = status.access?.state === 'signed_out' ? status.access.message : null;
  return (
    <main className="app">
      <section className="welcome" aria-labelledby="team-sign-in-title" data-testid="team-sign-in">
        <h2 id="team-sign-in-title">Sign in to the team server</h2>
        <p>
          <strong>{status.serverUrl}</strong> serves one review queue to the whole team. Sign in with your Matrix account: this console asks your
          homeserver for a one-time OpenID token and hands only that to the team server.
        </p>
        {ended && (
          <p className="warning-inline" role="alert" data-testid="session-ended">
            {ended}
          </p>
        )}
        <form onSubmit={onSubmit} className="settings-form">
          <label htmlFor="si-homeserver">Your homeserver</label>
          <input id="si-homeserver" type="url" value={homeserverUrl} onChange={(e) => setHomeserverUrl(e.target.value)} placeholder="https://matrix.example.org" required data-testid="si-homeserver" />
          <span>Sign in with</span>
          <span>
            <label className="check">
              <input type="radio" name="how" checked={how === 'password'} onChange={() => setHow('password')} /> password
            </label>{' '}
            <label className="check">
              <input type="radio" name="how" checked={how === 'token'} onChange={() => setHow('token')} /> an access token
            </label>
          </span>
          {how === 'password' ? (
            <>
              <label htmlFor="si-user">Matrix ID</label>
              <input id="si-user" value={user} onChange={(e) => setUser(e.target.value)} placeholder="@you:example.org" autoComplete="username" required data-testid="si-user" />
              <label htmlFor="si-password">Password</label>
              <input id="si-password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" required data-testid="si-password" />
            </>
          ) : (
            <>
              <label htmlFor="si-token">Access token</label>
              <input id="si-token" type="password" value={accessToken} onChange={(e) => setAccessToken(e.target.value)} required data-testid="si-token" />
            </>
          )}
          <button type="submit" className="primary" disabled={signIn.isPending} data-testid="si-submit">
            {signIn.isPending ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <p className="muted">With a password, the Matrix login made for this is logged out again at once; no Matrix token is kept.</p>
        {signIn.isError && <ErrorNote error={signIn.error} />}
        <div className="actions">
          <button type="button" onClick={() => local.mutate()} data-testid="use-local">
            Work on this machine instead
          </button>
        </div>
      </section>
    </main>
  );
}

/** The server knows who this is, but their power level in the management room gives them no role (any more). */
export function TeamNoAccess({ status }: { status: ConsoleStatus }) {
  const switched = useConsoleSwitch();
  const signOut = useMutation({ mutationFn: () => callConsole('console.signOut', {}), onSuccess: switched });
  const local = useMutation({ mutationFn: () => callConsole('console.useLocal', {}), onSuccess: switched });
  const retry = useMutation({ mutationFn: () => callConsole('console.connect', { serverUrl: status.serverUrl ?? '' }), onSuccess: switched });
  return (
    <main className="app">
      <section className="welcome" aria-labelledby="no-access-title" data-testid="team-no-access">
        <h2 id="no-access-title">No access to the team queue</h2>
        <p role="alert" data-testid="no-access-reason">
          {status.access?.message}
        </p>
        <p>Roles come from power levels in the team’s management room (reviewers and leads). A lead can raise yours; access follows within a minute.</p>
        <div className="actions">
          {status.signedIn && (
            <button type="button" onClick={() => retry.mutate()} data-testid="no-access-retry">
              Try again
            </button>
          )}
          <button type="button" onClick={() => signOut.mutate()} data-testid="sign-in-other">
            Sign in with another account
          </button>
          <button type="button" onClick={() => local.mutate()} data-testid="use-local">
            Work on this machine instead
          </button>
        </div>
      </section>
    </main>
  );
}
