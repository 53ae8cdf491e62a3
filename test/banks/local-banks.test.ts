import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../electron/services/store/database';
import { BankRepository } from '../../electron/services/banks/bank-repository';
import { LocalMatcher, localMediaMatcher } from '../../electron/services/banks/local-matcher';
import { readCsv } from '../../electron/services/banks/csv';

const PDQ_A = 'f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22';
/** Flips the lowest `bits` bits of a PDQ hex (distance = bits). */
function flip(hex: string, bits: number): string {
  let n = BigInt(`0x${hex}`);
  for (let i = 0; i < bits; i++) n ^= 1n << BigInt(i * 7);
  return n.toString(16).padStart(64, '0');
}
const MD5 = '0123456789abcdef0123456789abcdef';
const SHA = 'ab'.repeat(32);

function setup() {
  const db = openDatabase(':memory:');
  let now = 1_000;
  const banks = new BankRepository(db, () => now);
  const matcher = new LocalMatcher(db, banks, () => now);
  return { db, banks, matcher, setNow: (t: number) => (now = t) };
}

describe('CSV reader', () => {
  it('handles quotes, doubled quotes, CRLF and blank lines', () => {
    const rows = [...readCsv('a,"b,c","say ""hi"""\r\n\r\nx,y,z\n')];
    expect(rows).toEqual([
      [1, ['a', 'b,c', 'say "hi"']],
      [3, ['x', 'y', 'z']],
    ]);
  });
});

