import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { call } from '../api';
import type { Verdict } from '../../../shared/contract';
import { ErrorNote } from './ErrorNote';
import { MediaPreview } from './MediaPreview';

const REASONS: Record<'confirm' | 'false_positive' | 'escalate', string[]> = {
  confirm: ['Known abuse material', 'Near-copy of banked content', 'Policy violation'],
  false_positive: ['Different picture', 'Meme or sticker', 'Low-quality or flat image', 'Benign copy of banked content'],
  escalate: ['Unsure: needs a second reviewer', 'Legal review needed'],
};

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function ItemDetail({ id, onDecided }: { id: number; onDecided: () => void }) {
  const queryClient = useQueryClient();
  const item = useQuery({ queryKey: ['queue.get', id], queryFn: () => call('queue.get', { id }) });
  const [reason, setReason] = useState('');
  const [note, setNote] = useState('');
  const decide = useMutation({
    mutationFn: (verdict: Verdict) => call('queue.decide', { id, verdict, ...(reason ? { reason } : {}), ...(note.trim() ? { note: note.trim() } : {}) }),
    onSuccess: () => {
      setReason('');
      setNote('');
      void queryClient.invalidateQueries();
      onDecided();
    },
  });

  if (item.isPending) return <p className="muted">Loading…</p>;
  if (item.isError) return <ErrorNote error={item.error} />;
  const it = item.data;
  const m = it.media;
  const decidable = it.status === 'pending' || it.status === 'escalated' || it.status === 'skipped';
  const reasons = [...REASONS.confirm, ...REASONS.false_positive, ...REASONS.escalate];

  return (
    <article className="detail" aria-label={`Queue item ${it.id}`} data-testid="item-detail" data-item-id={it.id}>
      <MediaPreview key={m.id} mediaId={m.id} label={m.fileName ?? `media ${m.id}`} />
      <div className="facts">
        <h2>{m.fileName ?? m.sourceRef}</h2>
        <p className={`status status-${it.status}`} data-testid="item-status">{it.status.replace('_', ' ')}</p>
        <h3>Matches</h3>
        <table className="table compact">
          <thead><tr><th>Matcher</th><th>Bank</th><th>Content</th><th>Signal</th><th>Distance</th></tr></thead>
          <tbody>
            {it.matches.map((match) => (
              <tr key={match.id}>
                <td>{match.matcher}</td>
                <td>{match.bankName}</td>
                <td>{match.label ?? match.contentRef}</td>
                <td>{match.signalType}</td>
                <td>{match.signalType === 'pdq' ? match.distance : 'exact'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <h3>File</h3>
        <dl className="kv">
          <dt>Type</dt><dd>{m.format ?? 'unknown'}{m.mime ? ` (${m.mime})` : ''}</dd>
          <dt>Size</dt><dd>{formatBytes(m.byteLength)}</dd>
          <dt>Dimensions</dt><dd>{m.width && m.height ? `${m.width} × ${m.height}` : '–'}</dd>
          <dt>PDQ quality</dt><dd>{m.pdqQuality ?? '–'}</dd>
          {m.exifOrientation && m.exifOrientation > 1 && (<><dt>Stored rotated</dt><dd>EXIF orientation {m.exifOrientation}</dd></>)}
          <dt>Source</dt><dd className="wrap">{m.source}: {m.sourceRef}</dd>
          <dt>SHA-256</dt><dd className="hash">{m.sha256}</dd>
          <dt>PDQ</dt><dd className="hash">{m.pdq ?? '–'}</dd>
        </dl>
        {it.decisions.length > 0 && (
          <>
            <h3>Decisions</h3>
            <ul className="decisions" data-testid="decisions">
              {it.decisions.map((d) => (
                <li key={d.id}>{new Date(d.decidedAt).toLocaleString()} — {d.reviewer}: <strong>{d.verdict.replace('_', ' ')}</strong>{d.reason ? ` (${d.reason})` : ''}{d.note ? ` — ${d.note}` : ''}</li>
              ))}
            </ul>
          </>
        )}
        {decidable && (
          <form className="decide" onSubmit={(e) => e.preventDefault()} aria-label="Decision">
            <label htmlFor="reason">Reason</label>
            <select id="reason" value={reason} onChange={(e) => setReason(e.target.value)} data-testid="reason">
              <option value="">(none)</option>
              {reasons.map((r) => <option key={r} value={r}>{r}</option>)}
            </select>
            <label htmlFor="note">Note</label>
            <input id="note" type="text" value={note} onChange={(e) => setNote(e.target.value)} maxLength={4000} data-testid="note" />
            <div className="decide-buttons">
              <button type="button" className="confirm" onClick={() => decide.mutate('confirm')} disabled={decide.isPending} data-testid="decide-confirm">Confirm match</button>
              <button type="button" className="reject" onClick={() => decide.mutate('false_positive')} disabled={decide.isPending} data-testid="decide-false-positive">False positive</button>
              <button type="button" onClick={() => decide.mutate('escalate')} disabled={decide.isPending} data-testid="decide-escalate">Escalate</button>
              <button type="button" onClick={() => decide.mutate('skip')} disabled={decide.isPending} data-testid="decide-skip">Skip</button>
            </div>
            {decide.isError && <ErrorNote error={decide.error} />}
          </form>
        )}
      </div>
    </article>
  );
}
