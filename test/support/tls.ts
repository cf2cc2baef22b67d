import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway self-signed server certificate for 127.0.0.1/localhost, made with Debian's openssl. */
export interface TestCertificate {
  dir: string;
  /** PEM with the private key and the certificate (the broker's `ssl.keystore.location`). */
  keystore: string;
  /** The certificate alone (what clients trust). */
  caFile: string;
  ca: string;
  remove(): void;
}

export function makeTestCertificate(): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  const keystore = join(dir, 'keystore.pem');
  writeFileSync(keystore, readFileSync(key, 'utf8') + readFileSync(cert, 'utf8'));
  return { dir, keystore, caFile: cert, ca: readFileSync(cert, 'utf8'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
