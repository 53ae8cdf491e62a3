// The look at an import file before anything is created: a binary file, a wrong header, a file that is not a bank
// export or whose first rows are mostly not signals is refused with its first bad lines, escaped for display.

import { open } from 'node:fs/promises';
import { normaliseSignal } from './bank-signals';
import { escapeBytesForDisplay } from './display-escape';
import { createReader, ImportFormatError, initialState, type JsonState, type ReaderItem } from './import-reader';

/** How much of the file is looked at. */
export const CHECK_BYTES = 256 * 1024;
const SAMPLE_ROWS = 1000;
const SHOWN_LINES = 5;

export interface BadLine {
  line: number;
  /** The line as printable text (escaped, shortened). */
  text: string;
  problem: string;
}

export type ImportCheck =
  | { ok: true; format: 'csv' | 'json'; sampled: number; valid: number; bank: JsonState['bank'] }
  | { ok: false; format: 'csv' | 'json'; message: string; badLines: BadLine[] };

export function detectFormat(head: Uint8Array, fileName?: string): 'csv' | 'json' {
  const lower = fileName?.toLowerCase() ?? '';
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.csv')) return 'csv';
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)) i++;
  return head[i] === 0x7b ? 'json' : 'csv';
}

/** Checks the start of an import file on disk. */
export async function checkImportFile(path: string, format?: 'csv' | 'json', fileName?: string): Promise<ImportCheck & { size: number }> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const head = new Uint8Array(Math.min(size, CHECK_BYTES));
    let got = 0;
    while (got < head.length) {
      const { bytesRead } = await fh.read(head, got, head.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return { ...checkImportBytes(head.subarray(0, got), size, format ?? detectFormat(head, fileName)), size };
  } finally {
    await fh.close();
  }
}

/** Checks `head`, the first bytes of a file of `size` bytes (the whole file when head.length === size). */
export function checkImportBytes(head: Uint8Array, size: number, format: 'csv' | 'json'): ImportCheck {
  const fail = (message: string, badLines: BadLine[] = []): ImportCheck => ({ ok: false, format, message, badLines });
  if (size === 0 || head.length === 0) return fail('The file is empty.');
  const whole = head.length >= size;
  const binary = binaryAt(head, whole);
  if (binary !== null) {
    return fail(`This is not a text file: byte ${binary + 1} is binary data. Nothing was imported.`, firstLines(head, 3, 'binary data'));
  }
  if (format === 'csv') {
    const header = headerProblem(head);
    if (header) return fail(header.message, [header.line]);
  }
  const reader = createReader(initialState(format));
  const items: ReaderItem[] = [];
  try {
    for (const item of reader.push(whole ? head : trimToLastLine(head), whole)) {
      items.push(item);
      if (items.length >= SAMPLE_ROWS) break;
    }
  } catch (e) {
    if (!(e instanceof ImportFormatError)) throw e;
    return fail(`Not a Matchdesk bank export: ${e.message} (line ${e.line}).`, lineAt(head, e.line, e.message));
  }
  let bank: JsonState['bank'] = null;
  if (format === 'json') {
    const st = reader.state() as JsonState;
    bank = st.bank;
    const pastHeader = st.at === 'content-first' || st.at === 'content-next' || st.at === 'after-value' || st.at === 'done';
    if ((st.formatName !== null || pastHeader) && st.formatName !== 'matchdesk-bank/1') {
      return fail(`Not a Matchdesk bank export: expected "format": "matchdesk-bank/1"${st.formatName ? `, found ${escapeBytesForDisplay(Buffer.from(st.formatName), 60)}` : ''}.`);
    }
  }
  const bad: BadLine[] = [];
  let valid = 0;
  for (const item of items) {
    const problem = item.error ?? item.signals.map((s) => normaliseSignal(s.type, s.signal)).find((r): r is { error: string } => 'error' in r)?.error;
    if (problem) bad.push({ line: item.line, text: escapeBytesForDisplay(head.subarray(item.start, Math.min(item.end, item.start + 400))), problem });
    else valid++;
  }
  const sampled = items.length;
  if (sampled === 0) {
    if (format === 'json' && whole) return { ok: true, format, sampled, valid, bank };
    return fail(format === 'csv' ? 'The file has no rows of signals.' : `No content item found in the first ${CHECK_BYTES / 1024} KB.`);
  }
  if (valid === 0) return fail(`None of the first ${sampled} ${format === 'csv' ? 'rows' : 'content items'} is a valid signal. Nothing was imported.`, bad.slice(0, SHOWN_LINES));
  if (bad.length > valid) {
    return fail(`${bad.length} of the first ${sampled} ${format === 'csv' ? 'rows' : 'content items'} are not valid signals. Nothing was imported.`, bad.slice(0, SHOWN_LINES));
  }
  return { ok: true, format, sampled, valid, bank };
}

