import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';

export type SecretsProtection = 'os-keychain' | 'file-0600';

/** Where HMA keys, Matrix tokens and the media vault key live. Never SQLite, never logs. */
export interface SecretStore {
  readonly protection: SecretsProtection;
  get(name: string): string | null;
  set(name: string, value: string): void;
  delete(name: string): void;
}

/** How values are sealed on disk: Electron's safeStorage (OS keychain) in the desktop app, identity in the browser shell. */
export interface SecretCodec {
  readonly protection: SecretsProtection;
  seal(plain: string): string;
  open(sealed: string): string;
}

export const plainCodec: SecretCodec = {
  protection: 'file-0600',
  seal: (plain) => Buffer.from(plain, 'utf8').toString('base64'),
  open: (sealed) => Buffer.from(sealed, 'base64').toString('utf8'),
};

/** A JSON file of sealed values, written atomically with mode 0600. */
export class FileSecretStore implements SecretStore {
  readonly protection: SecretsProtection;

  constructor(
    private readonly file: string,
    private readonly codec: SecretCodec,
  ) {
    this.protection = codec.protection;
    // A copy or an older version may have left it readable by others.
    if (process.platform !== 'win32' && existsSync(file) && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  }

  private readAll(): Record<string, string> {
    if (!existsSync(this.file)) return {};
    const parsed: unknown = JSON.parse(readFileSync(this.file, 'utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`Secrets file ${this.file} is malformed`);
    return parsed as Record<string, string>;
  }

  private writeAll(values: Record<string, string>): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(values), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
  }

  get(name: string): string | null {
    const sealed = this.readAll()[name];
    return sealed === undefined ? null : this.codec.open(sealed);
  }

  set(name: string, value: string): void {
    const all = this.readAll();
    all[name] = this.codec.seal(value);
    this.writeAll(all);
  }

  delete(name: string): void {
    const all = this.readAll();
    if (!(name in all)) return;
    delete all[name];
    this.writeAll(all);
  }
}