describe('local banks', () => {
  it('imports signal_type,signal,label rows, skipping a header, counting duplicates and rejecting bad rows with line numbers', () => {
    const { banks } = setup();
    const csv = ['signal_type,signal,label', `pdq,${PDQ_A},bridge`, `MD5,${MD5.toUpperCase()},"a, label"`, `md5,${MD5},dup`, 'pdq,nothex,bad', 'tlsh,abc,unknown', `sha256,${SHA},`].join('\n');
    const result = banks.importCsv('Bank One', csv);
    expect(result.added).toBe(3);
    expect(result.duplicates).toBe(1);
    expect(result.rejected).toEqual([
      { line: 5, message: '"nothex" is not a valid pdq signal' },
      { line: 6, message: 'unknown signal type "tlsh" (expected pdq, md5, video_md5 or sha256)' },
    ]);
    expect(result.bank).toMatchObject({ name: 'Bank One', contentCount: 3, signalCount: 3, pdqThreshold: 31, kind: 'positive' });
  });

  it('looks a bank up by name in one row (find: settings only; byName: that bank with its counts), as list() shows it', () => {
    const { banks } = setup();
    banks.importCsv('Bank One', `md5,${MD5},a\npdq,${PDQ_A},b\n`);
    banks.create({ name: 'Allow', kind: 'negative', severity: 10, pdqThreshold: 12 });
    banks.update('Allow', { enabled: false });
    for (const listed of banks.list()) {
      const { contentCount, signalCount, ...settings } = listed;
      expect(banks.byName(listed.name)).toEqual(listed);
      expect(banks.find(listed.name)).toEqual(settings);
      expect(banks.ensure({ name: listed.name })).toEqual(settings);
      expect(contentCount + signalCount).toBeGreaterThanOrEqual(0);
    }
    expect(banks.byName('Bank One')).toMatchObject({ contentCount: 2, signalCount: 2 });
    expect(banks.find('Allow')).toMatchObject({ kind: 'negative', severity: 10, pdqThreshold: 12, enabled: false });
    expect(banks.find('bank one')).toBeNull();
    expect(banks.byName('Nope')).toBeNull();
    expect(banks.ensure({ name: 'New', kind: 'negative' })).toMatchObject({ name: 'New', kind: 'negative', enabled: true });
  });

  it('matches exact MD5/SHA-256 and PDQ within the bank threshold, like HMA', () => {
    const { banks, matcher } = setup();
    banks.importCsv('B', `pdq,${PDQ_A},bridge\nmd5,${MD5},m\nsha256,${SHA},s`);
    expect(matcher.match({ md5: MD5, sha256: 'cd'.repeat(32), pdq: null }).map((m) => [m.signalType, m.distance])).toEqual([['md5', 0]]);
    expect(matcher.match({ md5: 'f'.repeat(32), sha256: SHA, pdq: null }).map((m) => m.signalType)).toEqual(['sha256']);
    expect(matcher.match({ md5: 'f'.repeat(32), sha256: 'cd'.repeat(32), pdq: flip(PDQ_A, 31) })).toMatchObject([{ signalType: 'pdq', distance: 31, label: 'bridge' }]);
    expect(matcher.match({ md5: 'f'.repeat(32), sha256: 'cd'.repeat(32), pdq: flip(PDQ_A, 32) })).toEqual([]);
  });

  it('honours a per-bank PDQ threshold and sees banks added after the index was built', () => {
    const { banks, matcher } = setup();
    banks.importCsv('Strict', `pdq,${PDQ_A},x`, { pdqThreshold: 10 });
    expect(matcher.match({ md5: MD5, sha256: SHA, pdq: flip(PDQ_A, 12) })).toEqual([]);
    banks.importCsv('Loose', `pdq,${PDQ_A},y`, { pdqThreshold: 40 });
    expect(matcher.match({ md5: MD5, sha256: SHA, pdq: flip(PDQ_A, 35) }).map((m) => m.bankName)).toEqual(['Loose']);
  });

  it('ignores disabled content until disabled_until passes, and disabled banks', () => {
    const { db, banks, matcher, setNow } = setup();
    banks.importCsv('B', `md5,${MD5},m`);
    db.prepare('UPDATE bank_content SET disabled_until = 5000').run();
    expect(matcher.match({ md5: MD5, sha256: SHA, pdq: null })).toEqual([]);
    setNow(6000);
    expect(matcher.match({ md5: MD5, sha256: SHA, pdq: null })).toHaveLength(1);
    db.prepare('UPDATE banks SET enabled = 0').run();
    expect(matcher.match({ md5: MD5, sha256: SHA, pdq: null })).toEqual([]);
  });

  it('a negative (allow-list) bank hit suppresses every match for the item', async () => {
    const { banks, matcher } = setup();
    banks.importCsv('Known abuse', `pdq,${PDQ_A},x`);
    banks.importCsv('Memes', `pdq,${flip(PDQ_A, 3)},meme`, { kind: 'negative' });
    const result = await localMediaMatcher(matcher).match({ md5: MD5, sha256: SHA, pdq: PDQ_A } as never);
    expect(result).toEqual({ matches: [], allowListed: true });
  });
});

describe('bank export and import', () => {
  it('round-trips a bank through JSON and CSV, keeping settings, labels, metadata and disabled state', () => {
    const { banks } = setup();
    banks.importCsv('Source', `pdq,${PDQ_A},"bridge, a label"\nmd5,${MD5},m`, { kind: 'negative', severity: 70, pdqThreshold: 20 });
    const bank = banks.byName('Source')!;
    const { contentId } = banks.addContent(bank.id, [{ type: 'sha256', signal: SHA }], { label: 'sha', metadata: { mxc: 'mxc://a/b' } });
    banks.setContentDisabledUntil(contentId!, 999);
    const exported = banks.exportJson('Source')!;
    const copy = banks.importJson('Copy', JSON.parse(JSON.stringify(exported)));
    expect(copy).toMatchObject({ added: 3, duplicates: 0, rejected: [], bank: { kind: 'negative', severity: 70, pdqThreshold: 20, contentCount: 3 } });
    const again = banks.exportJson('Copy')!;
    expect(again.content).toEqual(exported.content);
    const csv = banks.exportCsv('Source')!;
    expect(csv.split('\n')[1]).toBe(`pdq,${PDQ_A},"bridge, a label"`);
    expect(banks.importCsv('FromCsv', csv)).toMatchObject({ added: 3, rejected: [] });
  });
});

