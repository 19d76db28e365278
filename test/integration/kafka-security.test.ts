/**
 * Kafka over SASL_SSL (SCRAM-SHA-512 over TLS with client certificates): a private broker
 * started by the test (test/support/second-broker.ts, secure mode) with a CA and certificates
 * made by openssl at run time and a SCRAM user created at format time. The whole chain runs
 * through it: points from the producer SDK and through the HTTP API, scored by the pipeline,
 * stored in the shared ClickHouse, and an anomaly and alert fanned out by the gateway to a
 * WebSocket subscriber. A wrong password (for each process: SDK, pipeline, API, gateway,
 * on-call), a CA that did not sign the broker, and a missing client certificate are each
 * refused at once with an error saying what to fix; no secret is ever in an error or a log line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type VigilConfig } from '../../core/config.ts';
import { VigilError } from '../../core/errors.ts';
import { startApi } from '../../api/index.ts';
import { startGateway } from '../../gateway/index.ts';
import { startOncall } from '../../oncall/runtime.ts';
import { createKafka } from '../../pipeline/kafka/client.ts';
import { startPipeline, type PipelineHandle } from '../../pipeline/runtime/pipeline.ts';
import { createMetricProducer } from '../../pipeline/sdk/producer.ts';
import { createClickHouse } from '../../pipeline/storage/clickhouse.ts';
import { createTestEnv, startSecondBroker, waitFor, type SecondBroker, type TestEnv } from '../support/index.ts';
import { createTestPki, type TestPki } from '../support/tls.ts';

const USER = 'vigil-app';
const PASSWORD = `scram-${Math.random().toString(36).slice(2)}-secret`;

let pki: TestPki;
let broker: SecondBroker;
let secretsDir: string;
let env: TestEnv;
/** Every log line of the processes under test, to check that no secret is ever logged. */
const logLines: string[] = [];
const logger = pino({ level: 'debug', base: { test: 'kafka-security' } }, { write: (line: string) => void (logLines.length < 200_000 && logLines.push(line)) });

/** The env's config with another Kafka security section (for the refusal cases). */
function withKafka(config: VigilConfig, patch: Record<string, unknown>): VigilConfig {
  return loadConfig({ env: {}, overrides: { kafka: { ...config.kafka, ...patch } } });
}

beforeAll(async () => {
  pki = createTestPki();
  secretsDir = mkdtempSync(path.join(os.tmpdir(), 'vigil-kafka-secrets-'));
  const passwordFile = path.join(secretsDir, 'kafka.pw');
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  broker = await startSecondBroker({ heap: '384m', secure: { pki, users: [{ username: USER, password: PASSWORD }], clientAuth: true } });
  env = await createTestEnv('kafka-sasl-ssl', {
    partitions: 2,
    overrides: {
      api: { port: 0 },
      gateway: { port: 0 },
      pipeline: { windowSize: 100, workerThreads: 1 },
      kafka: {
        brokers: broker.brokers,
        sasl: { mechanism: 'scram-sha-512', username: USER, passwordFile },
        ssl: { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey },
      },
    },
  });
}, 120_000);

afterAll(async () => {
  await env?.cleanup().catch(() => undefined);
  await broker?.close();
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
  if (secretsDir) rmSync(secretsDir, { recursive: true, force: true });
}, 60_000);

