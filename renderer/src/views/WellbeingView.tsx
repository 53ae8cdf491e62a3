import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { WellbeingSettings, WellbeingState } from '../../../shared/contract';
import { call } from '../api';
import { ErrorNote } from './ErrorNote';
import { NumberField, parseWhole, SavedNote } from './forms';

type Field = keyof WellbeingSettings;
type FieldSpec = { key: Field; label: string; kind: 'number' | 'bool' | 'mode'; min?: number; max?: number; unit?: string; what?: string };
const FIELDS: FieldSpec[] = [
  { key: 'blurPx', label: 'Blur strength', kind: 'number', min: 4, max: 80, unit: 'px', what: 'The blur strength' },
  { key: 'greyscale', label: 'Greyscale until revealed', kind: 'bool' },
  { key: 'quietMode', label: 'Quiet mode (media always blurred)', kind: 'bool' },
  { key: 'revealMode', label: 'Reveal with r', kind: 'mode' },
  { key: 'breakEveryMinutes', label: 'Break reminder every', kind: 'number', min: 5, max: 480, unit: 'min', what: 'The break reminder interval' },
  { key: 'breakMinutes', label: 'Break length', kind: 'number', min: 1, max: 120, unit: 'min', what: 'The break length' },
  { key: 'dailyRevealSoftLimit', label: 'Reveals a day before a gentle warning (0: none)', kind: 'number', min: 0, max: 100000, what: 'The daily reveal warning' },
];

/** A form's values while editing: numbers as typed (text), so an empty field is refused, never read as 0. */
type Draft = Partial<Record<Field, string | boolean>>;

const toDraft = (values: Partial<WellbeingSettings>): Draft =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v])) as Draft;

/** The draft's values for the contract, or the messages that refuse some of them. */
function parseDraft(draft: Draft): { values: Partial<WellbeingSettings> | null; errors: Partial<Record<Field, string>> } {
  const values: Record<string, unknown> = {};
  const errors: Partial<Record<Field, string>> = {};
  for (const f of FIELDS) {
    const v = draft[f.key];
    if (v === undefined) continue;
    if (f.kind !== 'number') {
      values[f.key] = v;
      continue;
    }
    const r = parseWhole(String(v), { what: f.what!, min: f.min!, max: f.max! });
    if ('error' in r) errors[f.key] = r.error;
    else values[f.key] = r.value;
  }
  return { values: Object.keys(errors).length ? null : (values as Partial<WellbeingSettings>), errors };
}

function SettingInput({ field, value, onChange, id, error }: { field: FieldSpec; value: string | boolean; onChange: (v: string | boolean) => void; id: string; error: string | undefined }) {
  if (field.kind === 'bool') return <input id={id} type="checkbox" checked={value as boolean} onChange={(e) => onChange(e.target.checked)} />;
  if (field.kind === 'mode') {
    return (
      <select id={id} value={value as string} onChange={(e) => onChange(e.target.value)}>
        <option value="toggle">toggles the reveal</option>
        <option value="hold">reveals only while held</option>
      </select>
    );
  }
  return <NumberField id={id} text={String(value)} onText={onChange} rule={{ what: field.what!, min: field.min!, max: field.max! }} error={error} {...(field.unit ? { unit: field.unit } : {})} />;
}

