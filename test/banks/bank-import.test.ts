import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../electron/services/store/database';
import { BankRepository } from '../../electron/services/banks/bank-repository';
import { BankImportJobs, type BankImportJob } from '../../electron/services/banks/bank-import-jobs';
import { createReader, initialState, type ReaderItem } from '../../electron/services/banks/import-reader';
import { checkImportBytes } from '../../electron/services/banks/import-check';
import { escapeBytesForDisplay } from '../../electron/services/banks/display-escape';
import { ContractError } from '../../shared/result';
import { tempDir } from '../helpers/temp-dir';
import { rng } from '../helpers/rng';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function hex(r: () => number, digits: number): string {
  let s = '';
  while (s.length < digits) s += Math.floor(r() * 2 ** 32).toString(16).padStart(8, '0');
  return s.slice(0, digits);
}

function setup(options: { mergeBatch?: number; partitionRows?: number; readChunk?: number } = {}) {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const db = openDatabase(join(dir, 'db.sqlite'));
  cleanups.unshift(() => db.close());
  const banks = new BankRepository(db);
  const done: BankImportJob[] = [];
  const jobs = new BankImportJobs({ db, banks, spoolDir: join(dir, 'spool'), onDone: (j) => done.push(j), ...options });
  cleanups.unshift(() => void jobs.close());
  const file = (name: string, content: string | Uint8Array) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  return { dir, db, banks, jobs, done, file };
}

/** A CSV of `n` rows (half PDQ, half MD5) with a header, some bad rows and some duplicates; and what it should give. */
function bigCsv(n: number, seed = 1) {
  const r = rng(seed);
  const lines = ['signal_type,signal,label'];
  const signals: string[] = [];
  const rejectedLines: number[] = [];
  let dups = 0;
  for (let i = 0; i < n; i++) {
    const line = lines.length + 1;
    if (i % 997 === 5) {
      lines.push(`pdq,${hex(r, 60)},too short`);
      rejectedLines.push(line);
    } else if (i % 1009 === 7 && signals.length > 0) {
      lines.push(`md5,${signals[signals.length - 1]!.split(',')[1]!.toUpperCase()},dup`);
      if (signals[signals.length - 1]!.startsWith('md5')) dups++;
      else {
        lines.pop();
        lines.push(`pdq,${signals[signals.length - 1]!.split(',')[1]!.toUpperCase()},"dup, quoted"`);
        dups++;
      }
    } else {
      const s = i % 2 === 0 ? `pdq,${hex(r, 64)}` : `md5,${hex(r, 32)}`;
      signals.push(s);
      lines.push(`${s},"row ${i}, with a comma"`);
    }
  }
  return { text: `${lines.join('\r\n')}\r\n`, added: signals.length, dups, rejectedLines };
}

describe('streaming import readers', () => {
  it('the CSV reader gives the same items whatever the chunk size, with line numbers of multi-line quoted records', () => {
    const csv = Buffer.from('\ufeffsignal_type,signal,label\r\npdq,aa,"two\nlines"\n\nmd5,bb,"say ""hi"""\nmd5,cc\nsha256,dd,last');
    const readAll = (size: number) => {
      const reader = createReader(initialState('csv'));
      const out: ReaderItem[] = [];
      for (let i = 0; i < csv.length; i += size) out.push(...reader.push(csv.subarray(i, i + size), i + size >= csv.length));
      return out.map((it) => ({ line: it.line, signals: it.signals, label: it.label, end: it.end }));
    };
    const whole = readAll(csv.length);
    expect(whole.map((i) => [i.line, i.signals[0]!.type, i.signals[0]!.signal, i.label])).toEqual([
      [2, 'pdq', 'aa', 'two\nlines'],
      [5, 'md5', 'bb', 'say "hi"'],
      [6, 'md5', 'cc', null],
      [7, 'sha256', 'dd', 'last'],
    ]);
    for (const size of [1, 2, 3, 7, 64]) expect(readAll(size)).toEqual(whole);
  });

  it('resumes from any checkpoint it reported: the rest of the items, none twice', () => {
    const { text } = bigCsv(300);
    const bytes = Buffer.from(text);
    const all: ReaderItem[] = [...createReader(initialState('csv')).push(bytes, true)];
    const reader = createReader(initialState('csv'));
    const firstPart: ReaderItem[] = [];
    for (const item of reader.push(bytes.subarray(0, 5000), false)) firstPart.push(item);
    const resumed = createReader(reader.state());
    const rest = [...resumed.push(bytes.subarray(reader.state().offset), true)];
    expect([...firstPart, ...rest].map((i) => i.line)).toEqual(all.map((i) => i.line));
  });

  it('the JSON reader streams content items of an export, across chunks, with their lines', () => {
    const json = JSON.stringify(
      { format: 'matchdesk-bank/1', bank: { name: 'x', kind: 'negative', severity: 70, pdqThreshold: 20 }, content: [{ label: 'a', note: null, metadata: { k: '}' }, disabledUntil: null, signals: [{ type: 'md5', signal: 'ab' }] }, { label: 'b "q"', note: 'n', metadata: {}, disabledUntil: 5, signals: [{ type: 'pdq', signal: 'cd' }, { type: 'md5', signal: 'ef' }] }] },
      null,
      2,
    );
    const bytes = Buffer.from(json);
    for (const size of [1, 5, 100, bytes.length]) {
      const reader = createReader(initialState('json'));
      const items: ReaderItem[] = [];
      for (let i = 0; i < bytes.length; i += size) items.push(...reader.push(bytes.subarray(i, i + size), i + size >= bytes.length));
      expect(items.map((i) => [i.label, i.signals.length, i.disabledUntil, i.metadata])).toEqual([
        ['a', 1, null, { k: '}' }],
        ['b "q"', 2, 5, {}],
      ]);
      expect(items[0]!.line).toBe(json.split('\n').findIndex((l) => l.includes('"label": "a"')));
      expect(reader.state()).toMatchObject({ at: 'done', formatName: 'matchdesk-bank/1', bank: { kind: 'negative', severity: 70, pdqThreshold: 20 } });
    }
  });
});

