import { z } from 'zod';

/**
 * What a check answers, per bank. Each match gets a confidence from the kind of match:
 *
 *   exact digest (MD5, SHA-256, video MD5)      1.0
 *   PDQ at distance d, bank threshold t         1 − d / (2 (t + 1))   (1.0 at d = 0, just over 0.5 at d = t)
 *
 * A match at or above its bank's `blockAt` confidence blocks; a match below it is sent for review; no match allows.
 * A bank whose `blockAt` is null never blocks (everything it matches goes to review). A hit in a negative bank
 * (an allow-list) allows, whatever else matched. With the defaults (blockAt 0.9, threshold 31) exact digests and PDQ
 * up to distance 6 block, PDQ 7–31 is reviewed.
 */
const blockAt = z.number().min(0).max(1).nullable();

export const checkRulesSchema = z
  .object({
    /** For banks without a rule of their own. */
    defaultBlockAt: blockAt.default(0.9),
    banks: z.record(z.string().min(1).max(200), z.object({ blockAt }).strict()).default({}),
  })
  .strict()
  .prefault({});
export type CheckRules = z.output<typeof checkRulesSchema>;

export const CHECK_RULES_SETTING = 'checkRules';
/** HMA's default PDQ threshold, for HMA banks whose own threshold Matchdesk does not know. */
export const HMA_PDQ_THRESHOLD = 31;

export function confidenceFor(signalType: string, distance: number, pdqThreshold: number): number {
  if (signalType !== 'pdq') return 1;
  const c = 1 - Math.max(0, distance) / (2 * (Math.max(0, pdqThreshold) + 1));
  return Math.round(Math.max(0, c) * 1000) / 1000;
}

export function blockAtFor(rules: CheckRules, bankName: string): number | null {
  const own = rules.banks[bankName];
  return own ? own.blockAt : rules.defaultBlockAt;
}

export type CheckAction = 'allow' | 'review' | 'block';

export interface ScoredMatch {
  matcher: 'local' | 'hma';
  bankName: string;
  bankKind: 'positive' | 'negative';
  /** The bank content id (local) or HMA content id. */
  contentRef: string;
  signalType: string;
  signal: string | null;
  distance: number;
  pdqThreshold: number;
  confidence: number;
  label: string | null;
  severity: number;
  /** Which rotation or mirror of the media matched (PDQ). */
  variant: string | null;
}

export interface Verdict {
  action: CheckAction;
  /** The match the action rests on (the strongest blocking one, else the strongest), null when nothing matched. */
  decisive: ScoredMatch | null;
  reason: string;
}

const hashName = (t: string) => (t === 'video_md5' ? 'video MD5' : t.toUpperCase());

function describe(m: ScoredMatch): string {
  const what = m.signalType === 'pdq' ? `PDQ at distance ${m.distance} (threshold ${m.pdqThreshold})` : `${hashName(m.signalType)} exact`;
  return `${what} in bank "${m.bankName}"${m.label ? ` (${m.label})` : ''}`;
}

/** Applies the rules to a check's matches. */
export function decide(matches: ScoredMatch[], rules: CheckRules): Verdict {
  const allowList = matches.find((m) => m.bankKind === 'negative');
  if (allowList) return { action: 'allow', decisive: allowList, reason: `Allow-listed: ${describe(allowList)}` };
  const positive = [...matches.filter((m) => m.bankKind === 'positive')].sort((a, b) => b.confidence - a.confidence || a.distance - b.distance);
  if (positive.length === 0) return { action: 'allow', decisive: null, reason: 'No bank matched' };
  const blocking = positive.find((m) => {
    const at = blockAtFor(rules, m.bankName);
    return at !== null && m.confidence >= at;
  });
  if (blocking) return { action: 'block', decisive: blocking, reason: `Matched ${describe(blocking)}, confidence ${blocking.confidence}` };
  const best = positive[0]!;
  const at = blockAtFor(rules, best.bankName);
  const why = at === null ? 'this bank never blocks' : `below the bank's block confidence ${at}`;
  return { action: 'review', decisive: best, reason: `Matched ${describe(best)}, confidence ${best.confidence}: ${why}; sent for review` };
}
