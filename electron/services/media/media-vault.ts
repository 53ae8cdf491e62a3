import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../store/database';
import type { SecretStore } from '../secrets/secret-store';

const KEY_NAME = 'media-vault-key';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Media bytes that Matchdesk must keep (uploads, Matrix downloads) are stored only encrypted:
 * AES-256-GCM with a key held in the secret store. Entries are purged after the retention period.
 */
export class MediaVault {
  private readonly key: Buffer;

  constructor(
    private readonly dir: string,
    private readonly db: Db,
    secrets: SecretStore,
    private readonly now: () => number = Date.now,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    let keyHex = secrets.get(KEY_NAME);
    if (!keyHex) {
      keyHex = randomBytes(32).toString('hex');
      secrets.set(KEY_NAME, keyHex);
    }
    this.key = Buffer.from(keyHex, 'hex');
  }

  put(bytes: Uint8Array): string {
    const ref = randomUUID();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(ref));
    const body = Buffer.concat([cipher.update(bytes), cipher.final()]);
    writeFileSync(join(this.dir, ref), Buffer.concat([iv, cipher.getAuthTag(), body]), { mode: 0o600 });
    this.db.prepare('INSERT INTO vault_entries (ref, byte_length, created_at) VALUES (?, ?, ?)').run(ref, bytes.byteLength, this.now());
    return ref;
  }

  get(ref: string): Buffer | null {
    if (!/^[0-9a-f-]{36}$/.test(ref)) return null;
    const file = join(this.dir, ref);
    if (!existsSync(file)) return null;
    const sealed = readFileSync(file);
    const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, IV_BYTES));
    decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    decipher.setAAD(Buffer.from(ref));
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  }

  /** Deletes one entry (bytes stored for an item that turned out to have them already). */
  remove(ref: string): void {
    if (!/^[0-9a-f-]{36}$/.test(ref)) return;
    rmSync(join(this.dir, ref), { force: true });
    this.db.prepare('DELETE FROM vault_entries WHERE ref = ?').run(ref);
  }

  /** Deletes entries older than the retention period; returns how many went. */
  purgeOlderThan(retentionMs: number): number {
    const cutoff = this.now() - retentionMs;
    const old = this.db.prepare('SELECT ref FROM vault_entries WHERE created_at < ?').all(cutoff) as { ref: string }[];
    for (const { ref } of old) {
      rmSync(join(this.dir, ref), { force: true });
      this.db.prepare('DELETE FROM vault_entries WHERE ref = ?').run(ref);
      this.db.prepare('UPDATE media_items SET vault_ref = NULL WHERE vault_ref = ?').run(ref);
    }
    return old.length;
  }
}
