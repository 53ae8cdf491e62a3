import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { call } from '../api';
import type { ActionPlans } from '../../../shared/contract';
import { ErrorNote } from './ErrorNote';
import { NumberSetting } from './NumberSetting';

function MatrixSettings() {
  const queryClient = useQueryClient();
  const status = useQuery({ queryKey: ['matrix.status'], queryFn: () => call('matrix.status', {}), refetchInterval: 5_000 });
  const [homeserverUrl, setHomeserverUrl] = useState('');
  const [adminApiBaseUrl, setAdminApiBaseUrl] = useState('');
  const [mode, setMode] = useState<'token' | 'password'>('token');
  const [accessToken, setAccessToken] = useState('');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [managementRoom, setManagementRoom] = useState('');
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['matrix.status'] });
  const signIn = useMutation({
    mutationFn: () =>
      call('matrix.signIn', {
        homeserverUrl: homeserverUrl.trim(),
        ...(adminApiBaseUrl.trim() ? { adminApiBaseUrl: adminApiBaseUrl.trim() } : {}),
        ...(mode === 'token' ? { accessToken: accessToken.trim() } : { user: user.trim(), password }),
        ...(managementRoom.trim() ? { managementRoom: managementRoom.trim() } : {}),
      }),
    onSuccess: () => {
      setAccessToken('');
      setPassword('');
      refresh();
    },
  });
  const signOut = useMutation({ mutationFn: () => call('matrix.signOut', {}), onSuccess: refresh });
  const update = useMutation({ mutationFn: (input: Parameters<typeof call<'matrix.updateOptions'>>[1]) => call('matrix.updateOptions', input), onSuccess: refresh });
  const poll = useMutation({ mutationFn: () => call('matrix.pollNow', {}), onSuccess: refresh });
  const s = status.data;

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    signIn.mutate();
  };

  return (
    <section className="settings-section" aria-labelledby="matrix-title">
      <h3 id="matrix-title">Matrix homeserver</h3>
      {s?.signedIn ? (
        <>
          <p role="status" data-testid="matrix-status">
            Signed in as <strong>{s.userId}</strong> on {s.homeserverUrl}
            {s.isAdmin ? ' (server admin)' : ' (not a server admin: reports and quarantine need admin rights)'}.
          </p>
          <fieldset>
            <legend>Sources</legend>
            {(['live', 'reports', 'quarantine'] as const).map((key) => (
              <label key={key} className="check">
                <input type="checkbox" checked={s.sources[key]} onChange={(e) => update.mutate({ sources: { ...s.sources, [key]: e.target.checked } })} />
                {key === 'live' ? 'Live rooms the account is in' : key === 'reports' ? 'Event reports (Synapse admin API)' : 'Quarantine feed → local bank "Synapse quarantine"'}
              </label>
            ))}
          </fieldset>
          <div className="settings-form">
            <label htmlFor="backfill-hours">History to back-fill on first sync (hours)</label>
            <NumberSetting id="backfill-hours" value={s.backfillHours} min={0} max={720} onCommit={(backfillHours) => update.mutate({ backfillHours })} />
            <label htmlFor="max-download">Largest media file to download (MB)</label>
            <NumberSetting id="max-download" value={s.maxDownloadMb} min={1} max={1024} onCommit={(maxDownloadMb) => update.mutate({ maxDownloadMb })} />
          </div>
          <p className="muted">
            Seen {s.stats.seen} media events · {s.stats.queued} queued · {s.stats.skippedEncrypted} skipped (end-to-end encrypted) · {s.stats.skippedBySha256} not downloaded (SHA-256 matched no bank) · {s.stats.failed} failed
          </p>
          {s.encryptedRooms.length > 0 && (
            <p className="muted">Encrypted rooms are skipped (their media cannot be hashed without the room keys): {s.encryptedRooms.map((r) => r.name ?? r.roomId).join(', ')}</p>
          )}
          <p className="muted">Quarantining one item also quarantines every copy with the same SHA-256 on this server (Synapse 1.128 and later).</p>
          <div className="actions">
            <button type="button" onClick={() => poll.mutate()} disabled={poll.isPending}>Check reports now</button>
            <button type="button" onClick={() => signOut.mutate()}>Sign out</button>
          </div>
          {s.notices.length > 0 && (
            <details>
              <summary>{s.notices.length} notices from the sources</summary>
              <ul>{s.notices.map((n, i) => <li key={i}>{new Date(n.at).toLocaleString()}: {n.message}</li>)}</ul>
            </details>
          )}
        </>
      ) : (
        <form className="settings-form" onSubmit={onSubmit}>
          {s?.lastError && <p className="error" role="alert">{s.lastError}</p>}
          <label htmlFor="hs-url">Homeserver URL</label>
          <input id="hs-url" type="url" value={homeserverUrl} onChange={(e) => setHomeserverUrl(e.target.value)} placeholder="https://matrix.example.org" required />
          <label htmlFor="admin-url">Admin API URL (optional)</label>
          <input id="admin-url" type="url" value={adminApiBaseUrl} onChange={(e) => setAdminApiBaseUrl(e.target.value)} placeholder="when /_synapse/admin is on another address" />
          <span>Sign in with</span>
          <div>
            <label className="check"><input type="radio" name="mode" checked={mode === 'token'} onChange={() => setMode('token')} /> access token</label>{' '}
            <label className="check"><input type="radio" name="mode" checked={mode === 'password'} onChange={() => setMode('password')} /> user name and password</label>
          </div>
          {mode === 'token' ? (
            <>
              <label htmlFor="hs-token">Access token</label>
              <input id="hs-token" type="password" value={accessToken} onChange={(e) => setAccessToken(e.target.value)} autoComplete="off" required />
            </>
          ) : (
            <>
              <label htmlFor="hs-user">User</label>
              <input id="hs-user" type="text" value={user} onChange={(e) => setUser(e.target.value)} autoComplete="username" required />
              <label htmlFor="hs-password">Password</label>
              <input id="hs-password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" required />
            </>
          )}
          <label htmlFor="hs-room">Management room</label>
          <input id="hs-room" type="text" value={managementRoom} onChange={(e) => setManagementRoom(e.target.value)} placeholder="!roomid:example.org or #moderation:example.org" />
          <button type="submit" className="primary" disabled={signIn.isPending}>Sign in</button>
        </form>
      )}
      {[signIn, signOut, update, poll].map((m, i) => (m.isError ? <ErrorNote key={i} error={m.error} /> : null))}
    </section>
  );
}

