import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import type { Role } from '../../shared/call-context';
import { accessEventSchema, type AccessEvent, type Pushed } from '../../shared/events';
import type { Envelope } from '../../shared/result';
import { isLoopbackHost } from '../http/loopback';

export interface TeamSessionInfo {
  id: string;
  userId: string;
  role: Role;
  expiresAt: number;
}

export interface EventHandlers {
  onEvent(event: Pushed): void;
  onAccess(event: AccessEvent): void;
  /** Events may have been missed (the server restarted, or this console was away): refetch. */
  onResync(): void;
  onState(state: 'live' | 'reconnecting'): void;
}

/** Checks a team server URL: https, or http to this machine only (a server without TLS listens on loopback only). */
export function normaliseServerUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new Error('That is not a URL: use https://matchdesk.example.org');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname.replace(/^\[|\]$/g, '')))) {
    throw new Error('A team server is reached over https:// (plain http:// only on this machine)');
  }
  if (url.username || url.password || url.search || url.hash) throw new Error('Give the server address only (no user, query or fragment)');
  return url.origin + url.pathname.replace(/\/+$/, '');
}

const MAX_ANSWER = 200 * 1024 * 1024;

/**
 * The consoles' side of the team server's HTTP API, for the desktop main process and the browser shell's local host
 * (the relays that keep the session token out of the renderer). Transport failures become `unavailable` envelopes.
 */
export class TeamServerClient {
  readonly url: string;
  private readonly agent: HttpAgent;
  private readonly secure: boolean;

  constructor(serverUrl: string, options: { ca?: string | Buffer } = {}) {
    this.url = normaliseServerUrl(serverUrl);
    this.secure = this.url.startsWith('https:');
    this.agent = this.secure ? new HttpsAgent({ keepAlive: true, maxSockets: 16, ...(options.ca ? { ca: options.ca } : {}) }) : new HttpAgent({ keepAlive: true, maxSockets: 16 });
  }

  close(): void {
    this.agent.destroy();
  }

