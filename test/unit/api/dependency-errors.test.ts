/**
 * How the API answers when a backing service fails (issue #12, fault 7): a 503 naming the
 * service, why and what to do, with Retry-After — not a 500 and not a generic "a backing
 * service" — while requests that do not need it keep their answers; and how it answers a
 * request Node's parser refuses (431 and co.): the error envelope with Connection: close, so a
 * keep-alive client's next request is not lost on a dead socket.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../../core/config.ts';
import { VigilError } from '../../../core/errors.ts';
import type { ApiDeps, ClickHouseReader, MetricSink } from '../../../api/deps.ts';
import { DependencyError, dependencyOf, unavailableError, unavailableReason } from '../../../api/http-error.ts';
import { buildApi } from '../../../api/server.ts';
import { clickHouseReader } from '../../../api/clickhouse.ts';
import { sql } from '../../../api/sql.ts';
import type { ClickHouseClient } from '@clickhouse/client';
import { DefinitionSet } from '../../../pipeline/alerts/definitions.ts';
import { memorySilenceStore } from '../../../oncall/silences/index.ts';
import { memoryReceiverStore } from '../../../oncall/notify/receiver-store.ts';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:18123'), { code: 'ECONNREFUSED' });
const kafkaDown = () => Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:19092'), { name: 'KafkaJSConnectionError' });

describe('unavailableError (pure)', () => {
  it('names ClickHouse and why for the adapter’s wrapped network errors and busy answers', () => {
    expect(unavailableError(new DependencyError('ClickHouse', refused()))?.message).toMatch(/^ClickHouse refused the connection; this request needs it: retry in 5 s, and if it persists check the ClickHouse server/);
    expect(unavailableReason(new DependencyError('ClickHouse', new Error('Timeout error.')))).toBe('did not answer in time');
    expect(unavailableReason(new DependencyError('ClickHouse', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })))).toBe('dropped the connection');
    expect(unavailableReason(new DependencyError('ClickHouse', Object.assign(new Error('Too many simultaneous queries'), { code: '202' })))).toMatch(/overloaded/);
    expect(unavailableError(new DependencyError('ClickHouse', refused()))?.statusCode).toBe(503);
  });

  it('names Kafka from kafkajs errors, however deep they sit', () => {
    const sdk = new VigilError('sending 3 metric points failed', { cause: Object.assign(new Error('retries exceeded'), { name: 'KafkaJSNumberOfRetriesExceeded', cause: kafkaDown() }), code: 'send-failed' });
    expect(dependencyOf(sdk)).toBe('Kafka');
    expect(unavailableError(sdk)?.message).toMatch(/^Kafka is unreachable; .* check the Kafka server/);
    expect(unavailableError(Object.assign(new Error('Request produce(key: 0) timed out'), { name: 'KafkaJSRequestTimeoutError' }))?.message).toMatch(/^Kafka did not answer in time/);
  });

  it('keeps the generic wording when the failure does not say where it came from', () => {
    expect(dependencyOf(refused())).toBeNull();
    expect(unavailableError(refused())?.message).toMatch(/^a backing service \(ClickHouse or Kafka\) refused the connection/);
  });

  it('is null for failures that are not about availability (those stay 500s), and stops on a cause cycle', () => {
    expect(unavailableError(new Error('boom'))).toBeNull();
    expect(unavailableError(new DependencyError('ClickHouse', Object.assign(new Error('Syntax error'), { code: '62' })))).toBeNull();
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(unavailableError(a)).toBeNull();
  });
});

const INGEST = 'ingest-key-0123456789abc';
const READ = 'read-key-0123456789abcdef';
const config = loadConfig({
  env: {},
  overrides: {
    logLevel: 'silent',
    api: { apiKeys: [{ key: READ, roles: ['read'], name: 'reader' }, { key: INGEST, roles: ['ingest'], name: 'ingester' }] },
  },
});

function deps(clickhouse: ClickHouseReader, metrics: MetricSink): ApiDeps {
  return {
    clickhouse,
    metrics,
    commands: { issue: async () => null },
    config: { ready: true, definitions: () => DefinitionSet.defaults(), write: async () => undefined },
    kafka: { ping: async () => ({ brokers: 1 }), consumerGroup: async (groupId) => ({ groupId, state: 'Stable', members: 1, lag: 0 }) },
    silences: memorySilenceStore(),
    receivers: memoryReceiverStore(),
  };
}

describe('the API with a dependency failing', () => {
  let failure: () => unknown = () => new DependencyError('ClickHouse', refused());
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApi(
      config,
      deps(
        { query: async () => Promise.reject(failure()), ping: async () => Promise.reject(failure()) },
        { send: async () => Promise.reject(new VigilError('sending 1 metric points failed', { cause: kafkaDown(), code: 'send-failed' })) },
      ),
    );
  });
  afterAll(() => app.close());
  const get = (url: string) => app.inject({ method: 'GET', url, headers: { 'x-api-key': READ } });

  it('answers a read that needs ClickHouse 503 naming it, with Retry-After; validation and other routes answer as usual', async () => {
    failure = () => new DependencyError('ClickHouse', refused());
    const res = await get('/api/v1/alerts');
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toMatchObject({ statusCode: 503, error: 'Service Unavailable', message: expect.stringMatching(/^ClickHouse refused the connection; this request needs it/) });
    expect(res.body).not.toMatch(/127\.0\.0\.1|18123/);
    expect((await get('/api/v1/alerts?status=nope')).statusCode).toBe(400);
    expect((await get('/api/v1/rules')).statusCode).toBe(200);
    const health = await app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(health.statusCode).toBe(503);
    expect(health.json().checks).toMatchObject({ clickhouse: { status: 'fail', message: expect.stringMatching(/ECONNREFUSED/) }, kafka: { status: 'ok' } });
  });

  it('answers a hung ClickHouse (client timeout) 503 too, and a missing table with the migrations hint', async () => {
    failure = () => new DependencyError('ClickHouse', new Error('Timeout error.'));
    expect((await get('/api/v1/anomalies')).json().message).toMatch(/^ClickHouse did not answer in time/);
    failure = () => new DependencyError('ClickHouse', Object.assign(new Error("Table t.alert_events doesn't exist"), { code: '60' }));
    const res = await get('/api/v1/alerts');
    expect(res.statusCode).toBe(503);
    expect(res.json().message).toMatch(/ClickHouse table is missing: run the migrations/);
  });

  it('keeps a 500 without internals for a failure that is a bug, not an outage', async () => {
    failure = () => new DependencyError('ClickHouse', Object.assign(new Error('Syntax error: failed at position 7 SELECT secret'), { code: '62' }));
    const res = await get('/api/v1/alerts');
    expect(res.statusCode).toBe(500);
    expect(res.json().message).toBe('internal error; see the API log');
  });

  it('answers an ingest Kafka cannot take 503 naming Kafka', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/metrics', headers: { 'x-api-key': INGEST }, payload: { source: 'a', metric: 'b', value: 1 } });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json().message).toMatch(/^Kafka is unreachable; this request needs it/);
  });
});

describe('clickHouseReader deadline', () => {
  it('gives up after api.queryTimeoutMs, waiting for a socket included, and says ClickHouse did not answer', async () => {
    let signal: AbortSignal | undefined;
    // A client whose query never answers until aborted (a hung server, or every socket taken).
    const client = {
      query: (params: { abort_signal?: AbortSignal }) =>
        new Promise((_resolve, reject) => {
          signal = params.abort_signal;
          signal?.addEventListener('abort', () => reject(Object.assign(new Error('The user aborted a request.'), { name: 'AbortError' })));
        }),
    } as unknown as ClickHouseClient;
    const started = Date.now();
    const err = await clickHouseReader(client, 300).query(sql`SELECT 1`).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(signal?.aborted).toBe(true);
    expect(err).toBeInstanceOf(DependencyError);
    expect(unavailableError(err)?.message).toMatch(/^ClickHouse did not answer in time; this request needs it/);
    // Without the deadline the abort would read as a bug: a 500.
    expect(unavailableError(Object.assign(new Error('The user aborted a request.'), { name: 'AbortError' }))).toBeNull();
  });
});

describe('/health with ClickHouse hung', () => {
  it('fails the clickhouse check only: the pipeline check still reports the group', async () => {
    const hang = () => new Promise<never>(() => {});
    const app = await buildApi(config, deps({ query: hang, ping: hang }, { send: async () => undefined }));
    try {
      const res = await app.inject({ method: 'GET', url: '/api/v1/health' });
      expect(res.statusCode).toBe(503);
      expect(res.json().checks).toMatchObject({
        clickhouse: { status: 'fail', message: expect.stringMatching(/no answer within 3000 ms/) },
        pipeline: { status: 'ok', details: { members: 1 } },
        kafka: { status: 'ok' },
      });
    } finally {
      await app.close();
    }
  });
});

describe('/health with the Kafka cluster degraded', () => {
  it('warns on the kafka check with the reason (200, status degraded): requests are still served', async () => {
    const degraded = 'Kafka cluster degraded: broker 2 missing from the cluster metadata; 12 under-replicated partitions (m/0, m/1, m/2, …)';
    const d = deps({ query: async () => [], ping: async () => undefined }, { send: async () => undefined });
    const app = await buildApi(config, { ...d, kafka: { ...d.kafka, ping: async () => ({ brokers: 2, degraded }) } });
    try {
      const res = await app.inject({ method: 'GET', url: '/api/v1/health' });
      expect(res.statusCode).toBe(200);
      expect(res.json().status).toBe('degraded');
      expect(res.json().checks.kafka).toMatchObject({ status: 'warn', message: degraded, details: { brokers: 2 } });
    } finally {
      await app.close();
    }
  });
});

describe('requests the HTTP parser refuses', () => {
  let app: FastifyInstance;
  let base: URL;
  beforeAll(async () => {
    app = await buildApi(config, deps({ query: async () => [], ping: async () => undefined }, { send: async () => undefined }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = new URL(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`);
  });
  afterAll(() => app.close());

  function request(agent: http.Agent, path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string } | { error: string }> {
    return new Promise((resolve) => {
      const req = http.request({ agent, host: base.hostname, port: base.port, path }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', (err) => resolve({ error: String((err as NodeJS.ErrnoException).code ?? err.message) }));
      req.end();
    });
  }

  it('431 with the envelope and Connection: close; the keep-alive client’s next request is answered', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const size of [20_000, 40_000, 100_000]) {
        for (let k = 0; k < 10; k++) {
          const refusedAnswer = await request(agent, `/api/v1/alerts?source=${'a'.repeat(size)}`);
          expect(refusedAnswer, `${size} bytes, try ${k}`).toMatchObject({ status: 431, headers: { connection: 'close', 'content-type': 'application/json; charset=utf-8' } });
          const body = JSON.parse((refusedAnswer as { body: string }).body);
          expect(body).toMatchObject({ statusCode: 431, error: 'Request Header Fields Too Large', message: expect.stringMatching(/16 KiB limit .*shorten/) });
          expect(await request(agent, '/api/v1/client-config'), `the request after a ${size}-byte one`).toMatchObject({ status: 200 });
        }
      }
    } finally {
      agent.destroy();
    }
  });
});
