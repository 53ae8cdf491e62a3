import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { call } from '../api';
import type { CheckRulesInput } from '../../../shared/contract';
import { ErrorNote } from './ErrorNote';

const when = (at: number | null) => (at ? new Date(at).toLocaleString() : 'never');

/** Keys for bots (the Mjolnir HMA plugin, Draupnir…) and the Synapse module that ask the team server's check API. */
export function BotKeySettings() {
  const queryClient = useQueryClient();
  const keys = useQuery({ queryKey: ['botKeys.list'], queryFn: () => call('botKeys.list', {}) });
  const [name, setName] = useState('');
  const [rate, setRate] = useState(600);
  const [shown, setShown] = useState<{ name: string; key: string } | null>(null);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['botKeys.list'] });
  const create = useMutation({
    mutationFn: () => call('botKeys.create', { name: name.trim(), ratePerMinute: rate }),
    onSuccess: (created) => {
      setShown({ name: created.botKey.name, key: created.key });
      setName('');
      refresh();
    },
  });
  const revoke = useMutation({ mutationFn: (id: string) => call('botKeys.revoke', { id }), onSuccess: refresh });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <section className="settings-section" aria-labelledby="botkeys-title">
      <h3 id="botkeys-title">Bot keys (check API)</h3>
      <p className="hint">
        Bots and the Synapse module ask the team server about media at <code>/api/v1/check</code> with one of these keys
        (<code>Authorization: Bearer …</code>). A key is shown once; Matchdesk keeps only its hash.
      </p>
      <form className="settings-form" onSubmit={onSubmit}>
        <label htmlFor="botkey-name">Name</label>
        <input id="botkey-name" value={name} onChange={(e) => setName(e.target.value)} maxLength={100} placeholder="synapse-module, mjolnir…" required />
        <label htmlFor="botkey-rate">Checks per minute</label>
        <input id="botkey-rate" type="number" min={1} max={100000} value={rate} onChange={(e) => setRate(Math.max(1, Math.min(100000, Number(e.target.value) || 1)))} />
        <div className="span2 actions">
          <button type="submit" className="primary" disabled={create.isPending || !name.trim()}>Create key</button>
        </div>
      </form>
      {shown && (
        <div role="status" className="warning-inline" data-testid="new-bot-key">
          <p>
            Key for <strong>{shown.name}</strong>: copy it now into the bot&apos;s secret store; it will not be shown again.
          </p>
          <code className="wrap hash">{shown.key}</code>{' '}
          <button type="button" onClick={() => void navigator.clipboard?.writeText(shown.key)}>Copy</button>{' '}
          <button type="button" onClick={() => setShown(null)}>Done</button>
        </div>
      )}
      <table className="plain" data-testid="bot-keys">
        <thead>
          <tr>
            <th>Name</th>
            <th>Key starts</th>
            <th>Rate</th>
            <th>Created</th>
            <th>Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {keys.data?.map((k) => (
            <tr key={k.id} className={k.revokedAt ? 'muted' : ''}>
              <td>{k.name}</td>
              <td className="hash">{k.prefix}_…</td>
              <td>{k.ratePerMinute}/min</td>
              <td>{when(k.createdAt)} by {k.createdBy}</td>
              <td>{when(k.lastUsedAt)}</td>
              <td>{k.revokedAt ? `revoked by ${k.revokedBy}` : <button type="button" onClick={() => revoke.mutate(k.id)} disabled={revoke.isPending}>Revoke</button>}</td>
            </tr>
          ))}
          {keys.data?.length === 0 && (
            <tr>
              <td colSpan={6}>No keys yet.</td>
            </tr>
          )}
        </tbody>
      </table>
      {[keys, create, revoke].map((q, i) => (q.isError ? <ErrorNote key={i} error={q.error} /> : null))}
    </section>
  );
}

/** Per bank: from which confidence a check blocks (below it: review). */
export function CheckRuleSettings() {
  const queryClient = useQueryClient();
  const rules = useQuery({ queryKey: ['checks.getRules'], queryFn: () => call('checks.getRules', {}) });
  const banks = useQuery({ queryKey: ['banks.list'], queryFn: () => call('banks.list', {}) });
  const save = useMutation({ mutationFn: (next: CheckRulesInput) => call('checks.setRules', next), onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['checks.getRules'] }) });
  const r = rules.data;
  if (!r) return null;
  const setBank = (bank: string, value: string) => {
    const next = { ...r.banks };
    if (value === 'default') delete next[bank];
    else next[bank] = { blockAt: value === 'never' ? null : Number(value) };
    save.mutate({ ...r, banks: next });
  };
  const choices = ['1', '0.95', '0.9', '0.8', '0.7', '0.6', '0.5'];
  const bankChoice = (bank: string) => {
    const own = r.banks[bank];
    return own === undefined ? 'default' : own.blockAt === null ? 'never' : String(own.blockAt);
  };
  return (
    <section className="settings-section" aria-labelledby="checkrules-title">
      <h3 id="checkrules-title">What checks answer</h3>
      <p className="hint">
        Confidence: an exact MD5/SHA-256 match is 1.0; a PDQ match is 1 − distance ÷ (2 × (threshold + 1)), so 1.0 at distance 0
        and just over 0.5 at the bank&apos;s threshold. A match at or above the block confidence blocks; below it, it goes to
        review. Every review and block lands in the queue. Negative banks allow.
      </p>
      <label htmlFor="default-block">Block at confidence (banks without a rule)</label>{' '}
      <select id="default-block" value={r.defaultBlockAt === null ? 'never' : String(r.defaultBlockAt)} onChange={(e) => save.mutate({ ...r, defaultBlockAt: e.target.value === 'never' ? null : Number(e.target.value) })}>
        {[...new Set([...choices, String(r.defaultBlockAt ?? '1')])].map((c) => <option key={c} value={c}>≥ {c}</option>)}
        <option value="never">never block (review everything)</option>
      </select>
      <table className="plain" data-testid="check-rules">
        <tbody>
          {banks.data?.filter((b) => b.kind === 'positive').map((b) => (
            <tr key={b.name}>
              <td>{b.name}</td>
              <td>
                <select aria-label={`Block rule for ${b.name}`} value={bankChoice(b.name)} onChange={(e) => setBank(b.name, e.target.value)}>
                  <option value="default">as the default</option>
                  {[...new Set([...choices, bankChoice(b.name)])].filter((c) => c !== 'default' && c !== 'never').map((c) => <option key={c} value={c}>block at ≥ {c}</option>)}
                  <option value="never">never block</option>
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {save.isError && <ErrorNote error={save.error} />}
    </section>
  );
}
