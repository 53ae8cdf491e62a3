import type { CallName } from '../../shared/contract';
import type { Envelope } from '../../shared/result';
import { PRELOAD_GLOBAL } from '../../shared/ipc';

/** How a call reaches the main process. The rest of the renderer never knows which one it got. */
export interface Transport {
  readonly kind: 'ipc' | 'http';
  call(name: CallName, input: unknown): Promise<Envelope<unknown>>;
  /** Streams a file to POST /upload/<name> (HTTP hosts only; the desktop app passes a file path instead). */
  upload?(name: string, query: Record<string, string>, body: Blob): Promise<Envelope<unknown>>;
}

type PreloadApi = Record<string, (input: unknown) => Promise<Envelope<unknown>>>;

function ipcTransport(bridge: PreloadApi): Transport {
  return {
    kind: 'ipc',
    call: (name, input) => {
      const fn = bridge[name];
      if (!fn) return Promise.resolve({ ok: false, error: { code: 'unknown_call', message: `The desktop bridge has no ${name}` } });
      return fn(input);
    },
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
  const bridge = (window as unknown as Record<string, unknown>)[PRELOAD_GLOBAL];
  if (bridge && typeof bridge === 'object') return ipcTransport(bridge as PreloadApi);
  return httpTransport(readToken());
}