describe('SDK → API → pipeline → ClickHouse and gateway, all over SASL_SSL', () => {
  let pipeline: PipelineHandle | undefined;
  let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  afterAll(async () => {
    await api?.close();
    await gateway?.close();
    await pipeline?.stop();
  }, 60_000);

  it('the broker really is SASL_SSL only: a plaintext client gets no answer', async () => {
    const plain = createKafka({ kafka: { ...env.config.kafka, sasl: null, ssl: null } }, logger, { retries: 0, connectionTimeoutMs: 1500 }).admin();
    await expect(plain.connect().then(() => plain.describeCluster())).rejects.toThrow();
    await plain.disconnect().catch(() => undefined);
  });

  it('points sent with the SDK and posted to the API are scored, stored, and alerted to a WebSocket subscriber', async () => {
    expect(env.config.kafka.sasl?.password).toBe(PASSWORD); // read from the file
    pipeline = await startPipeline(env.config, logger);
    gateway = await startGateway(env.config, logger);
    api = await startApi(env.config, logger);

    const frames: Array<{ type: string; channel?: string; data?: Record<string, unknown> }> = [];
    const ws = new WebSocket(`ws://127.0.0.1:${gateway.port}/ws?channels=alerts,anomalies&source=svc-secure`);
    ws.on('message', (data) => frames.push(JSON.parse(String(data))));
    await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
    await waitFor(() => frames.some((f) => f.type === 'subscribed'), 10_000, { message: 'subscribed frame' });

    const now = Date.now();
    const series = (source: string, n: number, offset: number) =>
      Array.from({ length: n }, (_, i) => ({
        source,
        metric: 'queue_size',
        value: i >= 150 && i < 153 ? 400 : 50 + ((i * 7) % 5),
        timestamp: now - 400_000 + (offset + i) * 1000,
        tags: {},
      }));
    // Baseline through the SDK, then the rest (with a spike) through the API.
    const viaSdk = series('svc-secure', 100, 0);
    const viaApi = series('svc-secure', 200, 0).slice(100);
    const sdk = createMetricProducer({ config: env.config, logger });
    await sdk.connect();
    await sdk.send(viaSdk);
    await sdk.close();
    const res = await fetch(`${api.url}/api/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ points: viaApi }) });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: viaApi.length, rejected: 0 });

    const ch = createClickHouse(env.config, { logger });
    try {
      await waitFor(
        async () => {
          const rs = await ch.query({ query: `SELECT count() AS n FROM points FINAL WHERE source = 'svc-secure'`, format: 'JSONEachRow' });
          const [row] = await rs.json<{ n: string }>();
          return Number(row.n) === viaSdk.length + viaApi.length;
        },
        60_000,
        { message: 'every point stored' },
      );
    } finally {
      await ch.close();
    }
    const anomaly = await waitFor(() => frames.find((f) => f.type === 'event' && f.channel === 'anomalies'), 60_000, { message: 'anomaly event' });
    expect(anomaly.data).toMatchObject({ source: 'svc-secure', metric: 'queue_size' });
    const alert = await waitFor(() => frames.find((f) => f.type === 'event' && f.channel === 'alerts'), 60_000, { message: 'alert event' });
    expect(alert.data).toMatchObject({ source: 'svc-secure', kind: 'anomaly', status: 'firing' });
    ws.close();
    expect((await fetch(`${api.url}/api/v1/health`).then((r) => r.json())).checks.kafka.status).toBe('ok');
  }, 180_000);
});

describe('refusals: at once, saying what to fix, never quoting a secret', () => {
  const refusal = async (config: VigilConfig, role: 'sdk' | 'pipeline' | 'api' | 'gateway' | 'oncall') => {
    const started = Date.now();
    let err: unknown;
    try {
      if (role === 'sdk') await createMetricProducer({ config, logger }).connect();
      else if (role === 'pipeline') await (await startPipeline(config, logger)).stop();
      else if (role === 'gateway') await (await startGateway(config, logger)).close();
      else if (role === 'oncall') await (await startOncall(config, logger)).close();
      else await (await startApi(config, logger)).close();
    } catch (e) {
      err = e;
    }
    if (process.env.VIGIL_TEST_SHOW_REFUSALS === '1') console.info(`[${role}] ${(err as Error)?.message}`);
    return { err: err as VigilError, ms: Date.now() - started };
  };

  it.each(['sdk', 'pipeline', 'api', 'gateway', 'oncall'] as const)('a wrong password (%s): kafka-sasl-refused naming the user', async (role) => {
    const { err, ms } = await refusal(withKafka(env.config, { sasl: { username: USER, password: 'wrong-password-0815' } }), role);
    expect(err).toBeInstanceOf(VigilError);
    expect(err.code).toBe('kafka-sasl-refused');
    expect(err.message).toMatch(new RegExp(`refused the SASL login of user ${USER} \\(SCRAM-SHA-512\\).*kafka\\.sasl\\.password`));
    expect(err.message).not.toContain('wrong-password-0815');
    expect(ms).toBeLessThan(10_000);
  });

  it('an unknown user is refused the same way', async () => {
    const { err } = await refusal(withKafka(env.config, { sasl: { username: 'nobody', password: PASSWORD } }), 'sdk');
    expect(err.code).toBe('kafka-sasl-refused');
    expect(err.message).not.toContain(PASSWORD);
  });

  it('a CA that did not sign the broker certificate: kafka-tls-untrusted naming the CA file, no minute of retries', async () => {
    const { err, ms } = await refusal(withKafka(env.config, { ssl: { ca: pki.otherCaCert, cert: pki.clientCert, key: pki.clientKey } }), 'sdk');
    expect(err.code).toBe('kafka-tls-untrusted');
    expect(err.message).toMatch(/TLS certificate of Kafka at 127\.0\.0\.1:\d+ is not trusted: .*certificate/);
    expect(err.message).toContain(pki.otherCaCert);
    expect(ms).toBeLessThan(10_000);
  });

  it('no CA at all (the system CAs do not know a private one) is refused the same way', async () => {
    const { err } = await refusal(withKafka(env.config, { ssl: { cert: pki.clientCert, key: pki.clientKey } }), 'pipeline');
    expect(err.code).toBe('kafka-tls-untrusted');
    expect(err.message).toMatch(/set kafka\.ssl\.ca/);
  });

  it('no client certificate where the broker requires one: refused, saying to set kafka.ssl.cert and key', async () => {
    const { err, ms } = await refusal(withKafka(env.config, { ssl: { ca: pki.caCert } }), 'sdk');
    expect(err).toBeInstanceOf(VigilError);
    expect(err.code).toBe('kafka-tls-refused');
    expect(err.message).toMatch(/set kafka\.ssl\.cert and kafka\.ssl\.key/);
    expect(ms).toBeLessThan(10_000);
  });

  it('no log line of any process in this file holds the password', () => {
    expect(logLines.length).toBeGreaterThan(50);
    expect(logLines.filter((l) => l.includes(PASSWORD) || l.includes('wrong-password-0815'))).toEqual([]);
  });
});
