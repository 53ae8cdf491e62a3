/** Minimal RFC 4180 reader: quoted fields, doubled quotes, CRLF or LF. Yields [lineNumber, fields]. */
export function* readCsv(text: string): Generator<[number, string[]]> {
  let line = 1;
  let recordLine = 1;
  let field = '';
  let fields: string[] = [];
  let inQuotes = false;
  let sawAny = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"') {
      inQuotes = true;
      sawAny = true;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
      sawAny = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      fields.push(field);
      if (sawAny || fields.some((f) => f.length > 0)) yield [recordLine, fields];
      fields = [];
      field = '';
      sawAny = false;
      line++;
      recordLine = line;
    } else {
      field += ch;
      sawAny = true;
    }
  }
  fields.push(field);
  if (sawAny || fields.some((f) => f.length > 0)) yield [recordLine, fields];
}
