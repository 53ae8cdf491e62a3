import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChangeFeed } from '../services/events/change-feed';
import type { AccessEvent, Pushed } from '../../shared/events';

interface Stream {
  res: ServerResponse;
  sessionId: string;
  userId: string;
  /** Frames waiting for this tick's flush. */
  pending: string;
}

const HEARTBEAT_MS = 15_000;
const MAX_BUFFERED = 1024 * 1024;
const FLUSH_MS = 15;

/**
 * Server-Sent Events to the consoles: every change of the shared feed, numbered `<run>.<seq>` so that a console
 * reconnecting with Last-Event-ID gets what it missed (or, if the server restarted or it was away too long, a
 * `resync`). A session that ends, or whose owner loses their role, gets an `access` event and its stream is closed.
 */
export class EventStreams {
  readonly runId = randomBytes(6).toString('hex');
  private readonly streams = new Set<Stream>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly feed: ChangeFeed,
    private readonly observe?: (event: Pushed) => void,
  ) {
    this.unsubscribe = feed.subscribe((event) => this.broadcast(event));
    this.heartbeat = setInterval(() => {
      for (const s of this.streams) this.write(s, ': keep-alive\n\n');
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get count(): number {
    return this.streams.size;
  }

  open(req: IncomingMessage, res: ServerResponse, session: { id: string; userId: string }, headers: Record<string, string>): void {
    res.writeHead(200, { ...headers, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.socket?.setNoDelay(true);
    const stream: Stream = { res, sessionId: session.id, userId: session.userId, pending: '' };
    this.streams.add(stream);
    const drop = () => this.streams.delete(stream);
    req.once('close', drop);
    res.once('close', drop);
    res.write('retry: 1000\n\n');
    const last = /^([0-9a-f]+)\.(\d+)$/.exec(String(req.headers['last-event-id'] ?? ''));
    if (last) {
      const missed = last[1] === this.runId ? this.feed.since(Number(last[2])) : null;
      if (missed === null) this.write(stream, `event: resync\ndata: {}\n\n`);
      else for (const event of missed) this.write(stream, this.frame(event));
    } else {
      // A first connection: say where the feed stands, so a reconnect can ask for what follows.
      this.write(stream, `id: ${this.runId}.${this.feed.lastSeq}\nevent: hello\ndata: {}\n\n`);
    }
  }

  /** Ends every stream of a session (revoked, signed out) or of a user (lost their role), telling them why. */
  close(match: { sessionId?: string; userId?: string }, event: AccessEvent): number {
    let closed = 0;
    for (const s of [...this.streams]) {
      if ((match.sessionId && s.sessionId === match.sessionId) || (match.userId && s.userId === match.userId)) {
        this.write(s, `event: access\ndata: ${JSON.stringify(event)}\n\n`);
        s.res.end();
        this.streams.delete(s);
        closed++;
      }
    }
    return closed;
  }

  closeAll(): void {
    clearInterval(this.heartbeat);
    this.unsubscribe();
    for (const s of this.streams) s.res.end();
    this.streams.clear();
  }

  private frame(event: Pushed): string {
    return `id: ${this.runId}.${event.seq}\nevent: change\ndata: ${JSON.stringify(event)}\n\n`;
  }

  private flushScheduled = false;

  /**
   * Frames go out in batches, at most every FLUSH_MS per stream, however many changes happened meanwhile: one TLS
   * record and one write per console instead of one per change (20 consoles deciding flat out make thousands a
   * second). A change waits at most FLUSH_MS for it.
   */
  private broadcast(event: Pushed): void {
    this.observe?.(event);
    if (this.streams.size === 0) return;
    const frame = this.frame(event);
    for (const s of this.streams) s.pending += frame;
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setTimeout(() => {
      this.flushScheduled = false;
      for (const s of this.streams) if (s.pending) this.write(s, '');
    }, FLUSH_MS);
  }

  /** Writes what is queued for the stream, then `text` (an access event or a keep-alive goes after the changes). */
  private write(s: Stream, text: string): void {
    text = s.pending + text;
    s.pending = '';
    if (s.res.writableEnded || s.res.destroyed) {
      this.streams.delete(s);
      return;
    }
    // A console that does not read is cut off rather than buffered without end; it reconnects and catches up.
    if (s.res.writableLength > MAX_BUFFERED) {
      s.res.destroy();
      this.streams.delete(s);
      return;
    }
    s.res.write(text);
  }
}