describe('checking an import before anything is created', () => {
  const check = (text: string | Uint8Array) => {
    const bytes = typeof text === 'string' ? Buffer.from(text) : text;
    return checkImportBytes(bytes, bytes.length, 'csv');
  };

  it('refuses a binary file, a wrong header, and rows that are mostly not signals, showing the first bad lines escaped', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x1b, 0x5b, 0x33, 0x31, 0x6d]);
    const bin = check(png);
    expect(bin).toMatchObject({ ok: false, message: expect.stringMatching(/not a text file/) });
    const shown = JSON.stringify(bin);
    expect(shown).toContain('\\\\x89PNG');
    for (const c of shown) expect(c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f).toBe(true); // nothing raw
    expect(check('hash,type\nabc,pdq\n')).toMatchObject({ ok: false, message: expect.stringMatching(/Wrong header/), badLines: [{ line: 1, text: 'hash,type' }] });
    expect(check('signal_type,label,signal\n')).toMatchObject({ ok: false, message: expect.stringMatching(/Wrong header/) });
    const mostlyBad = check(`pdq,${'a'.repeat(64)}\npdq,zz\nmd5,yy\nmd5,\u202eevil\n`);
    expect(mostlyBad).toMatchObject({ ok: false, message: '3 of the first 4 rows are not valid signals. Nothing was imported.' });
    expect(JSON.stringify(mostlyBad)).toContain('\\\\u{202e}evil');
    expect(check('')).toMatchObject({ ok: false, message: 'The file is empty.' });
  });

  it('accepts a file with a few bad rows among good ones, with or without a header', () => {
    expect(check(`signal_type,signal,label\npdq,${'a'.repeat(64)},x\npdq,zz,broken row\nmd5,${'b'.repeat(32)},y`)).toMatchObject({ ok: true, sampled: 3, valid: 2 });
    expect(check(`MD5,${'b'.repeat(32)}`)).toMatchObject({ ok: true, valid: 1 });
    const notExport = checkImportBytes(Buffer.from('{"hello": 1}'), 12, 'json');
    expect(notExport).toMatchObject({ ok: false, message: expect.stringMatching(/Not a Matchdesk bank export/) });
  });

  it('escapes control characters, invalid UTF-8 and bidi overrides, and shortens long lines', () => {
    expect(escapeBytesForDisplay(Buffer.from([0x61, 0x00, 0x1b, 0xff, 0x62]))).toBe('a\\x00\\x1b\\xffb');
    expect(escapeBytesForDisplay(Buffer.from('caf\u00e9 \u202e \\'))).toBe('caf\u00e9 \\u{202e} \\\\');
    expect(escapeBytesForDisplay(Buffer.from('x'.repeat(500)), 10)).toBe(`${'x'.repeat(10)}…`);
  });
});

