import { HmaError, HmaNotFoundError } from '../hma';

/** One HMA failure as a moderator would say it, naming the address that was tried. */
export function hmaProblemInWords(error: unknown, baseUrl: string, timeoutMs: number): string {
  if (!(error instanceof HmaError)) return `Testing ${baseUrl} failed: ${error instanceof Error ? error.message : String(error)}`;
  const status = error.status ? ` (HTTP ${error.status})` : '';
  switch (error.code) {
    case 'network':
      return `Could not connect to ${baseUrl}: nothing answered there. Check the address, and that HMA is running and reachable from this machine.`;
    case 'timeout':
      return `${baseUrl} did not answer within ${Math.round(timeoutMs / 1000)} seconds.`;
    case 'unauthorized':
      return `${baseUrl} refused the API key${status}: check the key.`;
    case 'forbidden':
      return `${baseUrl} does not allow this key to do that${status}${error.serverMessage ? `: “${error.serverMessage}”` : ''}.`;
    case 'not_found':
      return error instanceof HmaNotFoundError && error.routeMissing
        ? `${baseUrl} answered, but does not serve HMA here${status}: check the address (is HMA behind a path prefix?).`
        : `${baseUrl} answered “not found”${status}.`;
    case 'html_error':
      return `${baseUrl} answered with a web page instead of HMA's API${status}: another server or a proxy error page is at this address.`;
    case 'invalid_json':
    case 'schema_mismatch':
      return `${baseUrl} answered, but not the way HMA does: is this an HMA server?`;
    case 'rate_limited':
      return `${baseUrl} asks to slow down${status}: try again in a minute.`;
    case 'index_not_ready':
      return `${baseUrl} is up, but its index is still being built: matching starts when it is ready.`;
    case 'server_error':
      return `${baseUrl} failed with an internal error${status}.`;
    case 'circuit_open':
      return `${baseUrl} failed several times just before, so the connection is paused for a moment.`;
    default:
      return `${baseUrl}: ${error.message}`;
  }
}
