import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrations as defaultMigrations, type Migration } from './migrations';

export type Db = Database.Database;

export interface OpenDatabaseOptions {
  /** Path to an Electron-ABI build of better-sqlite3 (the desktop app passes it; Node uses the default). */
  nativeBinding?: string;
  migrations?: Migration[];
}

export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  runMigrations(db, options.migrations ?? defaultMigrations);
  return db;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies every migration above the stored user_version, each in its own transaction. */
export function runMigrations(db: Db, migrations: Migration[]): number[] {
  const current = schemaVersion(db);
  const applied: number[] = [];
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  const latest = sorted.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new Error(`The database schema (v${current}) is newer than this Matchdesk (v${latest}). Update Matchdesk.`);
  }
  for (const migration of sorted) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      if (migration.sql) db.exec(migration.sql);
      migration.up?.(db);
      db.pragma(`user_version = ${migration.version}`);
    })();
    applied.push(migration.version);
  }
  return applied;
}
