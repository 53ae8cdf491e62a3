import type { Verdict } from '../../../shared/contract';

export const REASONS: { verdict: Exclude<Verdict, 'skip'>; label: string; reasons: string[] }[] = [
  { verdict: 'confirm', label: 'Confirm', reasons: ['Known abuse material', 'Near-copy of banked content', 'Policy violation'] },
  { verdict: 'false_positive', label: 'False positive', reasons: ['Different picture', 'Meme or sticker', 'Low-quality or flat image', 'Benign copy of banked content'] },
  { verdict: 'escalate', label: 'Escalate', reasons: ['Unsure: needs a second reviewer', 'Legal review needed'] },
];

/** In the order the number keys pick them (1–9). */
export const ALL_REASONS = REASONS.flatMap((g) => g.reasons);

export const VERDICT_LABEL: Record<Verdict, string> = {
  confirm: 'Confirmed',
  false_positive: 'False positive',
  escalate: 'Escalated',
  skip: 'Skipped',
};

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatAge(ms: number): string {
  const m = Math.floor(ms / 60_000);
  if (m < 1) return 'just now';
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h`;
  return `${Math.floor(h / 24)} d`;
}
