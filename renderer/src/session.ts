/**
 * This window's session id: claims (item leases) are held by reviewer + session, so two windows of the same reviewer
 * never decide the same item at once. A new id per page load (a reload is a new window as far as leases go).
 */
function newSessionId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return `w${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export const SESSION_ID = newSessionId();
