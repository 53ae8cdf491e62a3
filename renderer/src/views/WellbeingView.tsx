import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { WellbeingSettings, WellbeingState } from '../../../shared/contract';
import { call } from '../api';
import { ErrorNote } from './ErrorNote';

type Field = keyof WellbeingSettings;
const FIELDS: { key: Field; label: string; kind: 'number' | 'bool' | 'mode'; min?: number; max?: number; unit?: string }[] = [
  { key: 'blurPx', label: 'Blur strength', kind: 'number', min: 4, max: 80, unit: 'px' },
  { key: 'greyscale', label: 'Greyscale until revealed', kind: 'bool' },
  { key: 'quietMode', label: 'Quiet mode (media always blurred)', kind: 'bool' },
  { key: 'revealMode', label: 'Reveal with r', kind: 'mode' },
  { key: 'breakEveryMinutes', label: 'Break reminder every', kind: 'number', min: 5, max: 480, unit: 'min' },
  { key: 'breakMinutes', label: 'Break length', kind: 'number', min: 1, max: 120, unit: 'min' },
  { key: 'dailyRevealSoftLimit', label: 'Reveals a day before a gentle warning (0: none)', kind: 'number', min: 0, max: 100000 },
];

function SettingInput({ field, value, onChange, id }: { field: (typeof FIELDS)[number]; value: WellbeingSettings[Field]; onChange: (v: WellbeingSettings[Field]) => void; id: string }) {
  if (field.kind === 'bool') return <input id={id} type="checkbox" checked={value as boolean} onChange={(e) => onChange(e.target.checked)} />;
  if (field.kind === 'mode') {
    return (
      <select id={id} value={value as string} onChange={(e) => onChange(e.target.value as WellbeingSettings['revealMode'])}>
        <option value="toggle">toggles the reveal</option>
        <option value="hold">reveals only while held</option>
      </select>
    );
  }
  return (
    <span className="with-unit">
      <input id={id} type="number" min={field.min} max={field.max} value={value as number} onChange={(e) => onChange(Number(e.target.value))} />
      {field.unit && <span className="muted">{field.unit}</span>}
    </span>
  );
}

/** Wellbeing settings: the install's defaults, and this reviewer's overrides. */
export function WellbeingView() {
  const queryClient = useQueryClient();
  const state = useQuery({ queryKey: ['wellbeing.get'], queryFn: () => call('wellbeing.get', {}) });
  const [mine, setMine] = useState<Partial<WellbeingSettings> | null>(null);
  const [defaults, setDefaults] = useState<WellbeingSettings | null>(null);
  const onSaved = (data: WellbeingState) => {
    queryClient.setQueryData(['wellbeing.get'], data);
    setMine(null);
    setDefaults(null);
  };
  const saveMine = useMutation({
    mutationFn: (changes: { [K in Field]?: WellbeingSettings[K] | null }) => call('wellbeing.setMine', changes),
    onSuccess: onSaved,
  });
  const saveDefaults = useMutation({ mutationFn: (d: WellbeingSettings) => call('wellbeing.setDefaults', d), onSuccess: onSaved });
  if (state.isPending) return <p className="muted">Loading…</p>;
  if (state.isError) return <ErrorNote error={state.error} />;
  const s = state.data;
  const myValues: Partial<WellbeingSettings> = mine ?? s.mine;
  const defaultValues = defaults ?? s.defaults;

  const submitMine = (e: FormEvent) => {
    e.preventDefault();
    const changes: Record<string, unknown> = {};
    for (const f of FIELDS) changes[f.key] = myValues[f.key] ?? null;
    saveMine.mutate(changes as { [K in Field]?: WellbeingSettings[K] | null });
  };
  return (
    <section className="settings" aria-labelledby="wellbeing-title" data-testid="wellbeing-view">
      <h2 id="wellbeing-title">Wellbeing</h2>
      <p>Revealed today: <strong>{s.revealedToday}</strong> ({s.day}).</p>
      <form onSubmit={submitMine} aria-labelledby="mine-title">
        <h3 id="mine-title">My settings</h3>
        <p className="muted">Tick “Override” to differ from the install’s default.</p>
        <div className="settings-grid">
          {FIELDS.map((f) => {
            const overridden = myValues[f.key] !== undefined;
            const id = `mine-${f.key}`;
            return (
              <div key={f.key} className="setting-row">
                <label htmlFor={id}>{f.label}</label>
                <SettingInput field={f} id={id} value={(myValues[f.key] ?? s.defaults[f.key]) as WellbeingSettings[Field]} onChange={(v) => setMine({ ...myValues, [f.key]: v })} />
                <label className="override">
                  <input
                    type="checkbox"
                    checked={overridden}
                    onChange={(e) => {
                      const next = { ...myValues };
                      if (e.target.checked) (next as Record<string, unknown>)[f.key] = s.defaults[f.key];
                      else delete next[f.key];
                      setMine(next);
                    }}
                  />
                  Override
                </label>
              </div>
            );
          })}
        </div>
        <button type="submit" className="primary" disabled={saveMine.isPending} data-testid="save-mine">Save my settings</button>
        {saveMine.isError && <ErrorNote error={saveMine.error} />}
      </form>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          saveDefaults.mutate(defaultValues);
        }}
        aria-labelledby="defaults-title"
      >
        <h3 id="defaults-title">Defaults for everyone on this install</h3>
        <div className="settings-grid">
          {FIELDS.map((f) => (
            <div key={f.key} className="setting-row">
              <label htmlFor={`default-${f.key}`}>{f.label}</label>
              <SettingInput field={f} id={`default-${f.key}`} value={defaultValues[f.key]} onChange={(v) => setDefaults({ ...defaultValues, [f.key]: v })} />
            </div>
          ))}
        </div>
        <button type="submit" disabled={saveDefaults.isPending} data-testid="save-defaults">Save defaults</button>
        {saveDefaults.isError && <ErrorNote error={saveDefaults.error} />}
      </form>
    </section>
  );
}
