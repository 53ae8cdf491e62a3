import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { call } from '../api';
import type { ActionPlans } from '../../../shared/contract';
import { ErrorNote } from './ErrorNote';
import { BotKeySettings, CheckRuleSettings } from './CheckSettings';
import { NumberField, parseAll, SavedNote, useDraft, type WholeRule } from './forms';

const BACKFILL: WholeRule = { what: 'History to back-fill', min: 0, max: 720 };
const MAX_DOWNLOAD: WholeRule = { what: 'The largest download', min: 1, max: 1024 };
const UNDO_WINDOW: WholeRule = { what: 'The undo window', min: 0, max: 3600 };

interface MatrixOptionsDraft {
  sources: { live: boolean; reports: boolean; quarantine: boolean };
  backfill: string;
  maxDownload: string;
}

/** Sources and limits of the signed-in Matrix account: one form, saved explicitly. */
function MatrixOptions({ status }: { status: { sources: MatrixOptionsDraft['sources']; backfillHours: number; maxDownloadMb: number } }) {
  const queryClient = useQueryClient();
  const draft = useDraft<MatrixOptionsDraft>({ sources: status.sources, backfill: String(status.backfillHours), maxDownload: String(status.maxDownloadMb) });
  const [errors, setErrors] = useState<{ backfill?: string; maxDownload?: string }>({});
  const save = useMutation({
    mutationFn: (input: Parameters<typeof call<'matrix.updateOptions'>>[1]) => call('matrix.updateOptions', input),
    onSuccess: (data) => {
      queryClient.setQueryData(['matrix.status'], data);
      draft.markSaved();
    },
  });
  const d = draft.value!;
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const checked = parseAll({ backfill: { text: d.backfill, rule: BACKFILL }, maxDownload: { text: d.maxDownload, rule: MAX_DOWNLOAD } });
    setErrors(checked.errors);
    if (checked.values) save.mutate({ sources: d.sources, backfillHours: checked.values.backfill, maxDownloadMb: checked.values.maxDownload });
  };
  return (
    <form onSubmit={onSubmit} noValidate aria-label="Matrix sources and limits" data-testid="matrix-options">
      <fieldset>
        <legend>Sources</legend>
        {(['live', 'reports', 'quarantine'] as const).map((key) => (
          <label key={key} className="check">
            <input type="checkbox" checked={d.sources[key]} onChange={(e) => draft.set({ ...d, sources: { ...d.sources, [key]: e.target.checked } })} />
            {key === 'live' ? 'Live rooms the account is in' : key === 'reports' ? 'Event reports (Synapse admin API)' : 'Quarantine feed → local bank "Synapse quarantine"'}
          </label>
        ))}
      </fieldset>
      <div className="settings-form">
        <label htmlFor="backfill-hours">History to back-fill on first sync (hours)</label>
        <NumberField id="backfill-hours" text={d.backfill} onText={(backfill) => draft.set({ ...d, backfill })} rule={BACKFILL} error={errors.backfill} />
        <label htmlFor="max-download">Largest media file to download (MB)</label>
        <NumberField id="max-download" text={d.maxDownload} onText={(maxDownload) => draft.set({ ...d, maxDownload })} rule={MAX_DOWNLOAD} error={errors.maxDownload} />
      </div>
      <div className="actions">
        <button type="submit" className="primary" disabled={save.isPending} data-testid="matrix-options-save">Save sources and limits</button>
        {draft.dirty && <span className="muted">Not saved yet.</span>}
        <SavedNote at={draft.savedAt} testId="matrix-options-saved" />
      </div>
      {save.isError && <ErrorNote error={save.error} />}
    </form>
  );
}

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
          <MatrixOptions status={s} />
          <p className="muted">
            Seen {s.stats.seen} events · {s.stats.reports} reports · {s.stats.queued} queued · {s.stats.partsHashed} thumbnails and edited media hashed · {s.stats.skippedEncrypted} skipped (end-to-end encrypted) · {s.stats.skippedBySha256} not downloaded (SHA-256 matched no bank) · {s.stats.failed} failed
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
      {[signIn, signOut, poll].map((m, i) => (m.isError ? <ErrorNote key={i} error={m.error} /> : null))}
    </section>
  );
}

