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
