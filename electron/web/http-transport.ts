import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Dispatch } from '../services/api/dispatcher';
import { STATUS_FOR } from '../http/status';
import type { ConsoleEvent } from '../../shared/events';
import type { UploadRoute } from '../services/api/upload-routes';
import { refuseUpload, serveUpload } from './serve-upload';
import { contentSecurityPolicy, SECURITY_HEADERS } from '../security/csp';
import { mimeFor, resolveStaticPath } from '../security/static-files';

export interface HttpTransportOptions {
  dispatch: Dispatch;
  /** Live changes for the page (GET /api/events, Server-Sent Events, same token as the calls). */
  events?: (listener: (event: ConsoleEvent) => void) => () => void;
  /** The built renderer (renderer/dist). */
  staticRoot: string;
  port?: number;
  token?: string;
  maxBodyBytes?: number;
  /** Streamed uploads at POST /upload/<name> (same token, Host and Origin checks as /api/). */
  uploads?: Record<string, UploadRoute>;
}

export interface HttpTransport {
  readonly url: string;
  /** The URL to open: the token rides in the fragment, which browsers never send to the server or in a Referer. */
  readonly launchUrl: string;
  readonly token: string;
  readonly server: Server;
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY = 128 * 1024 * 1024;
const LOOPBACK_HOST = '127.0.0.1';

function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

function tokenMatches(header: string | undefined, token: string): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice(7));
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function send(res: ServerResponse, status: number, body: string | Buffer, type: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Cache-Control': 'no-store', ...extra });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');
}

/**
 * Reads a request body into one buffer, cut off at `limit` while it is read: a declared Content-Length over the
 * limit is refused before reading anything, and a body that grows past it stops being read there ('too_large'; the
 * caller answers 413 and closes the connection, so the rest is never received). The body is held once: no list of
 * chunks plus a concatenated copy.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve('too_large');
  return new Promise((resolvePromise, reject) => {
    // A declared length is allocated at once (untouched pages cost no memory until the body arrives); a chunked
    // body grows by doubling.
    let buf = Buffer.allocUnsafeSlow(Number.isFinite(declared) ? declared : Math.min(limit, 1 << 20));
    let size = 0;
    const onData = (chunk: Buffer): void => {
      if (size + chunk.length > limit) {
        req.off('data', onData);
        req.pause();
        resolvePromise('too_large');
        return;
      }
      if (size + chunk.length > buf.length) {
        const target = Math.min(limit, Number.isFinite(declared) ? declared : limit, Math.max(buf.length * 2, size + chunk.length));
        const grown = Buffer.allocUnsafe(Math.max(target, size + chunk.length));
        buf.copy(grown, 0, 0, size);
        buf = grown;
      }
      chunk.copy(buf, size);
      size += chunk.length;
    };
    req.on('data', onData);
    req.on('end', () => resolvePromise(buf.subarray(0, size)));
    req.on('error', reject);
  });
}

/**
 * The browser shell's transport: the same contract as the IPC bridge, at POST /api/<callName>, on 127.0.0.1 only.
 * Every /api/ request without the per-launch token is refused with 401 before anything else is looked at;
 * requests whose Host or Origin is not this loopback server are refused too (DNS rebinding, other sites).
 */
