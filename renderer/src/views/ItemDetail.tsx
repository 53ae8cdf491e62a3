import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Claim, ExtraActions, QueueItem, Verdict } from '../../../shared/contract';
import { call } from '../api';
import { ALL_REASONS, REASONS, VERDICT_LABEL, formatAge, formatBytes } from '../queue/reasons';
import { eventKindNote, partLabel } from '../queue/matrix-labels';
import { matchInWords, variantInWords } from '../queue/evidence-words';
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
  /** 'media', 'text' (a reported message) or 'event' (a reported event without readable content) */
  kind?: string;
  eventKind?: string;
  eventType?: string | null;
  replaces?: string;
  redacted?: boolean;
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
  const banks = useQuery({ queryKey: ['banks.list'], queryFn: () => call('banks.list', {}), staleTime: 60_000 });
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
  const reports = ('reports' in it ? it.reports : undefined) ?? [];
  const parts = ('parts' in it ? it.parts : undefined) ?? [];
  const eventText = 'eventText' in it ? it.eventText : undefined;
  const hasMedia = matrix?.kind === undefined || matrix.kind === 'media';
  // Queued only because users reported it: the verdicts act on the report rather than confirm a match.
  const reportOnly = it.matches.length === 0 && it.reportCount > 0;
  const withParts = it.matches.some((match) => match.part && match.part !== 'media');
  const matchedParts = new Set(it.matches.flatMap((match) => (match.part ?? 'media').split(',')));
  const positiveBanks = (banks.data ?? []).filter((b) => b.kind === 'positive').map((b) => b.name);

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
                {reportOnly ? 'Act on report' : 'Confirm match'} <kbd>c</kbd>
              </button>
              <button type="button" className="reject" onClick={() => onDecide('false_positive')} disabled={!decidable || heldByOther} data-testid="decide-false-positive" aria-keyshortcuts="f">
                {reportOnly ? 'Dismiss report' : 'False positive'} <kbd>f</kbd>
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
                {hasMedia && (
                  <div className="extra-bank">
                    <label htmlFor="extra-add-to-bank">add its media{parts.length > 1 ? ` (all ${parts.filter((p) => p.state === 'hashed').length} hashed parts)` : ''} to the local bank</label>
                    <input
                      id="extra-add-to-bank"
                      type="text"
                      list="extra-bank-names"
                      placeholder="bank name (none)"
                      maxLength={100}
                      value={extraActions.addToBank ?? ''}
                      onChange={(e) => {
                        const { addToBank: _old, ...rest } = extraActions;
                        setExtraActions(e.target.value.trim() ? { ...rest, addToBank: e.target.value } : rest);
                      }}
                      data-testid="extra-addToBank"
                      spellCheck={false}
                      autoComplete="off"
                    />
                    <datalist id="extra-bank-names">
                      {positiveBanks.map((b) => <option key={b} value={b} />)}
                    </datalist>
                  </div>
                )}
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
        {hasMedia ? (
          <MediaPreview mediaId={m.id} mime={m.mime} label={name} revealed={revealed} quiet={quiet} onToggleReveal={onToggleReveal} />
        ) : (
          <section className="event-content" aria-labelledby="event-content-title">
            <h3 id="event-content-title">{matrix?.kind === 'text' && parts.length === 0 ? 'Reported message' : 'Reported event'}</h3>
            {parts.length > 0 && <p className="muted">None of its media could be fetched and hashed (see below); a confirm still quarantines it.</p>}
            {matrix?.kind === 'text' ? (
              // Untrusted text: rendered as text (React escapes it), never as HTML.
              eventText === undefined ? (
                <p className="muted">Loading…</p>
              ) : eventText === null ? (
                <p className="muted">The message text was purged from the encrypted store (retention period).</p>
              ) : (
                <p className="event-text" data-testid="event-text">{eventText}</p>
              )
            ) : (
              <p className="muted" data-testid="event-text">{eventKindNote(matrix?.eventKind)}</p>
            )}
            {matrix?.redacted && matrix.kind === 'text' && <p className="muted">{eventKindNote('redacted')}</p>}
          </section>
        )}

        <div className="facts">
          {it.reportCount > 0 && (
            <section aria-labelledby="reports-title">
              <h3 id="reports-title">Reported by {it.reportCount} user{it.reportCount === 1 ? '' : 's'}</h3>
              {it.reopened && (
                <p className="warn-text" data-testid="reopened-note">
                  Reported again after a decision: {it.reopened.decidedBy ?? 'a moderator'} had {it.reopened.previousStatus === 'skipped' ? 'skipped it' : 'marked it a false positive'}; a new report on{' '}
                  {new Date(it.reopened.at).toLocaleString()} brought it back to the queue. That decision still stands until it is undone.
                </p>
              )}
              {!full ? (
                <p className="muted">Loading…</p>
              ) : (
                <ul className="reports" data-testid="reports">
                  {reports.map((r) => (
                    <li key={r.id}>
                      <span className="wrap">{r.reporter}</span> · {new Date(r.receivedTs).toLocaleString()}
                      {r.score !== null && <span className="muted"> · score {r.score}</span>}
                      {r.reason ? <div className="report-reason">{r.reason}</div> : <div className="muted">No reason given</div>}
                    </li>
                  ))}
                </ul>
              )}
            </section>
          )}

          {parts.length > 0 && (parts.length > 1 || parts.some((p) => p.state !== 'hashed')) && (
            <section aria-labelledby="parts-title">
              <h3 id="parts-title">Media in the event</h3>
              <ul className="event-parts" data-testid="event-parts">
                {parts.map((p) => (
                  <li key={`${p.part}-${p.mxc}`} data-part={p.part} data-state={p.state}>
                    <strong>{partLabel(p.part)}</strong>
                    {matchedParts.has(p.part) && it.matches.length > 0 && <span className="pill pill-matched"> matched</span>}
                    <div className="wrap hash small">{p.mxc}</div>
                    <div className="muted small">
                      {p.state === 'hashed' ? 'hashed and matched' : p.state === 'encrypted' ? 'end-to-end encrypted: not hashed' : p.state === 'skipped' ? 'not downloaded' : `not hashed: ${p.error ?? 'failed'}`}
                      {p.declaredWidth && p.declaredHeight ? ` · declared ${p.declaredWidth} × ${p.declaredHeight}` : ''}
                      {p.declaredMime ? ` · ${p.declaredMime}` : ''}
                    </div>
                    {p.media && p.media.id !== m.id && (
                      <MediaPreview mediaId={p.media.id} mime={p.media.mime} label={`${partLabel(p.part)} of ${name}`} revealed={revealed} quiet={quiet} onToggleReveal={onToggleReveal} />
                    )}
                  </li>
                ))}
              </ul>
            </section>
          )}

          <section aria-labelledby="evidence-title">
            <h3 id="evidence-title">Match evidence</h3>
            {it.matches.length === 0 && <p className="muted" data-testid="no-match">No bank matched{it.reportCount > 0 ? ': it is here because users reported it.' : '.'}</p>}
            {it.matches.length > 0 && <div className="table-scroll">
              <table className="table compact" data-testid="evidence">
                <thead>
                  <tr><th>Bank</th><th><abbr title="Bank severity (0–100)">Sev.</abbr></th><th>Content</th>{withParts && <th>Part</th>}<th>Match</th><th>This copy is</th></tr>
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
                        {withParts && <td data-testid="match-part">{partLabel(match.part)}</td>}
                        <td data-testid="evidence-match">
                          {matchInWords(match, ev?.pdqThreshold)}
                          {match.signal && <div className="hash muted small" title="The hash in the bank that matched">bank hash {match.signal}</div>}
                        </td>
                        <td data-testid="evidence-variant">{variantInWords(match) ?? 'the same file'}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>}
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
                <dd data-testid="item-source">{it.reportCount > 0 ? `Reported by ${it.reportCount === 1 ? 'a user' : `${it.reportCount} users`}` : sourceText(m.source, m.context)}</dd>
                {hasMedia ? (
                  <>
                    <dt>Media</dt>
                    <dd className="wrap hash">{matrix.server && matrix.mediaId ? `mxc://${matrix.server}/${matrix.mediaId}` : '–'}</dd>
                  </>
                ) : (
                  <>
                    <dt>Event</dt>
                    <dd className="wrap">{matrix.eventType ?? '–'}</dd>
                  </>
                )}
                {matrix.replaces && (
                  <>
                    <dt>Edit of</dt>
                    <dd className="wrap hash">{matrix.replaces}</dd>
                  </>
                )}
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
              {m.refused && (<><dt>Refused</dt><dd className="wrap" data-testid="media-refused">Not decoded ({m.refused.code}): {m.refused.reason}. Matched by its file hashes only.</dd></>)}
              <dt>Type</dt><dd>{m.format ?? 'unknown'}{m.mime ? ` (${m.mime})` : ''}</dd>
              <dt>Size</dt><dd>{formatBytes(m.byteLength)}</dd>
              {hasMedia && (
                <>
                  <dt>Dimensions</dt><dd>{m.width && m.height ? `${m.width} × ${m.height}` : '–'}</dd>
                  <dt>PDQ quality</dt><dd>{m.pdqQuality ?? '–'}{m.pdqQuality !== null && m.pdqQuality < 50 ? ' (low: near matches are less reliable)' : ''}</dd>
                  <dt>EXIF rotation</dt><dd>{m.exifOrientation && m.exifOrientation > 1 ? `orientation ${m.exifOrientation} (stored rotated)` : 'none'}</dd>
                </>
              )}
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

/** Where an item came from, in words; a check says what it answered (a blocked upload never reached the homeserver). */
function sourceText(source: string, context: Record<string, unknown>): string {
  const check = (context.check ?? {}) as { action?: unknown; client?: unknown };
  const by = typeof check.client === 'string' ? ` (${check.client})` : '';
  if (source === 'matrix_report') return 'Reported by a user';
  if (source === 'matrix_live') return 'Seen live in the room';
  if (source === 'synapse_upload') return check.action === 'block' ? `Blocked at upload: the homeserver refused and did not keep it${by}` : `Checked at upload, kept for review${by}`;
  if (source === 'bot_check') return check.action === 'block' ? `Blocked by a bot check${by}` : `Sent for review by a bot check${by}`;
  return source;
}
