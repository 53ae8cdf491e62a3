import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Claim, ExtraActions, QueueItem, Verdict } from '../../../shared/contract';
import { call } from '../api';
import { ALL_REASONS, REASONS, VERDICT_LABEL, formatAge, formatBytes } from '../queue/reasons';
import { ErrorNote } from './ErrorNote';
import { MediaPreview } from './MediaPreview';

export function itemQuery(id: number) {
  return { queryKey: ['queue.get', id] as const, queryFn: () => call('queue.get', { id }), staleTime: 10_000 };
}

export type ClaimState = { kind: 'mine'; claim: Claim } | { kind: 'other'; claim: Claim } | { kind: 'unknown' };

interface MatrixContext {
  server?: string;
  mediaId?: string;
  roomId?: string;
  roomName?: string;
  eventId?: string;
  sender?: string;
  originServerTs?: number;
  matrixToLink?: string;
}

export interface ItemDetailProps {
  id: number;
  placeholder: QueueItem | undefined;
  revealed: boolean;
  quiet: boolean;
  onToggleReveal: () => void;
  onDecide: (verdict: Verdict) => void;
  onUndo: (decisionId: number, queueItemId: number) => void;
  reason: string;
  setReason: (reason: string) => void;
  note: string;
  setNote: (note: string) => void;
  /** Wider Matrix actions for a confirm, asked for on this decision only. */
  extraActions: ExtraActions;
  setExtraActions: (extra: ExtraActions) => void;
  claim: ClaimState;
  /** The verdict this window just gave (before the store confirms it). */
  pendingVerdict: Verdict | undefined;
  noteRef: React.RefObject<HTMLInputElement | null>;
  reviewer: string;
  now: number;
}

const DECIDABLE = new Set(['pending', 'escalated', 'skipped']);

