// Minimal multipart/form-data parser for the HMA test double (Werkzeug semantics that matter to HMA: parts with a
// filename are files, parts without are form fields; a field name may repeat).

export interface MultipartPart {
  name: string;
  filename: string | null;
  contentType: string | null;
  data: Buffer;
}

export interface ParsedMultipart {
  files: MultipartPart[];
  fields: Map<string, string[]>;
}

export function multipartBoundary(contentType: string | undefined): string | null {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) return null;
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

function headerParam(header: string, param: string): string | null {
  const re = new RegExp(`(?:^|;)\\s*${param}\\*?=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;]*))`, 'i');
  const m = re.exec(header);
  if (!m) return null;
  const raw = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? '').trim();
  return raw;
}

/** Parses a multipart body; throws on a structurally broken body. */
export function parseMultipart(body: Buffer, boundary: string): ParsedMultipart {
  const delimiter = Buffer.from(`--${boundary}`);
  const files: MultipartPart[] = [];
  const fields = new Map<string, string[]>();
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new Error('multipart boundary not found');
  for (;;) {
    pos += delimiter.length;
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break; // closing "--"
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) throw new Error('multipart part headers not terminated');
    const headerText = body.subarray(pos, headerEnd).toString('utf8');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw new Error('multipart part not terminated');
    const data = body.subarray(headerEnd + 4, next);
    const headers = new Map<string, string>();
    for (const line of headerText.split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
    }
    const disposition = headers.get('content-disposition') ?? '';
    const name = headerParam(disposition, 'name') ?? '';
    const filename = headerParam(disposition, 'filename');
    if (filename !== null) {
      files.push({ name, filename, contentType: headers.get('content-type') ?? null, data: Buffer.from(data) });
    } else {
      const list = fields.get(name) ?? [];
      list.push(data.toString('utf8'));
      fields.set(name, list);
    }
    pos = next + 2; // at the delimiter
  }
  return { files, fields };
}