const KNOWN_TYPES = new Set(['pdq', 'md5', 'video_md5', 'sha256']);

/** A first line that is neither the header signal_type,signal[,label] nor a row starting with a signal type. */
function headerProblem(head: Uint8Array): { message: string; line: BadLine } | null {
  let start = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  let line = 1;
  // Skip leading blank lines.
  for (;;) {
    const nl = head.indexOf(0x0a, start);
    const end = nl === -1 ? head.length : nl;
    const text = Buffer.from(head.buffer, head.byteOffset + start, end - start).toString('utf8').replace(/\r$/, '');
    if (text.trim() === '' && nl !== -1) {
      start = nl + 1;
      line++;
      continue;
    }
    const cells = text.split(',').map((c) => c.trim().toLowerCase().replace(/^"(.*)"$/, '$1'));
    const first = cells[0] ?? '';
    if (KNOWN_TYPES.has(first)) return null;
    const shown: BadLine = { line, text: escapeBytesForDisplay(head.subarray(start, Math.min(end, start + 400))), problem: '' };
    if (first === 'signal_type') {
      if (cells[1] === 'signal' && (cells.length === 2 || cells[2] === 'label')) return null;
      return { message: 'Wrong header: the columns must be signal_type,signal,label. Nothing was imported.', line: { ...shown, problem: 'expected signal_type,signal,label' } };
    }
    return {
      message: 'Wrong header: the first line must be signal_type,signal,label (or a row such as pdq,<64 hex digits>,label). Nothing was imported.',
      line: { ...shown, problem: 'not the header signal_type,signal,label' },
    };
  }
}

/** Index of the first byte that marks binary data (NUL, invalid UTF-8, or control characters), or null. */
function binaryAt(head: Uint8Array, whole: boolean): number | null {
  const nul = head.indexOf(0);
  if (nul !== -1) return nul;
  let controls = 0;
  for (let i = 0; i < head.length; i++) {
    const b = head[i]!;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) {
      controls++;
      if (controls > 8 && controls * 100 > i) return i;
    }
  }
  const text = whole ? head : trimIncompleteUtf8(head);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(text);
  } catch {
    return firstInvalidUtf8(text);
  }
  return null;
}

function trimIncompleteUtf8(head: Uint8Array): Uint8Array {
  let end = head.length;
  let back = 0;
  while (end > 0 && back < 4 && (head[end - 1]! & 0xc0) === 0x80) {
    end--;
    back++;
  }
  if (end > 0 && head[end - 1]! >= 0xc0) end--;
  return head.subarray(0, end);
}

/** Index of the first byte that is not part of a well-formed UTF-8 sequence (bytes.length if none). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len === 0 || i + len > bytes.length) return i;
    if (len > 1) {
      try {
        decoder.decode(bytes.subarray(i, i + len));
      } catch {
        return i;
      }
    }
    i += len;
  }
  return bytes.length;
}

function trimToLastLine(head: Uint8Array): Uint8Array {
  const nl = head.lastIndexOf(0x0a);
  return nl === -1 ? head : head.subarray(0, nl + 1);
}

function firstLines(head: Uint8Array, n: number, problem: string): BadLine[] {
  const out: BadLine[] = [];
  let start = 0;
  for (let line = 1; line <= n && start < head.length; line++) {
    const nl = head.indexOf(0x0a, start);
    const end = nl === -1 ? head.length : nl;
    out.push({ line, text: escapeBytesForDisplay(head.subarray(start, Math.min(end, start + 400))), problem });
    if (nl === -1) break;
    start = nl + 1;
  }
  return out;
}

function lineAt(head: Uint8Array, line: number, problem: string): BadLine[] {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = head.indexOf(0x0a, start);
    if (nl === -1) return [];
    start = nl + 1;
  }
  const nl = head.indexOf(0x0a, start);
  const end = nl === -1 ? head.length : nl;
  return [{ line, text: escapeBytesForDisplay(head.subarray(start, Math.min(end, start + 400))), problem }];
}

/** The check's verdict as one message with its lines, for an error shown to a moderator. */
export function describeCheck(check: Extract<ImportCheck, { ok: false }>): { message: string; issues: { path: string; message: string }[] } {
  return { message: check.message, issues: check.badLines.map((b) => ({ path: `line ${b.line}`, message: `${b.problem}: ${b.text}` })) };
}
