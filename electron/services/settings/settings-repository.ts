import type { z } from 'zod';
import type { Db } from '../store/database';

/** Non-secret settings as JSON rows, each read through its zod schema (which supplies the defaults). */
export class SettingsRepository {
  constructor(private readonly db: Db) {}

  get<S extends z.ZodType>(key: string, schema: S): z.output<S> {
    const row = this.db.prepare('SELECT value_json FROM settings WHERE key = ?').get(key) as { value_json: string } | undefined;
    const parsed = schema.safeParse(row ? JSON.parse(row.value_json) : undefined);
    if (parsed.success) return parsed.data;
    // A stored value from an older version that no longer fits: fall back to the defaults rather than fail.
    return schema.parse(undefined);
  }

  /** Stores `value` unless the key already has one (atomic: of two racing processes, the first one wins). */
  setIfAbsent(key: string, value: unknown): void {
    this.db.prepare('INSERT INTO settings (key, value_json) VALUES (?, ?) ON CONFLICT (key) DO NOTHING').run(key, JSON.stringify(value));
  }

  set(key: string, value: unknown): void {
    this.db
      .prepare('INSERT INTO settings (key, value_json) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json')
      .run(key, JSON.stringify(value));
  }
}
