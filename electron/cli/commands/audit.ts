import Database from 'better-sqlite3';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AuditLog, type AuditRow } from '../../services/audit/audit-log';
import { defaultDesktopDataDir, defaultWebDataDir } from '../../services/paths';
import type { CliIo } from '../main';

const STORE_FILE = 'matchdesk.sqlite';

const USAGE = [
  'usage: matchdesk audit verify [--desktop | --web | --all | --data-dir DIR]',
  '       matchdesk audit export [--desktop | --web | --data-dir DIR] [--format jsonl|csv] [--out FILE]',
  '',
  'verify checks that no audit row was edited, removed or reordered (each row carries the SHA-256 of its content',
  'and of the row before). export writes every row with its hashes, so an auditor can check the chain themselves.',
  'Which store: --desktop is the desktop app\'s, --web the browser shell\'s (npm run web), --data-dir any other.',
  'verify checks every store it finds by default (--all); export needs to know which one when there are two.',
  `  desktop app:   ${join(defaultDesktopDataDir(), STORE_FILE)}`,
  `  browser shell: ${join(defaultWebDataDir(), STORE_FILE)}`,
  '(MATCHDESK_DATA_DIR moves both.)',
].join('\n');

interface Store {
  /** What the store is, in words: "desktop app store", "browser shell store", "store". */
  label: string;
  file: string;
}

/** The stores a command names, most specific option first; duplicates (MATCHDESK_DATA_DIR) are listed once. */
function storesFor(args: string[]): Store[] {
  const dir = option(args, '--data-dir');
  if (dir) return [{ label: 'store', file: join(resolve(dir), STORE_FILE) }];
  const desktop = { label: 'desktop app store', file: join(resolve(defaultDesktopDataDir()), STORE_FILE) };
  const web = { label: 'browser shell store', file: join(resolve(defaultWebDataDir()), STORE_FILE) };
  const wanted = args.includes('--desktop') || args.includes('--web') ? [...(args.includes('--desktop') ? [desktop] : []), ...(args.includes('--web') ? [web] : [])] : [desktop, web];
  if (wanted.length === 2 && wanted[0]!.file === wanted[1]!.file) return [{ label: 'store (MATCHDESK_DATA_DIR)', file: desktop.file }];
  return wanted;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function csvField(value: string | number | null): string {
  const s = value === null ? '' : String(value);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function auditExport(rows: Iterable<AuditRow>, format: 'jsonl' | 'csv'): string {
  const out: string[] = format === 'csv' ? ['seq,at,actor,action,subject,details_json,prev_hash,hash'] : [];
  for (const r of rows) {
    out.push(
      format === 'csv'
        ? [r.seq, r.at, r.actor, r.action, r.subject, r.details_json, r.prev_hash, r.hash].map(csvField).join(',')
        : JSON.stringify({ seq: r.seq, at: r.at, actor: r.actor, action: r.action, subject: r.subject, details: JSON.parse(r.details_json), prev_hash: r.prev_hash, hash: r.hash }),
    );
  }
  return `${out.join('\n')}\n`;
}

function verifyStore(store: Store, io: CliIo): boolean {
  const db = new Database(store.file, { readonly: true, fileMustExist: true });
  try {
    const result = new AuditLog(db).verify();
    if (result.ok) {
      io.out(`${store.label} ${store.file}: audit log intact, ${result.rows} rows chained by SHA-256`);
      return true;
    }
    io.out(`${store.label} ${store.file}: audit log TAMPERED at row ${result.firstBadSeq}: ${result.problem} (${result.rows} rows read)`);
    return false;
  } finally {
    db.close();
  }
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const [sub] = args;
  if (sub !== 'verify' && sub !== 'export') {
    io.err(USAGE);
    return 2;
  }
  const stores = storesFor(args);
  const found = stores.filter((s) => existsSync(s.file));
  const explicit = args.includes('--desktop') || args.includes('--web') || option(args, '--data-dir') !== undefined;
  if (sub === 'verify') {
    for (const s of stores) if (!found.includes(s)) (explicit ? io.err : io.out)(`${s.label} ${s.file}: no Matchdesk store here${explicit ? '' : ' (not used on this machine)'}`);
    if (found.length === 0) {
      io.err(`matchdesk audit: no Matchdesk store found${explicit ? '' : '; name one with --data-dir DIR'}`);
      return 1;
    }
    if (explicit && found.length < stores.length) return 1;
    let ok = true;
    for (const s of found) ok = verifyStore(s, io) && ok;
    return ok ? 0 : 1;
  }

  if (found.length === 0) {
    io.err(`matchdesk audit: no Matchdesk store at ${stores.map((s) => s.file).join(' or ')}`);
    return 1;
  }
  if (found.length > 1) {
    io.err(`matchdesk audit: there are two stores (${found.map((s) => `${s.label} ${s.file}`).join('; ')}): export one with --desktop or --web`);
    return 2;
  }
  const store = found[0]!;
  const format = option(args, '--format') ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'csv') {
    io.err(USAGE);
    return 2;
  }
  const db = new Database(store.file, { readonly: true, fileMustExist: true });
  try {
    const text = auditExport(db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as Iterable<AuditRow>, format);
    const out = option(args, '--out');
    if (out) {
      writeFileSync(out, text, { mode: 0o600 });
      io.out(`wrote ${out} from the ${store.label} ${store.file}`);
    } else {
      io.err(`exporting the ${store.label} ${store.file}`);
      for (const line of text.trimEnd().split('\n')) io.out(line);
    }
    return 0;
  } finally {
    db.close();
  }
}
