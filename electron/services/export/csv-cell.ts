/**
 * One CSV field, safe to open in a spreadsheet. A text cell starting with =, +, -, @, a tab or a carriage return is
 * read as a formula by Excel, LibreOffice and Google Sheets (`=HYPERLINK(...)`, DDE): it gets a leading apostrophe,
 * which spreadsheets show as text and hide. Numbers stay numbers. Then RFC 4180 quoting.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const s = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Undoes csvCell's apostrophe when a Matchdesk CSV is read back (bank import), so labels survive a round trip. */
export function uncsvCell(value: string): string {
  return value.startsWith("'") && FORMULA_START.test(value.slice(1)) ? value.slice(1) : value;
}
