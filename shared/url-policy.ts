/**
 * What a service URL (homeserver, Synapse admin API, HMA) may look like. Parsed with the WHATWG URL parser, never a
 * regex, and refused when:
 *   - it is not https (plain http only for a loopback host: 127.0.0.0/8, [::1], localhost), since the admin token
 *     and the HMA keys ride in its requests;
 *   - it carries credentials (user:password@): they would be stored and written to the audit log;
 *   - it contains whitespace or control characters (which the URL parser would silently drop);
 *   - it has a query or a fragment (a base URL has neither).
 * Used by the contract (so the renderer shows the reason), the Matrix sign-in, .well-known discovery and the HMA client.
 */

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  if (v4) return v4.slice(1).every((n) => Number(n) <= 255);
  const mapped = /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.exec(h) ?? /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.exec(h);
  return mapped !== null;
}

export function checkServiceUrl(raw: string, what = 'The URL'): UrlCheck {
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) return { ok: false, reason: `${what} contains spaces or control characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: `${what} is not a valid URL` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: `${what} must start with https://` };
  if (url.username || url.password) return { ok: false, reason: `${what} must not contain a user name or password (user:password@): give credentials in their own fields` };
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return { ok: false, reason: `${what} must use https:// (plain http:// is allowed only for this machine: localhost, 127.0.0.1, [::1])` };
  }
  if (url.search || url.hash || raw.includes('?') || raw.includes('#')) return { ok: false, reason: `${what} must not have a query (?…) or fragment (#…)` };
  return { ok: true, url };
}

/** The URL with any user:password@ replaced by ***@, for logs and the audit trail. Unparseable input is cut short. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw.trim());
    if (!url.username && !url.password) return url.toString();
    url.username = '***';
    url.password = '';
    return url.toString();
  } catch {
    return raw.includes('@') ? `${raw.slice(0, raw.indexOf('://') + 3)}***@…` : raw.slice(0, 200);
  }
}

/** scheme://host:port of a URL (the origin a key is bound to); null when unparseable. */
export function urlOrigin(raw: string | null | undefined): string | null {
  if (!raw) return null;
  try {
    return new URL(raw).origin;
  } catch {
    return null;
  }
}
