import type { Role } from '../../shared/call-context';

export interface RoleLevels {
  reviewer: number;
  lead: number;
}

export type RoleLookup =
  | { kind: 'role'; role: Role; powerLevel: number }
  | { kind: 'none'; message: string }
  /** The room could not be read recently enough to vouch for anyone. */
  | { kind: 'unknown'; message: string };

interface Snapshot {
  members: Set<string>;
  users: Record<string, number>;
  usersDefault: number;
  at: number;
}

export interface RoomRolesOptions {
  homeserverUrl: string;
  /** The service account's token (read again on every request: it can be rotated). */
  token: () => string;
  room: string;
  levels: RoleLevels;
  refreshMs: number;
  /** Older than this, the room's word is not taken: calls fail as unavailable rather than trust stale roles. */
  maxAgeMs: number;
  now?: () => number;
  fetchFn?: typeof fetch;
  log?: (line: string) => void;
}

const enc = encodeURIComponent;

/**
 * Roles from the management room: who is joined, and their power level (≥ reviewer level: reviewer, ≥ lead level:
 * lead). Read with the service account, re-read on a timer, so leaving the room or being demoted ends access
 * within one refresh interval; a changed role is reported to listeners (open streams are closed at once).
 */
export class ManagementRoomRoles {
  private snapshot: Snapshot | null = null;
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<boolean> | null = null;
  private roomIdValue: string | null = null;
  private lastErrorValue: string | null = null;
  private readonly listeners = new Set<(userId: string, before: RoleLookup, after: RoleLookup) => void>();
  private readonly now: () => number;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: RoomRolesOptions) {
    this.now = options.now ?? Date.now;
    this.fetchFn = options.fetchFn ?? fetch;
  }

  get roomId(): string | null {
    return this.roomIdValue;
  }

  get lastError(): string | null {
    return this.lastErrorValue;
  }

  get lastRefreshAt(): number | null {
    return this.snapshot?.at ?? null;
  }

  fresh(): boolean {
    return this.snapshot !== null && this.now() - this.snapshot.at <= this.options.maxAgeMs;
  }

  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  onChange(listener: (userId: string, before: RoleLookup, after: RoleLookup) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads the room again (one request at a time); true when it could. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.read().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /** Makes sure the snapshot is at most `maxAgeMs` old (sign-in wants a recent one). */
  async ensureFresh(maxAgeMs: number): Promise<void> {
    if (!this.snapshot || this.now() - this.snapshot.at > maxAgeMs) await this.refresh();
  }

  lookup(userId: string): RoleLookup {
    if (!this.fresh()) {
      return { kind: 'unknown', message: `The team server cannot read the management room right now${this.lastErrorValue ? ` (${this.lastErrorValue})` : ''}; try again shortly.` };
    }
    return this.judge(this.snapshot!, userId);
  }

  private judge(snapshot: Snapshot, userId: string): RoleLookup {
    const { reviewer, lead } = this.options.levels;
    if (!snapshot.members.has(userId)) {
      return { kind: 'none', message: `${userId} is not a member of the management room. Ask a lead to invite you.` };
    }
    const level = snapshot.users[userId] ?? snapshot.usersDefault;
    if (level >= lead) return { kind: 'role', role: 'lead', powerLevel: level };
    if (level >= reviewer) return { kind: 'role', role: 'reviewer', powerLevel: level };
    return { kind: 'none', message: `${userId} has power level ${level} in the management room; reviewers need ${reviewer}. Ask a lead to raise it.` };
  }

  private async get(path: string): Promise<Record<string, unknown>> {
    const res = await this.fetchFn(`${this.options.homeserverUrl.replace(/\/+$/, '')}${path}`, {
      headers: { Authorization: `Bearer ${this.options.token()}`, Accept: 'application/json' },
      signal: AbortSignal.timeout(10_000),
      redirect: 'error',
    });
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) throw new Error(`${path.split('?')[0]} answered ${res.status}${typeof body.errcode === 'string' ? ` ${body.errcode}` : ''}`);
    return body;
  }

  private async read(): Promise<boolean> {
    try {
      if (!this.roomIdValue) {
        if (this.options.room.startsWith('#')) {
          const resolved = await this.get(`/_matrix/client/v3/directory/room/${enc(this.options.room)}`);
          if (typeof resolved.room_id !== 'string') throw new Error(`alias ${this.options.room} did not resolve`);
          this.roomIdValue = resolved.room_id;
        } else {
          this.roomIdValue = this.options.room;
        }
      }
      const room = enc(this.roomIdValue);
      const [levels, joined] = await Promise.all([
        this.get(`/_matrix/client/v3/rooms/${room}/state/m.room.power_levels`),
        this.get(`/_matrix/client/v3/rooms/${room}/joined_members`),
      ]);
      const users: Record<string, number> = {};
      for (const [user, level] of Object.entries((levels.users ?? {}) as Record<string, unknown>)) {
        if (typeof level === 'number' && Number.isFinite(level)) users[user] = level;
      }
      const next: Snapshot = {
        members: new Set(Object.keys((joined.joined ?? {}) as Record<string, unknown>)),
        users,
        usersDefault: typeof levels.users_default === 'number' ? levels.users_default : 0,
        at: this.now(),
      };
      const before = this.snapshot;
      this.snapshot = next;
      this.lastErrorValue = null;
      if (before) this.report(before, next);
      return true;
    } catch (error) {
      this.lastErrorValue = error instanceof Error ? error.message : String(error);
      this.options.log?.(`management room: ${this.lastErrorValue}`);
      return false;
    }
  }

  private report(before: Snapshot, after: Snapshot): void {
    if (this.listeners.size === 0) return;
    const people = new Set([...before.members, ...after.members, ...Object.keys(before.users), ...Object.keys(after.users)]);
    for (const userId of people) {
      const was = this.judge(before, userId);
      const is = this.judge(after, userId);
      const same = was.kind === is.kind && (was.kind !== 'role' || (is.kind === 'role' && was.role === is.role));
      if (!same) for (const listener of this.listeners) listener(userId, was, is);
    }
  }
}
