// Streaming readers for bank import files. They take the file in chunks of bytes (never the whole file as a string),
// yield one item at a time with the byte offset just past it, and can start again from any offset they yielded, so an
// import resumes where its last committed chunk ended.

import type { ImportItem } from './bank-repository';

/** A record longer than this is rejected and skipped (a binary file without line breaks must not grow a buffer). */
export const MAX_RECORD_BYTES = 1 << 20;

export interface ReaderItem extends ImportItem {
  /** Byte offset just past this item: where a resumed read starts. */
  end: number;
  /** Byte range of the item's text in the file, for showing a rejected line. */
  start: number;
  /** Set when the item could not be read at all (overlong record, malformed JSON element). */
  error?: string;
}

export interface CsvState {
  format: 'csv';
  offset: number;
  line: number;
}

export interface JsonState {
  format: 'json';
  offset: number;
  line: number;
  /** Where the reader is in `{"format":…,"bank":…,"content":[…]}`. */
  at: 'start' | 'key' | 'after-value' | 'content-first' | 'content-next' | 'done';
  item: number;
  formatName: string | null;
  bank: { kind?: unknown; severity?: unknown; pdqThreshold?: unknown } | null;
}

export type ReaderState = CsvState | JsonState;

export function initialState(format: 'csv' | 'json'): ReaderState {
  return format === 'csv'
    ? { format, offset: 0, line: 1 }
    : { format, offset: 0, line: 1, at: 'start', item: 0, formatName: null, bank: null };
}

export interface ItemReader {
  /** Feeds the next chunk (eof: no more will come) and yields every item now complete. */
  push(chunk: Uint8Array, eof: boolean): Generator<ReaderItem>;
  /** The state after the last yielded item: resume from here. */
  state(): ReaderState;
}

export function createReader(state: ReaderState): ItemReader {
  return state.format === 'csv' ? new CsvReader(state) : new JsonReader(state);
}

const NL = 10;
const CR = 13;
const QUOTE = 34;
const COMMA = 44;

/** RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF) of signal_type,signal,label; a header row is skipped. */
class CsvReader implements ItemReader {
  private buf: Buffer = Buffer.alloc(0);
  /** File offset of buf[0]. */
  private base: number;
  /** Bytes of buf already consumed (dropped on the next push). */
  private pos = 0;
  private line: number;
  /** Skipping the rest of an overlong record up to its line break. */
  private skipping = false;

  constructor(state: CsvState) {
    this.base = state.offset;
    this.line = state.line;
  }

  state(): CsvState {
    return { format: 'csv', offset: this.base + this.pos, line: this.line };
  }

  *push(chunk: Uint8Array, eof: boolean): Generator<ReaderItem> {
    const rest = this.buf.subarray(this.pos);
    this.base += this.pos;
    this.pos = 0;
    const fresh = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const buf = (this.buf = rest.length === 0 ? fresh : Buffer.concat([rest, fresh]));
    if (this.base === 0 && buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) this.pos = 3; // UTF-8 BOM
    // The next quote at or after pos (Infinity: none in this buffer). Kept across lines: searching from each line to
    // the end of the buffer would make a chunk quadratic.
    let q = -1;
    while (this.pos < buf.length) {
      const pos = this.pos;
      const nl = buf.indexOf(NL, pos);
      if (this.skipping) {
        if (nl === -1) {
          this.pos = buf.length;
          break;
        }
        this.skipping = false;
        this.line++;
        this.pos = nl + 1;
        continue;
      }
      if (q !== Infinity && q < pos) {
        q = buf.indexOf(QUOTE, pos);
        if (q === -1) q = Infinity;
      }
      let rec: { fields: string[]; next: number; lines: number } | null;
      if (q === Infinity || (nl !== -1 && q > nl)) {
        if (nl === -1 && !eof) rec = null;
        else {
          const next = nl === -1 ? buf.length : nl + 1;
          let end = nl === -1 ? buf.length : nl;
          if (end > pos && buf[end - 1] === CR) end--;
          rec = { fields: splitPlain(buf, pos, end), next, lines: 1 };
        }
      } else rec = parseQuoted(buf, pos, eof);
      if (rec === null) {
        if (buf.length - pos > MAX_RECORD_BYTES) {
          const item: ReaderItem = { line: this.line, signals: [], label: null, start: this.base + pos, end: this.base + buf.length, error: `line longer than ${MAX_RECORD_BYTES} bytes` };
          this.skipping = true;
          this.pos = buf.length;
          yield item;
        }
        break;
      }
      const line = this.line;
      const start = this.base + pos;
      this.line += rec.lines;
      this.pos = rec.next;
      const fields = rec.fields;
      if (fields.length === 1 && fields[0]!.trim() === '') continue; // blank line
      if (line === 1 && start <= 3 && (fields[0] ?? '').trim().toLowerCase() === 'signal_type') continue; // header
      const [type = '', signal = '', label = ''] = fields;
      const item: ReaderItem = { line, signals: [{ type, signal }], label: label.trim() || null, start, end: this.base + rec.next };
      if (rec.next - pos > MAX_RECORD_BYTES) item.error = `line longer than ${MAX_RECORD_BYTES} bytes`;
      yield item;
    }
  }
}

