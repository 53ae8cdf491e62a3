import { safeStorage } from 'electron';
import type { SecretCodec } from '../services/secrets/secret-store';

/** Seals secrets with Electron safeStorage (Keychain, DPAPI, libsecret/kwallet). Refuses to fall back to plain text. */
export function safeStorageCodec(): SecretCodec {
  if (!safeStorage.isEncryptionAvailable()) {
    throw new Error('The OS keychain is not available (safeStorage); Matchdesk will not store secrets unprotected.');
  }
  if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') {
    throw new Error('No Linux secret service (gnome-keyring or kwallet) is running; Matchdesk will not store secrets with a hard-coded key.');
  }
  return {
    protection: 'os-keychain',
    seal: (plain) => safeStorage.encryptString(plain).toString('base64'),
    open: (sealed) => safeStorage.decryptString(Buffer.from(sealed, 'base64')),
  };
}
