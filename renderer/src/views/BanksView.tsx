import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { call, transport, uploadBankImport } from '../api';
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

function formatBytes(n: number): string {
  return n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GB` : n >= 1024 ** 2 ? `${(n / 1024 ** 2).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
}

function ImportJobs() {
  const queryClient = useQueryClient();
  // No polling: the host pushes each import's start, its progress (about once a second) and its end (live.ts).
  const jobs = useQuery({ queryKey: ['banks.importJobs'], queryFn: () => call('banks.importJobs', {}) });
  const cancel = useMutation({
    mutationFn: (jobId: string) => call('banks.cancelImport', { jobId }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['banks.importJobs'] }),
  });
  const finished = jobs.data?.filter((j) => j.state !== 'running').length ?? 0;
  const merged = jobs.data?.reduce((n, j) => n + (j.state === 'running' ? j.merged : 0), 0) ?? 0;
  const lastFinished = useRef(finished);
  const lastRefresh = useRef(0);
  useEffect(() => {
    // Bank counts follow a running import every few seconds (counting millions of rows is not free), and once more
    // when it ends.
    const now = Date.now();
    if (finished === lastFinished.current && (merged === 0 || now - lastRefresh.current < 5_000)) return;
    lastFinished.current = finished;
    lastRefresh.current = now;
    void queryClient.invalidateQueries({ queryKey: ['banks.list'] });
  }, [finished, merged, queryClient]);
  if (!jobs.data?.length) return null;
  return (
    <ul className="jobs" aria-label="Bank imports">
      {jobs.data.map((job) => {
        // Reading the file is the first half of the bar, adding its rows to the bank the second.
        const readPart = job.bytesTotal ? job.bytesRead / job.bytesTotal : 1;
        const addPart = job.phase === 'reading' ? 0 : job.staged ? job.merged / job.staged : 1;
        const pct = job.state === 'done' ? 100 : Math.floor(50 * readPart + 50 * addPart);
        const status =
          job.state !== 'running'
            ? job.state
            : job.phase === 'reading'
              ? `reading ${formatBytes(job.bytesRead)} of ${formatBytes(job.bytesTotal)}: ${job.total.toLocaleString()} rows`
              : `adding ${job.merged.toLocaleString()} of ${job.staged.toLocaleString()} rows`;
        return (
          <li key={job.id} className={`job job-${job.state}`} data-testid="bank-import-job" data-state={job.state}>
            <div className="job-head">
              <span>
                {job.bankName} ← {job.fileName} ({job.format.toUpperCase()})
              </span>
              <span data-testid="bank-import-status">{status}</span>
            </div>
            <progress max={100} value={pct} aria-label={`Bank import progress ${pct}%`} />
            <div className="job-stats">
              {job.total.toLocaleString()} rows read · {job.added.toLocaleString()} signals added · {job.duplicates.toLocaleString()} already there ·{' '}
              {job.rejectedCount.toLocaleString()} rejected
              {job.error && <span className="bad"> — {job.error}</span>}
              {job.state === 'running' && (
                <>
                  {' '}
                  <button type="button" onClick={() => cancel.mutate(job.id)} disabled={cancel.isPending}>
                    Stop (keeps what was added)
                  </button>
                </>
              )}
            </div>
            {job.rejected.length > 0 && (
              <details>
                <summary>Rejected rows{job.rejectedCount > job.rejected.length ? ` (first ${job.rejected.length} of ${job.rejectedCount.toLocaleString()})` : ''}</summary>
                <ul className="job-errors" data-testid="bank-import-rejected">
                  {job.rejected.map((r, i) => (
                    <li key={i}>
                      {r.line ? `line ${r.line}: ` : ''}
                      {r.message}
                    </li>
                  ))}
                </ul>
              </details>
            )}
          </li>
        );
      })}
      {cancel.isError && <ErrorNote error={cancel.error} />}
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
  const [path, setPath] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const newBankKind = negative ? ('negative' as const) : ('positive' as const);
  const onImportStarted = () => {
    setFile(null);
    setPath(null);
    if (fileInput.current) fileInput.current.value = '';
    void queryClient.invalidateQueries({ queryKey: ['banks.importJobs'] });
    void queryClient.invalidateQueries({ queryKey: ['banks.list'] });
  };
  // Browser shell: the file streams to the server, which checks it before creating anything.
  const importFile = useMutation({
    mutationFn: (f: File) => uploadBankImport(f, { bankName: bankName.trim(), newBankKind }),
    onSuccess: onImportStarted,
  });
  // Desktop: the main process reads the file chosen in the native dialog.
  const pickFile = useMutation({
    mutationFn: () => call('banks.pickImportFile', {}),
    onSuccess: (picked) => setPath(picked.path),
  });
  const importPath = useMutation({
    mutationFn: (p: string) => call('banks.startImport', { bankName: bankName.trim(), path: p, newBankKind }),
    onSuccess: onImportStarted,
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (path) importPath.mutate(path);
    else if (file) importFile.mutate(file);
    else importCsv.mutate();
  };
  const desktop = transport.kind === 'ipc';
  const busy = importCsv.isPending || importFile.isPending || importPath.isPending;

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
        {desktop ? (
          <>
            <span>File (imported in the background, any size)</span>
            <span>
              <button type="button" onClick={() => pickFile.mutate()} data-testid="bank-pick-file">
                Choose a file…
              </button>{' '}
              <span data-testid="bank-picked-file">{path ?? 'no file chosen'}</span>
            </span>
          </>
        ) : (
          <>
            <label htmlFor="bank-csv-file">File (imported in the background, any size)</label>
            <input
              id="bank-csv-file"
              ref={fileInput}
              type="file"
              accept=".csv,text/csv,.json,application/json"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
              data-testid="bank-file"
            />
          </>
        )}
        <label htmlFor="bank-csv">or paste CSV</label>
        <textarea id="bank-csv" rows={6} value={csv} onChange={(e) => setCsv(e.target.value)} spellCheck={false} data-testid="bank-csv" disabled={file !== null || path !== null} />
        <button type="submit" disabled={!bankName.trim() || (!csv.trim() && !file && !path) || busy} data-testid="import-csv">
          Import
        </button>
      </form>
      <p className="muted">A file is checked before anything is created: a binary file, a wrong header or rows that are mostly not signals are refused, with the first bad lines shown.</p>
      {[createBank, importCsv, importFile, pickFile, importPath].map((m, i) => (m.isError ? <ErrorNote key={i} error={m.error} /> : null))}
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