/** Wellbeing settings: the install's defaults, and this reviewer's overrides. Each form saves with its button or Enter. */
export function WellbeingView() {
  const queryClient = useQueryClient();
  const state = useQuery({ queryKey: ['wellbeing.get'], queryFn: () => call('wellbeing.get', {}) });
  const [mine, setMine] = useState<Draft | null>(null);
  const [defaults, setDefaults] = useState<Draft | null>(null);
  const [mineErrors, setMineErrors] = useState<Partial<Record<Field, string>>>({});
  const [defaultErrors, setDefaultErrors] = useState<Partial<Record<Field, string>>>({});
  const [savedMine, setSavedMine] = useState<number | null>(null);
  const [savedDefaults, setSavedDefaults] = useState<number | null>(null);
  const saveMine = useMutation({
    mutationFn: (changes: { [K in Field]?: WellbeingSettings[K] | null }) => call('wellbeing.setMine', changes),
    onSuccess: (data: WellbeingState) => {
      queryClient.setQueryData(['wellbeing.get'], data);
      setMine(null);
      setSavedMine(Date.now());
    },
  });
  const saveDefaults = useMutation({
    mutationFn: (d: WellbeingSettings) => call('wellbeing.setDefaults', d),
    onSuccess: (data: WellbeingState) => {
      queryClient.setQueryData(['wellbeing.get'], data);
      setDefaults(null);
      setSavedDefaults(Date.now());
    },
  });
  if (state.isPending) return <p className="muted">Loading…</p>;
  if (state.isError) return <ErrorNote error={state.error} />;
  const s = state.data;
  const myValues: Draft = mine ?? toDraft(s.mine);
  const defaultValues: Draft = defaults ?? toDraft(s.defaults);
  const editMine = (next: Draft) => {
    setMine(next);
    setSavedMine(null);
  };
  const editDefaults = (next: Draft) => {
    setDefaults(next);
    setSavedDefaults(null);
  };

  const submitMine = (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseDraft(myValues);
    setMineErrors(parsed.errors);
    if (!parsed.values) return;
    const changes: Record<string, unknown> = {};
    for (const f of FIELDS) changes[f.key] = parsed.values[f.key] ?? null;
    saveMine.mutate(changes as { [K in Field]?: WellbeingSettings[K] | null });
  };
  const submitDefaults = (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseDraft(defaultValues);
    setDefaultErrors(parsed.errors);
    if (parsed.values) saveDefaults.mutate(parsed.values as WellbeingSettings);
  };
  return (
    <section className="settings" aria-labelledby="wellbeing-title" data-testid="wellbeing-view">
      <h2 id="wellbeing-title">Wellbeing</h2>
      <p>Revealed today: <strong>{s.revealedToday}</strong> ({s.day}).</p>
      <form onSubmit={submitMine} noValidate aria-labelledby="mine-title">
        <h3 id="mine-title">My settings</h3>
        <p className="muted">Tick “Override” to differ from the install’s default.</p>
        <div className="settings-grid">
          {FIELDS.map((f) => {
            const overridden = myValues[f.key] !== undefined;
            const id = `mine-${f.key}`;
            return (
              <div key={f.key} className="setting-row">
                <label htmlFor={id}>{f.label}</label>
                <SettingInput
                  field={f}
                  id={id}
                  value={myValues[f.key] ?? toDraft(s.defaults)[f.key]!}
                  onChange={(v) => editMine({ ...myValues, [f.key]: v })}
                  error={mineErrors[f.key]}
                />
                <label className="override">
                  <input
                    type="checkbox"
                    checked={overridden}
                    onChange={(e) => {
                      const next = { ...myValues };
                      if (e.target.checked) next[f.key] = toDraft(s.defaults)[f.key];
                      else delete next[f.key];
                      editMine(next);
                    }}
                  />
                  Override
                </label>
              </div>
            );
          })}
        </div>
        <button type="submit" className="primary" disabled={saveMine.isPending} data-testid="save-mine">Save my settings</button>{' '}
        {mine && <span className="muted">Not saved yet.</span>}
        <SavedNote at={savedMine} testId="mine-saved" />
        {saveMine.isError && <ErrorNote error={saveMine.error} />}
      </form>
      <form onSubmit={submitDefaults} noValidate aria-labelledby="defaults-title">
        <h3 id="defaults-title">Defaults for everyone on this install</h3>
        <div className="settings-grid">
          {FIELDS.map((f) => (
            <div key={f.key} className="setting-row">
              <label htmlFor={`default-${f.key}`}>{f.label}</label>
              <SettingInput field={f} id={`default-${f.key}`} value={defaultValues[f.key]!} onChange={(v) => editDefaults({ ...defaultValues, [f.key]: v })} error={defaultErrors[f.key]} />
            </div>
          ))}
        </div>
        <button type="submit" disabled={saveDefaults.isPending} data-testid="save-defaults">Save defaults</button>{' '}
        {defaults && <span className="muted">Not saved yet.</span>}
        <SavedNote at={savedDefaults} testId="defaults-saved" />
        {saveDefaults.isError && <ErrorNote error={saveDefaults.error} />}
      </form>
    </section>
  );
}
