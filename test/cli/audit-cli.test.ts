import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../electron/services/store/database';
import { AuditLog } from '../../electron/services/audit/audit-log';
import { tempDir } from '../helpers/temp-dir';

const repoRoot = join(import.meta.dirname, '..', '..');

/** The CLI as `npx matchdesk` runs it, with HOME pointed at a temp folder so the default stores are ours. */
function cli(args: string[], home?: string) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.MATCHDESK_DATA_DIR;
  delete env.XDG_CONFIG_HOME;
  if (home) env.HOME = home;
  return spawnSync(process.execPath, [join(repoRoot, 'bin/matchdesk.mjs'), ...args], { cwd: repoRoot, encoding: 'utf8', env });
}

function makeStore(dir: string, rows: number): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'matchdesk.sqlite');
  const db = openDatabase(file);
  const log = new AuditLog(db);
  for (let i = 0; i < rows; i++) log.append({ actor: 'alice', action: 'decision.confirm', subject: `queue:${i}`, details: { i } });
  db.close();
  return file;
}

function tamper(file: string, seq: number): void {
  const raw = openDatabase(file);
  raw.exec('DROP TRIGGER audit_log_no_update');
  raw.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = ?").run(seq);
  raw.close();
}

describe('npx matchdesk audit verify / export', () => {
  it('says a clean log is intact and which store it checked, and detects one row tampered with in the database file', () => {
    const temp = tempDir();
    const file = makeStore(temp.dir, 10);

    const ok = cli(['audit', 'verify', '--data-dir', temp.dir]);
    expect(ok.stdout).toContain(`store ${file}: audit log intact: 10 rows, chained by SHA-256`);
    expect(ok.status).toBe(0);

    const exported = cli(['audit', 'export', '--data-dir', temp.dir, '--format', 'jsonl']);
    expect(exported.status).toBe(0);
    expect(exported.stderr).toContain(`exporting the store ${file}`);
    const rows = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; hash: string; prev_hash: string });
    expect(rows).toHaveLength(10);
    expect(rows[1]!.prev_hash).toBe(rows[0]!.hash);

    tamper(file, 7);
    const bad = cli(['audit', 'verify', '--data-dir', temp.dir]);
    expect(bad.stdout).toMatch(/TAMPERED at row 7: row content does not match its hash/);
    expect(bad.status).toBe(1);
    temp.cleanup();
  });

  it('someone who only used the browser shell: verify finds its store, says which, and that the desktop app has none', () => {
    const home = tempDir();
    const web = makeStore(join(home.dir, '.matchdesk-web'), 4);
    const desktop = join(home.dir, '.config', 'Matchdesk', 'data', 'matchdesk.sqlite');

    const all = cli(['audit', 'verify'], home.dir);
    expect(all.status).toBe(0);
    expect(all.stdout).toContain(`desktop app store ${desktop}: no Matchdesk store here (not used on this machine)`);
    expect(all.stdout).toContain(`browser shell store ${web}: audit log intact: 4 rows, chained by SHA-256`);

    const onlyWeb = cli(['audit', 'verify', '--web'], home.dir);
    expect(onlyWeb.status).toBe(0);
    expect(onlyWeb.stdout).toContain(`browser shell store ${web}: audit log intact: 4 rows, chained by SHA-256`);
    expect(onlyWeb.stdout).not.toContain('desktop app store');

    const onlyDesktop = cli(['audit', 'verify', '--desktop'], home.dir);
    expect(onlyDesktop.status).toBe(1);
    expect(onlyDesktop.stderr).toContain(`desktop app store ${desktop}: no Matchdesk store here`);
    home.cleanup();
  });

  it('with both stores, checks both and says which one was tampered with; export asks which store', () => {
    const home = tempDir();
    const web = makeStore(join(home.dir, '.matchdesk-web'), 3);
    const desktop = makeStore(join(home.dir, '.config', 'Matchdesk', 'data'), 5);
    tamper(web, 2);
    const both = cli(['audit', 'verify', '--all'], home.dir);
    expect(both.status).toBe(1);
    expect(both.stdout).toContain(`desktop app store ${desktop}: audit log intact: 5 rows`);
    expect(both.stdout).toContain(`browser shell store ${web}: audit log TAMPERED at row 2`);

    const ambiguous = cli(['audit', 'export'], home.dir);
    expect(ambiguous.status).toBe(2);
    expect(ambiguous.stderr).toMatch(/two stores .*--desktop or --web/);
    const fromDesktop = cli(['audit', 'export', '--desktop', '--format', 'csv'], home.dir);
    expect(fromDesktop.status).toBe(0);
    expect(fromDesktop.stdout.trim().split('\n')).toHaveLength(6);
    home.cleanup();
  });

  it('fails clearly without a store, and on bad usage', () => {
    const temp = tempDir();
    const missing = cli(['audit', 'verify', '--data-dir', temp.dir]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no Matchdesk store/);
    const none = cli(['audit', 'verify'], temp.dir);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('no Matchdesk store found; name one with --data-dir DIR');
    expect(cli(['audit', 'frobnicate']).status).toBe(2);
    temp.cleanup();
  });
});
