import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { openDatabase } from '../../electron/services/store/database';
import { AuditLog } from '../../electron/services/audit/audit-log';
import { tempDir } from '../helpers/temp-dir';

const repoRoot = join(import.meta.dirname, '..', '..');
const cli = (args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'bin/matchdesk.mjs'), ...args], { cwd: repoRoot, encoding: 'utf8' });

describe('npx matchdesk audit verify / export', () => {
  it('says a clean log is intact, and detects one row tampered with in the database file', () => {
    const temp = tempDir();
    const db = openDatabase(join(temp.dir, 'matchdesk.sqlite'));
    const log = new AuditLog(db);
    for (let i = 0; i < 10; i++) log.append({ actor: 'alice', action: 'decision.confirm', subject: `queue:${i}`, details: { i } });
    db.close();

    const ok = cli(['audit', 'verify', '--data-dir', temp.dir]);
    expect(ok.stdout).toMatch(/audit log intact: 10 rows/);
    expect(ok.status).toBe(0);

    const exported = cli(['audit', 'export', '--data-dir', temp.dir, '--format', 'jsonl']);
    expect(exported.status).toBe(0);
    const rows = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; hash: string; prev_hash: string });
    expect(rows).toHaveLength(10);
    expect(rows[1]!.prev_hash).toBe(rows[0]!.hash);

    const raw = openDatabase(join(temp.dir, 'matchdesk.sqlite'));
    raw.exec('DROP TRIGGER audit_log_no_update');
    raw.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 7").run();
    raw.close();
    const bad = cli(['audit', 'verify', '--data-dir', temp.dir]);
    expect(bad.stdout).toMatch(/TAMPERED at row 7: row content does not match its hash/);
    expect(bad.status).toBe(1);
    temp.cleanup();
  });

  it('fails clearly without a store, and on bad usage', () => {
    const temp = tempDir();
    const missing = cli(['audit', 'verify', '--data-dir', temp.dir]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no Matchdesk store/);
    expect(cli(['audit', 'frobnicate']).status).toBe(2);
    temp.cleanup();
  });
});
