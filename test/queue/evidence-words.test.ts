// The evidence wording of the item view. That "rotated 90° clockwise" is the right direction is checked end to end
// in test/api/moderator-calls.test.ts (a copy rotated clockwise matches through the rotate90 variant) and in the e2e.
import { describe, expect, it } from 'vitest';
import { matchInWords, variantInWords } from '../../renderer/src/queue/evidence-words';
import { DIHEDRAL_NAMES } from '../../electron/services/hashing';

describe('evidence in words', () => {
  it('distance out of the threshold, exact matches by name', () => {
    expect(matchInWords({ signalType: 'pdq', distance: 30 }, 31)).toBe('PDQ distance 30 of 31');
    expect(matchInWords({ signalType: 'pdq', distance: 0 }, 10)).toBe('PDQ identical (distance 0 of 10)');
    expect(matchInWords({ signalType: 'pdq', distance: 12 }, null)).toBe('PDQ distance 12');
    expect(matchInWords({ signalType: 'md5', distance: 0 }, null)).toBe('exact MD5 match');
    expect(matchInWords({ signalType: 'sha256', distance: 0 }, null)).toBe('exact SHA-256 match');
  });

  it('every dihedral variant has words, none of the internal names leak', () => {
    for (const name of DIHEDRAL_NAMES) {
      const words = variantInWords({ signalType: 'pdq', variant: name })!;
      expect(words).not.toMatch(/rotate\d|flip|Minus|Plus|\+1/);
    }
    expect(variantInWords({ signalType: 'pdq', variant: 'rotate90' })).toBe('rotated 90° clockwise');
    expect(variantInWords({ signalType: 'pdq', variant: 'rotate270' })).toBe('rotated 90° counter-clockwise');
    expect(variantInWords({ signalType: 'pdq', variant: 'flipY' })).toBe('mirrored left to right');
    expect(variantInWords({ signalType: 'pdq', variant: 'flipX' })).toBe('mirrored top to bottom');
    expect(variantInWords({ signalType: 'pdq', variant: null })).toBe('as banked (not rotated or mirrored)');
    expect(variantInWords({ signalType: 'md5', variant: null })).toBeNull();
  });
});
