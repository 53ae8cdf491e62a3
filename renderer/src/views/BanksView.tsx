import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { call } from '../api';
import type { Bank } from '../../../shared/contract';
import { ErrorNote } from './ErrorNote';
import { BankPanel } from './BankPanel';
import { useToasts } from './Toasts';

function BankRow({ bank, selected, onManage }: { bank: Bank; selected: boolean; onManage: () => void }) {
  return (
    <tr className={selected ? 'selected' : undefined} data-testid="bank-row" data-bank={bank.name}>
      <td>{bank.name}</td>
      <td>{bank.kind === 'negative' ? 'allow-list' : 'match'}</td>
      <td>{bank.severity}</td>
      <td>≤ {bank.pdqThreshold}</td>
      <td>{bank.contentCount.toLocaleString()}</td>
      <td>{bank.signalCount.toLocaleString()}</td>
      <td>{bank.enabled ? 'on' : 'off'}</td>
      <td>
        <button type="button" onClick={onManage} aria-expanded={selected} aria-label={`Manage ${bank.name}`} data-testid="bank-manage">
          Manage
        </button>
      </td>
    </tr>
  );
}

function ImportJobs() {
  const queryClient = useQueryClient();
  const jobs = useQuery({
    queryKey: ['banks.importJobs'],
    queryFn: () => call('banks.importJobs', {}),
    refetchInterval: (q) => (q.state.data?.some((j) => j.state === 'running') ? 300 : 5_000),
  });
  const finished = jobs.data?.filter((j) => j.state !== 'running').length ?? 0;
  const lastFinished = useRef(finished);
  useEffect(() => {
    if (finished === lastFinished.current) return;
    lastFinished.current = finished;
    void queryClient.invalidateQueries({ queryKey: ['banks.list'] });
  }, [finished, queryClient]);
  if (!jobs.data?.length) return null;
  return (
    <ul className="jobs" aria-label="Bank imports">
      {jobs.data.map((job) => {
        const pct = job.total ? Math.round((job.processed / job.total) * 100) : job.state === 'running' ? 0 : 100;
        return (
          <li key={job.id} className={`job job-${job.state}`} data-testid="bank-import-job" data-state={job.state}>
            <div className="job-head">
              <span>{job.bankName} ({job.format.toUpperCase()})</span>
              <span>{job.state === 'running' ? `${job.processed.toLocaleString()} / ${job.total.toLocaleString()}` : job.state}</span>
            </div>
            <progress max={100} value={pct} aria-label={`Bank import progress ${pct}%`} />
            <div className="job-stats">
              {job.added.toLocaleString()} signals added · {job.duplicates.toLocaleString()} already there · {job.rejected.length} rejected
              {job.error && <span className="bad"> — {job.error}</span>}
            </div>
            {job.rejected.length > 0 && (
              <details>
                <summary>Rejected rows</summary>
                <ul className="job-errors">{job.rejected.map((r, i) => <li key={i}>{r.line ? `line ${r.line}: ` : ''}{r.message}</li>)}</ul>
              </details>
            )}
          </li>
        );
      })}
    </ul>
  );
}

