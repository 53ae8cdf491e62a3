// Tamper evidence that holds: the chain is keyed (HMAC, key in the secret store), its head is sealed in the secret
// store and anchored to the management room, and verification catches edits, deletions and a truncated tail, even
// by someone who drops the triggers and recomputes every SHA-256.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../electron/services/app-services';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import { AuditLog, auditRowHash } from '../../electron/services/audit/audit-log';
import { AuditAnchors, type AnchorTarget } from '../../electron/services/audit/audit-anchor';
import { openDatabase } from '../../electron/services/store/database';
import { migrations } from '../../electron/services/store/migrations';
import { tempDir } from '../helpers/temp-dir';
import { rechain, tamperWith } from '../helpers/audit-tamper';
import { localDispatch } from '../helpers/local-api';

const temps: ReturnType<typeof tempDir>[] = [];
const open: Services[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  for (const t of temps.splice(0)) t.cleanup();
});

function app(dir?: string): { services: Services; dir: string } {
  const temp = dir ? null : tempDir('matchdesk-audit-keyed-');
  if (temp) temps.push(temp);
  const root = dir ?? temp!.dir;
  const services = createServices({
    dataDir: join(root, 'data'),
    version: 'test',
    transport: 'http',
    secrets: new FileSecretStore(join(root, 'secrets.json'), plainCodec),
    startDispatcher: false,
    resumeMatrix: false,
  });
  open.push(services);
  return { services, dir: root };
}

function write(services: Services, n: number): void {
  for (let i = 0; i < n; i++) services.audit.append({ actor: 'alice', action: 'decision.confirm', subject: `queue:${i}`, details: { i } });
}

async function verify(services: Services) {
  const r = await localDispatch(services)('audit.verify', {});
  if (!r.ok) throw new Error(r.error.message);
  return r.value as { ok: boolean; firstBadSeq: number | null; problem: string | null; keyed?: boolean; headsChecked?: number };
}

describe('keyed audit chain', () => {
  it('dropping the triggers and deleting the newest rows is caught against the sealed head', async () => {
    const { services, dir } = app();
    write(services, 8);
    services.auditSeal.sealNow();
    const last = services.audit.head()!.seq;
    await services.close();
    open.length = 0;
    tamperWith(join(dir, 'data', 'matchdesk.sqlite'), (db) => db.prepare('DELETE FROM audit_log WHERE seq > ?').run(last - 2));
    const again = app(dir).services;
    const result = await verify(again);
    expect(result).toMatchObject({ ok: false, firstBadSeq: last - 1, keyed: true });
    expect(result.problem).toMatch(/truncated/);
  });

  it('an edited row whose chain was recomputed is caught by its MAC, at that row', async () => {
    const { services, dir } = app();
    write(services, 6);
    const target = services.audit.head()!.seq - 3;
    await services.close();
    open.length = 0;
    tamperWith(join(dir, 'data', 'matchdesk.sqlite'), (db) => {
      db.prepare(`UPDATE audit_log SET details_json = '{"i":99}' WHERE seq = ?`).run(target);
      rechain(db);
    });
    const result = await verify(app(dir).services);
    expect(result).toMatchObject({ ok: false, firstBadSeq: target });
    expect(result.problem).toMatch(/MAC does not match/);
  });

  it('a row stripped of its MAC, or a row forged without the key, is caught', async () => {
    const { services, dir } = app();
    write(services, 3);
    const head = services.audit.head()!;
    await services.close();
    open.length = 0;
    tamperWith(join(dir, 'data', 'matchdesk.sqlite'), (db) => {
      const forged = { seq: head.seq + 1, at: Date.now(), actor: 'mallory', action: 'decision.confirm', subject: 'queue:x', details_json: '{}', prev_hash: head.hash };
      db.prepare('INSERT INTO audit_log (seq, at, actor, action, subject, details_json, prev_hash, hash) VALUES (@seq, @at, @actor, @action, @subject, @details_json, @prev_hash, @hash)').run({ ...forged, hash: auditRowHash(forged) });
    });
    const result = await verify(app(dir).services);
    expect(result).toMatchObject({ ok: false, firstBadSeq: head.seq + 1 });
    expect(result.problem).toMatch(/no MAC/);
  });

  it('removing the key (and its sealed head) from the secrets file does not make the log verify', async () => {
    const { services, dir } = app();
    write(services, 4);
    await services.close();
    open.length = 0;
    new FileSecretStore(join(dir, 'secrets.json'), plainCodec).delete('audit.hmacKey');
    tamperWith(join(dir, 'data', 'matchdesk.sqlite'), (db) => db.prepare('DELETE FROM audit_log WHERE seq > 2').run());
    const result = await verify(app(dir).services);
    expect(result).toMatchObject({ ok: false, firstBadSeq: 1 });
    expect(result.problem).toMatch(/another key/);
  });

  it('rows written before the log had a key stay valid; keyed rows follow', async () => {
    const temp = tempDir('matchdesk-audit-legacy-');
    temps.push(temp);
    const db = openDatabase(join(temp.dir, 'data', 'matchdesk.sqlite'));
    const legacy = new AuditLog(db);
    for (let i = 0; i < 3; i++) legacy.append({ actor: 'bob', action: 'bank.create', subject: null, details: { i } });
    db.close();
    const { services } = app(temp.dir);
    write(services, 2);
    const rows = services.audit.list(10).reverse();
    expect(rows.slice(0, 3).every((r) => r.mac === null)).toBe(true);
    expect(rows.slice(3).every((r) => /^[0-9a-f]{8}:[0-9a-f]{64}$/.test(r.mac ?? ''))).toBe(true);
    expect(await verify(services)).toMatchObject({ ok: true, keyed: true, headsChecked: 1 });
  });
});

