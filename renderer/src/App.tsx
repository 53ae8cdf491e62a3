import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { call, onAccessProblem } from './api';
import { useLiveUpdates } from './live';
import { QueueView } from './views/QueueView';
import { ImportView } from './views/ImportView';
import { BanksView } from './views/BanksView';
import { AuditView } from './views/AuditView';
import { WelcomeView } from './views/WelcomeView';
import { CountsBar } from './views/CountsBar';
import { ErrorNote } from './views/ErrorNote';
import { ActionsView } from './views/ActionsView';
import { WellbeingView } from './views/WellbeingView';
import { SettingsView } from './views/SettingsView';
import { BreakReminder, WellbeingStatus, useWellbeing } from './wellbeing';
import { ConnectionPanel, consoleStatusQuery } from './views/ConnectionPanel';
import { TeamNoAccess, TeamSignIn } from './views/TeamSignIn';
import { TeamView } from './views/TeamView';

// Charts (recharts) load only when the statistics are opened: the queue's first render stays small.
const StatsView = lazy(() => import('./views/StatsView').then((m) => ({ default: m.StatsView })));

type Tab = 'queue' | 'escalations' | 'stats' | 'actions' | 'import' | 'banks' | 'audit' | 'wellbeing' | 'team' | 'settings';
const TABS: { id: Tab; label: string; leadOnly?: boolean; teamOnly?: boolean }[] = [
  { id: 'queue', label: 'Review queue' },
  { id: 'escalations', label: 'Second review' },
  { id: 'stats', label: 'Statistics' },
  { id: 'actions', label: 'Actions' },
  { id: 'import', label: 'Import' },
  { id: 'banks', label: 'Banks', leadOnly: true },
  { id: 'audit', label: 'Audit log', leadOnly: true },
  { id: 'wellbeing', label: 'Wellbeing' },
  { id: 'team', label: 'Team', teamOnly: true },
  { id: 'settings', label: 'Settings' },
];

/** Where the console works decides what shows: this machine's console, or a team server's sign-in and access screens. */
export function App() {
  const queryClient = useQueryClient();
  const status = useQuery(consoleStatusQuery);
  useEffect(() => onAccessProblem(() => void queryClient.invalidateQueries({ queryKey: ['console.status'] })), [queryClient]);
  if (status.isPending) return <main className="app loading">Loading Matchdesk…</main>;
  if (status.isError) return <main className="app"><ErrorNote error={status.error} /></main>;
  const s = status.data;
  if (s.mode === 'team' && s.access?.state === 'no_access') return <TeamNoAccess status={s} />;
  if (s.mode === 'team' && !s.signedIn) return <TeamSignIn status={s} />;
  return <Console key={`${s.mode}:${s.serverUrl ?? ''}:${s.userId ?? ''}`} team={s.mode === 'team' ? { serverUrl: s.serverUrl ?? '' } : null} />;
}

function Console({ team }: { team: { serverUrl: string } | null }) {
  const queryClient = useQueryClient();
  const live = useLiveUpdates(queryClient);
  const info = useQuery({ queryKey: ['app.info'], queryFn: () => call('app.info', {}), staleTime: Infinity });
  const [tab, setTab] = useState<Tab>('queue');
  const [welcomeDismissed, setWelcomeDismissed] = useState(false);
  const wellbeing = useWellbeing();
  const mainRef = useRef<HTMLElement>(null);
  // Every view opens at its top, not at the scroll position the previous one was left at.
  useEffect(() => {
    window.scrollTo({ top: 0 });
    mainRef.current?.scrollTo({ top: 0 });
  }, [tab]);

  if (info.isPending) return <main className="app loading">Loading Matchdesk…</main>;
  if (info.isError) return <main className="app"><ErrorNote error={info.error} /></main>;

  const role = info.data.role ?? 'lead';
  const lead = role === 'lead';
  const tabs = TABS.filter((t) => (!t.leadOnly || lead) && (!t.teamOnly || team));
  const showWelcome = info.data.firstRun && !welcomeDismissed && lead;
  return (
    <div className="app">
      <a className="skip-link" href="#main-content">Skip to content</a>
      <header className="topbar">
        <h1>Matchdesk</h1>
        <nav aria-label="Main">
          {tabs.map((t) => (
            <button key={t.id} type="button" className={t.id === tab ? 'tab active' : 'tab'} aria-current={t.id === tab ? 'page' : undefined} onClick={() => { setWelcomeDismissed(true); setTab(t.id); }}>
              {t.label}
            </button>
          ))}
        </nav>
        <span className="who" title={team ? `Team server: ${team.serverUrl}` : `Data: ${info.data.dataDir}`} data-testid="who">
          {info.data.reviewer} · {info.data.transport === 'ipc' ? 'desktop' : 'browser shell'}
          {team ? ` · team server (${role})` : ''}
          {team && (
            <span className={live ? 'pill pill-live' : 'pill pill-held'} data-testid="live-state" data-live={live ? 'yes' : 'no'} title={live ? 'Changes by the team show at once' : 'Reconnecting to the team server…'}>
              {live ? 'live' : 'reconnecting'}
            </span>
          )}
        </span>
      </header>
      <section className="status-region" aria-label="Status">
        <div className="statusbar">
          <CountsBar />
          <WellbeingStatus />
        </div>
        {!team && info.data.secretsProtection === 'file-0600' && (
          <p className="warning" role="note">
            Browser shell: secrets (HMA keys, Matrix tokens) are stored in a file readable only by your user (mode 0600), not in the OS keychain. Use the desktop app on shared machines.
          </p>
        )}
        <BreakReminder />
      </section>
      <main className={tab === 'queue' || tab === 'escalations' ? 'content content-queue' : 'content'} id="main-content" tabIndex={-1} ref={mainRef}>
        {wellbeing.onBreak ? null : showWelcome ? (
          <WelcomeView onDone={(next) => { setWelcomeDismissed(true); setTab(next); }} />
        ) : tab === 'queue' || tab === 'escalations' ? (
          <QueueView key={tab} mode={tab} reviewer={info.data.reviewer} />
        ) : tab === 'stats' ? (
          <Suspense fallback={<p className="muted">Loading charts…</p>}>
            <StatsView />
          </Suspense>
        ) : tab === 'actions' ? (
          <ActionsView />
        ) : tab === 'import' ? (
          <ImportView transport={info.data.transport} />
        ) : tab === 'banks' && lead ? (
          <BanksView />
        ) : tab === 'wellbeing' ? (
          <WellbeingView />
        ) : tab === 'team' && team ? (
          <TeamView role={role} me={info.data.reviewer} />
        ) : tab === 'settings' ? (
          <div className="settings">
            {lead ? <SettingsView /> : <h2>Settings</h2>}
            <ConnectionPanel />
          </div>
        ) : tab === 'audit' && lead ? (
          <AuditView />
        ) : null}
      </main>
    </div>
  );
}
