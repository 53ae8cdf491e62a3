import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { call } from '../api';
import { ErrorNote } from './ErrorNote';

export function BanksView() {
  const queryClient = useQueryClient();
  const banks = useQuery({ queryKey: ['banks.list'], queryFn: () => call('banks.list', {}) });
  const [bankName, setBankName] = useState('');
  const [csv, setCsv] = useState('');
  const importCsv = useMutation({
    mutationFn: () => call('banks.importCsv', { bankName: bankName.trim(), csv }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['banks.list'] }),
  });
  const onFile = async (file: File | undefined) => {
    if (file) setCsv(await file.text());
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    importCsv.mutate();
  };

  return (
    <section aria-labelledby="banks-title">
      <h2 id="banks-title">Local banks</h2>
      {banks.isError && <ErrorNote error={banks.error} />}
      <table className="table" data-testid="banks-table">
        <thead>
          <tr><th>Name</th><th>Kind</th><th>Severity</th><th>PDQ threshold</th><th>Content</th><th>Signals</th></tr>
        </thead>
        <tbody>
          {banks.data?.map((b) => (
            <tr key={b.id}>
              <td>{b.name}</td><td>{b.kind === 'negative' ? 'allow-list' : 'match'}</td><td>{b.severity}</td><td>≤ {b.pdqThreshold}</td><td>{b.contentCount}</td><td>{b.signalCount}</td>
            </tr>
          ))}
          {banks.data?.length === 0 && (
            <tr><td colSpan={6} className="muted">No banks yet.</td></tr>
          )}
        </tbody>
      </table>

      <h3>Import a CSV</h3>
      <form onSubmit={onSubmit} className="csv-form">
        <p className="muted">Columns: <code>signal_type,signal,label</code> — signal types pdq, md5, video_md5, sha256.</p>
        <label htmlFor="bank-name">Bank</label>
        <input id="bank-name" type="text" value={bankName} onChange={(e) => setBankName(e.target.value)} list="bank-names" autoComplete="off" data-testid="bank-name" />
        <datalist id="bank-names">{banks.data?.map((b) => <option key={b.id} value={b.name} />)}</datalist>
        <label htmlFor="bank-csv-file">CSV file</label>
        <input id="bank-csv-file" type="file" accept=".csv,text/csv" onChange={(e) => void onFile(e.target.files?.[0])} />
        <label htmlFor="bank-csv">or paste</label>
        <textarea id="bank-csv" rows={6} value={csv} onChange={(e) => setCsv(e.target.value)} spellCheck={false} data-testid="bank-csv" />
        <button type="submit" disabled={!bankName.trim() || !csv.trim() || importCsv.isPending} data-testid="import-csv">Import</button>
      </form>
      {importCsv.isError && <ErrorNote error={importCsv.error} />}
      {importCsv.data && (
        <p role="status" data-testid="csv-result">
          Added {importCsv.data.added} signals to {importCsv.data.bank.name}; {importCsv.data.duplicates} already there; {importCsv.data.rejected.length} rows rejected.
          {importCsv.data.rejected.length > 0 && (
            <span> First problem: line {importCsv.data.rejected[0]!.line}: {importCsv.data.rejected[0]!.message}</span>
          )}
        </p>
      )}
    </section>
  );
}
