import { protocol } from 'electron';
import { readFile, stat } from 'node:fs/promises';
import { contentSecurityPolicy, SECURITY_HEADERS } from '../security/csp';
import { mimeFor, resolveStaticPath } from '../security/static-files';
import { APP_HOST, APP_SCHEME, APP_SCHEME_PRIVILEGES } from './security-policy';

/** Must run before app 'ready'. */
export function registerAppSchemePrivileges(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }]);
}

/** Serves the built renderer from app://matchdesk/ with our CSP; anything outside the renderer folder is a 404. */
export function handleAppScheme(rendererRoot: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const file = url.host === APP_HOST ? resolveStaticPath(rendererRoot, url.pathname) : null;
    const info = file ? await stat(file).catch(() => null) : null;
    if (!file || !info?.isFile()) return new Response('Not Found', { status: 404 });
    return new Response(await readFile(file), {
      status: 200,
      headers: { ...SECURITY_HEADERS, 'Content-Type': mimeFor(file), 'Content-Security-Policy': contentSecurityPolicy(), 'Cache-Control': 'no-store' },
    });
  });
}