describe('background bank imports from files', () => {
  it('imports a CSV in many partitions and transactions, counting duplicates and rejecting bad rows by line', async () => {
    const { jobs, banks, db, file, done, dir } = setup({ mergeBatch: 700, partitionRows: 2_000, readChunk: 64 * 1024 });
    const csv = bigCsv(20_000);
    const job = await jobs.startFromFile(file('list.csv', csv.text), { bankName: 'Big', actor: 'alice' });
    const seen = new Set<string>();
    while (jobs.get(job.id)!.state === 'running') {
      const j = jobs.get(job.id)!;
      seen.add(`${j.phase}:${j.bytesRead}:${j.merged}`);
      await new Promise((r) => setTimeout(r, 1));
    }
    await jobs.idle();
    const final = jobs.get(job.id)!;
    expect(final).toMatchObject({ state: 'done', phase: 'finished', total: 20_000, added: csv.added, duplicates: csv.dups, rejectedCount: csv.rejectedLines.length, actor: 'alice' });
    expect(final.rejected.map((r) => r.line)).toEqual(csv.rejectedLines);
    expect(final.rejected[0]!.message).toMatch(/is not a valid pdq signal/);
    expect(seen.size).toBeGreaterThan(3); // progress was visible while it ran
    expect(banks.byName('Big')).toMatchObject({ signalCount: csv.added, contentCount: csv.added });
    expect(db.prepare('SELECT partitions FROM bank_import_jobs').get()).toEqual({ partitions: 16 });
    expect(readdirSync(join(dir, 'spool'))).toEqual([]); // stage files gone
    expect(db.prepare("SELECT COUNT(*) AS n FROM bank_content WHERE label LIKE 'row %, with a comma'").get()).toEqual({ n: csv.added });
    expect(done.map((j) => j.state)).toEqual(['done']);
    // Importing the same file again adds nothing.
    const again = await jobs.startFromFile(file('again.csv', csv.text), { bankName: 'Big', actor: 'alice' });
    await jobs.idle();
    expect(jobs.get(again.id)).toMatchObject({ state: 'done', added: 0, duplicates: csv.added + csv.dups });
  });

  it('a signal another writer adds to the bank during the import is a duplicate, not a second row', async () => {
    const { jobs, banks, file } = setup({ mergeBatch: 100, partitionRows: 1_000_000 });
    const rows = Array.from({ length: 3000 }, (_, i) => `md5,${i.toString(16).padStart(32, '0')},row ${i}`);
    const late = (2999).toString(16).padStart(32, '0');
    // After the first adding step commits, another writer (the outbox, say) adds a signal that comes later in the file.
    let version = banks.version;
    let injected = false;
    Object.defineProperty(banks, 'version', {
      get: () => version,
      set: (v: number) => {
        version = v;
        if (!injected && banks.byName('Shared')?.signalCount) {
          injected = true;
          banks.addContent(banks.byName('Shared')!.id, [{ type: 'md5', signal: late }], { label: 'added meanwhile' });
        }
      },
    });
    const job = await jobs.startFromFile(file('shared.csv', rows.join('\n')), { bankName: 'Shared', actor: 'a' });
    await jobs.idle();
    expect(injected).toBe(true);
    expect(jobs.get(job.id)).toMatchObject({ state: 'done', added: 2999, duplicates: 1 });
    expect(banks.byName('Shared')).toMatchObject({ signalCount: 3000 });
  });

  it('round-trips a JSON export through a file import, creating the bank with its settings', async () => {
    const { jobs, banks, file } = setup({ readChunk: 1000 });
    const csv = bigCsv(500, 3);
    banks.importCsv('Source', csv.text, { kind: 'negative', severity: 70, pdqThreshold: 20 });
    const src = banks.byName('Source')!;
    const { contentId } = banks.addContent(src.id, [{ type: 'sha256', signal: 'ab'.repeat(32) }, { type: 'md5', signal: 'cd'.repeat(16) }], { label: 'two', note: 'n', metadata: { mxc: 'mxc://a/b' } });
    banks.setContentDisabledUntil(contentId!, 999);
    const exported = banks.exportJson('Source')!;
    const job = await jobs.startFromFile(file('export.json', JSON.stringify(exported, null, 1)), { bankName: 'Copy', actor: 'a' });
    await jobs.idle();
    expect(jobs.get(job.id)).toMatchObject({ state: 'done', format: 'json', added: csv.added + 2, duplicates: 0, rejectedCount: 0 });
    expect(banks.byName('Copy')).toMatchObject({ kind: 'negative', severity: 70, pdqThreshold: 20, contentCount: csv.added + 1 });
    const sort = (c: typeof exported.content) => [...c].sort((a, b) => (a.signals[0]!.signal < b.signals[0]!.signal ? -1 : 1));
    expect(sort(banks.exportJson('Copy')!.content)).toEqual(sort(exported.content));
  });

  it('a bad file creates no bank and leaves no job; an upload over the limit is cut and its spool file removed', async () => {
    const { jobs, banks, file, dir } = setup();
    const bin = Buffer.alloc(4096);
    bin.write('GIF89a');
    await expect(jobs.startFromFile(file('x.csv', bin), { bankName: 'Nope', actor: 'a' })).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/not a text file/) });
    await expect(jobs.startFromFile(file('y.csv', 'hash,label\n'), { bankName: 'Nope', actor: 'a' })).rejects.toBeInstanceOf(ContractError);
    await expect(jobs.startFromFile(join(dir, 'missing.csv'), { bankName: 'Nope', actor: 'a' })).rejects.toMatchObject({ code: 'not_found' });
    const big = Readable.from((function* () {
      for (let i = 0; i < 100; i++) yield Buffer.from(`md5,${'a'.repeat(32)},x\n`.repeat(100));
    })());
    await expect(jobs.startFromStream(big, { bankName: 'Nope', actor: 'a', fileName: 'big.csv', maxBytes: 10_000 })).rejects.toMatchObject({ message: /larger than the limit/ });
    expect(banks.byName('Nope')).toBeNull();
    expect(jobs.list()).toEqual([]);
    expect(readdirSync(join(dir, 'spool'))).toEqual([]);
  });

  it('an upload is spooled, imported and its spool file deleted; cancel keeps what was added', async () => {
    const { jobs, banks, dir } = setup({ mergeBatch: 200, partitionRows: 500, readChunk: 16 * 1024 });
    const csv = bigCsv(6_000, 9);
    const job = await jobs.startFromStream(Readable.from([Buffer.from(csv.text)]), { bankName: 'Up', actor: 'a', fileName: 'up.csv' });
    await jobs.idle();
    expect(jobs.get(job.id)).toMatchObject({ state: 'done', added: csv.added, fileName: 'up.csv' });
    expect(readdirSync(join(dir, 'spool'))).toEqual([]);

    const other = bigCsv(6_000, 10);
    const second = await jobs.startFromStream(Readable.from([Buffer.from(other.text)]), { bankName: 'Up2', actor: 'a', fileName: 'up2.csv' });
    while (jobs.get(second.id)!.merged === 0) await new Promise((r) => setTimeout(r, 1));
    expect(jobs.cancel(second.id)).toBe(true);
    await jobs.idle();
    const cancelled = jobs.get(second.id)!;
    expect(cancelled.state).toBe('cancelled');
    expect(banks.byName('Up2')!.signalCount).toBe(cancelled.added);
    expect(cancelled.added).toBeLessThan(other.added);
    expect(readdirSync(join(dir, 'spool'))).toEqual([]);
  });
});

