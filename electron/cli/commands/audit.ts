import Database from 'better-sqlite3';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AuditLog, type AuditRow } from '../../services/audit/audit-log';
import { defaultDesktopDataDir } from '../../services/paths';
import type { CliIo } from '../io';

const USAGE = [
  'usage: matchdesk audit verify [--data-dir DIR]',
  '       matchdesk audit export [--data-dir DIR] [--format jsonl|csv] [--out FILE]',
  '',
  'verify checks that no audit row was edited, removed or reordered (each row carries the SHA-256 of its content',
  'and of the row before). export writes every row with its hashes, so an auditor can check the chain themselves.',
  `The store is read from --data-dir, else MATCHDESK_DATA_DIR, else the desktop app's (${defaultDesktopDataDir()}).`,
].join('\n');

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

export async function run(args: string[], io: CliIo): Promise<number> {
  const [sub] = args;
  if (sub !== 'verify' && sub !== 'export') {
    io.err(USAGE);
    return 2;
  }
  const dataDir = resolve(option(args, '--data-dir') ?? defaultDesktopDataDir());
  const file = join(dataDir, 'matchdesk.sqlite');
  if (!existsSync(file)) {
    io.err(`matchdesk audit: no Matchdesk store at ${file}`);
    return 1;
  }
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const log = new AuditLog(db);
    if (sub === 'verify') {
      const result = log.verify();
      if (result.ok) {
        io.out(`audit log intact: ${result.rows} rows, chained by SHA-256 (${file})`);
        return 0;
      }
      io.out(`audit log TAMPERED at row ${result.firstBadSeq}: ${result.problem} (${result.rows} rows read, ${file})`);
      return 1;
    }
    const format = option(args, '--format') ?? 'jsonl';
    if (format !== 'jsonl' && format !== 'csv') {
      io.err(USAGE);
      return 2;
    }
    const text = auditExport(db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as Iterable<AuditRow>, format);
    const out = option(args, '--out');
    if (out) {
      writeFileSync(out, text, { mode: 0o600 });
      io.out(`wrote ${out}`);
    } else {
      for (const line of text.trimEnd().split('\n')) io.out(line);
    }
    return 0;
  } finally {
    db.close();
  }
}