function HmaSettings() {
  const queryClient = useQueryClient();
  const settings = useQuery({ queryKey: ['hma.getSettings'], queryFn: () => call('hma.getSettings', {}) });
  const [baseUrl, setBaseUrl] = useState('');
  const [enabled, setEnabled] = useState(false);
  const [apiKey, setApiKey] = useState('');
  const [roleUrls, setRoleUrls] = useState({ hasherUrl: '', matcherUrl: '', curatorUrl: '' });
  // Stored settings fill the form, but never over what the admin has typed since (a slow first load must not undo it).
  const edited = useRef(false);
  const edit = <T,>(set: (v: T) => void) => (v: T) => {
    edited.current = true;
    set(v);
  };
  useEffect(() => {
    if (settings.data && !edited.current) {
      setBaseUrl(settings.data.baseUrl ?? '');
      setEnabled(settings.data.enabled);
      setRoleUrls({ hasherUrl: settings.data.hasherUrl ?? '', matcherUrl: settings.data.matcherUrl ?? '', curatorUrl: settings.data.curatorUrl ?? '' });
    }
  }, [settings.data]);
  const urls = () => ({
    baseUrl: baseUrl.trim() || null,
    hasherUrl: roleUrls.hasherUrl.trim() || null,
    matcherUrl: roleUrls.matcherUrl.trim() || null,
    curatorUrl: roleUrls.curatorUrl.trim() || null,
  });
  const save = useMutation({
    mutationFn: () => call('hma.saveSettings', { enabled, ...urls(), ...(apiKey ? { apiKey } : {}) }),
    onSuccess: () => {
      edited.current = false;
      setApiKey('');
      void queryClient.invalidateQueries({ queryKey: ['hma.getSettings'] });
    },
  });
  const clearKey = useMutation({ mutationFn: () => call('hma.saveSettings', { enabled, ...urls(), apiKey: null }), onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['hma.getSettings'] }) });
  const saveTimings = useMutation({
    mutationFn: (t: { indexRefreshSeconds?: number; serverTimeoutSeconds?: number }) => call('hma.saveSettings', { enabled, ...urls(), ...t }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['hma.getSettings'] }),
  });
  const test = useMutation({ mutationFn: () => call('hma.testConnection', {}) });
  const lookups = useQuery({ queryKey: ['ingest.lookupStatus'], queryFn: () => call('ingest.lookupStatus', {}), refetchInterval: 5_000 });

  return (
    <section className="settings-section" aria-labelledby="hma-title">
      <h3 id="hma-title">HMA (Open Media Match)</h3>
      <form className="settings-form" onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
        <label className="check span2"><input type="checkbox" checked={enabled} onChange={(e) => edit(setEnabled)(e.target.checked)} /> Match against an HMA server</label>
        <label htmlFor="hma-url">Base URL</label>
        <input id="hma-url" type="url" value={baseUrl} onChange={(e) => edit(setBaseUrl)(e.target.value)} placeholder="https://hma.example.org" />
        <label htmlFor="hma-key">API key</label>
        <input id="hma-key" type="password" value={apiKey} onChange={(e) => setApiKey(e.target.value)} autoComplete="off" placeholder={settings.data?.keys.all ? 'a key is stored (type to replace it)' : 'none'} />
        <details className="span2">
          <summary>Split deployment (one URL per role) and HMA's timings</summary>
          <div className="settings-form">
            {(['hasher', 'matcher', 'curator'] as const).map((role) => (
              <label key={role} className="span2">
                {role[0]!.toUpperCase() + role.slice(1)} URL (/{role[0]}){' '}
                <input type="url" value={roleUrls[`${role}Url`]} onChange={(e) => edit(setRoleUrls)({ ...roleUrls, [`${role}Url`]: e.target.value })} placeholder="the base URL" />
              </label>
            ))}
            <label htmlFor="hma-refresh">Matchers reload HMA's index every (seconds; HMA's TASK_INDEX_CACHE_INTERVAL_SECONDS, default 30)</label>
            {settings.data && <NumberSetting id="hma-refresh" value={settings.data.indexRefreshSeconds} min={1} max={3600} onCommit={(v) => saveTimings.mutate({ indexRefreshSeconds: v })} />}
            <label htmlFor="hma-server-timeout">HMA gives up on a request after (seconds; its gunicorn worker timeout, default 30)</label>
            {settings.data && <NumberSetting id="hma-server-timeout" value={settings.data.serverTimeoutSeconds} min={1} max={3600} onCommit={(v) => saveTimings.mutate({ serverTimeoutSeconds: v })} />}
          </div>
        </details>
        <div className="span2 actions">
          <button type="submit" className="primary" disabled={save.isPending}>Save</button>
          {settings.data?.keys.all && <button type="button" onClick={() => clearKey.mutate()}>Remove the key</button>}
          <button type="button" onClick={() => test.mutate()} disabled={test.isPending}>Test connection</button>
        </div>
      </form>
      {lookups.data && lookups.data.count > 0 && (
        <p className="warning-inline" role="status">{lookups.data.count} item(s): lookup failed — will retry. Last error: {lookups.data.lastError}</p>
      )}
      {test.data && (
        <div role="status" data-testid="hma-test">
          {test.data.error && <p className="error">{test.data.error}</p>}
          {test.data.warnings.map((w) => <p key={w} className="warning-inline" data-testid="hma-warning">{w}</p>)}
          <ul>{test.data.roles.map((r) => <li key={r.role}>{r.role} ({r.baseUrl}): {r.ok ? 'OK' : r.message}</li>)}</ul>
          <p>Index: {Object.entries(test.data.indexStatus).map(([t, st]) => `${t} ${st.present ? `${st.size} hashes` : 'not built'}`).join(' · ') || '—'}</p>
          <p>Banks: {test.data.banks.map((b) => `${b.name}${b.enabled ? '' : ' (off)'}`).join(', ') || 'none'}</p>
        </div>
      )}
      {[save, clearKey, saveTimings, test].map((m, i) => (m.isError ? <ErrorNote key={i} error={m.error} /> : null))}
    </section>
  );
}

