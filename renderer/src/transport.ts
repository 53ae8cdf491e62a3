import type { CallName } from '../../shared/contract';
import type { ConsoleCallName } from '../../shared/console-contract';
import type { ConsoleEvent } from '../../shared/events';
import type { Envelope } from '../../shared/result';
import { PRELOAD_EVENTS_GLOBAL, PRELOAD_GLOBAL } from '../../shared/ipc';

/** How a call reaches the main process. The rest of the renderer never knows which one it got. */
export interface Transport {
  readonly kind: 'ipc' | 'http';
  call(name: CallName | ConsoleCallName, input: unknown): Promise<Envelope<unknown>>;
  /** Live changes pushed by the host (this machine's services, or the team server through it). */
  subscribe(listener: (event: ConsoleEvent) => void): () => void;
  /** Streams a file to POST /upload/<name> (HTTP hosts only; the desktop app passes a file path instead). */
  upload?(name: string, query: Record<string, string>, body: Blob): Promise<Envelope<unknown>>;
}

type PreloadApi = Record<string, (input: unknown) => Promise<Envelope<unknown>>>;
type PreloadEvents = { subscribe(listener: (event: unknown) => void): () => void };

function ipcTransport(bridge: PreloadApi, events: PreloadEvents | undefined): Transport {
  return {
    kind: 'ipc',
    call: (name, input) => {
      const fn = bridge[name];
      if (!fn) return Promise.resolve({ ok: false, error: { code: 'unknown_call', message: `The desktop bridge has no ${name}` } });
      return fn(input);
    },
    subscribe: (listener) => (events ? events.subscribe((event) => listener(event as ConsoleEvent)) : () => undefined),
  };
}

const TOKEN_KEY = 'matchdesk.token';

/** The browser shell: the launch URL carries the token in its fragment; we keep it for this tab only and drop it from the address bar. */
function readToken(): string | null {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (match?.[1]) {
    const token = decodeURIComponent(match[1]);
    sessionStorage.setItem(TOKEN_KEY, token);
    history.replaceState(null, '', window.location.pathname + window.location.search);
    return token;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/**
 * The loopback host's event stream, read with fetch (EventSource cannot send the Authorization header), and opened
 * again a second after it drops. Each (re)connection says so, so the page refetches what it might have missed.
 */
function streamEvents(token: string | null, listener: (event: ConsoleEvent) => void): () => void {
  let stopped = false;
  let controller: AbortController | null = null;
  const run = async () => {
    let connected = false;
    while (!stopped) {
      controller = new AbortController();
      try {
        const response = await fetch('/api/events', { headers: { Authorization: `Bearer ${token ?? ''}` }, cache: 'no-store', credentials: 'omit', signal: controller.signal });
        if (!response.ok || !response.body) throw new Error(String(response.status));
        if (connected) listener({ type: 'resync' });
        connected = true;
        listener({ type: 'connection', state: 'live' });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block
              .split('\n')
              .filter((l) => l.startsWith('data:'))
              .map((l) => l.slice(5).trimStart())
              .join('\n');
            if (!data) continue;
            try {
              listener(JSON.parse(data) as ConsoleEvent);
            } catch {
              /* a malformed event is dropped */
            }
          }
        }
      } catch {
        /* dropped: try again below */
      }
      if (stopped) return;
      listener({ type: 'connection', state: 'reconnecting' });
      await new Promise((r) => setTimeout(r, 1_000));
    }
  };
  void run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}

function httpTransport(token: string | null): Transport {
  return {
    kind: 'http',
    async call(name, input) {
      let response: Response;
      try {
        response = await fetch(`/api/${name}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token ?? ''}` },
          body: JSON.stringify(input ?? {}),
          cache: 'no-store',
          credentials: 'omit',
        });
      } catch {
        return { ok: false, error: { code: 'unavailable', message: 'The Matchdesk server is not reachable. Is `npm run web` still running?' } };
      }
      try {
        return (await response.json()) as Envelope<unknown>;
      } catch {
        return { ok: false, error: { code: 'internal', message: `Unexpected response (${response.status})` } };
      }
    },
    subscribe: (listener) => streamEvents(token, listener),
    async upload(name, query, body) {
      let response: Response;
      try {
        // The browser streams a File from disk: it is never read into a string here.
        response = await fetch(`/upload/${encodeURIComponent(name)}?${new URLSearchParams(query).toString()}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/octet-stream', Authorization: `Bearer ${token ?? ''}` },
          body,
          cache: 'no-store',
          credentials: 'omit',
        });
      } catch {
        return { ok: false, error: { code: 'unavailable', message: 'The upload did not reach the Matchdesk server.' } };
      }
      try {
        return (await response.json()) as Envelope<unknown>;
      } catch {
        return { ok: false, error: { code: 'internal', message: response.status === 413 ? 'The file is too large for this server.' : `Unexpected response (${response.status})` } };
      }
    },
  };
}

export function pickTransport(): Transport {
  const globals = window as unknown as Record<string, unknown>;
  const bridge = globals[PRELOAD_GLOBAL];
  if (bridge && typeof bridge === 'object') return ipcTransport(bridge as PreloadApi, globals[PRELOAD_EVENTS_GLOBAL] as PreloadEvents | undefined);
  return httpTransport(readToken());
}
