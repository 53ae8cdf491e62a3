import { describe, expect, it } from 'vitest';
import {
  APP_ENTRY_URL,
  decidePermission,
  decideWindowOpen,
  isAllowedNavigation,
  isSafeExternalUrl,
  isTrustedSender,
  secureWebPreferences,
} from '../../electron/main/security-policy';
import { contentSecurityPolicy } from '../../electron/security/csp';

describe('Electron window security settings (checked through the functions that build them; the Electron binary cannot run here)', () => {
  it('every window is sandboxed and isolated, with no Node in the renderer', () => {
    const prefs = secureWebPreferences('/app/preload/index.cjs');
    expect(prefs).toMatchObject({
      preload: '/app/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
    });
  });

  it('only our app:// origin may be navigated to', () => {
    expect(isAllowedNavigation(APP_ENTRY_URL)).toBe(true);
    expect(isAllowedNavigation('app://matchdesk/queue')).toBe(true);
    expect(isAllowedNavigation('app://evil/index.html')).toBe(false);
    expect(isAllowedNavigation('https://example.org/')).toBe(false);
    expect(isAllowedNavigation('file:///etc/passwd')).toBe(false);
    expect(isAllowedNavigation('javascript:alert(1)')).toBe(false);
    expect(isAllowedNavigation('not a url')).toBe(false);
  });

  it('allows the electron-vite dev server only when it is on loopback', () => {
    expect(isAllowedNavigation('http://localhost:5173/', 'http://localhost:5173')).toBe(true);
    expect(isAllowedNavigation('http://localhost:5174/', 'http://localhost:5173')).toBe(false);
    expect(isAllowedNavigation('http://10.0.0.2:5173/', 'http://10.0.0.2:5173')).toBe(false);
  });

  it('never opens a window; safe http(s) links go to the system browser', () => {
    expect(decideWindowOpen('https://matrix.to/#/!room:example.org')).toEqual({ action: 'deny', openExternally: 'https://matrix.to/#/!room:example.org' });
    expect(decideWindowOpen('file:///etc/passwd')).toEqual({ action: 'deny', openExternally: null });
    expect(decideWindowOpen('javascript:alert(1)')).toEqual({ action: 'deny', openExternally: null });
    expect(decideWindowOpen('smb://host/share')).toEqual({ action: 'deny', openExternally: null });
    expect(isSafeExternalUrl('https://user:pw@example.org/')).toBe(false);
  });

  it('answers IPC only from our own main frame', () => {
    expect(isTrustedSender({ url: APP_ENTRY_URL, isMainFrame: true })).toBe(true);
    expect(isTrustedSender({ url: APP_ENTRY_URL, isMainFrame: false })).toBe(false);
    expect(isTrustedSender({ url: 'https://evil.example/', isMainFrame: true })).toBe(false);
    expect(isTrustedSender(null)).toBe(false);
  });

  it('denies every permission request', () => {
    for (const p of ['media', 'notifications', 'geolocation', 'clipboard-read', 'openExternal', 'fullscreen']) expect(decidePermission(p)).toBe(false);
  });

  it('has a strict CSP: nothing remote, no inline script, no eval', () => {
    const csp = contentSecurityPolicy();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    expect(csp).toContain("frame-ancestors 'none'");
  });
});
