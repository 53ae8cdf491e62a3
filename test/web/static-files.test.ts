import { describe, expect, it } from 'vitest';
import { resolveStaticPath } from '../../electron/security/static-files';

describe('static path resolution (shared by app:// and the HTTP transport)', () => {
  it('maps paths inside the root', () => {
    expect(resolveStaticPath('/srv/r', '/')).toBe('/srv/r/index.html');
    expect(resolveStaticPath('/srv/r', '/assets/a.js')).toBe('/srv/r/assets/a.js');
    expect(resolveStaticPath('/srv/r', '/a%20b.css')).toBe('/srv/r/a b.css');
  });
  it('refuses anything that could leave the root', () => {
    for (const p of ['/../x', '/a/../../x', '/%2e%2e/x', '/..%2Fx', '/a\\..\\x', '/%5c..%5cx', '/x%00.js', '/%E0%A4%A', '/../r2/x']) {
      expect(resolveStaticPath('/srv/r', p), p).toBeNull();
    }
  });
});