export function ItemDetail({ id, placeholder, claim, pendingVerdict, revealed, quiet, onToggleReveal, onDecide, onUndo, reason, setReason, note, setNote, extraActions, setExtraActions, noteRef, reviewer, now }: ItemDetailProps) {
  const queryClient = useQueryClient();
  const item = useQuery({ ...itemQuery(id), placeholderData: placeholder ? { ...placeholder, decisions: [], actions: [] } : undefined });
  const retry = useMutation({
    mutationFn: (actionId: number) => call('actions.retry', { id: actionId }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['queue.get', id] }),
  });

  if (item.isPending) return <p className="muted">Loading…</p>;
  if (item.isError) return <ErrorNote error={item.error} />;
  const it = item.data;
  const full = !item.isPlaceholderData;
  const m = it.media;
  const matrix = (m.context.matrix ?? null) as MatrixContext | null;
  const status = it.status;
  const decidable = DECIDABLE.has(status) && !pendingVerdict;
  const heldByOther = claim.kind === 'other';
  const latest = [...it.decisions].reverse().find((d) => d.undoneAt === null);
  const myEscalation = status === 'escalated' && latest?.verdict === 'escalate' && latest.reviewer === reviewer;
  const name = m.fileName ?? m.sourceRef;
  const evidence = new Map((('evidence' in it ? it.evidence : undefined) ?? []).map((e) => [e.matchId, e]));
  const history = ('history' in it ? it.history : undefined) ?? [];

  return (
    <article className="detail" aria-labelledby="item-title" data-testid="item-detail" data-item-id={it.id} data-status={status}>
      <div className="decide-bar" role="group" aria-label="Decision">
        <div className="decide-head">
          <h2 id="item-title" title={name}>
            <span className="sr-only">Item {it.id}: </span>
            {name}
          </h2>
          <span className={`status status-${pendingVerdict ? 'pending-save' : status}`} data-testid="item-status">
            {pendingVerdict ? `${VERDICT_LABEL[pendingVerdict]} (saving…)` : status.replace('_', ' ')}
          </span>
          <ClaimBadge claim={claim} />
        </div>
        {heldByOther && (
          <p className="warning-inline" role="alert" data-testid="claim-conflict">
            {claim.claim.reviewer === reviewer ? 'This item is open in another window of yours.' : `${claim.claim.reviewer} is reviewing this item.`} Decisions are disabled here until the lease ends ({new Date(claim.claim.expiresAt).toLocaleTimeString()}).
          </p>
        )}
        {myEscalation && <p className="muted">You escalated this item: a second reviewer should decide it. Both decisions are kept.</p>}
        {DECIDABLE.has(status) ? (
          <form className="decide" onSubmit={(e) => e.preventDefault()}>
            <label htmlFor="reason">Reason</label>
            <select id="reason" value={reason} onChange={(e) => setReason(e.target.value)} data-testid="reason" aria-keyshortcuts="1 2 3 4 5 6 7 8 9">
              <option value="">(none)</option>
              {REASONS.map((g) => (
                <optgroup key={g.verdict} label={g.label}>
                  {g.reasons.map((r) => (
                    <option key={r} value={r}>{`${ALL_REASONS.indexOf(r) + 1} · ${r}`}</option>
                  ))}
                </optgroup>
              ))}
            </select>
            <label htmlFor="note">Note</label>
            <input id="note" ref={noteRef} type="text" value={note} onChange={(e) => setNote(e.target.value)} maxLength={4000} data-testid="note" aria-keyshortcuts="n" placeholder="Optional (n)" />
            <div className="decide-buttons">
              <button type="button" className="confirm" onClick={() => onDecide('confirm')} disabled={!decidable || heldByOther} data-testid="decide-confirm" aria-keyshortcuts="c">
                Confirm match <kbd>c</kbd>
              </button>
              <button type="button" className="reject" onClick={() => onDecide('false_positive')} disabled={!decidable || heldByOther} data-testid="decide-false-positive" aria-keyshortcuts="f">
                False positive <kbd>f</kbd>
              </button>
              <button type="button" onClick={() => onDecide('escalate')} disabled={!decidable || heldByOther || status === 'escalated'} data-testid="decide-escalate" aria-keyshortcuts="e">
                Escalate <kbd>e</kbd>
              </button>
              <button type="button" onClick={() => onDecide('skip')} disabled={!decidable || heldByOther} data-testid="decide-skip" aria-keyshortcuts="s">
                Skip <kbd>s</kbd>
              </button>
            </div>
            {matrix && (
              <details className="extra-actions">
                <summary>
                  If confirmed, also…
                  {Object.values(extraActions).some(Boolean) && <strong> ({Object.values(extraActions).filter(Boolean).length} chosen)</strong>}
                </summary>
                {(
                  [
                    ['quarantineSenderMedia', `quarantine all media of ${matrix.sender ?? 'the sender'}`],
                    ['quarantineRoomMedia', `quarantine all media in ${matrix.roomName ?? matrix.roomId ?? 'the room'}`],
                    ['redactSenderEvents', `redact all events of ${matrix.sender ?? 'the sender'}`],
                  ] as const
                ).map(([key, label]) => (
                  <label key={key} className="check">
                    <input type="checkbox" checked={Boolean(extraActions[key])} onChange={(e) => setExtraActions({ ...extraActions, [key]: e.target.checked })} data-testid={`extra-${key}`} />
                    {label}
                  </label>
                ))}
              </details>
            )}
          </form>
        ) : (
          <p className="muted decided-note">
            Decided{latest ? ` by ${latest.reviewer}` : ''}.{' '}
            {latest && (
              <button type="button" onClick={() => onUndo(latest.id, it.id)} data-testid="undo-decision">
                Undo this decision
              </button>
            )}
          </p>
        )}
      </div>

      <div className="detail-body">
        <MediaPreview mediaId={m.id} mime={m.mime} label={name} revealed={revealed} quiet={quiet} onToggleReveal={onToggleReveal} />

        <div className="facts">
          <section aria-labelledby="evidence-title">
            <h3 id="evidence-title">Match evidence</h3>
            <div className="table-scroll">
              <table className="table compact" data-testid="evidence">
                <thead>
                  <tr><th>Bank</th><th><abbr title="Bank severity (0–100)">Sev.</abbr></th><th>Content</th><th>Signal</th><th><abbr title="PDQ distance">Dist.</abbr></th><th>Variant</th></tr>
                </thead>
                <tbody>
                  {it.matches.map((match) => {
                    const ev = evidence.get(match.id);
                    const meta = ev ? Object.entries(ev.contentMetadata) : [];
                    return (
                      <tr key={match.id}>
                        <td>
                          {match.bankName}
                          <div className="muted small">{match.matcher === 'hma' ? 'HMA' : 'local bank'}</div>
                        </td>
                        <td>{ev?.bankSeverity ?? match.severity ?? '–'}</td>
                        <td>
                          <span>{match.label ?? `#${match.contentRef}`}</span>
                          {match.label && <span className="muted"> (#{match.contentRef})</span>}
                          {ev?.contentNote && <div className="muted">{ev.contentNote}</div>}
                          {meta.length > 0 && <div className="muted small">{meta.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' · ')}</div>}
                        </td>
                        <td>
                          {match.signalType}
                          {match.signal && <div className="muted small hash" title={`The bank's matched signal: ${match.signal}`} data-testid="matched-signal">{match.signal.length > 16 ? `${match.signal.slice(0, 16)}…` : match.signal}</div>}
                        </td>
                        <td>{match.signalType === 'pdq' ? match.distance : 'exact'}</td>
                        <td>{match.variant ?? (match.signalType === 'pdq' ? 'original' : '–')}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          </section>

          {matrix && (
            <section aria-labelledby="matrix-title">
              <h3 id="matrix-title">Matrix</h3>
              <dl className="kv" data-testid="matrix-context">
                <dt>Room</dt>
                <dd className="wrap">{matrix.roomName ? `${matrix.roomName} (${matrix.roomId})` : (matrix.roomId ?? '–')}</dd>
                <dt>Sender</dt>
                <dd className="wrap">{matrix.sender ?? '–'}</dd>
                <dt>Sent</dt>
                <dd>{matrix.originServerTs ? new Date(matrix.originServerTs).toLocaleString() : '–'}</dd>
                <dt>Source</dt>
                <dd>{m.source === 'matrix_report' ? 'Reported by a user' : m.source === 'matrix_live' ? 'Seen live in the room' : m.source}</dd>
                <dt>Media</dt>
                <dd className="wrap hash">{matrix.server && matrix.mediaId ? `mxc://${matrix.server}/${matrix.mediaId}` : '–'}</dd>
                {matrix.matrixToLink && (
                  <>
                    <dt>Link</dt>
                    <dd>
                      <a href={matrix.matrixToLink} target="_blank" rel="noreferrer noopener">Open the event (matrix.to)</a>
                    </dd>
                  </>
                )}
              </dl>
            </section>
          )}

          <section aria-labelledby="file-title">
            <h3 id="file-title">File</h3>
            <dl className="kv">
              <dt>Type</dt><dd>{m.format ?? 'unknown'}{m.mime ? ` (${m.mime})` : ''}</dd>
              <dt>Size</dt><dd>{formatBytes(m.byteLength)}</dd>
              <dt>Dimensions</dt><dd>{m.width && m.height ? `${m.width} × ${m.height}` : '–'}</dd>
              <dt>PDQ quality</dt><dd>{m.pdqQuality ?? '–'}{m.pdqQuality !== null && m.pdqQuality < 50 ? ' (low: near matches are less reliable)' : ''}</dd>
              <dt>EXIF rotation</dt><dd>{m.exifOrientation && m.exifOrientation > 1 ? `orientation ${m.exifOrientation} (stored rotated)` : 'none'}</dd>
              <dt>Waiting</dt><dd>{formatAge(now - it.createdAt)}</dd>
              {!matrix && (<><dt>Source</dt><dd className="wrap">{m.source}: {m.sourceRef}</dd></>)}
              <dt>SHA-256</dt><dd className="hash">{m.sha256}</dd>
              <dt>MD5</dt><dd className="hash">{m.md5}</dd>
              <dt>PDQ</dt><dd className="hash">{m.pdq ?? '–'}</dd>
            </dl>
          </section>

          {it.decisions.length > 0 && (
            <section aria-labelledby="decisions-title">
              <h3 id="decisions-title">Decisions on this item</h3>
              <ul className="decisions" data-testid="decisions">
                {it.decisions.map((d) => (
                  <li key={d.id} className={d.undoneAt ? 'undone' : undefined}>
                    {new Date(d.decidedAt).toLocaleString()} — {d.reviewer}: <strong>{d.verdict.replace('_', ' ')}</strong>{d.reason ? ` (${d.reason})` : ''}{d.note ? ` — ${d.note}` : ''}
                    {d.undoneAt ? ` (undone by ${d.undoneBy ?? '?'})` : ''}
                  </li>
                ))}
              </ul>
            </section>
          )}

          {it.actions.length > 0 && (
            <section aria-labelledby="actions-title">
              <h3 id="actions-title">Actions</h3>
              <ul className="action-list" data-testid="item-actions">
                {it.actions.map((a) => (
                  <li key={a.id} className={`action action-${a.state}`}>
                    <span>{a.label}</span> <span className={`pill pill-${a.state}`}>{a.state}</span>
                    {a.state === 'pending' && a.notBefore > now && <span className="muted"> (after the undo window)</span>}
                    {a.lastError && <span className="muted small"> {a.lastError}</span>}
                    {a.state === 'failed' && (
                      <button type="button" onClick={() => retry.mutate(a.id)} disabled={retry.isPending}>Retry</button>
                    )}
                  </li>
                ))}
              </ul>
              {retry.isError && <ErrorNote error={retry.error} />}
            </section>
          )}

          <section aria-labelledby="history-title">
            <h3 id="history-title">History</h3>
            {!full ? (
              <p className="muted">Loading…</p>
            ) : history.length === 0 ? (
              <p className="muted" data-testid="history">No earlier decisions on this hash{matrix?.sender ? ' or from this sender' : ''}.</p>
            ) : (
              <ul className="history" data-testid="history">
                {history.map((h) => (
                  <li key={h.decisionId} className={h.undoneAt ? 'undone' : undefined}>
                    <span className="pill">{h.relation === 'same_hash' ? 'same hash' : 'same sender'}</span> #{h.queueItemId} {h.fileName ?? ''} — {h.reviewer}: <strong>{h.verdict.replace('_', ' ')}</strong>
                    {h.reason ? ` (${h.reason})` : ''} · {new Date(h.decidedAt).toLocaleDateString()}
                    {h.undoneAt ? ' (undone)' : ''}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      </div>
    </article>
  );
}

function ClaimBadge({ claim }: { claim: ClaimState }) {
  if (claim.kind === 'mine') return <span className="claim claim-mine" data-testid="claim-state" data-claim="mine" title={`Leased to you until ${new Date(claim.claim.expiresAt).toLocaleTimeString()}`}>Leased to you</span>;
  if (claim.kind === 'other') return <span className="claim claim-other" data-testid="claim-state" data-claim="other">Held by {claim.claim.reviewer}</span>;
  return <span className="claim" data-testid="claim-state" data-claim="unknown">Taking the lease…</span>;
}
