import type { ChangeEvent, Pushed } from '../../../shared/events';

const REPLAY = 2_000;

/**
 * The services' changes, in order, for whoever shows them (consoles over push). Keeps the last events so that a
 * console that reconnects quickly gets what it missed; one that was away longer is told to refetch.
 */
export class ChangeFeed {
  private seq = 0;
  private readonly recent: Pushed[] = [];
  private readonly listeners = new Set<(event: Pushed) => void>();

  constructor(private readonly now: () => number = Date.now) {}

  publish(change: ChangeEvent): Pushed {
    const event = { ...change, seq: ++this.seq, at: this.now() } as Pushed;
    this.recent.push(event);
    if (this.recent.length > REPLAY) this.recent.splice(0, this.recent.length - REPLAY);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken listener (a closed stream) must not stop the others or the change itself.
      }
    }
    return event;
  }

  subscribe(listener: (event: Pushed) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Events after `seq`, or null when some of them are no longer kept (or `seq` is from another run). */
  since(seq: number): Pushed[] | null {
    if (seq > this.seq) return null;
    if (seq === this.seq) return [];
    const first = this.recent[0];
    if (!first || first.seq > seq + 1) return null;
    return this.recent.filter((e) => e.seq > seq);
  }

  get lastSeq(): number {
    return this.seq;
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}