describe('anchors', () => {
  function target(posts: string[]): AnchorTarget {
    return { name: '!mgmt:example.org', post: async (text) => (posts.push(text), { ok: true, ref: `!mgmt:example.org/$e${posts.length}` }) };
  }

  it('posts the head with its number and hash, records the anchor, and skips when nothing is new', async () => {
    const { services } = app();
    write(services, 4);
    const head = services.audit.head()!;
    const posts: string[] = [];
    const anchors = new AuditAnchors({ audit: services.audit, target: () => target(posts), actor: () => 'matchdesk' });
    expect(await anchors.anchorNow()).toMatchObject({ anchored: true, seq: head.seq, hash: head.hash, ref: '!mgmt:example.org/$e1' });
    expect(posts[0]).toContain(`row ${head.seq}, SHA-256 ${head.hash}`);
    expect(posts[0]).toContain(`matchdesk audit verify --anchor ${head.seq}:${head.hash}`);
    expect(services.audit.list(1)[0]).toMatchObject({ action: 'audit.anchor' });
    expect(await anchors.anchorNow()).toEqual({ anchored: false, reason: 'nothing was written since the last anchor' });
    expect(await new AuditAnchors({ audit: services.audit, target: () => null, actor: () => 'x' }).anchorNow()).toMatchObject({ anchored: false });
  });

  it('an anchor catches a rewrite without the key, and a truncation below it', () => {
    const { services, dir } = app();
    write(services, 6);
    const anchor = { ...services.audit.head()!, source: 'anchor in the management room' };
    write(services, 2);
    tamperWith(join(dir, 'data', 'matchdesk.sqlite'), (db) => {
      db.prepare(`UPDATE audit_log SET actor = 'mallory' WHERE seq = 3`).run();
      rechain(db);
    });
    // Without the key (the CLI on a desktop store) the SHA-256 chain looks whole; the anchor does not.
    const unkeyed = services.audit.verify({ key: null, heads: [anchor] });
    expect(unkeyed).toMatchObject({ ok: false, firstBadSeq: 1, keyed: false });
    expect(unkeyed.problem).toMatch(new RegExp(`rows 1…${anchor.seq} were rewritten`));
    tamperWith(join(dir, 'data', 'matchdesk.sqlite'), (db) => db.prepare('DELETE FROM audit_log WHERE seq >= ?').run(anchor.seq - 1));
    expect(services.audit.verify({ key: null, heads: [anchor] })).toMatchObject({ ok: false, firstBadSeq: anchor.seq - 1, problem: expect.stringMatching(/truncated/) });
  });
});

describe('migration: credentials stored inside URLs', () => {
  it('removes them from settings, and the audit log gets a redacted note naming the rows that hold them', async () => {
    const temp = tempDir('matchdesk-url-creds-');
    temps.push(temp);
    const file = join(temp.dir, 'data', 'matchdesk.sqlite');
    const old = openDatabase(file, { migrations: migrations.filter((m) => m.version <= 4) });
    old.prepare('INSERT INTO settings (key, value_json) VALUES (?, ?)').run('hma', JSON.stringify({ enabled: true, baseUrl: 'https://alice:hunter2@hma.example.org/api' }));
    old.prepare('INSERT INTO settings (key, value_json) VALUES (?, ?)').run('matrix', JSON.stringify({ homeserverUrl: 'https://bob:swordfish@matrix.example.org' }));
    const legacy = new AuditLog(old);
    legacy.append({ actor: 'alice', action: 'bank.create', subject: null, details: {} });
    legacy.append({ actor: 'alice', action: 'settings.hma', subject: null, details: { baseUrl: 'https://alice:hunter2@hma.example.org/api' } });
    old.close();

    const { services } = app(temp.dir);
    const settings = JSON.stringify(services.db.prepare('SELECT * FROM settings').all());
    expect(settings).not.toMatch(/hunter2|swordfish/);
    expect(services.hma.config().baseUrl).toBe('https://hma.example.org/api');
    const note = services.audit.list(20).find((r) => r.action === 'security.urlCredentialsRemoved')!;
    expect(note).toBeTruthy();
    expect(note.details_json).not.toMatch(/hunter2|swordfish/);
    expect(JSON.parse(note.details_json)).toMatchObject({
      settings: [
        { setting: 'matrix.homeserverUrl', was: 'https://***@matrix.example.org/' },
        { setting: 'hma.baseUrl', was: 'https://***@hma.example.org/api' },
      ],
      auditRowsWithCredentials: [2],
    });
    expect(await verify(services)).toMatchObject({ ok: true });
  });
});
