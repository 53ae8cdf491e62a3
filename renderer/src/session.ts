/**
 * This window's session id: claims (item leases) are held by reviewer + session, so two windows of the same reviewer
 * never decide the same item at once. Kept in sessionStorage, which is per tab and survives a reload: after a reload
 * the item that was open is still leased to this window, not "held in another window" by itself.
 */
const KEY = 'matchdesk.sessionId';

function newSessionId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return `w${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function windowSessionId(): string {
  try {
    const kept = sessionStorage.getItem(KEY);
    if (kept && /^w[0-9a-f]{32}$/.test(kept)) return kept;
    const id = newSessionId();
    sessionStorage.setItem(KEY, id);
    return id;
  } catch {
    // Storage refused (a locked-down profile): a new id per load, as before.
    return newSessionId();
  }
}

export const SESSION_ID = windowSessionId();
