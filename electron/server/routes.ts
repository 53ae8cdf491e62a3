import type { IncomingMessage, ServerResponse } from 'node:http';

/** One request as a route sees it. `headers` are the answer's base headers (no-store, security): send them. */
export interface RouteRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The path's regular-expression groups, in order. */
  params: string[];
  /** The client's address (behind a trusted proxy: the forwarded one). */
  clientAddress: string;
  headers: Record<string, string>;
}

/**
 * A route of the team server. Each does its own authentication: the built-in API uses Matchdesk sessions; others
 * mounted through `extraRoutes` (a bot check API with its own Bearer keys, say) bring theirs. Host and Origin checks,
 * no-store and security headers, and error envelopes apply to every route alike.
 */
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** An exact path, or a pattern whose groups become `params`. */
  path: string | RegExp;
  handle(request: RouteRequest): Promise<void>;
}

export function matchRoute(routes: readonly Route[], method: string, pathname: string): { route: Route; params: string[] } | { allowed: string[] } | null {
  const allowed: string[] = [];
  for (const route of routes) {
    let params: string[] | null;
    if (typeof route.path === 'string') params = route.path === pathname ? [] : null;
    else {
      const m = route.path.exec(pathname);
      params = m ? m.slice(1).map((p) => decodeURIComponent(p ?? '')) : null;
    }
    if (params === null) continue;
    if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { route, params };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { allowed } : null;
}
