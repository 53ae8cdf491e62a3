import { useEffect, useRef, useState, type FormEvent } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { call } from '../api';
import type { Bank } from '../../../shared/contract';
import { ErrorNote } from './ErrorNote';
import { NumberField, parseAll, SavedNote, useDraft, type WholeRule } from './forms';
import { Modal } from './Modal';

const SEVERITY: WholeRule = { what: 'Severity', min: 0, max: 100 };
const THRESHOLD: WholeRule = { what: 'The PDQ threshold', min: 0, max: 128 };
const PAGE = 50;

export function download(fileName: string, mime: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}

function BankSettings({ bank }: { bank: Bank }) {
  const queryClient = useQueryClient();
  const draft = useDraft({ severity: String(bank.severity), threshold: String(bank.pdqThreshold), enabled: bank.enabled });
  const [errors, setErrors] = useState<{ severity?: string; threshold?: string }>({});
  const save = useMutation({
    mutationFn: (patch: { severity: number; pdqThreshold: number; enabled: boolean }) => call('banks.update', { bankName: bank.name, ...patch }),
    onSuccess: (saved) => {
      queryClient.setQueryData<Bank[]>(['banks.list'], (old) => old?.map((b) => (b.id === saved.id ? saved : b)));
      draft.markSaved();
      void queryClient.invalidateQueries({ queryKey: ['banks.list'] });
    },
  });
  const d = draft.value!;
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const checked = parseAll({ severity: { text: d.severity, rule: SEVERITY }, threshold: { text: d.threshold, rule: THRESHOLD } });
    setErrors(checked.errors);
    if (checked.values) save.mutate({ severity: checked.values.severity, pdqThreshold: checked.values.threshold, enabled: d.enabled });
  };
  return (
    <form onSubmit={onSubmit} noValidate className="settings-form" aria-label={`Settings of ${bank.name}`} data-testid="bank-settings">
      <label htmlFor="bank-severity">Severity (queue priority, 0–100)</label>
      <NumberField id="bank-severity" text={d.severity} onText={(severity) => draft.set({ ...d, severity })} rule={SEVERITY} error={errors.severity} testId="bank-severity" />
      <label htmlFor="bank-threshold">PDQ threshold (matches at this distance or closer; 31 as HMA; 0 only exact copies)</label>
      <NumberField id="bank-threshold" text={d.threshold} onText={(threshold) => draft.set({ ...d, threshold })} rule={THRESHOLD} error={errors.threshold} testId="bank-threshold" />
      <label className="check span2">
        <input type="checkbox" checked={d.enabled} onChange={(e) => draft.set({ ...d, enabled: e.target.checked })} /> Match against this bank
      </label>
      <div className="span2 actions">
        <button type="submit" className="primary" disabled={save.isPending} data-testid="bank-save">Save</button>
        {draft.dirty && <span className="muted">Not saved yet.</span>}
        <SavedNote at={draft.savedAt} testId="bank-saved" />
      </div>
      {save.isError && <ErrorNote error={save.error} />}
    </form>
  );
}

function RenameBank({ bank, onRenamed }: { bank: Bank; onRenamed: (name: string) => void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState(bank.name);
  const rename = useMutation({
    mutationFn: () => call('banks.rename', { bankName: bank.name, newName: name.trim() }),
    onSuccess: (r) => {
      void queryClient.invalidateQueries();
      onRenamed(r.bank.name);
    },
  });
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (name.trim() && name.trim() !== bank.name) rename.mutate();
      }}
    >
      <label htmlFor="bank-new-name">New name</label>
      <input id="bank-new-name" type="text" value={name} onChange={(e) => setName(e.target.value)} maxLength={100} data-testid="bank-new-name" />
      <button type="submit" disabled={!name.trim() || name.trim() === bank.name || rename.isPending} data-testid="bank-rename">Rename</button>
      {rename.isError && <ErrorNote error={rename.error} />}
    </form>
  );
}

function DeleteDialog({ bank, onCancel, onDeleted }: { bank: Bank; onCancel: () => void; onDeleted: (text: string) => void }) {
  const queryClient = useQueryClient();
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => cancelRef.current?.focus(), []);
  const remove = useMutation({
    mutationFn: () => call('banks.delete', { bankName: bank.name }),
    onSuccess: (r) => {
      queryClient.setQueryData<Bank[]>(['banks.list'], (old) => old?.filter((b) => b.name !== r.bankName));
      void queryClient.invalidateQueries();
      onDeleted(
        `Deleted the bank “${r.bankName}”: ${r.content.toLocaleString()} content items, ${r.signals.toLocaleString()} signals.` +
          (r.openItems ? ` ${r.openItems} open queue item${r.openItems === 1 ? '' : 's'} it matched stay in the queue.` : ''),
      );
    },
  });
  return (
    <Modal role="alertdialog" titleId="delete-bank-title" describedBy="delete-bank-text" testId="delete-bank-dialog" onClose={onCancel}>
      <h2 id="delete-bank-title">Delete the bank “{bank.name}”?</h2>
      <p id="delete-bank-text">
        Its {bank.contentCount.toLocaleString()} content items and {bank.signalCount.toLocaleString()} signals are deleted, and nothing matches against it any more. Items it already matched stay in the queue with their evidence. This cannot be undone: export the bank first if you may need it.
      </p>
      <div className="actions">
        <button type="button" className="danger" onClick={() => remove.mutate()} disabled={remove.isPending} data-testid="delete-bank-confirm">
          Delete the bank
        </button>
        <button ref={cancelRef} type="button" onClick={onCancel}>Cancel</button>
      </div>
      {remove.isError && <ErrorNote error={remove.error} />}
    </Modal>
  );
}