function HmaSettings() {
  const queryClient = useQueryClient();
  const settings = useQuery({ queryKey: ['hma.getSettings'], queryFn: () => call('hma.getSettings', {}) });
  const stored = settings.data;
  const draft = useDraft<HmaDraft>(
    stored
      ? {
          enabled: stored.enabled,
          baseUrl: stored.baseUrl ?? '',
          hasherUrl: stored.hasherUrl ?? '',
          matcherUrl: stored.matcherUrl ?? '',
          curatorUrl: stored.curatorUrl ?? '',
          indexRefresh: String(stored.indexRefreshSeconds),
          serverTimeout: String(stored.serverTimeoutSeconds),
        }
      : undefined,
  );
  const [apiKey, setApiKey] = useState('');
  const [errors, setErrors] = useState<Partial<Record<'indexRefresh' | 'serverTimeout', string>>>({});
  const d = draft.value ?? { enabled: false, baseUrl: '', hasherUrl: '', matcherUrl: '', curatorUrl: '', indexRefresh: '30', serverTimeout: '30' };
  const urls = () => ({
    baseUrl: d.baseUrl.trim() || null,
    hasherUrl: d.hasherUrl.trim() || null,
    matcherUrl: d.matcherUrl.trim() || null,
    curatorUrl: d.curatorUrl.trim() || null,
  });
  const save = useMutation({
    mutationFn: (timings: { indexRefreshSeconds: number; serverTimeoutSeconds: number }) =>
      call('hma.saveSettings', { enabled: d.enabled, ...urls(), ...timings, ...(apiKey ? { apiKey } : {}) }),
    onSuccess: (data) => {
      setApiKey('');
      queryClient.setQueryData(['hma.getSettings'], data);
      draft.markSaved();
    },
  });
  const submit = () => {
    const { values, errors: refused } = parseAll({
      indexRefresh: { text: d.indexRefresh, rule: HMA_TIMING_RULES.indexRefresh },
      serverTimeout: { text: d.serverTimeout, rule: HMA_TIMING_RULES.serverTimeout },
    });
    setErrors(refused);
    if (values) save.mutate({ indexRefreshSeconds: values.indexRefresh, serverTimeoutSeconds: values.serverTimeout });
  };
  const clearKey = useMutation({
    mutationFn: () => call('hma.saveSettings', { enabled: d.enabled, ...urls(), apiKey: null }),
    onSuccess: (data) => {
      queryClient.setQueryData(['hma.getSettings'], data);
      draft.markSaved();
    },
  });
  // Tests what is in the form now, saved or not.
  const test = useMutation({
    mutationFn: () => call('hma.testConnection', { ...(d.baseUrl.trim() ? { baseUrl: d.baseUrl.trim() } : {}), ...(apiKey ? { apiKey } : {}) }),
  });
  const lookups = useQuery({ queryKey: ['ingest.lookupStatus'], queryFn: () => call('ingest.lookupStatus', {}), refetchInterval: 5_000 });

  return (
    <section className="settings-section" aria-labelledby="hma-title">
      <h3 id="hma-title">HMA (Open Media Match)</h3>
      <form className="settings-form" noValidate onSubmit={(e) => { e.preventDefault(); submit(); }}>
        <label className="check span2"><input type="checkbox" checked={d.enabled} onChange={(e) => draft.set({ ...d, enabled: e.target.checked })} disabled={!stored} /> Match against an HMA server</label>
        <label htmlFor="hma-url">Base URL</label>
        <input id="hma-url" type="url" value={d.baseUrl} onChange={(e) => draft.set({ ...d, baseUrl: e.target.value })} placeholder="https://hma.example.org" disabled={!stored} />
        <label htmlFor="hma-key">API key</label>
        <input id="hma-key" type="password" value={apiKey} onChange={(e) => { setApiKey(e.target.value); draft.set(d); }} autoComplete="off" placeholder={stored?.keys.all ? 'a key is stored (type to replace it)' : 'none'} />
        <details className="span2">
          <summary>Split deployment (one URL per role) and HMA's timings</summary>
          <div className="settings-form">
            {(['hasher', 'matcher', 'curator'] as const).map((role) => (
              <label key={role} className="span2">
                {role[0]!.toUpperCase() + role.slice(1)} URL (/{role[0]}){' '}
                <input type="url" value={d[`${role}Url`]} onChange={(e) => draft.set({ ...d, [`${role}Url`]: e.target.value })} placeholder="the base URL" disabled={!stored} />
              </label>
            ))}
            <label htmlFor="hma-refresh">Matchers reload HMA's index every (HMA's TASK_INDEX_CACHE_INTERVAL_SECONDS, default 30)</label>
            <NumberField id="hma-refresh" text={d.indexRefresh} onText={(indexRefresh) => draft.set({ ...d, indexRefresh })} rule={HMA_TIMING_RULES.indexRefresh} error={errors.indexRefresh} unit="seconds" />
            <label htmlFor="hma-server-timeout">HMA gives up on a request after (its gunicorn worker timeout, default 30)</label>
            <NumberField id="hma-server-timeout" text={d.serverTimeout} onText={(serverTimeout) => draft.set({ ...d, serverTimeout })} rule={HMA_TIMING_RULES.serverTimeout} error={errors.serverTimeout} unit="seconds" />
          </div>
        </details>
        <div className="span2 actions">
          <button type="submit" className="primary" disabled={save.isPending} data-testid="hma-save">Save</button>
          {stored?.keys.all && <button type="button" onClick={() => clearKey.mutate()}>Remove the key</button>}
          <button type="button" onClick={() => test.mutate()} disabled={test.isPending} data-testid="hma-test-button">
            {test.isPending ? 'Testing…' : 'Test connection'}
          </button>
          {draft.dirty && <span className="muted">Not saved yet.</span>}
          <SavedNote at={draft.savedAt} testId="hma-saved" />
        </div>
      </form>
      {lookups.data && lookups.data.count > 0 && (
        <p className="warning-inline" role="status">{lookups.data.count} item(s): lookup failed — will retry. Last error: {lookups.data.lastError}</p>
      )}
      {test.data && (
        <div role="status" data-testid="hma-test" className={test.data.error ? 'test-result bad' : 'test-result ok'}>
          <p>
            <strong>{test.data.error ? 'Not connected.' : 'Connected.'}</strong> {test.data.summary}
          </p>
          {test.data.tested && <p className="muted small">Tested {test.data.tested}; a fresh connection, whatever failed before.</p>}
          {test.data.warnings.map((w) => <p key={w} className="warning-inline" data-testid="hma-warning">{w}</p>)}
          {test.data.roles.length > 1 && <ul>{test.data.roles.map((r) => <li key={r.role}>{r.role} ({r.baseUrl}): {r.message}</li>)}</ul>}
          {!test.data.error && (
            <>
              <p>Index: {Object.entries(test.data.indexStatus).map(([t, st]) => `${t} ${st.present ? `${st.size} hashes` : 'not built'}`).join(' · ') || '—'}</p>
              <p>Banks: {test.data.banks.map((b) => `${b.name}${b.enabled ? '' : ' (off)'}`).join(', ') || 'none'}</p>
            </>
          )}
        </div>
      )}
      {[save, clearKey, test].map((m, i) => (m.isError ? <ErrorNote key={i} error={m.error} /> : null))}
    </section>
  );
}

