import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { call } from './api';
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

// Charts (recharts) load only when the statistics are opened: the queue's first render stays small.
const StatsView = lazy(() => import('./views/StatsView').then((m) => ({ default: m.StatsView })));

type Tab = 'queue' | 'escalations' | 'stats' | 'actions' | 'import' | 'banks' | 'audit' | 'wellbeing' | 'settings';
const TABS: { id: Tab; label: string }[] = [
  { id: 'queue', label: 'Review queue' },
  { id: 'escalations', label: 'Second review' },
  { id: 'stats', label: 'Statistics' },
  { id: 'actions', label: 'Actions' },
  { id: 'import', label: 'Import' },
  { id: 'banks', label: 'Banks' },
  { id: 'audit', label: 'Audit log' },
  { id: 'wellbeing', label: 'Wellbeing' },
  { id: 'settings', label: 'Settings' },
];

export function App() {
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

  const showWelcome = info.data.firstRun && !welcomeDismissed;
  return (
    <div className="app">
      <a className="skip-link" href="#main-content">Skip to content</a>
      <header className="topbar">
        <h1>Matchdesk</h1>
        <nav aria-label="Main">
          {TABS.map((t) => (
            <button key={t.id} type="button" className={t.id === tab ? 'tab active' : 'tab'} aria-current={t.id === tab ? 'page' : undefined} onClick={() => { setWelcomeDismissed(true); setTab(t.id); }}>
              {t.label}
            </button>
          ))}
        </nav>
        <span className="who" title={`Data: ${info.data.dataDir}`}>
          {info.data.reviewer} · {info.data.transport === 'ipc' ? 'desktop' : 'browser shell'}
        </span>
      </header>
      <section className="status-region" aria-label="Status">
        <div className="statusbar">
          <CountsBar />
          <WellbeingStatus />
        </div>
        {info.data.secretsProtection === 'file-0600' && (
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
        ) : tab === 'banks' ? (
          <BanksView />
        ) : tab === 'wellbeing' ? (
          <WellbeingView />
        ) : tab === 'settings' ? (
          <SettingsView />
        ) : (
          <AuditView />
        )}
      </main>
    </div>
  );
}