describe('bank import crash', () => {
  it('SIGKILLed while reading and again while adding, a resumed import ends exactly like an uninterrupted one', async () => {
    const { dir, file } = setup();
    const csv = bigCsv(60_000, 21);
    const path = file('crash.csv', csv.text);
    const dbFile = join(dir, 'crash.sqlite');
    const child = resolve(import.meta.dirname, 'import-crash-child.ts');
    const runUntil = (stop: (p: { phase: string; offset: number; merged: number }) => boolean) =>
      new Promise<{ id: string; phase: string; offset: number; rowsRead: number; merged: number }>((resolvePromise, reject) => {
        const proc = spawn(process.execPath, ['--import', 'tsx', child, dbFile, join(dir, 'spool'), path], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
        proc.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const lines = out.split('\n');
          out = lines.pop()!;
          for (const l of lines) {
            const p = JSON.parse(l) as { id: string; phase: string; offset: number; rowsRead: number; merged: number };
            if (stop(p)) {
              proc.kill('SIGKILL');
              resolvePromise(p);
            }
          }
        });
        proc.on('exit', (code, signal) => {
          if (signal !== 'SIGKILL') reject(new Error(`child exited ${code}: ${err}`));
        });
      });
    // Killed while reading the file, then (resumed in a second process) killed while adding the rows.
    const first = await runUntil((p) => p.phase === 'reading' && p.offset > 200_000);
    expect(first.offset).toBeLessThan(Buffer.byteLength(csv.text));
    const second = await runUntil((p) => p.phase === 'adding' && p.merged > 0);
    expect(second.id).toBe(first.id);
    expect(second.rowsRead).toBe(60_000);
    const db = openDatabase(dbFile);
    try {
      expect(db.prepare('SELECT COUNT(*) AS n FROM bank_import_jobs').get()).toEqual({ n: 1 });
      const banks = new BankRepository(db);
      const again = new BankImportJobs({ db, banks, spoolDir: join(dir, 'spool'), mergeBatch: 500, partitionRows: 5_000 });
      again.resume();
      await again.idle();
      const final = again.get(first.id)!;
      // Rows read exactly once in total: the count equals the file's rows, and every row landed once.
      expect(final).toMatchObject({ state: 'done', total: 60_000, added: csv.added, duplicates: csv.dups, rejectedCount: csv.rejectedLines.length });
      expect(final.rejected.map((r) => r.line)).toEqual(csv.rejectedLines);
      const bank = db.prepare("SELECT id FROM banks WHERE name = 'Crash'").get() as { id: number };
      expect(db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT signal) AS d FROM bank_signals WHERE bank_id = ?').get(bank.id)).toEqual({ n: csv.added, d: csv.added });
    } finally {
      db.close();
    }
  }, 120_000);
});