export async function startHttpTransport(options: HttpTransportOptions): Promise<HttpTransport> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  let allowedHosts = new Set<string>();
  let origin = '';

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: { code: 'internal', message: 'request failed' } });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/upload/')) {
      if (!tokenMatches(req.headers.authorization, token)) {
        sendJson(res, 401, { ok: false, error: { code: 'unauthorized', message: 'Missing or wrong token' } });
        return;
      }
    }
    if (!isLoopbackAddress(req.socket.remoteAddress) || !allowedHosts.has(req.headers.host ?? '')) {
      send(res, 403, 'Forbidden', 'text/plain; charset=utf-8');
      return;
    }
    if (url.pathname === '/api/events' && options.events) {
      handleEvents(req, res, options.events);
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      await handleApi(req, res, url.pathname.slice('/api/'.length));
      return;
    }
    if (url.pathname.startsWith('/upload/')) {
      await handleUpload(req, res, url.pathname.slice('/upload/'.length), url.searchParams);
      return;
    }
    await handleStatic(req, res, url.pathname);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    const requestOrigin = req.headers.origin;
    if (requestOrigin !== undefined && requestOrigin !== origin) {
      sendJson(res, 403, { ok: false, error: { code: 'unauthorized', message: 'Cross-origin requests are refused' } });
      return;
    }
    if (req.method !== 'POST') {
      send(res, 405, 'Method Not Allowed', 'text/plain; charset=utf-8', { Allow: 'POST' });
      return;
    }
    if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
      sendJson(res, 415, { ok: false, error: { code: 'invalid_input', message: 'Send application/json' } });
      return;
    }
    const body = await readBody(req, maxBody);
    if (body === 'too_large') {
      // Say so, then close: the rest of the body is never read. (A client still sending may see the reset before it
      // reads the 413; either way it learns the body was refused.)
      res.setHeader('Connection', 'close');
      res.on('finish', () => req.socket.destroy());
      sendJson(res, 413, { ok: false, error: { code: 'invalid_input', message: `Request body over ${maxBody} bytes` } });
      return;
    }
    let input: unknown;
    try {
      let text: string | null = body.length === 0 ? null : body.toString('utf8');
      input = text === null ? {} : JSON.parse(text);
      text = null;
    } catch {
      sendJson(res, 400, { ok: false, error: { code: 'invalid_input', message: 'Body is not valid JSON' } });
      return;
    }
    const envelope = await options.dispatch(name, input);
    sendJson(res, envelope.ok ? 200 : STATUS_FOR[envelope.error.code], envelope);
  }

  function handleEvents(req: IncomingMessage, res: ServerResponse, subscribe: NonNullable<HttpTransportOptions['events']>): void {
    if (req.headers.origin !== undefined && req.headers.origin !== origin) {
      sendJson(res, 403, { ok: false, error: { code: 'unauthorized', message: 'Cross-origin requests are refused' } });
      return;
    }
    if (req.method !== 'GET') {
      send(res, 405, 'Method Not Allowed', 'text/plain; charset=utf-8', { Allow: 'GET' });
      return;
    }
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.socket?.setNoDelay(true);
    res.write(': live\n\n');
    const unsubscribe = subscribe((event) => {
      if (!res.writableEnded) res.write(`data: ${JSON.stringify(event)}\n\n`);
    });
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    const end = () => {
      clearInterval(keepAlive);
      unsubscribe();
    };
    req.once('close', end);
    res.once('close', end);
  }

  async function handleUpload(req: IncomingMessage, res: ServerResponse, name: string, params: URLSearchParams): Promise<void> {
    const requestOrigin = req.headers.origin;
    if (requestOrigin !== undefined && requestOrigin !== origin) return refuseUpload(req, res, 403, 'unauthorized', 'Cross-origin requests are refused', SECURITY_HEADERS);
    const route = Object.prototype.hasOwnProperty.call(options.uploads ?? {}, name) ? options.uploads![name]! : undefined;
    if (!route) return refuseUpload(req, res, 404, 'unknown_call', `Unknown upload: ${name}`, SECURITY_HEADERS);
    await serveUpload(req, res, route, params, SECURITY_HEADERS);
  }

  async function handleStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'Method Not Allowed', 'text/plain; charset=utf-8', { Allow: 'GET, HEAD' });
      return;
    }
    const file = resolveStaticPath(options.staticRoot, pathname);
    const info = file ? await stat(file).catch(() => null) : null;
    if (!file || !info?.isFile()) {
      send(res, 404, 'Not Found', 'text/plain; charset=utf-8');
      return;
    }
    const headers: Record<string, string> = { 'Content-Security-Policy': contentSecurityPolicy() };
    send(res, 200, req.method === 'HEAD' ? '' : await readFile(file), mimeFor(file), headers);
  }

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, LOOPBACK_HOST, () => resolvePromise());
  });
  const port = (server.address() as AddressInfo).port;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  origin = `http://127.0.0.1:${port}`;
  const url = `${origin}/`;
  return {
    url,
    launchUrl: `${url}#token=${token}`,
    token,
    server,
    close: () =>
      new Promise<void>((resolvePromise) => {
        server.closeAllConnections();
        server.close(() => resolvePromise());
      }),
  };
}
