import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatabase, runMigrations, schemaVersion } from '../../electron/services/store/database';
import { migrations } from '../../electron/services/store/migrations';
import { tempDir } from '../helpers/temp-dir';

describe('SQLite store', () => {
  const temp = tempDir();
  afterEach(() => undefined);

  it('opens with WAL and foreign keys on, at the latest schema version', () => {
    const db = openDatabase(join(temp.dir, 'a.sqlite'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(schemaVersion(db)).toBe(migrations.at(-1)!.version);
    db.close();
  });

  it('runs migrations once: reopening applies nothing', () => {
    const file = join(temp.dir, 'b.sqlite');
    openDatabase(file).close();
    const db = openDatabase(file);
    expect(runMigrations(db, migrations)).toEqual([]);
    db.close();
  });

  it('applies a later migration on top of an existing store', () => {
    const file = join(temp.dir, 'c.sqlite');
    openDatabase(file).close();
    const next = [...migrations, { version: migrations.length + 1, name: 'test', sql: 'CREATE TABLE later (x INTEGER);' }];
    const db = openDatabase(file, { migrations: next });
    expect(schemaVersion(db)).toBe(migrations.length + 1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'later'").get()).toBeTruthy();
    db.close();
  });

  it('refuses a store written by a newer Matchdesk', () => {
    const file = join(temp.dir, 'd.sqlite');
    const db = openDatabase(file);
    db.pragma('user_version = 999');
    db.close();
    expect(() => openDatabase(file)).toThrow(/newer than this Matchdesk/);
  });

  it('enforces foreign keys', () => {
    const db = openDatabase(':memory:');
    expect(() => db.prepare("INSERT INTO matches (media_id, matcher, bank_name, content_ref, signal_type, distance, created_at) VALUES (42, 'local', 'b', '1', 'md5', 0, 0)").run()).toThrow(/FOREIGN KEY/);
    db.close();
  });
});