  private send(method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; json: unknown; headers: IncomingMessage['headers'] }> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const target = new URL(this.url + path);
    return new Promise((resolve, reject) => {
      const req = (this.secure ? httpsRequest : httpRequest)(
        target,
        {
          method,
          agent: this.agent,
          headers: {
            Accept: 'application/json',
            ...(token ? { Authorization: `Bearer ${token}` } : {}),
            ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}),
          },
          timeout: 120_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_ANSWER) res.destroy(new Error('answer too large'));
            else chunks.push(c);
          });
          res.on('end', () => {
            let json: unknown;
            try {
              json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              json = null;
            }
            resolve({ status: res.statusCode ?? 0, json, headers: res.headers });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end(payload);
    });
  }

  private unreachable(error: unknown): Envelope<never> {
    const detail = error instanceof Error ? error.message : String(error);
    const tls = /certificate|self.signed|CERT_|SSL|TLS/i.test(detail);
    return {
      ok: false,
      error: {
        code: 'unavailable',
        message: tls ? `The team server's TLS certificate is not trusted (${detail}). Ask your admin for its CA (MATCHDESK_TEAM_CA).` : `The team server at ${this.url} is not reachable (${detail}).`,
      },
    };
  }

  /** Hands the server a Matrix OpenID token; it answers with its own session. */
  async signIn(openid: unknown, client: string): Promise<Envelope<{ token: string; session: TeamSessionInfo }>> {
    try {
      const res = await this.send('POST', '/api/v1/session', null, { openid, client });
      if (res.status === 200) return { ok: true, value: res.json as { token: string; session: TeamSessionInfo } };
      return (res.json as Envelope<never>) ?? { ok: false, error: { code: 'internal', message: `The team server answered ${res.status}` } };
    } catch (error) {
      return this.unreachable(error);
    }
  }

  async whoami(token: string): Promise<Envelope<{ session: TeamSessionInfo }>> {
    try {
      const res = await this.send('GET', '/api/v1/session', token);
      if (res.status === 200) return { ok: true, value: res.json as { session: TeamSessionInfo } };
      return (res.json as Envelope<never>) ?? { ok: false, error: { code: 'internal', message: `The team server answered ${res.status}` } };
    } catch (error) {
      return this.unreachable(error);
    }
  }

  async signOut(token: string): Promise<void> {
    await this.send('DELETE', '/api/v1/session', token).catch(() => undefined);
  }

  async call(token: string, name: string, input: unknown): Promise<Envelope<unknown>> {
    try {
      const res = await this.send('POST', `/api/v1/call/${encodeURIComponent(name)}`, token, input ?? {});
      const envelope = res.json as Envelope<unknown> | null;
      if (envelope && typeof envelope === 'object' && 'ok' in envelope) return envelope;
      return { ok: false, error: { code: res.status === 413 ? 'invalid_input' : 'internal', message: `The team server answered ${res.status}` } };
    } catch (error) {
      // The server cut the connection while the file was on its way and its answer was lost with it: most often a
      // file over its size limit, refused from its declared length.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE' || code === 'ECONNRESET') {
        return { ok: false, error: { code: 'invalid_input', message: `The team server closed the connection while the file was being sent (${code}): it may be larger than the server accepts for ${name} uploads.` } };
      }
      return this.unreachable(error);
    }
  }

  /**
   * Streams a file to one of the server's upload routes (POST /upload/<name>) with the session token: the body is piped
   * as it comes (never held whole), with Content-Length when known, chunked otherwise. If the server answers before
   * the body is all sent (a refusal), sending stops and its answer is returned.
   */
  async upload(token: string, name: string, params: Record<string, string>, body: Readable, length?: number): Promise<Envelope<unknown>> {
    const target = new URL(`${this.url}/upload/${encodeURIComponent(name)}?${new URLSearchParams(params).toString()}`);
    try {
      const res = await new Promise<{ status: number; json: unknown }>((resolve, reject) => {
        let answered = false;
        const req = (this.secure ? httpsRequest : httpRequest)(
          target,
          {
            method: 'POST',
            agent: this.agent,
            headers: {
              Accept: 'application/json',
              Authorization: `Bearer ${token}`,
              'Content-Type': 'application/octet-stream',
              ...(length !== undefined ? { 'Content-Length': length } : {}),
            },
            timeout: 120_000,
          },
          (answer) => {
            answered = true;
            // An early answer is a refusal: stop sending (the server closes or drains what is on the way).
            if (!body.readableEnded) body.unpipe(req);
            const chunks: Buffer[] = [];
            let size = 0;
            answer.on('data', (c: Buffer) => {
              size += c.length;
              if (size <= 1024 * 1024) chunks.push(c);
            });
            answer.on('end', () => {
              let json: unknown = null;
              try {
                json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
              } catch {
                /* not an envelope: the status says what happened */
              }
              resolve({ status: answer.statusCode ?? 0, json });
              if (!req.writableFinished) req.destroy();
            });
            answer.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error('timed out')));
        // A server that refuses mid-body may reset the connection as it answers: its answer, if read, stands.
        req.on('error', (error) => {
          if (!answered) reject(error);
        });
        body.once('error', (error) => req.destroy(error));
        body.pipe(req);
      });
      const envelope = res.json as Envelope<unknown> | null;
      if (envelope && typeof envelope === 'object' && 'ok' in envelope) return envelope;
      return { ok: false, error: { code: res.status === 413 ? 'invalid_input' : 'internal', message: `The team server answered ${res.status}` } };
    } catch (error) {
      // The server cut the connection while the file was on its way and its answer was lost with it: most often a
      // file over its size limit, refused from its declared length.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE' || code === 'ECONNRESET') {
        return { ok: false, error: { code: 'invalid_input', message: `The team server closed the connection while the file was being sent (${code}): it may be larger than the server accepts for ${name} uploads.` } };
      }
      return this.unreachable(error);
    }
  }

  /**
   * The live stream (Server-Sent Events), reconnecting after a second with Last-Event-ID so nothing is missed.
   * Stops for good on an `access` event or a 401/403 (the session ended or the role is gone).
   */
  events(token: string, handlers: EventHandlers): { close(): void } {
    let closed = false;
    let lastId: string | null = null;
    let current: { destroy(): void } | null = null;
    let retry: NodeJS.Timeout | null = null;
    const schedule = () => {
      if (closed) return;
      handlers.onState('reconnecting');
      retry = setTimeout(connect, 1_000);
    };
    const connect = () => {
      if (closed) return;
      const req = (this.secure ? httpsRequest : httpRequest)(
        new URL(`${this.url}/api/v1/events`),
        { method: 'GET', agent: false as unknown as HttpAgent, headers: { Accept: 'text/event-stream', Authorization: `Bearer ${token}`, ...(lastId ? { 'Last-Event-ID': lastId } : {}) }, ...this.tlsOptions() },
        (res) => {
          if (res.statusCode !== 200) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              if (res.statusCode === 401 || res.statusCode === 403) {
                let message = res.statusCode === 401 ? 'Your session has ended.' : 'You no longer have access.';
                try {
                  message = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error: { message: string } }).error.message;
                } catch {
                  /* keep the default */
                }
                closed = true;
                handlers.onAccess({ type: 'access', state: res.statusCode === 401 ? 'signed_out' : 'no_access', message });
                return;
              }
              schedule();
            });
            return;
          }
          handlers.onState('live');
          res.setEncoding('utf8');
          let buffer = '';
          res.on('data', (text: string) => {
            buffer += text;
            let end: number;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              this.dispatchBlock(block, handlers, (id) => (lastId = id), () => (closed = true));
            }
          });
          res.on('end', schedule);
          res.on('error', () => undefined);
        },
      );
      req.on('error', schedule);
      req.end();
      current = req;
    };
    connect();
    return {
      close: () => {
        closed = true;
        if (retry) clearTimeout(retry);
        current?.destroy();
      },
    };
  }

  private tlsOptions(): { ca?: string | Buffer } {
    const ca = (this.agent as HttpsAgent).options?.ca;
    return ca ? { ca: ca as string | Buffer } : {};
  }

  private dispatchBlock(block: string, handlers: EventHandlers, setId: (id: string) => void, stop: () => void): void {
    let event = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data += (data ? '\n' : '') + value;
      else if (field === 'id') setId(value);
    }
    if (event === 'change') {
      try {
        handlers.onEvent(JSON.parse(data) as Pushed);
      } catch {
        /* a malformed event is dropped */
      }
    } else if (event === 'resync') handlers.onResync();
    else if (event === 'access') {
      const parsed = accessEventSchema.safeParse(JSON.parse(data || '{}'));
      if (parsed.success) {
        stop();
        handlers.onAccess(parsed.data);
      }
    }
  }
}
