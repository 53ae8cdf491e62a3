import { describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FileSecretStore, plainCodec, type SecretCodec } from '../../electron/services/secrets/secret-store';
import { tempDir } from '../helpers/temp-dir';

describe('secret store', () => {
  const temp = tempDir();

  it('browser shell: a 0600 file, values round-trip, deletes stick', () => {
    const file = join(temp.dir, 'secrets.json');
    const store = new FileSecretStore(file, plainCodec);
    expect(store.protection).toBe('file-0600');
    store.set('hma.key', 's3cret');
    store.set('matrix.token', 'syt_abc');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(new FileSecretStore(file, plainCodec).get('hma.key')).toBe('s3cret');
    store.delete('hma.key');
    expect(store.get('hma.key')).toBeNull();
    expect(store.get('matrix.token')).toBe('syt_abc');
  });

  it('desktop: only sealed values reach the disk (safeStorage stand-in: Electron cannot run here)', () => {
    const file = join(temp.dir, 'sealed.json');
    const sealing: SecretCodec = {
      protection: 'os-keychain',
      seal: (p) => Buffer.from(p.split('').reverse().join('')).toString('hex'),
      open: (s) => Buffer.from(s, 'hex').toString().split('').reverse().join(''),
    };
    const store = new FileSecretStore(file, sealing);
    store.set('hma.key', 'plain-key-value');
    expect(readFileSync(file, 'utf8')).not.toContain('plain-key-value');
    expect(store.get('hma.key')).toBe('plain-key-value');
  });
});
