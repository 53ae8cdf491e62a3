import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { call } from './api';
import { QueueView } from './views/QueueView';
import { ImportView } from './views/ImportView';
import { BanksView } from './views/BanksView';
import { AuditView } from './views/AuditView';
import { WelcomeView } from './views/WelcomeView';
import { CountsBar } from './views/CountsBar';
import { ErrorNote } from './views/ErrorNote';

type Tab = 'queue' | 'import' | 'banks' | 'audit';
const TABS: { id: Tab; label: string }[] = [
  { id: 'queue', label: 'Review queue' },
  { id: 'import', label: 'Import' },
  { id: 'banks', label: 'Banks' },
  { id: 'audit', label: 'Audit log' },
];

export function App() {
  const info = useQuery({ queryKey: ['app.info'], queryFn: () => call('app.info', {}) });
  const [tab, setTab] = useState<Tab>('queue');
  const [welcomeDismissed, setWelcomeDismissed] = useState(false);

  if (info.isPending) return <main className="app loading">Loading Matchdesk…</main>;
  if (info.isError) return <main className="app"><ErrorNote error={info.error} /></main>;

  const showWelcome = info.data.firstRun && !welcomeDismissed;
  return (
    <div className="app">
      <header className="topbar">
        <h1>Matchdesk</h1>
        <nav aria-label="Main">
          {TABS.map((t) => (
            <button key={t.id} type="button" className={t.id === tab ? 'tab active' : 'tab'} aria-current={t.id === tab ? 'page' : undefined} onClick={() => setTab(t.id)}>
              {t.label}
            </button>
          ))}
        </nav>
        <CountsBar />
        <span className="who" title={`Data: ${info.data.dataDir}`}>
          {info.data.reviewer} · {info.data.transport === 'ipc' ? 'desktop' : 'browser shell'}
        </span>
      </header>
      {info.data.secretsProtection === 'file-0600' && (
        <p className="warning" role="note">
          Browser shell: secrets (HMA keys, Matrix tokens) are stored in a file readable only by your user (mode 0600), not in the OS keychain. Use the desktop app on shared machines.
        </p>
      )}
      <main className="content">
        {showWelcome ? (
          <WelcomeView onDone={(next) => { setWelcomeDismissed(true); setTab(next); }} />
        ) : tab === 'queue' ? (
          <QueueView />
        ) : tab === 'import' ? (
          <ImportView transport={info.data.transport} />
        ) : tab === 'banks' ? (
          <BanksView />
        ) : (
          <AuditView />
        )}
      </main>
    </div>
  );
}