interface HmaDraft {
  enabled: boolean;
  baseUrl: string;
  hasherUrl: string;
  matcherUrl: string;
  curatorUrl: string;
  indexRefresh: string;
  serverTimeout: string;
}

const HMA_TIMING_RULES = {
  indexRefresh: { what: "The index reload interval", min: 1, max: 3600 },
  serverTimeout: { what: "HMA's request timeout", min: 1, max: 3600 },
} satisfies Record<string, WholeRule>;

type PlanDraft = ActionPlans & { undoSeconds: string };

function ActionPlanSettings() {
  const queryClient = useQueryClient();
  const plans = useQuery({ queryKey: ['settings.getActionPlans'], queryFn: () => call('settings.getActionPlans', {}) });
  const draft = useDraft<PlanDraft>(plans.data ? { ...plans.data, undoSeconds: String(Math.round(plans.data.undoWindowMs / 1000)) } : undefined);
  const [error, setError] = useState<string | undefined>();
  const save = useMutation({
    mutationFn: (next: ActionPlans) => call('settings.setActionPlans', next),
    onSuccess: (data) => {
      queryClient.setQueryData(['settings.getActionPlans'], data);
      draft.markSaved();
    },
  });
  const p = draft.value;
  if (!p) return null;
  const toggle = (section: 'confirm' | 'falsePositive', key: string, label: string) => (
    <label className="check" key={`${section}.${key}`}>
      <input
        type="checkbox"
        checked={Boolean((p[section] as Record<string, unknown>)[key])}
        onChange={(e) => draft.set({ ...p, [section]: { ...p[section], [key]: e.target.checked } })}
        data-testid={`plan-${key}`}
      />
      {label}
    </label>
  );
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const checked = parseAll({ undo: { text: p.undoSeconds, rule: UNDO_WINDOW } });
    setError(checked.errors.undo);
    if (!checked.values) return;
    const { undoSeconds: _undoSeconds, ...plan } = p;
    save.mutate({ ...plan, undoWindowMs: checked.values.undo * 1000 });
  };
  return (
    <section className="settings-section" aria-labelledby="plans-title">
      <h3 id="plans-title">What a decision does</h3>
      <form onSubmit={onSubmit} noValidate data-testid="plans-form">
        <div className="settings-form">
          <label htmlFor="undo-window">Undo window: actions wait this long before they run</label>
          <NumberField id="undo-window" text={p.undoSeconds} onText={(undoSeconds) => draft.set({ ...p, undoSeconds })} rule={UNDO_WINDOW} error={error} unit="seconds" />
        </div>
        <fieldset>
          <legend>Confirm</legend>
          {toggle('confirm', 'quarantineMedia', 'Quarantine the media on the homeserver')}
          {toggle('confirm', 'redactEvent', 'Redact the event')}
          {toggle('confirm', 'quarantineSenderMedia', "Quarantine all of the sender's media")}
          {toggle('confirm', 'notifyManagementRoom', 'Post a notice to the management room')}
        </fieldset>
        <fieldset>
          <legend>False positive</legend>
          {toggle('falsePositive', 'requireReason', 'Require a reason (f then asks for one)')}
          {toggle('falsePositive', 'disableLocalContent', 'Disable the matched local bank content')}
          {toggle('falsePositive', 'disableHmaContent', 'Disable the matched HMA bank content (disable_until_ts)')}
          {toggle('falsePositive', 'protectMedia', 'Protect the media from quarantine on the homeserver')}
          {toggle('falsePositive', 'notifyManagementRoom', 'Post a notice to the management room')}
        </fieldset>
        <div className="actions">
          <button type="submit" className="primary" disabled={save.isPending} data-testid="plans-save">Save</button>
          {draft.dirty && <span className="muted">Not saved yet.</span>}
          <SavedNote at={draft.savedAt} testId="plans-saved" />
        </div>
        {save.isError && <ErrorNote error={save.error} />}
      </form>
    </section>
  );
}