function ActionPlanSettings() {
  const queryClient = useQueryClient();
  const plans = useQuery({ queryKey: ['settings.getActionPlans'], queryFn: () => call('settings.getActionPlans', {}) });
  const save = useMutation({
    mutationFn: (next: ActionPlans) => call('settings.setActionPlans', next),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['settings.getActionPlans'] }),
  });
  const p = plans.data;
  if (!p) return null;
  const set = (next: ActionPlans) => save.mutate(next);
  const toggle = (section: 'confirm' | 'falsePositive', key: string, label: string) => (
    <label className="check" key={`${section}.${key}`}>
      <input
        type="checkbox"
        checked={Boolean((p[section] as Record<string, unknown>)[key])}
        onChange={(e) => set({ ...p, [section]: { ...p[section], [key]: e.target.checked } })}
      />
      {label}
    </label>
  );
  return (
    <section className="settings-section" aria-labelledby="plans-title">
      <h3 id="plans-title">What a decision does</h3>
      <label htmlFor="undo-window">Undo window (seconds): actions wait this long before they run</label>{' '}
      <input id="undo-window" type="number" min={0} max={3600} value={Math.round(p.undoWindowMs / 1000)} onChange={(e) => set({ ...p, undoWindowMs: Math.max(0, Math.min(3600, Number(e.target.value))) * 1000 })} />
      <fieldset>
        <legend>Confirm</legend>
        {toggle('confirm', 'quarantineMedia', 'Quarantine the media on the homeserver')}
        {toggle('confirm', 'redactEvent', 'Redact the event')}
        {toggle('confirm', 'quarantineSenderMedia', "Quarantine all of the sender's media")}
        {toggle('confirm', 'notifyManagementRoom', 'Post a notice to the management room')}
      </fieldset>
      <fieldset>
        <legend>False positive</legend>
        {toggle('falsePositive', 'disableLocalContent', 'Disable the matched local bank content')}
        {toggle('falsePositive', 'disableHmaContent', 'Disable the matched HMA bank content (disable_until_ts)')}
        {toggle('falsePositive', 'protectMedia', 'Protect the media from quarantine on the homeserver')}
        {toggle('falsePositive', 'notifyManagementRoom', 'Post a notice to the management room')}
      </fieldset>
      {save.isError && <ErrorNote error={save.error} />}
    </section>
  );
}

export function SettingsView() {
  return (
    <section aria-labelledby="settings-title" className="settings">
      <h2 id="settings-title">Settings</h2>
      <MatrixSettings />
      <HmaSettings />
      <ActionPlanSettings />
    </section>
  );
}