describe('dihedral matching', () => {
  // The bridge picture's DCT-domain variants, from ../shared/docs/pdq.md (Original, Rotate90, Rotate180, Rotate270, FlipX, FlipY, FlipPlus1, FlipMinus1).
  const BRIDGE = [
    'f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22',
    '30a10efd71c83f429013d48d0ffffc52e34e0e17ada952a9d29685211ea9e5af',
    'adad5a64b5a102e55b62a08856dacd5ae63b847fc337b4b766b319361bc93188',
    'a5f0b457a49995e8c1065c275aaa54d8b61ba49df8fcfc0383c32f8b0bfc4f05',
    'f8f80f31e0f457b00637f5d5028f980fb36ed12a9622e1e233e64c634e9c64dd',
    '0dad2599b1a1bd1a5362576752da32a5e63b7380c2374b4866b346c91bc9ce77',
    'f0a5e102f1ccc0bd945308720fff038de34ef1e8ada9a956d2967ade5ea91a50',
    'a5f04ba8a4996a17c906a3d85aaaa927b61b5b42f8fc03fc87c3d0740bfcb0fa',
  ];

  it('finds a banked rotated copy through the variants, and says which transform matched', () => {
    const { banks, matcher } = setup();
    banks.importCsv('Rotated', `pdq,${flip(BRIDGE[1]!, 4)},bridge turned`);
    expect(matcher.match({ md5: MD5, sha256: SHA, pdq: BRIDGE[0]! })).toEqual([]);
    expect(matcher.match({ md5: MD5, sha256: SHA, pdq: BRIDGE[0]!, pdqDihedral: BRIDGE })).toMatchObject([{ distance: 4, variant: 'rotate90', label: 'bridge turned' }]);
  });

  it('reports the original when it is the closest', () => {
    const { banks, matcher } = setup();
    banks.importCsv('B', `pdq,${BRIDGE[0]},bridge`);
    expect(matcher.match({ md5: MD5, sha256: SHA, pdq: BRIDGE[0]!, pdqDihedral: BRIDGE })).toMatchObject([{ distance: 0, variant: 'original' }]);
  });
});

describe('the PDQ index follows the banks without rebuilding', () => {
  it('adds imported signals and drops removed ones (directly, by content, by bank) incrementally', () => {
    const { db, banks, matcher } = setup();
    banks.importCsv('A', `pdq,${PDQ_A},a`);
    const q = { md5: MD5, sha256: SHA, pdq: flip(PDQ_A, 5) };
    expect(matcher.match(q).map((m) => m.bankName)).toEqual(['A']);
    banks.importCsv('B', `pdq,${flip(PDQ_A, 2)},b\npdq,${flip(PDQ_A, 40)},far`);
    expect(matcher.match(q).map((m) => m.bankName).sort()).toEqual(['A', 'B']);
    const bankA = banks.byName('A')!;
    expect(banks.removeSignals(bankA.id, [{ type: 'pdq', signal: PDQ_A }])).toBe(1);
    expect(matcher.match(q).map((m) => m.bankName)).toEqual(['B']);
    // A cascade (content deleted, then a whole bank) is seen through the removal log.
    banks.importCsv('C', `pdq,${flip(PDQ_A, 1)},c`);
    expect(matcher.match(q).map((m) => m.bankName).sort()).toEqual(['B', 'C']);
    db.prepare("DELETE FROM bank_content WHERE label = 'c'").run();
    banks.version++;
    expect(matcher.match(q).map((m) => m.bankName)).toEqual(['B']);
    db.prepare("DELETE FROM banks WHERE name = 'B'").run();
    banks.version++;
    expect(matcher.match(q)).toEqual([]);
    expect(matcher.fullLoads).toBe(1);
    expect(db.prepare('SELECT COUNT(*) AS n FROM bank_signal_removals').get()).toEqual({ n: 0 });
    // Ids are never reused, so a signal added after the removals is found.
    banks.importCsv('A', `pdq,${PDQ_A},back`);
    expect(matcher.match(q)).toMatchObject([{ bankName: 'A', label: 'back', distance: 5 }]);
    expect(matcher.fullLoads).toBe(1);
  });
});