/** Screen-capture protection of the desktop window (and the audit anchor), which only the desktop app acts on. */
function PrivacySettings() {
  const queryClient = useQueryClient();
  const info = useQuery({ queryKey: ['app.info'], queryFn: () => call('app.info', {}) });
  const desktop = useQuery({ queryKey: ['settings.getDesktop'], queryFn: () => call('settings.getDesktop', {}) });
  const save = useMutation({
    mutationFn: (screenCaptureProtection: boolean) => call('settings.setDesktop', { screenCaptureProtection }),
    onSuccess: (data) => queryClient.setQueryData(['settings.getDesktop'], data),
  });
  const anchor = useMutation({ mutationFn: () => call('audit.anchor', {}) });
  if (!desktop.data) return null;
  return (
    <section className="settings-section" aria-labelledby="privacy-title">
      <h3 id="privacy-title">Privacy and tamper evidence</h3>
      <label>
        <input type="checkbox" checked={desktop.data.screenCaptureProtection} onChange={(e) => save.mutate(e.target.checked)} data-testid="capture-protection" />{' '}
        Keep the window out of screenshots, recordings and screen sharing
      </label>
      <p className="muted">
        {info.data?.transport === 'ipc' ? 'Applies on macOS and Windows; Linux desktops do not honour it.' : 'Applies to the desktop app; a browser cannot stop screen capture.'}
      </p>
      <button type="button" onClick={() => anchor.mutate()} disabled={anchor.isPending}>Anchor the audit log now</button>{' '}
      <span className="muted" data-testid="anchor-result">
        {anchor.data ? (anchor.data.anchored ? `Posted row ${anchor.data.seq} to ${anchor.data.target}.` : anchor.data.reason) : 'The head of the audit log is posted to the management room every hour.'}
      </span>
      {(save.isError || anchor.isError) && <ErrorNote error={save.error ?? anchor.error} />}
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
      <PrivacySettings />
      <CheckRuleSettings />
      <BotKeySettings />
    </section>
  );
}
