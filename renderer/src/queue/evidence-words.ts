import type { Match } from '../../../shared/contract';

/**
 * How the media relates to the banked picture, for a PDQ match found through a dihedral variant. The matcher names
 * the transform that turns the media back into the banked picture (pdq.md: Rotate90 is counter-clockwise), so the
 * media itself is the banked picture turned the other way; the mirrorings are their own inverse.
 */
const VARIANT_WORDS: Record<string, string> = {
  original: 'as banked (not rotated or mirrored)',
  rotate90: 'rotated 90° clockwise',
  rotate180: 'rotated 180°',
  rotate270: 'rotated 90° counter-clockwise',
  flipX: 'mirrored top to bottom',
  flipY: 'mirrored left to right',
  flipPlus1: 'mirrored along the diagonal from top left to bottom right',
  flipMinus1: 'mirrored along the diagonal from top right to bottom left',
};

export function variantInWords(match: Pick<Match, 'signalType' | 'variant'>): string | null {
  if (match.signalType !== 'pdq') return null;
  return VARIANT_WORDS[match.variant ?? 'original'] ?? match.variant ?? null;
}

const EXACT_NAMES: Record<string, string> = { md5: 'MD5', sha256: 'SHA-256', video_md5: 'video MD5' };

/** "PDQ distance 30 of 31" (how close, out of how close it had to be), or "exact MD5 match". */
export function matchInWords(match: Pick<Match, 'signalType' | 'distance'>, threshold: number | null | undefined): string {
  if (match.signalType !== 'pdq') return `exact ${EXACT_NAMES[match.signalType] ?? match.signalType} match`;
  const of = threshold === null || threshold === undefined ? '' : ` of ${threshold}`;
  return match.distance === 0 ? `PDQ identical (distance 0${of})` : `PDQ distance ${match.distance}${of}`;
}
