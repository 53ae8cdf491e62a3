import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCert {
  certFile: string;
  keyFile: string;
  /** The certificate in PEM, for clients to trust (it is its own CA). */
  ca: string;
}

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made for this run with Debian's openssl (a P-256 key, one
 * day): no private key is ever committed. Clients trust it by passing `ca`, or MATCHDESK_TEAM_CA / NODE_EXTRA_CA_CERTS.
 */
export function makeTestCert(dir: string): TestCert {
  const certFile = join(dir, 'server.crt');
  const keyFile = join(dir, 'server.key');
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-addext', 'basicConstraints=critical,CA:TRUE',
      '-keyout', keyFile, '-out', certFile,
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile, ca: readFileSync(certFile, 'utf8') };
}
