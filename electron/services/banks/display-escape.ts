// Untrusted text (lines of an import file) shown back to a moderator: every byte that is not printable text becomes a
// visible escape, so binary data, terminal control sequences or bidirectional overrides never reach the page raw.

/** Control, format and invisible code points (and U+FFFD, the mark of a decoding error). */
const INVISIBLE_RANGES: [number, number][] = [
  [0x00, 0x1f],
  [0x7f, 0x9f],
  [0xad, 0xad],
  [0x61c, 0x61c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180e, 0x180e],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xfff0, 0xfffd],
  [0xe0000, 0xe007f],
];

function invisible(code: number): boolean {
  return INVISIBLE_RANGES.some(([lo, hi]) => code >= lo && code <= hi);
}

function escapeChar(ch: string): string {
  const code = ch.codePointAt(0)!;
  if (ch === '\t') return '\\t';
  if (ch === '\r') return '\\r';
  if (ch === '\n') return '\\n';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/**
 * Bytes as a short printable string: valid UTF-8 text is kept, invalid bytes become \xNN, control and invisible
 * characters become \xNN or \u{…}, backslashes are doubled, and the result stops after `max` characters with "…".
 */
export function escapeBytesForDisplay(bytes: Uint8Array, max = 120): string {
  let out = '';
  let i = 0;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  while (i < bytes.length && out.length < max) {
    const b = bytes[i]!;
    let len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    let text: string | null = null;
    if (len > 0 && i + len <= bytes.length) {
      try {
        text = decoder.decode(bytes.subarray(i, i + len));
      } catch {
        text = null;
      }
    }
    if (text === null) {
      out += `\\x${b.toString(16).padStart(2, '0')}`;
      len = 1;
    } else out += escapeText(text);
    i += len;
  }
  return i < bytes.length || out.length > max ? `${out.slice(0, max)}…` : out;
}

/** A string as a short printable string (the same escapes as escapeBytesForDisplay). */
export function escapeTextForDisplay(text: string, max = 120): string {
  const escaped = escapeText(text.length > max * 2 ? text.slice(0, max * 2) : text);
  return escaped.length > max || text.length > max * 2 ? `${escaped.slice(0, max)}…` : escaped;
}

function escapeText(text: string): string {
  let out = '';
  for (const ch of text) {
    if (ch === '\\') out += '\\\\';
    else if (invisible(ch.codePointAt(0)!)) out += escapeChar(ch);
    else out += ch;
  }
  return out;
}
