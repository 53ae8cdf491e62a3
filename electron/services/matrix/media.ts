// Media download through authenticated media (/_matrix/client/v1/media/download) with a size
// cap, a timeout and content sniffing; bytes stay in memory. Plus Synapse's admin media info,
// whose sha256 lets exact-hash matching skip the download.
import { errorFromFetchFailure, errorFromResponse, MatrixApiError } from './errors';
import { MatrixHttp, seg } from './http';
import { sniffMime } from './sniff';
import type { AdminMediaInfo, DownloadedMedia, DownloadOptions } from './types';

export const DEFAULT_MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024;
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 30_000;

const MXC_RE = /^mxc:\/\/([A-Za-z0-9.\-:[\]]+)\/([A-Za-z0-9_-]+)$/;

/** Parse mxc://server/mediaId; null when malformed (media ids are [A-Za-z0-9_-]). */
export function parseMxc(uri: string): { server: string; mediaId: string } | null {
  const m = MXC_RE.exec(uri.trim());
  if (!m) return null;
  return { server: m[1] as string, mediaId: m[2] as string };
}

export function mxcUri(server: string, mediaId: string): string {
  return `mxc://${server}/${mediaId}`;
}

async function readCapped(res: Response, maxBytes: number, what: string): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new MatrixApiError('too_large', `${what}: ${declared} bytes exceeds the cap of ${maxBytes}`, {
      httpStatus: res.status,
    });
  }
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new MatrixApiError('too_large', `${what}: more than the cap of ${maxBytes} bytes`, {
          httpStatus: res.status,
        });
      }
      chunks.push(value);
    }
  } catch (err) {
    throw errorFromFetchFailure(err, what);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

/**
 * Download one media item into memory. Throws MatrixApiError: not_found (also for quarantined
 * media), too_large, timeout, network, rate_limited, token_expired, …
 */
export async function downloadMedia(
  http: MatrixHttp,
  server: string,
  mediaId: string,
  opts: DownloadOptions = {},
): Promise<DownloadedMedia> {
  const path = `/_matrix/client/v1/media/download/${seg(server)}/${seg(mediaId)}`;
  const what = MatrixHttp.describe('GET', path);
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  const query: Record<string, string> = { allow_redirect: 'true' };
  if (opts.bypassQuarantine) query.admin_unsafely_bypass_quarantine = 'true';
  const req: Parameters<MatrixHttp['fetchRaw']>[2] = {
    query,
    accept: '*/*',
    timeoutMs: opts.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS,
  };
  if (opts.signal) req.signal = opts.signal;
  const res = await http.fetchRaw('GET', path, req);
  if (!res.ok) {
    let json: unknown;
    try {
      json = JSON.parse(await res.text());
    } catch {
      json = undefined;
    }
    throw errorFromResponse(res.status, json, res.headers, what);
  }
  const bytes = await readCapped(res, maxBytes, what);
  const headerMime = res.headers.get('content-type')?.split(';')[0]?.trim();
  const out: DownloadedMedia = { server, mediaId, bytes, size: bytes.byteLength, sniffedMime: sniffMime(bytes) };
  if (headerMime) out.headerMime = headerMime;
  return out;
}

interface RawMediaInfo {
  media_id?: string;
  media_origin?: string | null;
  media_type?: string;
  media_length?: number;
  upload_name?: string;
  user_id?: string | null;
  created_ts?: number;
  quarantined_by?: string | null;
  safe_from_quarantine?: boolean | null;
  sha256?: string | null;
}

/** Synapse admin: GET /_synapse/admin/v1/media/{origin}/{mediaId}. `sha256` is the server's hash. */
export async function getAdminMediaInfo(
  http: MatrixHttp,
  server: string,
  mediaId: string,
  opts: { signal?: AbortSignal } = {},
): Promise<AdminMediaInfo> {
  const res = await http.request<{ media_info?: RawMediaInfo }>(
    'GET',
    `/_synapse/admin/v1/media/${seg(server)}/${seg(mediaId)}`,
    opts.signal ? { signal: opts.signal } : {},
  );
  const m = res.media_info ?? {};
  const info: AdminMediaInfo = { server, mediaId };
  if (m.media_type !== undefined) info.mediaType = m.media_type;
  if (m.media_length !== undefined) info.mediaLength = m.media_length;
  if (m.upload_name !== undefined) info.uploadName = m.upload_name;
  if (m.user_id !== undefined) info.userId = m.user_id;
  if (m.created_ts !== undefined) info.createdTs = m.created_ts;
  if (m.quarantined_by !== undefined) info.quarantinedBy = m.quarantined_by;
  if (m.safe_from_quarantine !== undefined) info.safeFromQuarantine = m.safe_from_quarantine;
  if (m.sha256 !== undefined) info.sha256 = m.sha256 ? m.sha256.toLowerCase() : m.sha256;
  return info;
}