/** What a bank holds, newest first, searchable by label, note or hash. */
function BankContents({ bank }: { bank: Bank }) {
  const [typed, setTyped] = useState('');
  const [search, setSearch] = useState('');
  const [offset, setOffset] = useState(0);
  const [now] = useState(() => Date.now());
  const content = useQuery({
    queryKey: ['banks.content', bank.name, search, offset],
    queryFn: () => call('banks.content', { bankName: bank.name, ...(search ? { search } : {}), limit: PAGE, offset }),
    placeholderData: keepPreviousData,
  });
  const total = content.data?.total ?? 0;
  return (
    <section aria-labelledby="bank-contents-title" data-testid="bank-contents">
      <h4 id="bank-contents-title">Contents</h4>
      <form
        className="inline-form"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setSearch(typed.trim());
          setOffset(0);
        }}
      >
        <label htmlFor="bank-search">Search labels, notes or a hash</label>
        <input id="bank-search" type="search" value={typed} onChange={(e) => setTyped(e.target.value)} maxLength={200} data-testid="bank-search" />
        <button type="submit">Search</button>
      </form>
      {content.isError && <ErrorNote error={content.error} />}
      <p className="muted" role="status" data-testid="bank-contents-total">
        {content.data ? (total === 0 ? (search ? `Nothing in ${bank.name} matches “${search}”.` : `${bank.name} is empty.`) : `${offset + 1}–${Math.min(offset + PAGE, total)} of ${total.toLocaleString()}${search ? ` matching “${search}”` : ''}`) : 'Loading…'}
      </p>
      {content.data && content.data.items.length > 0 && (
        <div className="table-scroll">
          <table className="table compact" data-testid="bank-contents-table">
            <thead>
              <tr><th>Label</th><th>Note</th><th>Signals</th><th>Added</th><th>State</th></tr>
            </thead>
            <tbody>
              {content.data.items.map((item) => (
                <tr key={item.id}>
                  <td>{item.label ?? <span className="muted">#{item.id}</span>}</td>
                  <td>{item.note}</td>
                  <td>
                    {item.signals.map((s) => (
                      <div key={`${s.type}:${s.signal}`} className="hash">
                        {s.type} {s.signal}
                      </div>
                    ))}
                  </td>
                  <td>{new Date(item.createdAt).toLocaleDateString()}</td>
                  <td>{item.disabledUntil && item.disabledUntil > now ? `disabled until ${new Date(item.disabledUntil).toLocaleDateString()}` : 'active'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {total > PAGE && (
        <div className="actions">
          <button type="button" onClick={() => setOffset(Math.max(0, offset - PAGE))} disabled={offset === 0}>Previous {PAGE}</button>
          <button type="button" onClick={() => setOffset(offset + PAGE)} disabled={offset + PAGE >= total} data-testid="bank-contents-next">Next {PAGE}</button>
        </div>
      )}
    </section>
  );
}

/** One bank: its settings (saved explicitly), rename, delete, export, and its contents. */
export function BankPanel({ bank, onClose, onRenamed, onDeleted }: { bank: Bank; onClose: () => void; onRenamed: (name: string) => void; onDeleted: (text: string) => void }) {
  const [deleting, setDeleting] = useState(false);
  const exportBank = useMutation({
    mutationFn: (format: 'csv' | 'json') => call('banks.export', { bankName: bank.name, format }),
    onSuccess: (file) => download(file.fileName, file.mime, file.text),
  });
  return (
    <section className="bank-panel" aria-labelledby="bank-panel-title" data-testid="bank-panel">
      <div className="bank-panel-head">
        <h3 id="bank-panel-title">{bank.name}</h3>
        <span className="muted">{bank.kind === 'negative' ? 'allow-list' : 'match'} · {bank.contentCount.toLocaleString()} content · {bank.signalCount.toLocaleString()} signals</span>
        <button type="button" className="link" onClick={onClose}>Close</button>
      </div>
      <BankSettings key={bank.name} bank={bank} />
      <div className="bank-panel-tools">
        <RenameBank key={bank.name} bank={bank} onRenamed={onRenamed} />
        <div className="actions">
          <span>Export</span>
          <button type="button" onClick={() => exportBank.mutate('csv')}>CSV</button>
          <button type="button" onClick={() => exportBank.mutate('json')}>JSON</button>
          <button type="button" className="danger" onClick={() => setDeleting(true)} data-testid="bank-delete">Delete the bank…</button>
        </div>
        {exportBank.isError && <ErrorNote error={exportBank.error} />}
      </div>
      <BankContents key={bank.name} bank={bank} />
      {deleting && <DeleteDialog bank={bank} onCancel={() => setDeleting(false)} onDeleted={onDeleted} />}
    </section>
  );
}
