/**
 * Passwords and key material in the config (core/secrets.ts, the clickhouse section): inline
 * or from files, at most one of each pair, files checked at load time, and no refusal ever
 * quotes a secret.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { VigilError } from '../../core/errors.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-secrets-'));
function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text, { mode: 0o600 });
  return p;
}
const PEM_CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const PEM_KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';

function refusal(overrides: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): string {
  try {
    loadConfig({ env, overrides });
  } catch (err) {
    expect(err).toBeInstanceOf(VigilError);
    return (err as Error).message;
  }
  throw new Error('loadConfig accepted it');
}

describe('clickhouse users and passwords', () => {
  it('defaults to the local stack users, both with passwords', () => {
    const c = loadConfig({ env: {} }).clickhouse;
    expect(c).toMatchObject({ username: 'vigil_writer', password: 'vigil_writer', readerUsername: 'vigil_reader', readerPassword: 'vigil_reader', ca: null });
  });

  it('reads a password file: its one line, without the trailing newline', () => {
    const c = loadConfig({ env: { VIGIL_CLICKHOUSE_PASSWORD_FILE: file('w.pw', 'w-secret-1\n'), VIGIL_CLICKHOUSE_READER_PASSWORD_FILE: file('r.pw', 'r-secret-2\r\n') } });
    expect(c.clickhouse.password).toBe('w-secret-1');
    expect(c.clickhouse.readerPassword).toBe('r-secret-2');
  });

  it('inline passwords and the reader user come from the environment too', () => {
    const c = loadConfig({ env: { VIGIL_CLICKHOUSE_PASSWORD: 'inline-w', VIGIL_CLICKHOUSE_READER_USER: 'ro', VIGIL_CLICKHOUSE_READER_PASSWORD: 'inline-r' } });
    expect(c.clickhouse).toMatchObject({ password: 'inline-w', readerUsername: 'ro', readerPassword: 'inline-r' });
  });

  it('refuses a password and a password file together, naming both fields', () => {
    expect(refusal({ clickhouse: { password: 'x', passwordFile: file('both.pw', 'y\n') } })).toMatch(/clickhouse\.passwordFile: set password or passwordFile, not both/);
    expect(refusal({ clickhouse: { readerPassword: 'x', readerPasswordFile: file('both2.pw', 'y\n') } })).toMatch(/clickhouse\.readerPasswordFile: set readerPassword or readerPasswordFile, not both/);
  });

  it.each([
    ['a missing file', () => path.join(dir, 'missing.pw'), /cannot read the password file .*missing\.pw \(ENOENT\)/],
    ['a folder', () => dir, /cannot read the password file .* \(EISDIR\)/],
    ['an empty file', () => file('empty.pw', ''), /must hold one non-empty line/],
    ['a lone newline', () => file('nl.pw', '\n'), /must hold one non-empty line/],
    ['two lines', () => file('two.pw', 'first-secret-line\nsecond-secret-line\n'), /must hold one non-empty line/],
  ])('refuses %s as a password file, naming the field and never the content', (_what, make, pattern) => {
    const msg = refusal({ clickhouse: { passwordFile: make() } });
    expect(msg).toMatch(/^invalid configuration: clickhouse\.passwordFile: /);
    expect(msg).toMatch(pattern);
    expect(msg).not.toMatch(/secret-line/);
  });

  it('refuses a non-http(s) URL', () => {
    expect(refusal({ clickhouse: { url: 'ftp://ch.example:21' } })).toMatch(/clickhouse\.url: must be an http:\/\/ or https:\/\/ URL/);
  });

  it('takes a CA file for an https URL, checked to be a PEM certificate', () => {
    const ca = file('ca.pem', PEM_CERT);
    expect(loadConfig({ env: { VIGIL_CLICKHOUSE_URL: 'https://ch.example:8443', VIGIL_CLICKHOUSE_CA: ca } }).clickhouse.ca).toBe(ca);
    expect(refusal({ clickhouse: { url: 'https://ch.example:8443', ca: file('key.pem', PEM_KEY) } })).toMatch(/clickhouse\.ca: .*key\.pem holds no PEM certificate/);
    expect(refusal({ clickhouse: { url: 'https://ch.example:8443', ca: path.join(dir, 'nope.pem') } })).toMatch(/clickhouse\.ca: cannot read .*nope\.pem \(ENOENT\)/);
    expect(refusal({ clickhouse: { url: 'http://ch.example:8123', ca } })).toMatch(/clickhouse\.ca: a CA is only used with an https:\/\/ url/);
  });
});

describe('kafka SASL and TLS', () => {
  const ca = file('kca.pem', PEM_CERT);
  const cert = file('kcert.pem', PEM_CERT);
  const key = file('kkey.pem', PEM_KEY);

  it('default: neither (the local PLAINTEXT broker)', () => {
    expect(loadConfig({ env: {} }).kafka).toMatchObject({ sasl: null, ssl: null });
  });

  it('from the environment: SCRAM-SHA-512 by default, the password from a file, TLS files', () => {
    const c = loadConfig({
      env: { VIGIL_KAFKA_SASL_USERNAME: 'app', VIGIL_KAFKA_SASL_PASSWORD_FILE: file('k.pw', 'k-secret\n'), VIGIL_KAFKA_SSL_CA: ca, VIGIL_KAFKA_SSL_CERT: cert, VIGIL_KAFKA_SSL_KEY: key },
    });
    expect(c.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'app', password: 'k-secret' });
    expect(c.kafka.ssl).toEqual({ ca, cert, key, rejectUnauthorized: true });
    const other = loadConfig({ env: { VIGIL_KAFKA_SASL_MECHANISM: 'scram-sha-256', VIGIL_KAFKA_SASL_USERNAME: 'app', VIGIL_KAFKA_SASL_PASSWORD: 'inline' } });
    expect(other.kafka.sasl).toEqual({ mechanism: 'scram-sha-256', username: 'app', password: 'inline' });
  });

  it('ssl: {} is TLS with the system CAs', () => {
    expect(loadConfig({ env: {}, overrides: { kafka: { ssl: {} } } }).kafka.ssl).toEqual({ ca: null, cert: null, key: null, rejectUnauthorized: true });
  });

  it('a resolved config parses again unchanged (password files are read once and not kept)', () => {
    const c = loadConfig({ env: {}, overrides: { kafka: { sasl: { username: 'app', passwordFile: file('rt.pw', 'rt\n') } }, clickhouse: { passwordFile: file('rt2.pw', 'rt2\n') } } });
    const again = loadConfig({ env: {}, overrides: { kafka: c.kafka, clickhouse: c.clickhouse } });
    expect(again.kafka).toEqual(c.kafka);
    expect(again.clickhouse).toEqual(c.clickhouse);
  });

  it.each([
    ['no password', { sasl: { username: 'app' } }, /kafka\.sasl\.password: SASL needs kafka\.sasl\.password or kafka\.sasl\.passwordFile/],
    ['both password and file', { sasl: { username: 'app', password: 'a-secret-value', passwordFile: path.join(dir, 'k.pw') } }, /kafka\.sasl\.passwordFile: set password or passwordFile, not both/],
    ['an empty user', { sasl: { username: '', password: 'a-secret-value' } }, /kafka\.sasl\.username/],
    ['PLAIN (sends the password)', { sasl: { mechanism: 'plain', username: 'app', password: 'a-secret-value' } }, /kafka\.sasl\.mechanism/],
    ['an unknown key', { sasl: { username: 'app', password: 'a-secret-value', pasword: 'typo' } }, /kafka\.sasl/],
    ['a cert without its key', { ssl: { cert: file('c2.pem', PEM_CERT) } }, /kafka\.ssl\.key: a client certificate needs its key/],
    ['a key without its cert', { ssl: { key: file('k2.pem', PEM_KEY) } }, /kafka\.ssl\.cert: a client certificate needs its key/],
    ['a key file that holds a certificate', { ssl: { cert: file('c3.pem', PEM_CERT), key: file('k3.pem', PEM_CERT) } }, /kafka\.ssl\.key: .*holds no PEM private key/],
    ['a missing CA file', { ssl: { ca: path.join(dir, 'none.pem') } }, /kafka\.ssl\.ca: cannot read .*none\.pem \(ENOENT\)/],
    ['rejectUnauthorized as a string', { ssl: { rejectUnauthorized: 'false' } }, /kafka\.ssl\.rejectUnauthorized/],
  ])('refuses %s, naming the field and never the password', (_what, kafka, pattern) => {
    const msg = refusal({ kafka });
    expect(msg).toMatch(pattern);
    expect(msg).not.toContain('a-secret-value');
  });
});
