/**
 * Anchors the audit log's head outside the machine: a notice with the newest row's number and hash, posted to the
 * Matrix management room (or, on a team server, wherever the server's anchoring target posts). Whoever can read
 * that room can later prove that no row up to it was changed or removed:
 * `matchdesk audit verify --anchor SEQ:HASH`. Each anchor is also recorded as an `audit.anchor` row.
 */
import type { AuditLog } from './audit-log';

export interface AnchorTarget {
  /** Where the notice goes, for the audit row (e.g. the room id). */
  readonly name: string;
  /** Posts the text once per idempotency key; resolves with a reference to the posted message. */
  post(text: string, idempotencyKey: string): Promise<{ ok: true; ref: string } | { ok: false; error: string }>;
}

export type AnchorResult =
  | { anchored: true; seq: number; hash: string; target: string; ref: string }
  | { anchored: false; reason: string };

export function anchorText(head: { seq: number; hash: string }, at: number): string {
  return [
    `Matchdesk audit anchor: row ${head.seq}, SHA-256 ${head.hash} (${new Date(at).toISOString()}).`,
    `Keep this notice. \`matchdesk audit verify --anchor ${head.seq}:${head.hash}\` proves no audit row up to ${head.seq} was changed or removed since.`,
  ].join('\n');
}

export class AuditAnchors {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<AnchorResult> | null = null;

  constructor(
    private readonly deps: {
      audit: AuditLog;
      /** Null when nowhere to anchor (e.g. Matrix not signed in or no management room). */
      target: () => AnchorTarget | null;
      actor: () => string;
      now?: () => number;
    },
  ) {}

  /** Posts the current head, unless nothing was written since the last anchor. */
  anchorNow(): Promise<AnchorResult> {
    this.running ??= this.anchor().finally(() => (this.running = null));
    return this.running;
  }

  private async anchor(): Promise<AnchorResult> {
    const target = this.deps.target();
    if (!target) return { anchored: false, reason: 'no anchor target: sign in to Matrix and set a management room' };
    const newest = this.deps.audit.list(1)[0];
    if (!newest) return { anchored: false, reason: 'the audit log is empty' };
    if (newest.action === 'audit.anchor') return { anchored: false, reason: 'nothing was written since the last anchor' };
    const head = { seq: newest.seq, hash: newest.hash };
    const at = (this.deps.now ?? Date.now)();
    const posted = await target.post(anchorText(head, at), `audit-anchor-${head.seq}-${head.hash.slice(0, 16)}`);
    if (!posted.ok) return { anchored: false, reason: `posting the anchor failed: ${posted.error}` };
    this.deps.audit.append({ actor: this.deps.actor(), action: 'audit.anchor', subject: null, details: { seq: head.seq, hash: head.hash, target: target.name, ref: posted.ref } });
    return { anchored: true, ...head, target: target.name, ref: posted.ref };
  }

  /** Anchors every `intervalMs` (default hourly) while something new was written. */
  start(intervalMs = 3_600_000): void {
    this.stop();
    this.timer = setInterval(() => void this.anchorNow().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