function splitPlain(buf: Buffer, start: number, end: number): string[] {
  const fields: string[] = [];
  let s = start;
  for (;;) {
    const c = buf.indexOf(COMMA, s);
    if (c === -1 || c >= end) {
      fields.push(buf.toString('utf8', s, end));
      return fields;
    }
    fields.push(buf.toString('utf8', s, c));
    s = c + 1;
  }
}

/** A record with quotes, possibly spanning lines. Null when it does not end inside `buf` (and more may come). */
function parseQuoted(buf: Buffer, start: number, eof: boolean): { fields: string[]; next: number; lines: number } | null {
  const fields: string[] = [];
  let inQuotes = false;
  let lines = 1;
  let i = start;
  // A field is the concatenation of the byte runs between quotes (a doubled quote keeps one).
  let parts: Buffer[] = [];
  let runStart = start;
  const flushRun = (end: number) => {
    if (end > runStart) parts.push(buf.subarray(runStart, end));
  };
  const finishField = (end: number) => {
    flushRun(end);
    fields.push(parts.length === 1 ? parts[0]!.toString('utf8') : Buffer.concat(parts).toString('utf8'));
    parts = [];
  };
  for (; i < buf.length; i++) {
    const ch = buf[i]!;
    if (inQuotes) {
      if (ch === QUOTE) {
        if (i + 1 >= buf.length && !eof) return null;
        if (buf[i + 1] === QUOTE) {
          flushRun(i + 1); // keep one quote
          i++;
          runStart = i + 1;
        } else {
          flushRun(i);
          inQuotes = false;
          runStart = i + 1;
        }
      } else if (ch === NL) lines++;
      continue;
    }
    if (ch === QUOTE) {
      flushRun(i);
      inQuotes = true;
      runStart = i + 1;
    } else if (ch === COMMA) {
      finishField(i);
      runStart = i + 1;
    } else if (ch === NL) {
      const end = i > runStart && buf[i - 1] === CR ? i - 1 : i;
      finishField(end);
      return { fields, next: i + 1, lines };
    }
  }
  if (!eof) return null;
  finishField(buf.length);
  return { fields, next: buf.length, lines };
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Matchdesk's bank export, `{"format":"matchdesk-bank/1","bank":{…},"content":[{…},…]}`, one content item at a time. */
class JsonReader implements ItemReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private readonly st: JsonState;

  constructor(state: JsonState) {
    this.st = { ...state };
  }

  state(): JsonState {
    return { ...this.st };
  }

  /** Moves the read position to `to`, counting lines and the file offset. */
  private advance(to: number): void {
    const buf = this.buf;
    for (let k = this.pos; k < to; k++) if (buf[k] === NL) this.st.line++;
    this.st.offset += to - this.pos;
    this.pos = to;
  }

  private fail(message: string): never {
    throw new ImportFormatError(message, this.st.line);
  }

  *push(chunk: Uint8Array, eof: boolean): Generator<ReaderItem> {
    const rest = this.buf.subarray(this.pos);
    this.pos = 0;
    const fresh = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const buf = (this.buf = rest.length === 0 ? fresh : Buffer.concat([rest, fresh]));
    const st = this.st;
    loop: while (st.at !== 'done') {
      let k = this.pos;
      if (st.offset === 0 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) k = 3; // UTF-8 BOM
      while (k < buf.length && WS.has(buf[k]!)) k++;
      this.advance(k);
      const pos = this.pos;
      if (pos >= buf.length) break;
      const ch = buf[pos]!;
      switch (st.at) {
        case 'start':
          if (ch !== 0x7b) this.fail('not a JSON object (a Matchdesk bank export starts with {)');
          this.advance(pos + 1);
          st.at = 'key';
          break;
        case 'after-value':
          if (ch !== 0x2c && ch !== 0x7d) this.fail('expected , or } after a value');
          this.advance(pos + 1);
          st.at = ch === 0x2c ? 'key' : 'done';
          break;
        case 'key': {
          if (ch === 0x7d) {
            this.advance(pos + 1);
            st.at = 'done';
            break;
          }
          if (ch !== QUOTE) this.fail('expected a key');
          const keyEnd = valueEnd(buf, pos);
          if (keyEnd === -1) break loop;
          let v = keyEnd;
          while (v < buf.length && WS.has(buf[v]!)) v++;
          if (v >= buf.length) break loop;
          if (buf[v] !== 0x3a) this.fail('expected : after a key');
          v++;
          while (v < buf.length && WS.has(buf[v]!)) v++;
          if (v >= buf.length) break loop;
          const key = JSON.parse(buf.toString('utf8', pos, keyEnd)) as string;
          if (key === 'content') {
            if (buf[v] !== 0x5b) this.fail('"content" must be an array');
            this.advance(v + 1);
            st.at = 'content-first';
            break;
          }
          const end = valueEnd(buf, v);
          if (end === -1) {
            if (buf.length - v > MAX_RECORD_BYTES) this.fail(`the value of "${key.slice(0, 40)}" is longer than ${MAX_RECORD_BYTES} bytes`);
            break loop;
          }
          let value: unknown;
          try {
            value = JSON.parse(buf.toString('utf8', v, end));
          } catch {
            this.fail(`the value of "${key.slice(0, 40)}" is not valid JSON`);
          }
          if (key === 'format') st.formatName = typeof value === 'string' ? value : JSON.stringify(value);
          if (key === 'bank' && value && typeof value === 'object') {
            const b = value as Record<string, unknown>;
            st.bank = { kind: b.kind, severity: b.severity, pdqThreshold: b.pdqThreshold };
          }
          this.advance(end);
          st.at = 'after-value';
          break;
        }
        case 'content-first':
        case 'content-next': {
          if (ch === 0x5d) {
            this.advance(pos + 1);
            st.at = 'after-value';
            break;
          }
          if (st.at === 'content-next') {
            if (ch !== 0x2c) this.fail('expected , or ] between content items');
            this.advance(pos + 1);
            st.at = 'content-first';
            break;
          }
          const end = valueEnd(buf, pos);
          if (end === -1) {
            if (buf.length - pos > MAX_RECORD_BYTES) this.fail(`content item ${st.item + 1} is longer than ${MAX_RECORD_BYTES} bytes`);
            break loop;
          }
          const line = st.line;
          const start = st.offset;
          let parsed: unknown;
          let error: string | undefined;
          try {
            parsed = JSON.parse(buf.toString('utf8', pos, end));
          } catch {
            error = 'not valid JSON';
          }
          this.advance(end);
          st.item++;
          st.at = 'content-next';
          yield error ? { line, signals: [], label: null, start, end: st.offset, error } : toItem(parsed, line, start, st.offset);
          break;
        }
        default:
          break loop;
      }
    }
    if (eof && st.at !== 'done') this.fail(st.at === 'start' ? 'the file is empty' : 'the file ends before the JSON does');
  }
}

