// One streamed upload over HTTP, for any host that mounts an UploadRoute (the browser shell here; the team server the
// same way). The host has already authenticated the request and checked Host and Origin. This checks the method, the
// content type and the declared length, hands the body to the route as a stream (cut at route.maxBytes while it is
// read), answers with the contract's envelope, and never leaves a refused body half-read on an open connection.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../../shared/result';
import { STATUS_FOR } from '../http/status';
import type { UploadRoute } from '../services/api/upload-routes';

function reply(res: ServerResponse, status: number, value: unknown, headers: Record<string, string>, close: boolean): void {
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...(close ? { Connection: 'close' } : {}) });
  res.end(JSON.stringify(value));
}

/** Reads and drops up to 1 MB of a body we refuse, so the client sees the answer; false when there is more. */
function drainSmall(req: IncomingMessage): Promise<boolean> {
  if (req.readableEnded) return Promise.resolve(true);
  let drained = 0;
  return new Promise<boolean>((resolve) => {
    req.on('data', (c: Buffer) => {
      drained += c.length;
      if (drained > 1024 * 1024) resolve(false);
    });
    req.on('end', () => resolve(true)).on('error', () => resolve(false));
    req.resume();
  });
}

/** Refuses an upload: drains a small body first (the client then reads the answer), closes after a large one. */
export async function refuseUpload(req: IncomingMessage, res: ServerResponse, status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}): Promise<void> {
  const declaredSmall = Number(req.headers['content-length'] ?? 0) <= 1024 * 1024;
  const close = !(declaredSmall && (await drainSmall(req)));
  if (close) res.once('finish', () => req.destroy());
  reply(res, status, { ok: false, error: { code, message } }, headers, close);
}

export async function serveUpload(req: IncomingMessage, res: ServerResponse, route: UploadRoute, params: URLSearchParams, headers: Record<string, string> = {}): Promise<void> {
  const refuse = (status: number, code: ErrorCode, message: string): Promise<void> => refuseUpload(req, res, status, code, message, headers);
  if (req.method !== 'POST') return refuse(405, 'invalid_input', 'Use POST');
  // A form post from another site could send text/plain without a preflight: only a raw byte upload is taken.
  if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/octet-stream')) return refuse(415, 'invalid_input', 'Send application/octet-stream');
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > route.maxBytes) return refuse(413, 'invalid_input', `The file is larger than the limit of ${route.maxBytes} bytes`);
  const envelope = await route.handle(req, params);
  let close = false;
  if (!envelope.ok && !req.readableEnded) {
    close = !(await drainSmall(req));
    if (close) res.once('finish', () => req.destroy());
  }
  const status = envelope.ok ? 200 : /larger than the limit/.test(envelope.error.message) ? 413 : STATUS_FOR[envelope.error.code];
  reply(res, status, envelope, headers, close);
}
