import { describe, expect, it } from 'vitest';
import { checkRulesSchema, confidenceFor, decide, type ScoredMatch } from '../../electron/services/checks/check-rules';
import { CleanCache } from '../../electron/services/checks/clean-cache';

const match = (o: Partial<ScoredMatch>): ScoredMatch => ({
  matcher: 'local',
  bankName: 'A',
  bankKind: 'positive',
  contentRef: '1',
  signalType: 'pdq',
  signal: 'f'.repeat(64),
  distance: 0,
  pdqThreshold: 31,
  confidence: 1,
  label: null,
  severity: 50,
  variant: null,
  ...o,
});

describe('check rules: confidence from the kind of match, and the action per bank', () => {
  it('gives exact digests 1.0 and PDQ 1 − d / (2 (t + 1))', () => {
    expect(confidenceFor('md5', 0, 31)).toBe(1);
    expect(confidenceFor('sha256', 0, 31)).toBe(1);
    expect(confidenceFor('pdq', 0, 31)).toBe(1);
    expect(confidenceFor('pdq', 6, 31)).toBe(0.906);
    expect(confidenceFor('pdq', 7, 31)).toBe(0.891);
    expect(confidenceFor('pdq', 20, 31)).toBe(0.688);
    expect(confidenceFor('pdq', 31, 31)).toBe(0.516);
    expect(confidenceFor('pdq', 10, 10)).toBe(0.545);
  });

  it('blocks at or above the bank’s confidence, reviews below it, allows without a match or with an allow-list hit', () => {
    const rules = checkRulesSchema.parse({ banks: { Soft: { blockAt: null }, Strict: { blockAt: 0.5 } } });
    expect(rules.defaultBlockAt).toBe(0.9);
    expect(decide([], rules)).toMatchObject({ action: 'allow', decisive: null });
    expect(decide([match({ confidence: 0.9 })], rules).action).toBe('block');
    expect(decide([match({ confidence: 0.89 })], rules).action).toBe('review');
    expect(decide([match({ bankName: 'Soft', confidence: 1, signalType: 'md5' })], rules)).toMatchObject({ action: 'review', reason: expect.stringMatching(/never blocks/) });
    expect(decide([match({ bankName: 'Strict', confidence: 0.6 })], rules).action).toBe('block');
    // The strongest blocking match decides, even when a stronger non-blocking one exists.
    const mixed = decide([match({ bankName: 'Soft', confidence: 1, signalType: 'md5' }), match({ bankName: 'A', confidence: 0.95, distance: 3 })], rules);
    expect(mixed).toMatchObject({ action: 'block', decisive: { bankName: 'A' } });
    expect(decide([match({ confidence: 1 }), match({ bankName: 'Safe', bankKind: 'negative' })], rules)).toMatchObject({ action: 'allow', decisive: { bankName: 'Safe' } });
  });

  it('forgets clean answers when the banks or rules change, after their time, and the least recently used first', () => {
    let now = 0;
    const cache = new CleanCache(2, 1000, () => now);
    cache.add('a', 'g1');
    expect(cache.has('a', 'g1')).toBe(true);
    expect(cache.has('a', 'g2')).toBe(false);
    expect(cache.has('a', 'g1')).toBe(false);
    cache.add('a', 'g1');
    cache.add('b', 'g1');
    expect(cache.has('a', 'g1')).toBe(true);
    cache.add('c', 'g1');
    expect(cache.has('b', 'g1')).toBe(false);
    expect(cache.has('a', 'g1')).toBe(true);
    now = 1001;
    expect(cache.has('a', 'g1')).toBe(false);
  });
});
