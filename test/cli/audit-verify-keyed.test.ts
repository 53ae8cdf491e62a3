// `matchdesk audit verify` with the keyed chain: with the browser shell's readable key it checks the HMACs and the
// sealed head; on the desktop (key sealed by the OS keychain) it checks the SHA-256 chain and the anchors given, and
// says what it could not check. Either way it catches a truncated tail and names the first bad row.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createServices } from '../../electron/services/app-services';
import { FileSecretStore, plainCodec, type SecretCodec } from '../../electron/services/secrets/secret-store';
import { tempDir } from '../helpers/temp-dir';
import { rechain, tamperWith } from '../helpers/audit-tamper';

const repoRoot = join(import.meta.dirname, '..', '..');
const cli = (args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'bin/matchdesk.mjs'), ...args], { cwd: repoRoot, encoding: 'utf8' });
const temps: ReturnType<typeof tempDir>[] = [];
afterAll(() => temps.forEach((t) => t.cleanup()));

/** Stands in for safeStorage (which needs Electron): values are not readable as plain base64 JSON. */
const keychainLike: SecretCodec = {
  protection: 'os-keychain',
  seal: (plain) => Buffer.from(plain, 'utf8').reverse().toString('hex'),
  open: (sealed) => Buffer.from(sealed, 'hex').reverse().toString('utf8'),
};

async function store(layout: 'web' | 'desktop', rows: number): Promise<{ dir: string; head: { seq: number; hash: string } }> {
  const temp = tempDir(`matchdesk-cli-audit-${layout}-`);
  temps.push(temp);
  const secrets = layout === 'web' ? new FileSecretStore(join(temp.dir, 'secrets.json'), plainCodec) : new FileSecretStore(join(temp.dir, 'secrets.sealed.json'), keychainLike);
  const services = createServices({ dataDir: temp.dir, version: 'test', transport: 'http', secrets, startDispatcher: false, resumeMatrix: false });
  for (let i = 0; i < rows; i++) services.audit.append({ actor: 'alice', action: 'decision.confirm', subject: `queue:${i}`, details: { i } });
  const head = services.audit.head()!;
  await services.close(); // seals the head
  return { dir: temp.dir, head };
}

describe('matchdesk audit verify, keyed', () => {
  it('browser shell store: checks the HMACs and the sealed head; catches a truncated tail', async () => {
    const { dir, head } = await store('web', 8);
    const ok = cli(['audit', 'verify', '--data-dir', dir]);
    expect(ok.stdout).toMatch(new RegExp(`audit log intact: ${head.seq} rows, chained by SHA-256, HMACs checked with the audit key, the sealed head matched`));
    expect(ok.status).toBe(0);
    tamperWith(join(dir, 'matchdesk.sqlite'), (db) => db.prepare('DELETE FROM audit_log WHERE seq > ?').run(head.seq - 3));
    const bad = cli(['audit', 'verify', '--data-dir', dir]);
    expect(bad.stdout).toMatch(new RegExp(`TAMPERED at row ${head.seq - 2}: truncated`));
    expect(bad.status).toBe(1);
  }, 60_000);

  it('desktop store: says the MACs need the app; anchors catch a recomputed chain and a truncated tail', async () => {
    const { dir, head } = await store('desktop', 8);
    const anchor = `${head.seq}:${head.hash}`;
    const ok = cli(['audit', 'verify', '--data-dir', dir, '--anchor', anchor]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/intact: .* 1 anchor matched/);
    expect(ok.stdout).toMatch(/note: the audit key is sealed by the OS keychain/);

    tamperWith(join(dir, 'matchdesk.sqlite'), (db) => {
      db.prepare(`UPDATE audit_log SET actor = 'mallory' WHERE seq = 4`).run();
      rechain(db);
    });
    const rewritten = cli(['audit', 'verify', '--data-dir', dir, '--anchor', anchor]);
    expect(rewritten.status).toBe(1);
    expect(rewritten.stdout).toMatch(new RegExp(`TAMPERED at row 1: the log no longer leads to the hash the anchor #1 .* recorded for row ${head.seq}`));

    tamperWith(join(dir, 'matchdesk.sqlite'), (db) => db.prepare('DELETE FROM audit_log WHERE seq > 5').run());
    const truncated = cli(['audit', 'verify', '--data-dir', dir, '--anchor', anchor]);
    expect(truncated.stdout).toMatch(/TAMPERED at row 6: truncated/);
    expect(cli(['audit', 'verify', '--data-dir', dir, '--anchor', 'nonsense']).status).toBe(2);
  }, 60_000);
});