export function BanksView() {
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const banks = useQuery({ queryKey: ['banks.list'], queryFn: () => call('banks.list', {}) });
  const [managed, setManaged] = useState<string | null>(null);
  const managedBank = banks.data?.find((b) => b.name === managed) ?? null;
  const [bankName, setBankName] = useState('');
  const [csv, setCsv] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [negative, setNegative] = useState(false);
  const createBank = useMutation({
    mutationFn: () => call('banks.create', { name: bankName.trim(), kind: negative ? 'negative' : 'positive' }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['banks.list'] }),
  });
  const importCsv = useMutation({
    mutationFn: () => call('banks.importCsv', { bankName: bankName.trim(), csv }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['banks.list'] }),
  });
  const importFile = useMutation({
    mutationFn: async (f: File) => {
      const format = f.name.toLowerCase().endsWith('.json') ? ('json' as const) : ('csv' as const);
      return call('banks.startImport', { bankName: bankName.trim(), format, text: await f.text() });
    },
    onSuccess: () => {
      setFile(null);
      void queryClient.invalidateQueries({ queryKey: ['banks.importJobs'] });
    },
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (file) importFile.mutate(file);
    else importCsv.mutate();
  };

  return (
    <section aria-labelledby="banks-title">
      <h2 id="banks-title">Local banks</h2>
      {banks.isError && <ErrorNote error={banks.error} />}
      <table className="table" data-testid="banks-table">
        <thead>
          <tr><th>Name</th><th>Kind</th><th>Severity</th><th>PDQ threshold</th><th>Content</th><th>Signals</th><th>Matching</th><th><span className="sr-only">Manage</span></th></tr>
        </thead>
        <tbody>
          {banks.data?.map((b) => <BankRow key={b.id} bank={b} selected={b.name === managed} onManage={() => setManaged(b.name === managed ? null : b.name)} />)}
          {banks.data?.length === 0 && (
            <tr><td colSpan={8} className="muted">No banks yet.</td></tr>
          )}
        </tbody>
      </table>
      <p className="muted">An allow-list bank suppresses matches of its hashes from every matcher, HMA included: use it for known false positives such as memes and sticker packs.</p>
      {managedBank && (
        <BankPanel
          bank={managedBank}
          onClose={() => setManaged(null)}
          onRenamed={(name) => {
            setManaged(name);
            toasts.show(`Renamed to “${name}”.`);
          }}
          onDeleted={(text) => {
            setManaged(null);
            toasts.show(text);
          }}
        />
      )}

      <h3>Add to a bank</h3>
      <form onSubmit={onSubmit} className="csv-form">
        <p className="muted">CSV columns: <code>signal_type,signal,label</code> — signal types pdq, md5, video_md5, sha256. Or a Matchdesk JSON export.</p>
        <label htmlFor="bank-name">Bank</label>
        <input id="bank-name" type="text" value={bankName} onChange={(e) => setBankName(e.target.value)} list="bank-names" autoComplete="off" data-testid="bank-name" />
        <datalist id="bank-names">{banks.data?.map((b) => <option key={b.id} value={b.name} />)}</datalist>
        <span />
        <label className="check">
          <input type="checkbox" checked={negative} onChange={(e) => setNegative(e.target.checked)} /> a new bank is an allow-list
          <button type="button" onClick={() => createBank.mutate()} disabled={!bankName.trim() || createBank.isPending}>Create empty bank</button>
        </label>
        <label htmlFor="bank-csv-file">File (imported in the background)</label>
        <input id="bank-csv-file" type="file" accept=".csv,text/csv,.json,application/json" onChange={(e) => setFile(e.target.files?.[0] ?? null)} data-testid="bank-file" />
        <label htmlFor="bank-csv">or paste CSV</label>
        <textarea id="bank-csv" rows={6} value={csv} onChange={(e) => setCsv(e.target.value)} spellCheck={false} data-testid="bank-csv" disabled={file !== null} />
        <button type="submit" disabled={!bankName.trim() || (!csv.trim() && !file) || importCsv.isPending || importFile.isPending} data-testid="import-csv">Import</button>
      </form>
      {[createBank, importCsv, importFile].map((m, i) => (m.isError ? <ErrorNote key={i} error={m.error} /> : null))}
      {importCsv.data && (
        <p role="status" data-testid="csv-result">
          Added {importCsv.data.added} signals to {importCsv.data.bank.name}; {importCsv.data.duplicates} already there; {importCsv.data.rejected.length} rows rejected.
          {importCsv.data.rejected.length > 0 && (
            <span> First problem: line {importCsv.data.rejected[0]!.line}: {importCsv.data.rejected[0]!.message}</span>
          )}
        </p>
      )}
      <ImportJobs />
    </section>
  );
}
