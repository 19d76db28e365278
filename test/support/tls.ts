/**
 * Throw-away TLS material for tests, made with `openssl` at run time (no private key is ever
 * committed): a CA, a server certificate for 127.0.0.1/localhost signed by it, optionally a
 * client certificate, and a second, unrelated CA for "untrusted" cases. Everything lives in a
 * temp dir the caller removes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VigilError } from '../../core/errors.ts';

export interface TestPki {
  readonly dir: string;
  /** PEM CA certificate that signed server and client. */
  readonly caCert: string;
  /** PEM of another CA that signed nothing here: a client trusting only it must refuse the server. */
  readonly otherCaCert: string;
  readonly serverCert: string;
  /** Unencrypted PKCS#8 PEM key of the server. */
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** The server key and certificate chain as a PKCS#12 keystore (Java), with its password. */
  pkcs12(password: string): string;
}

function openssl(args: string[], cwd: string): void {
  const res = spawnSync('openssl', args, { cwd, encoding: 'utf8', timeout: 30_000 });
  if (res.status !== 0) {
    throw new VigilError(`openssl ${args[0]} failed: ${(res.stderr || String(res.error)).slice(-1000)}`, { action: 'install openssl (apt-get install openssl)' });
  }
}

function newCa(dir: string, name: string): { cert: string; key: string } {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.pem`);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=Vigil test ${name}`, '-keyout', key, '-out', cert], dir);
  return { cert, key };
}

function issue(dir: string, ca: { cert: string; key: string }, name: string, cn: string, ext: string): { cert: string; key: string } {
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const cert = path.join(dir, `${name}.pem`);
  const extFile = path.join(dir, `${name}.ext`);
  writeFileSync(extFile, `${ext}\n`);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', key, '-out', csr], dir);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '2', '-extfile', extFile, '-out', cert], dir);
  return { cert, key };
}

export function createTestPki(dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-pki-'))): TestPki {
  const ca = newCa(dir, 'ca');
  const other = newCa(dir, 'other-ca');
  const server = issue(dir, ca, 'server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth');
  const client = issue(dir, ca, 'client', 'vigil-test-client', 'extendedKeyUsage=clientAuth');
  return {
    dir,
    caCert: ca.cert,
    otherCaCert: other.cert,
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    pkcs12(password: string) {
      const out = path.join(dir, 'server.p12');
      openssl(['pkcs12', '-export', '-in', server.cert, '-inkey', server.key, '-certfile', ca.cert, '-name', 'server', '-out', out, '-passout', `pass:${password}`], dir);
      return out;
    },
  };
}
