import { escapeTextForDisplay } from './display-escape';

// The signal types local banks hold, and how each is written.
export const SIGNAL_FORMATS = {
  pdq: /^[0-9a-f]{64}$/,
  md5: /^[0-9a-f]{32}$/,
  video_md5: /^[0-9a-f]{32}$/,
  sha256: /^[0-9a-f]{64}$/,
} as const;

export type LocalSignalType = keyof typeof SIGNAL_FORMATS;

export function isLocalSignalType(value: string): value is LocalSignalType {
  return Object.prototype.hasOwnProperty.call(SIGNAL_FORMATS, value);
}

/** Normalises a signal (trim, lowercase) and checks its format; returns an error message when it is not valid. */
export function normaliseSignal(type: string, raw: string): { signal: string } | { error: string } {
  const signalType = type.trim().toLowerCase();
  if (!isLocalSignalType(signalType)) return { error: `unknown signal type "${escapeTextForDisplay(type.trim(), 40)}" (expected pdq, md5, video_md5 or sha256)` };
  const signal = raw.trim().toLowerCase();
  if (!SIGNAL_FORMATS[signalType].test(signal)) return { error: `"${escapeTextForDisplay(raw.trim(), 80)}" is not a valid ${signalType} signal` };
  return { signal };
}

/** The indexed prefix of a normalised signal (bank_signals.skey: its first 12 hex digits). */
export function signalKey(signal: string): string {
  return signal.slice(0, 12);
}
