import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../electron/services/store/database';
import { MediaVault } from '../../electron/services/media/media-vault';
import { FileSecretStore, plainCodec } from '../../electron/services/secrets/secret-store';
import { tempDir } from '../helpers/temp-dir';

describe('media vault', () => {
  const temp = tempDir();

  it('never writes media bytes in the clear, round-trips them, and purges on schedule', () => {
    const db = openDatabase(':memory:');
    let now = 1_000_000;
    const secrets = new FileSecretStore(join(temp.dir, 's.json'), plainCodec);
    const vault = new MediaVault(join(temp.dir, 'vault'), db, secrets, () => now);
    const marker = Buffer.from('THIS-IS-SENSITIVE-MEDIA-'.repeat(100));
    const ref = vault.put(marker);
    const [file] = readdirSync(join(temp.dir, 'vault'));
    const onDisk = readFileSync(join(temp.dir, 'vault', file!));
    expect(onDisk.includes(Buffer.from('SENSITIVE'))).toBe(false);
    expect(vault.get(ref)?.equals(marker)).toBe(true);
    // A second vault over the same secrets (a restart) reads it back.
    expect(new MediaVault(join(temp.dir, 'vault'), db, secrets, () => now).get(ref)?.equals(marker)).toBe(true);
    now += 10_000;
    expect(vault.purgeOlderThan(60_000)).toBe(0);
    now += 60_000;
    expect(vault.purgeOlderThan(60_000)).toBe(1);
    expect(vault.get(ref)).toBeNull();
    expect(readdirSync(join(temp.dir, 'vault'))).toEqual([]);
  });

  it('rejects tampered ciphertext and refs that are not ours', () => {
    const db = openDatabase(':memory:');
    const vault = new MediaVault(join(temp.dir, 'vault2'), db, new FileSecretStore(join(temp.dir, 's2.json'), plainCodec));
    const ref = vault.put(Buffer.from('hello'));
    const path = join(temp.dir, 'vault2', ref);
    const bytes = readFileSync(path);
    bytes[bytes.length - 1]! ^= 1;
    writeFileSync(path, bytes);
    expect(() => vault.get(ref)).toThrow();
    expect(vault.get('../../etc/passwd')).toBeNull();
  });
});
