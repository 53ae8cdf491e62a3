import type { Db } from '../store/database';
import { wellbeingSettingsSchema, type WellbeingSettings, type WellbeingState } from '../../../shared/contract';

export const WELLBEING_DEFAULTS: WellbeingSettings = {
  blurPx: 28,
  greyscale: true,
  quietMode: false,
  revealMode: 'toggle',
  breakEveryMinutes: 50,
  breakMinutes: 10,
  dailyRevealSoftLimit: 100,
};

const SETTINGS_KEY = 'wellbeing.defaults';
const partialSchema = wellbeingSettingsSchema.partial();

/** The reviewer's local calendar day (reveal counts reset at local midnight). */
export function localDay(at: number): string {
  const d = new Date(at);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/**
 * Reviewer wellbeing settings: install-wide defaults (settings table) overridden per reviewer
 * (reviewer_preferences), and a per-day count of revealed items.
 */
export class WellbeingService {
  private readonly lastTouch = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  defaults(): WellbeingSettings {
    const row = this.db.prepare('SELECT value_json FROM settings WHERE key = ?').get(SETTINGS_KEY) as { value_json: string } | undefined;
    const parsed = partialSchema.safeParse(row ? JSON.parse(row.value_json) : {});
    return { ...WELLBEING_DEFAULTS, ...(parsed.success ? parsed.data : {}) };
  }

  overrides(reviewer: string): Partial<WellbeingSettings> {
    const row = this.db.prepare('SELECT prefs_json FROM reviewer_preferences WHERE reviewer = ?').get(reviewer) as { prefs_json: string } | undefined;
    const parsed = partialSchema.safeParse(row ? JSON.parse(row.prefs_json) : {});
    return parsed.success ? parsed.data : {};
  }

  effective(reviewer: string): WellbeingSettings {
    return { ...this.defaults(), ...this.overrides(reviewer) };
  }

  state(reviewer: string): WellbeingState {
    const at = this.now();
    const day = localDay(at);
    const row = this.db.prepare('SELECT count FROM reveal_counts WHERE reviewer = ? AND day = ?').get(reviewer, day) as { count: number } | undefined;
    const active = this.db.prepare('SELECT minutes FROM reviewer_activity WHERE reviewer = ? AND day = ?').get(reviewer, day) as { minutes: number } | undefined;
    return { defaults: this.defaults(), mine: this.overrides(reviewer), effective: this.effective(reviewer), revealedToday: row?.count ?? 0, day, activeMinutesToday: active?.minutes ?? 0 };
  }

  /** Counts the current minute as review work for this reviewer (once per minute, however many calls it holds). */
  touch(reviewer: string): void {
    const at = this.now();
    const minute = Math.floor(at / 60_000);
    if (this.lastTouch.get(reviewer) === minute) return;
    this.lastTouch.set(reviewer, minute);
    this.db
      .prepare(
        `INSERT INTO reviewer_activity (reviewer, day, minutes, last_minute) VALUES (?, ?, 1, ?)
         ON CONFLICT (reviewer, day) DO UPDATE SET minutes = minutes + (excluded.last_minute <> last_minute), last_minute = excluded.last_minute`,
      )
      .run(reviewer, localDay(at), minute);
  }

  /** What a lead sees of the team's day: totals only, never one person's figures. */
  team(): { day: string; reviewersActive: number; revealsToday: number; activeMinutesToday: number; overSoftLimit: number } {
    const day = localDay(this.now());
    const reveals = this.db.prepare('SELECT reviewer, count FROM reveal_counts WHERE day = ?').all(day) as { reviewer: string; count: number }[];
    const activity = this.db.prepare('SELECT reviewer, minutes FROM reviewer_activity WHERE day = ?').all(day) as { reviewer: string; minutes: number }[];
    const people = new Set([...reveals.map((r) => r.reviewer), ...activity.map((a) => a.reviewer)]);
    const overSoftLimit = reveals.filter((r) => {
      const limit = this.effective(r.reviewer).dailyRevealSoftLimit;
      return limit > 0 && r.count > limit;
    }).length;
    return {
      day,
      reviewersActive: people.size,
      revealsToday: reveals.reduce((n, r) => n + r.count, 0),
      activeMinutesToday: activity.reduce((n, a) => n + a.minutes, 0),
      overSoftLimit,
    };
  }

  setDefaults(settings: WellbeingSettings): void {
    this.db
      .prepare('INSERT INTO settings (key, value_json) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json')
      .run(SETTINGS_KEY, JSON.stringify(wellbeingSettingsSchema.parse(settings)));
  }

  /** Merges overrides; a null field removes the override. */
  setMine(reviewer: string, changes: { [K in keyof WellbeingSettings]?: WellbeingSettings[K] | null }): void {
    const next: Record<string, unknown> = { ...this.overrides(reviewer) };
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) delete next[key];
      else if (value !== undefined) next[key] = value;
    }
    this.db
      .prepare(
        `INSERT INTO reviewer_preferences (reviewer, prefs_json, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (reviewer) DO UPDATE SET prefs_json = excluded.prefs_json, updated_at = excluded.updated_at`,
      )
      .run(reviewer, JSON.stringify(partialSchema.parse(next)), this.now());
  }

  countReveal(reviewer: string): number {
    const day = localDay(this.now());
    this.db
      .prepare('INSERT INTO reveal_counts (reviewer, day, count) VALUES (?, ?, 1) ON CONFLICT (reviewer, day) DO UPDATE SET count = count + 1')
      .run(reviewer, day);
    return (this.db.prepare('SELECT count FROM reveal_counts WHERE reviewer = ? AND day = ?').get(reviewer, day) as { count: number }).count;
  }
}
