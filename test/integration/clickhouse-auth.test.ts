/**
 * ClickHouse users have passwords and Vigil sends them: the shared stack's writer and reader
 * refuse a wrong or missing password with an error naming the user and the field to fix (never
 * the password); and TLS: a private 18.16 server serving https with a generated certificate is
 * reached through an https URL plus the CA, and refused when the CA is not the one that signed it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type VigilConfig } from '../../core/config.ts';
import { VigilError } from '../../core/errors.ts';
import { assertClickHouseLogin, createClickHouse } from '../../pipeline/storage/clickhouse.ts';
import { migrate } from '../../pipeline/storage/migrate.ts';
import { createTestEnv, type TestEnv } from '../support/index.ts';
import { clickhouseServerBinary, startPrivateClickHouse, type PrivateClickHouse } from '../support/private-clickhouse.ts';
import { createTestPki, type TestPki } from '../support/tls.ts';

const selectOne = async (config: VigilConfig, reader = false) => {
  const ch = createClickHouse(config, { reader, database: null, logger });
  try {
    const rs = await ch.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' });
    return await rs.json<{ one: number }>();
  } finally {
    await ch.close();
  }
};

const withClickHouse = (config: VigilConfig, patch: Partial<VigilConfig['clickhouse']>): VigilConfig => ({ ...config, clickhouse: { ...config.clickhouse, ...patch } });

/** Every log line of the clients under test (debug level): no wrong password may show up in one. */
const logLines: string[] = [];
const logger = pino({ level: 'debug', base: { test: 'clickhouse-auth' } }, { write: (line: string) => void (logLines.length < 100_000 && logLines.push(line)) });
const WRONG_PASSWORDS = ['not-the-password-4711', 'wrong-reader-password', 'nope-nope-nope'];

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv('clickhouse-auth', { topics: false });
});
afterAll(async () => {
  await env?.cleanup();
  // After every test of the file, refusals included.
  expect(logLines.length).toBeGreaterThan(0);
  expect(logLines.filter((line) => WRONG_PASSWORDS.some((p) => line.includes(p)))).toEqual([]);
});

describe('passwords on the local stack', () => {
  it('the default config logs in as the writer and the reader, both with passwords', async () => {
    expect(env.config.clickhouse.username).toBe('vigil_writer');
    expect(env.config.clickhouse.password).not.toBe('');
    expect(env.config.clickhouse.readerPassword).not.toBe('');
    expect(await selectOne(env.config)).toEqual([{ one: 1 }]);
    expect(await selectOne(env.config, true)).toEqual([{ one: 1 }]);
  });

  it.each([
    ['a wrong password', 'not-the-password-4711'],
    ['no password', ''],
  ])('the writer with %s is refused: migrate fails naming the user and the field, without the password', async (_what, password) => {
    const config = withClickHouse(env.config, { password });
    const err = await migrate(config, { logger }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VigilError);
    expect((err as VigilError).code).toBe('clickhouse-login-refused');
    expect((err as Error).message).toMatch(/refused user vigil_writer .*clickhouse\.password \(or passwordFile\)/);
    if (password) expect((err as Error).message).not.toContain(password);
  });

  it('the reader with a wrong password is refused at start-up (the API checks before it serves)', async () => {
    const config = withClickHouse(env.config, { readerPassword: 'wrong-reader-password' });
    const ch = createClickHouse(config, { reader: true, logger });
    try {
      const err = await assertClickHouseLogin(ch, config, true).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/refused user vigil_reader .*clickhouse\.readerPassword \(or readerPasswordFile\)/);
      expect((err as Error).message).not.toContain('wrong-reader-password');
    } finally {
      await ch.close();
    }
  });

  it('a server that is down is not a refused login: the check leaves it to the callers retries', async () => {
    const config = withClickHouse(env.config, { url: 'http://127.0.0.1:1' });
    const ch = createClickHouse(config, { requestTimeoutMs: 2000, logger });
    try {
      await expect(assertClickHouseLogin(ch, config, false)).resolves.toBeUndefined();
    } finally {
      await ch.close();
    }
  });

  it('the writer password can come from a file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-ch-pw-'));
    const file = path.join(dir, 'writer.pw');
    writeFileSync(file, `${env.config.clickhouse.password}\n`, { mode: 0o600 });
    try {
      const config = loadConfig({ env: {}, overrides: { clickhouse: { database: env.config.clickhouse.database, passwordFile: file } } });
      expect(await selectOne(config)).toEqual([{ one: 1 }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const haveServer = clickhouseServerBinary() !== null;

describe.skipIf(!haveServer)('TLS to a private ClickHouse 18.16 (https port, generated certificate)', () => {
  let pki: TestPki;
  let server: PrivateClickHouse;
  beforeAll(async () => {
    pki = createTestPki();
    server = await startPrivateClickHouse({ tls: { cert: pki.serverCert, key: pki.serverKey } });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  const overTls = (ca: string | null): VigilConfig =>
    loadConfig({ env: {}, overrides: { logLevel: 'warn', clickhouse: { url: server.httpsUrl, database: 'vigil_tls', ...(ca ? { ca } : {}) } } });

  it('https URL + the CA that signed the server: migrations run, writes and reads work, passwords still apply', async () => {
    const config = overTls(pki.caCert);
    const result = await migrate(config, { logger });
    expect(result.applied.length).toBeGreaterThan(0);
    expect(await selectOne(config, true)).toEqual([{ one: 1 }]);
    const wrong = await migrate(withClickHouse(config, { password: 'nope-nope-nope' }), { logger }).catch((e: unknown) => e);
    expect((wrong as VigilError).code).toBe('clickhouse-login-refused');
  });

  it.each([
    ['a CA that did not sign the server certificate', () => pki.otherCaCert],
    ['no CA (the system CAs do not know a private CA)', () => null],
  ])('is refused with %s, with the certificate problem in the error', async (_what, ca) => {
    const err = await selectOne(overTls(ca())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message) + String((err as { code?: string }).code)).toMatch(/certificate|SELF_SIGNED|UNABLE_TO_VERIFY/i);
  });

  it('the plain http port of the same server still answers (https is a second port, not a replacement)', async () => {
    const config = loadConfig({ env: {}, overrides: { clickhouse: { url: server.httpUrl } } });
    expect(await selectOne(config)).toEqual([{ one: 1 }]);
  });
});
