import Database from 'better-sqlite3';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { verifyAuditRows, type AuditHead, type AuditKey, type AuditRow } from '../../services/audit/audit-log';
import { AUDIT_KEY_SECRET, parseAuditKey, parseSealedHead } from '../../services/audit/audit-key';
import { FileSecretStore, plainCodec } from '../../services/secrets/secret-store';
import { defaultDesktopDataDir, defaultWebDataDir } from '../../services/paths';
import { csvCell } from '../../services/export/csv-cell';
import type { CliIo } from '../io';

const STORE_FILE = 'matchdesk.sqlite';

const USAGE = [
  'usage: matchdesk audit verify [--desktop | --web | --all | --data-dir DIR] [--anchor SEQ:HASH]... [--secrets FILE]',
  '       matchdesk audit export [--desktop | --web | --data-dir DIR] [--format jsonl|csv] [--out FILE]',
  '',
  'verify checks that no audit row was edited, removed or reordered, and names the first bad row:',
  '  - the SHA-256 chain (each row carries the hash of its content and of the row before);',
  '  - the rows\' HMACs, when the audit key can be read: from --secrets FILE or the browser shell\'s secrets.json',
  '    (a plain 0600 file). The desktop app seals its key with the OS keychain, which this command cannot open:',
  '    there, check the MACs in the app (Audit, Verify) and give anchors here;',
  '  - a truncated tail, against the head sealed with the key and every --anchor SEQ:HASH copied from the',
  '    "Matchdesk audit anchor" notices in the management room.',
  'export writes every row with its hashes and MACs, so an auditor can check the chain themselves.',
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

function options(args: string[], name: string): string[] {
  const out: string[] = [];
  args.forEach((a, i) => {
    if (a === name && args[i + 1] !== undefined) out.push(args[i + 1]!);
    else if (a.startsWith(`${name}=`)) out.push(a.slice(name.length + 1));
  });
  return out;
}

function option(args: string[], name: string): string | undefined {
  return options(args, name)[0];
}

function parseAnchor(value: string, i: number): AuditHead | null {
  const m = /^(\d+):([0-9a-f]{64})$/i.exec(value.trim());
  return m ? { seq: Number(m[1]), hash: m[2]!.toLowerCase(), source: `anchor #${i + 1} (${value.slice(0, 12)}…)` } : null;
}

/** The audit key and sealed head, where a plain-Node process can read them. */
function readKey(dataDir: string, secretsFile: string | undefined): { key: AuditKey | null; sealed: AuditHead | null; note: string | null } {
  const file = secretsFile ?? join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    const value = new FileSecretStore(file, plainCodec).get(AUDIT_KEY_SECRET);
    const key = parseAuditKey(value);
    if (key) return { key, sealed: parseSealedHead(value), note: null };
    return { key: null, sealed: null, note: `no audit key in ${file}` };
  }
  if (existsSync(join(dataDir, 'secrets.sealed.json'))) {
    return { key: null, sealed: null, note: 'the audit key is sealed by the OS keychain (desktop app): MACs not checked here; verify them in the app, and pass --anchor SEQ:HASH from the management room' };
  }
  return { key: null, sealed: null, note: 'no secret store found: MACs not checked' };
}

export function auditExport(rows: Iterable<AuditRow>, format: 'jsonl' | 'csv'): string {
  const out: string[] = format === 'csv' ? ['seq,at,actor,action,subject,details_json,prev_hash,hash,mac'] : [];
  for (const r of rows) {
    out.push(
      format === 'csv'
        ? [r.seq, r.at, r.actor, r.action, r.subject, r.details_json, r.prev_hash, r.hash, r.mac ?? null].map(csvCell).join(',')
        : JSON.stringify({ seq: r.seq, at: r.at, actor: r.actor, action: r.action, subject: r.subject, details: JSON.parse(r.details_json), prev_hash: r.prev_hash, hash: r.hash, mac: r.mac ?? null }),
    );
  }
  return `${out.join('\n')}\n`;
}

function verifyStore(store: Store, anchors: AuditHead[], secretsFile: string | undefined, io: CliIo): boolean {
  const db = new Database(store.file, { readonly: true, fileMustExist: true });
  try {
    const { key, sealed, note } = readKey(dirname(store.file), secretsFile);
    const heads = [...anchors, ...(sealed ? [sealed] : [])];
    const result = verifyAuditRows(db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as Iterable<AuditRow>, { key, heads });
    const checks = [
      'chained by SHA-256',
      key ? 'HMACs checked with the audit key' : null,
      sealed ? 'the sealed head matched' : null,
      anchors.length > 0 ? `${anchors.length} anchor${anchors.length === 1 ? '' : 's'} matched` : null,
    ].filter(Boolean);
    if (result.ok) io.out(`${store.label} ${store.file}: audit log intact: ${result.rows} rows, ${checks.join(', ')}`);
    else io.out(`${store.label} ${store.file}: audit log TAMPERED at row ${result.firstBadSeq}: ${result.problem} (${result.rows} rows read)`);
    if (note) io.out(`note: ${note}`);
    return result.ok;
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
    const anchors = options(args, '--anchor').map(parseAnchor);
    if (anchors.some((a) => a === null)) {
      io.err('matchdesk audit: --anchor takes SEQ:HASH (the row number and 64-digit hash from an anchor notice)');
      return 2;
    }
    const secretsFile = option(args, '--secrets');
    if ((anchors.length > 0 || secretsFile) && found.length > 1) {
      io.err(`matchdesk audit: anchors and --secrets belong to one store, and there are two (${found.map((s) => s.label).join(', ')}): name it with --desktop, --web or --data-dir`);
      return 2;
    }
    for (const s of stores) if (!found.includes(s)) (explicit ? io.err : io.out)(`${s.label} ${s.file}: no Matchdesk store here${explicit ? '' : ' (not used on this machine)'}`);
    if (found.length === 0) {
      io.err(`matchdesk audit: no Matchdesk store found${explicit ? '' : '; name one with --data-dir DIR'}`);
      return 1;
    }
    if (explicit && found.length < stores.length) return 1;
    let ok = true;
    for (const s of found) ok = verifyStore(s, anchors as AuditHead[], secretsFile, io) && ok;
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
