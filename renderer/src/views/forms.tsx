import { useState } from 'react';

/**
 * Settings forms: explicit, with a Save per form (Enter saves too), a confirmation, and numbers checked before they
 * are sent — an empty or out-of-range field is refused with a message, never stored as 0. The contract checks the same
 * ranges on the other side. Forms with these fields set noValidate, so our message shows, not the browser's bubble.
 */

export interface WholeRule {
  /** Names the field in messages: "Severity", "The PDQ threshold". */
  what: string;
  min: number;
  max: number;
}

/** The number typed in a field, or the message that refuses it. */
export function parseWhole(text: string, rule: WholeRule): { value: number } | { error: string } {
  const range = `a whole number from ${rule.min} to ${rule.max}`;
  if (text.trim() === '') return { error: `${rule.what} is empty: enter ${range}.` };
  const n = Number(text);
  if (!Number.isInteger(n) || n < rule.min || n > rule.max) return { error: `${rule.what} must be ${range}.` };
  return { value: n };
}

/** Checks several fields at once; null when one is refused (its message is in `errors`). */
export function parseAll<K extends string>(fields: Record<K, { text: string; rule: WholeRule }>): { values: Record<K, number> | null; errors: Partial<Record<K, string>> } {
  const values = {} as Record<K, number>;
  const errors: Partial<Record<K, string>> = {};
  for (const key of Object.keys(fields) as K[]) {
    const r = parseWhole(fields[key].text, fields[key].rule);
    if ('error' in r) errors[key] = r.error;
    else values[key] = r.value;
  }
  return { values: Object.keys(errors).length ? null : values, errors };
}

export function NumberField({
  id,
  text,
  onText,
  rule,
  error,
  label,
  unit,
  testId,
}: {
  id: string;
  text: string;
  onText: (text: string) => void;
  rule: WholeRule;
  error: string | undefined;
  /** For fields whose visible label is elsewhere (a table cell). */
  label?: string;
  unit?: string;
  testId?: string;
}) {
  return (
    <span className="number-field">
      <input
        id={id}
        type="number"
        inputMode="numeric"
        min={rule.min}
        max={rule.max}
        step={1}
        value={text}
        onChange={(e) => onText(e.target.value)}
        aria-label={label}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        className="narrow"
        data-testid={testId}
      />
      {unit && <span className="muted">{unit}</span>}
      {error && (
        <span id={`${id}-error`} className="field-error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}

/** "Saved at 14:02:11." after a successful save, until the form is edited again. */
export function SavedNote({ at, testId }: { at: number | null; testId?: string }) {
  if (at === null) return null;
  return (
    <span className="saved-note" role="status" data-testid={testId}>
      Saved at {new Date(at).toLocaleTimeString()}.
    </span>
  );
}

/** A form's draft over the stored values: untouched, it shows the store; edited, it keeps the edit until saved. */
export function useDraft<T>(stored: T | undefined): { value: T | undefined; dirty: boolean; set: (next: T) => void; reset: () => void; savedAt: number | null; markSaved: () => void } {
  const [draft, setDraft] = useState<T | null>(null);
  const [savedAt, setSavedAt] = useState<number | null>(null);
  return {
    value: draft ?? stored,
    dirty: draft !== null,
    set: (next) => {
      setDraft(next);
      setSavedAt(null);
    },
    reset: () => setDraft(null),
    savedAt,
    markSaved: () => {
      setDraft(null);
      setSavedAt(Date.now());
    },
  };
}