/** Checks that the rest of the file after the JSON is only whitespace. */
export function trailingIsWhitespace(bytes: Uint8Array): boolean {
  for (const b of bytes) if (!WS.has(b)) return false;
  return true;
}

function toItem(value: unknown, line: number, start: number, end: number): ReaderItem {
  const bad = (error: string): ReaderItem => ({ line, signals: [], label: null, start, end, error });
  if (!value || typeof value !== 'object' || Array.isArray(value)) return bad('a content item must be an object');
  const c = value as Record<string, unknown>;
  if (!Array.isArray(c.signals) || c.signals.length === 0) return bad('a content item needs a non-empty "signals" array');
  if (c.signals.length > 20) return bad('a content item has at most 20 signals');
  const signals: { type: string; signal: string }[] = [];
  for (const s of c.signals as unknown[]) {
    const o = (s ?? {}) as Record<string, unknown>;
    if (typeof o.type !== 'string' || typeof o.signal !== 'string') return bad('each signal needs a "type" and a "signal" string');
    signals.push({ type: o.type, signal: o.signal });
  }
  const str = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : null);
  const metadata = c.metadata && typeof c.metadata === 'object' && !Array.isArray(c.metadata) ? (c.metadata as Record<string, unknown>) : {};
  const disabledUntil = typeof c.disabledUntil === 'number' && Number.isInteger(c.disabledUntil) ? c.disabledUntil : null;
  return { line, start, end, signals, label: str(c.label, 1000), note: str(c.note, 4000), metadata, disabledUntil };
}

/** End (exclusive) of the JSON value starting at `pos`, or -1 when it does not end inside `buf`. */
function valueEnd(buf: Buffer, pos: number): number {
  const first = buf[pos]!;
  if (first === QUOTE) return stringEnd(buf, pos);
  if (first === 0x7b || first === 0x5b) {
    let depth = 0;
    for (let i = pos; i < buf.length; i++) {
      const ch = buf[i]!;
      if (ch === QUOTE) {
        const e = stringEnd(buf, i);
        if (e === -1) return -1;
        i = e - 1;
      } else if (ch === 0x7b || ch === 0x5b) depth++;
      else if (ch === 0x7d || ch === 0x5d) {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return -1;
  }
  // number, true, false, null
  let i = pos;
  while (i < buf.length && !WS.has(buf[i]!) && buf[i] !== 0x2c && buf[i] !== 0x7d && buf[i] !== 0x5d) i++;
  return i < buf.length ? i : -1;
}

function stringEnd(buf: Buffer, pos: number): number {
  for (let i = pos + 1; i < buf.length; i++) {
    const ch = buf[i]!;
    if (ch === 0x5c) i++;
    else if (ch === QUOTE) return i + 1;
  }
  return -1;
}

export class ImportFormatError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'ImportFormatError';
  }
}
