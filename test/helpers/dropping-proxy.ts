// A loopback HTTP proxy in front of a server (the HMA double or a real HMA) that loses chosen exchanges the way a
// network does: `answer` forwards the request, lets the server act on it, then cuts the client's connection instead
// of passing the answer on (the request landed; its answer was lost); `request` cuts the connection before anything
// is forwarded (the request never landed). Everything else passes through unchanged.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type DropMode = 'answer' | 'request';

export interface DropRule {
  mode: DropMode;
  method?: string;
  /** Only paths starting with this. */
  pathPrefix?: string;
  /** How many matching exchanges to lose (default 1). */
  times?: number;
}

export interface DroppedExchange {
  mode: DropMode;
  method: string;
  path: string;
  /** The server's status for an `answer` drop (what the client never saw). */
  status: number | null;
}

export interface DroppingProxy {
  url: string;
  drop(rule: DropRule): void;
  clearRules(): void;
  readonly dropped: DroppedExchange[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'proxy-connection']);

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startDroppingProxy(target: string): Promise<DroppingProxy> {
  const rules: Array<DropRule & { left: number }> = [];
  const dropped: DroppedExchange[] = [];
  const sockets = new Set<Socket>();

  const take = (method: string, path: string): DropRule | null => {
    const i = rules.findIndex((r) => (!r.method || r.method.toUpperCase() === method) && (!r.pathPrefix || path.startsWith(r.pathPrefix)));
    if (i < 0) return null;
    const r = rules[i]!;
    if (--r.left <= 0) rules.splice(i, 1);
    return r;
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const method = (req.method ?? 'GET').toUpperCase();
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const body = await readBody(req);
      const rule = take(method, path);
      if (rule?.mode === 'request') {
        dropped.push({ mode: 'request', method, path, status: null });
        req.socket.destroy();
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      let upstream: Response;
      try {
        upstream = await fetch(`${target}${req.url ?? '/'}`, { method, headers, body: method === 'GET' || method === 'HEAD' ? undefined : new Uint8Array(body), redirect: 'manual' });
      } catch {
        req.socket.destroy();
        return;
      }
      const answer = Buffer.from(await upstream.arrayBuffer());
      if (rule?.mode === 'answer') {
        dropped.push({ mode: 'answer', method, path, status: upstream.status });
        req.socket.destroy();
        return;
      }
      const out: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (!HOP_BY_HOP.has(k) && k !== 'content-encoding') out[k] = v;
      });
      res.writeHead(upstream.status, out);
      res.end(answer);
    })().catch(() => req.socket.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    drop: (rule) => rules.push({ ...rule, left: rule.times ?? 1 }),
    clearRules: () => rules.splice(0),
    dropped,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
