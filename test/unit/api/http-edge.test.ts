/**
 * The HTTP edge without servers: schema validation, error shape, auth roles, ingest per-item
 * results, command outcomes and definition validation, with in-memory stand-ins for the
 * ClickHouse reader and Kafka adapters (the real ones are covered by
 * test/integration/api.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../../core/config.ts';
import { digestForm } from '../../../core/secrets.ts';
import { DefinitionSet, configKeyOf, parseConfigRecord } from '../../../pipeline/alerts/definitions.ts';
import type { AlertCommand, CommandResult, MetricPoint } from '../../../schemas/records.ts';
import type { ApiDeps, ConfigStore } from '../../../api/deps.ts';
import type { Sql } from '../../../api/sql.ts';
import { buildApi } from '../../../api/server.ts';
import { transitionRefusal } from '../../../api/routes/alerts.ts';
import { pipelineCheck } from '../../../api/routes/status.ts';
import { Validator } from '@seriousme/openapi-schema-validator';
import { toOpenApi30 } from '../../../api/openapi.ts';
import { examplesOf, type ExampleMode } from '../../support/schema-examples.ts';
import { memorySilenceStore } from '../../../oncall/silences/index.ts';
import { memoryReceiverStore } from '../../../oncall/notify/receiver-store.ts';

const KEYS = {
  reader: 'reader-key-0123456789',
  operator: 'operator-key-0123456789',
  ingester: 'ingester-key-0123456789',
  scraper: 'prometheus-scrape-key-0123456789',
};

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

function historyRow(version: number, status: string) {
  return {
    event_id: `e${version}`,
    alert_id: 'alert-1',
    fingerprint: 'web|cpu_usage|default.cpu_usage',
    source: 'web',
    metric: 'cpu_usage',
    rule_id: 'default.cpu_usage',
    kind: 'threshold',
    severity: 'high',
    status,
    version: String(version),
    timestamp_ms: String(NOW - 1000 + version),
    opened_at_ms: String(NOW - 1000),
    value: 91,
    threshold: 90,
    message: 'cpu high',
    actor: 'pipeline',
    reason: 'breach',
  };
}

class Fakes {
  queries: string[] = [];
  /** Rows answered for the next alert-history query. */
  history: object[] = [];
  sent: MetricPoint[] = [];
  commands: AlertCommand[] = [];
  commandAnswer: (c: AlertCommand) => CommandResult | null = () => null;
  defs = DefinitionSet.defaults();
  writes: Array<{ key: string; value: object | null }> = [];

  deps(): ApiDeps {
    const self = this;
    const config: ConfigStore = {
      ready: true,
      definitions: () => self.defs,
      async write(kind, id, value) {
        const key = configKeyOf(kind, id);
        self.writes.push({ key, value });
        const parsed = parseConfigRecord(key, value === null ? null : Buffer.from(JSON.stringify(value)));
        if (!parsed.ok) throw new Error(parsed.reason);
        self.defs = self.defs.withChange(parsed.change);
      },
    };
    return {
      clickhouse: {
        async query<T>(q: Sql) {
          self.queries.push(q.text);
          return (q.text.includes('WHERE alert_id =') ? self.history : []) as T[];
        },
        async ping() {},
      },
      metrics: {
        async send(points) {
          self.sent.push(...points);
        },
      },
      commands: {
        async issue(c) {
          self.commands.push(c);
          return self.commandAnswer(c);
        },
      },
      config,
      silences: memorySilenceStore(),
      receivers: memoryReceiverStore(),
      kafka: {
        async ping() {
          return { brokers: 1 };
        },
        async consumerGroup(groupId) {
          return { groupId, state: 'Stable', members: 1, lag: 0 };
        },
      },
      now: () => NOW,
    };
  }
}

const config = loadConfig({
  env: {},
  overrides: {
    logLevel: 'silent',
    api: {
      bodyLimit: 64 * 1024,
      commandWaitMs: 50,
      apiKeys: [
        { key: KEYS.reader, roles: ['read'], name: 'reader' },
        // Given as digests, as production configs should: the plain key still authenticates.
        { key: digestForm(KEYS.operator), roles: ['read', 'operate'], name: 'operator' },
        { key: KEYS.ingester, roles: ['ingest'], name: 'ingester' },
        { key: digestForm(KEYS.scraper).toUpperCase().replace('SHA256:', 'sha256:'), roles: ['metrics'], name: 'prometheus' },
      ],
    },
  },
});

let fakes: Fakes;
let app: FastifyInstance;

beforeAll(async () => {
  fakes = new Fakes();
  app = await buildApi(config, fakes.deps());
});
afterAll(async () => {
  await app.close();
});

const get = (url: string, key: string | null = KEYS.reader) => app.inject({ method: 'GET', url, headers: key ? { 'x-api-key': key } : {} });
const post = (url: string, body: unknown, key: string | null = KEYS.operator) =>
  app.inject({ method: 'POST', url, payload: body as object, headers: key ? { 'x-api-key': key } : {} });

describe('auth', () => {
  it('401 without a key, 401 with an unknown key, 403 without the role', async () => {
    const none = await get('/api/v1/alerts', null);
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toContain('Bearer');
    expect(none.json()).toMatchObject({ error: 'Unauthorized', statusCode: 401 });
    expect((await get('/api/v1/alerts', 'not-a-key-at-all-xxxx')).statusCode).toBe(401);
    expect((await get('/api/v1/alerts', KEYS.ingester)).statusCode).toBe(403);
    const ingestWithReader = await post('/api/v1/metrics', { source: 'a', metric: 'b', value: 1 }, KEYS.reader);
    expect(ingestWithReader.statusCode).toBe(403);
    expect(ingestWithReader.json().message).toMatch(/ingest/);
    fakes.history = [historyRow(1, 'firing')];
    expect((await post('/api/v1/alerts/alert-1/acknowledge', {}, KEYS.reader)).statusCode).toBe(403);
    expect((await app.inject({ method: 'PUT', url: '/api/v1/rules/x', payload: {}, headers: { 'x-api-key': KEYS.reader } })).statusCode).toBe(403);
  });

  it('takes keys configured as sha256: digests, but never the digest itself as a key', async () => {
    expect((await get('/api/v1/alerts', KEYS.operator)).statusCode).toBe(200);
    expect((await post('/api/v1/alerts/none/acknowledge', {}, KEYS.operator)).statusCode).not.toBe(403);
    for (const hostile of [digestForm(KEYS.operator), digestForm(KEYS.operator).slice(7), `${KEYS.operator}x`, KEYS.operator.slice(0, -1), KEYS.operator.toUpperCase()]) {
      expect((await get('/api/v1/alerts', hostile)).statusCode, hostile).toBe(401);
    }
  });

  it('GET /metrics needs a key with the metrics role (the Prometheus scrape key)', async () => {
    const none = await get('/metrics', null);
    expect(none.statusCode).toBe(401);
    expect(none.body).not.toContain('vigil_api_');
    expect((await get('/metrics', 'wrong-scrape-key-0123456789')).statusCode).toBe(401);
    expect((await get('/metrics', KEYS.reader)).statusCode).toBe(403);
    expect((await get('/metrics', KEYS.ingester)).statusCode).toBe(403);
    const scrape = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${KEYS.scraper}` } });
    expect(scrape.statusCode).toBe(200);
    expect(scrape.body).toContain('vigil_api_http_request_duration_seconds');
    // The scrape key opens nothing else.
    expect((await get('/api/v1/alerts', KEYS.scraper)).statusCode).toBe(403);
  });

  it('accepts Authorization: Bearer and leaves health, docs and client-config public', async () => {
    const bearer = await app.inject({ method: 'GET', url: '/api/v1/alerts', headers: { authorization: `Bearer ${KEYS.reader}` } });
    expect(bearer.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/v1/alerts', headers: { authorization: `Basic ${KEYS.reader}` } })).statusCode).toBe(401);
    expect((await get('/api/v1/health', null)).statusCode).toBe(200);
    expect((await get('/api/v1/openapi.json', null)).statusCode).toBe(200);
    expect((await get('/api/v1/client-config', null)).json()).toMatchObject({ gatewayUrl: 'ws://127.0.0.1:8090/ws', authRequired: true });
  });
});

describe('query validation', () => {
  it.each([
    ['limit=0', 'querystring/limit'],
    ['limit=501', 'querystring/limit'],
    ['limit=abc', 'querystring/limit'],
    ['sort=source', 'querystring/sort'],
    ['order=sideways', 'querystring/order'],
    ['status=burning', 'querystring/status/0'],
    ['severity=critical,urgent', 'querystring/severity/1'],
    ['bogus=1', 'querystring/bogus'],
    ['from=yesterday', 'querystring/from'],
    ['source=' + encodeURIComponent('a\u0000b'), 'querystring/source'],
    ['source=' + 'x'.repeat(300), 'querystring/source'],
    ['cursor=' + encodeURIComponent("' OR 1=1 --"), 'querystring/cursor'],
  ])('GET /alerts?%s → 400 naming %s', async (qs, path) => {
    const res = await get(`/api/v1/alerts?${qs}`);
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body).toMatchObject({ error: 'Bad Request', statusCode: 400 });
    expect(body.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  it('accepts repeated and comma-separated lists and builds one bound query', async () => {
    fakes.queries = [];
    const res = await get('/api/v1/alerts?status=firing,acknowledged&severity=critical&severity=high&source=' + encodeURIComponent("x' OR 1=1 --"));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: [], nextCursor: null });
    const q = fakes.queries.at(-1)!;
    expect(q).toContain("a_status IN ('firing', 'acknowledged')");
    expect(q).toContain("a_severity IN ('critical', 'high')");
    expect(q).toContain("source = 'x\\' OR 1=1 --'");
  });

  it('rejects a cursor made for another sort with 400', async () => {
    const cursor = Buffer.from(JSON.stringify({ s: 'alerts:opened_at:desc', k: 1, i: 'a' })).toString('base64url');
    const res = await get(`/api/v1/alerts?sort=severity&cursor=${cursor}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/cursor/);
  });

  it('rejects hostile path ids before any query', async () => {
    fakes.queries = [];
    for (const id of ["' OR 1=1 --", 'a b', "x'; DROP TABLE t; --", 'x'.repeat(300)]) {
      const res = await get(`/api/v1/alerts/${encodeURIComponent(id)}`);
      expect([400, 404]).toContain(res.statusCode);
    }
    expect(fakes.queries).toEqual([]);
  });

  it('answers unknown routes with the error shape', async () => {
    const res = await get('/api/v1/nothing-here');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'Not Found', statusCode: 404 });
  });
});

describe('POST /metrics', () => {
  it('produces the valid points and reports the others by index', async () => {
    fakes.sent = [];
    const res = await post(
      '/api/v1/metrics',
      {
        points: [
          { source: 'web', metric: 'cpu_usage', value: 1.5, timestamp: NOW },
          { source: 'web', metric: 'cpu_usage', value: 'high', timestamp: NOW },
          { source: 'web/evil', metric: 'x', value: 1 },
          { source: 'web', metric: 'latency', value: 2, tags: { region: 'eu' } },
          42,
        ],
      },
      KEYS.ingester,
    );
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body.accepted).toBe(2);
    expect(body.rejected).toBe(3);
    expect(body.errors.map((e: { index: number }) => e.index)).toEqual([1, 2, 4]);
    expect(body.errors[0].reasons.join()).toMatch(/value/);
    expect(fakes.sent).toEqual([
      { source: 'web', metric: 'cpu_usage', value: 1.5, timestamp: NOW, tags: {} },
      // timestamp left out = the time of the request
      { source: 'web', metric: 'latency', value: 2, timestamp: NOW, tags: { region: 'eu' } },
    ]);
  });

  it('400 when every point is invalid, with details per item', async () => {
    fakes.sent = [];
    const res = await post('/api/v1/metrics', { points: [{ source: '' }, { source: 'a', metric: 'b', value: 1, extra: true }] }, KEYS.ingester);
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.details.map((d: { path: string }) => d.path)).toEqual(['body/points/0', 'body/points/1']);
    expect(body.details[1].message).toMatch(/extra/);
    expect(fakes.sent).toEqual([]);
  });

  it('400 for a lone surrogate or invalid UTF-8 anywhere in a body, query or path (the pipeline would dead-letter it)', async () => {
    fakes.sent = [];
    const raw = (payload: string | Buffer, url = '/api/v1/metrics') =>
      app.inject({ method: 'POST', url, payload, headers: { 'x-api-key': KEYS.ingester, 'content-type': 'application/json' } });
    // The issue's exact body: JSON escapes make a lone surrogate, which is legal JSON syntax.
    const lone = await raw('{"source":"\\ud800","metric":"m","value":1}');
    expect(lone.statusCode).toBe(400);
    expect(lone.json()).toMatchObject({ statusCode: 400, message: expect.stringMatching(/body\/source contains a lone UTF-16 surrogate/) });
    const inBatch = await raw('{"points":[{"source":"a","metric":"m","value":1},{"source":"a","metric":"m","value":1,"tags":{"k":"\\udfff"}}]}');
    expect(inBatch.statusCode).toBe(400);
    expect(inBatch.json().details).toEqual([{ path: 'body/points/1/tags/k', message: expect.stringMatching(/lone UTF-16 surrogate/) }]);
    const badBytes = await raw(Buffer.concat([Buffer.from('{"source":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('","metric":"m","value":1}')]));
    expect(badBytes.statusCode).toBe(400);
    expect(badBytes.json().message).toMatch(/not valid UTF-8/);
    expect(fakes.sent).toEqual([]);
    const query = await get('/api/v1/alerts?source=%ED%A0%80');
    expect(query.statusCode).toBe(400);
    // A well-formed pair (an emoji) is fine.
    expect((await raw('{"source":"\\ud83d\\ude00","metric":"m","value":1}')).statusCode).toBe(202);
  });

  it('single point, empty batch, extra keys beside points, wrong JSON, too big, too many', async () => {
    expect((await post('/api/v1/metrics', { source: 'a', metric: 'b', value: 3 }, KEYS.ingester)).statusCode).toBe(202);
    expect((await post('/api/v1/metrics', { points: [] }, KEYS.ingester)).statusCode).toBe(400);
    expect((await post('/api/v1/metrics', { points: [{}], source: 'x' }, KEYS.ingester)).statusCode).toBe(400);
    expect((await post('/api/v1/metrics', [1, 2], KEYS.ingester)).statusCode).toBe(400);
    const badJson = await app.inject({ method: 'POST', url: '/api/v1/metrics', payload: '{"source": ', headers: { 'x-api-key': KEYS.ingester, 'content-type': 'application/json' } });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    const big = await post('/api/v1/metrics', { source: 'a', metric: 'b', value: 1, tags: { t: 'x'.repeat(70 * 1024) } }, KEYS.ingester);
    expect(big.statusCode).toBe(413);
    expect(big.json().statusCode).toBe(413);
    const many = await post('/api/v1/metrics', { points: Array.from({ length: 10_001 }, () => ({})) }, KEYS.ingester);
    expect([400, 413]).toContain(many.statusCode);
  });
});

describe('alert commands', () => {
  it('refuses transitions that the current state does not allow (409) before publishing', async () => {
    fakes.commands = [];
    fakes.history = [historyRow(1, 'firing'), historyRow(2, 'acknowledged'), historyRow(3, 'resolved')];
    const res = await post('/api/v1/alerts/alert-1/resolve', { comment: 'done' });
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toMatch(/already resolved/);
    fakes.history = [historyRow(1, 'firing'), historyRow(2, 'acknowledged')];
    expect((await post('/api/v1/alerts/alert-1/acknowledge', {})).statusCode).toBe(409);
    expect(fakes.commands).toEqual([]);
  });

  it('404 for an unknown alert', async () => {
    fakes.history = [];
    expect((await post('/api/v1/alerts/nope/acknowledge', {})).statusCode).toBe(404);
  });

  it('202 with the command id when the owner does not answer; 200 / 409 when it does', async () => {
    fakes.history = [historyRow(1, 'firing')];
    fakes.commandAnswer = () => null;
    const pending = await post('/api/v1/alerts/alert-1/acknowledge', { comment: 'looking' });
    expect(pending.statusCode).toBe(202);
    const cmd = fakes.commands.at(-1)!;
    expect(pending.json()).toMatchObject({ commandId: cmd.commandId, status: 'pending' });
    expect(cmd).toMatchObject({ type: 'acknowledge', alertId: 'alert-1', source: 'web', metric: 'cpu_usage', actor: 'operator', comment: 'looking', issuedAt: NOW });

    fakes.commandAnswer = (c) => ({
      commandId: c.commandId,
      alertId: c.alertId,
      applied: true,
      status: 'acknowledged',
      reason: 'ok',
      event: {
        eventId: 'e2', alertId: 'alert-1', fingerprint: 'f', source: 'web', metric: 'cpu_usage', ruleId: 'default.cpu_usage', kind: 'threshold',
        severity: 'high', status: 'acknowledged', version: 2, timestamp: NOW, openedAt: NOW - 1000, value: 91, threshold: 90, message: 'm', actor: 'operator', reason: 'looking', tags: {},
      },
    });
    const applied = await post('/api/v1/alerts/alert-1/acknowledge', {});
    expect(applied.statusCode).toBe(200);
    expect(applied.json().alert).toMatchObject({ status: 'acknowledged', version: 2, updatedAt: NOW });

    fakes.commandAnswer = (c) => ({ commandId: c.commandId, alertId: c.alertId, applied: false, status: 'resolved', reason: 'resolved automatically a moment ago', event: null });
    const refused = await post('/api/v1/alerts/alert-1/resolve', {});
    expect(refused.statusCode).toBe(409);
    expect(refused.json().message).toMatch(/resolved automatically/);
  });

  it('validates the command body', async () => {
    fakes.history = [historyRow(1, 'firing')];
    expect((await post('/api/v1/alerts/alert-1/acknowledge', { comment: 5 })).statusCode).toBe(400);
    expect((await post('/api/v1/alerts/alert-1/acknowledge', { note: 'x' })).statusCode).toBe(400);
    expect((await post('/api/v1/alerts/alert-1/acknowledge', { comment: 'x'.repeat(2001) })).statusCode).toBe(400);
    expect((await post('/api/v1/alerts/alert-1/acknowledge', { comment: 'a\u0000b' })).statusCode).toBe(400);
  });

  it('transitionRefusal covers every state', () => {
    const alert = (status: string) => ({ alertId: 'a', status }) as Parameters<typeof transitionRefusal>[1];
    expect(transitionRefusal('acknowledge', alert('firing'))).toBeNull();
    expect(transitionRefusal('resolve', alert('firing'))).toBeNull();
    expect(transitionRefusal('resolve', alert('acknowledged'))).toBeNull();
    expect(transitionRefusal('acknowledge', alert('acknowledged'))).toMatch(/already acknowledged/);
    expect(transitionRefusal('acknowledge', alert('resolved'))).toMatch(/already resolved/);
    expect(transitionRefusal('resolve', alert('weird'))).toMatch(/unknown state/);
  });
});

describe('definitions', () => {
  const put = (url: string, body: unknown, key = KEYS.operator) => app.inject({ method: 'PUT', url, payload: body as object, headers: { 'x-api-key': key } });
  const del = (url: string) => app.inject({ method: 'DELETE', url, headers: { 'x-api-key': KEYS.operator } });

  it('validates with the pipeline validator and answers 400 with per-field details', async () => {
    const nonMonotonic = await put('/api/v1/rules/custom.cpu', {
      kind: 'threshold', metric: 'cpu_usage', direction: 'above', levels: [{ severity: 'critical', value: 50 }, { severity: 'high', value: 90 }],
    });
    expect(nonMonotonic.statusCode).toBe(400);
    expect(nonMonotonic.json().details[0]).toMatchObject({ path: 'body/levels' });
    const unknownField = await put('/api/v1/rules/custom.cpu', { kind: 'threshold', metric: 'cpu', direction: 'above', levels: [], sneaky: 1 });
    expect(unknownField.statusCode).toBe(400);
    expect(unknownField.json().details.map((d: { path: string }) => d.path)).toContain('body/sneaky');
    const idMismatch = await put('/api/v1/rules/custom.cpu', { id: 'other', kind: 'anomaly', minScore: 0.5, severity: 'low' });
    expect(idMismatch.statusCode).toBe(400);
    const badId = await put(`/api/v1/rules/${encodeURIComponent("x' OR 1=1")}`, { kind: 'anomaly', minScore: 0.5, severity: 'low' });
    expect(badId.statusCode).toBe(400);
    const slaBad = await put('/api/v1/sla/definitions/s1', { metric: 'response_time', comparator: 'lt', threshold: 1, objective: 1.5 });
    expect(slaBad.statusCode).toBe(400);
    expect(fakes.writes).toEqual([]);
  });

  it('PUT creates (201) then replaces (200); DELETE removes; a default cannot be deleted', async () => {
    const body = { kind: 'anomaly', minScore: 0.7, severity: 'medium', metric: 'queue_size' };
    const created = await put('/api/v1/rules/custom.queue', body);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ id: 'custom.queue', kind: 'anomaly', minScore: 0.7, enabled: true, isDefault: false });
    expect((await put('/api/v1/rules/custom.queue', { ...body, minScore: 0.8 })).statusCode).toBe(200);
    expect((await get('/api/v1/rules/custom.queue')).json().minScore).toBe(0.8);
    expect((await get('/api/v1/rules')).json().items.map((r: { id: string }) => r.id)).toContain('custom.queue');
    expect((await del('/api/v1/rules/default.cpu_usage')).statusCode).toBe(409);
    const removed = await del('/api/v1/rules/custom.queue');
    expect(removed.json()).toEqual({ id: 'custom.queue', deleted: true, revertedToDefault: false });
    expect((await get('/api/v1/rules/custom.queue')).statusCode).toBe(404);
    expect((await del('/api/v1/rules/custom.queue')).statusCode).toBe(404);
    expect(fakes.writes.map((w) => [w.key, w.value === null])).toEqual([
      ['rule/custom.queue', false],
      ['rule/custom.queue', false],
      ['rule/custom.queue', true],
    ]);
  });
});

describe('rate limit', () => {
  it('counts refused (401) requests too, per client, so keys cannot be guessed at full speed', async () => {
    const limited = await buildApi({ ...config, api: { ...config.api, rateLimitPerMinute: 3 } }, fakes.deps());
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) {
        codes.push((await limited.inject({ method: 'GET', url: '/api/v1/alerts', headers: { 'x-api-key': `guess-${i}-0123456789` } })).statusCode);
      }
      expect(codes).toEqual([401, 401, 401, 429, 429]);
      const limitedBody = await limited.inject({ method: 'GET', url: '/api/v1/alerts' });
      expect(limitedBody.json()).toMatchObject({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/rate limit of 3/) });
      // a valid key has its own budget
      expect((await limited.inject({ method: 'GET', url: '/api/v1/alerts', headers: { 'x-api-key': KEYS.reader } })).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('health', () => {
  it('pipelineCheck warns without members or with a large lag', () => {
    expect(pipelineCheck({ groupId: 'g', state: 'Empty', members: 0, lag: 0 }).status).toBe('warn');
    expect(pipelineCheck({ groupId: 'g', state: 'Stable', members: 1, lag: 1e9 }).status).toBe('warn');
    expect(pipelineCheck({ groupId: 'g', state: 'Stable', members: 2, lag: 5 }).status).toBe('ok');
  });

  it('503 naming the failing checks when Kafka hangs and ClickHouse refuses; stats stay bounded', async () => {
    const base = fakes.deps();
    const hang = () => new Promise<never>(() => {});
    const broken = await buildApi(config, {
      ...base,
      clickhouse: { query: base.clickhouse.query, ping: async () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:18123'), { code: 'ECONNREFUSED' })) },
      kafka: { ping: hang, consumerGroup: hang },
    });
    try {
      const started = Date.now();
      const [health, stats] = await Promise.all([
        broken.inject({ method: 'GET', url: '/api/v1/health' }),
        broken.inject({ method: 'GET', url: '/api/v1/dashboard-stats', headers: { 'x-api-key': KEYS.reader } }),
      ]);
      // Bounded by the 3 s check timeout, not by the hanging broker; the margin is for a loaded machine.
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(health.statusCode).toBe(503);
      expect(health.json()).toMatchObject({
        status: 'fail',
        checks: { kafka: { status: 'fail', message: expect.stringMatching(/no answer/) }, clickhouse: { status: 'fail', message: expect.stringMatching(/ECONNREFUSED/) }, pipeline: { status: 'warn' } },
      });
      expect(stats.statusCode).toBe(200);
      expect(stats.json().consumer).toMatchObject({ state: 'Unknown', lag: null, error: expect.stringMatching(/did not answer/) });
    } finally {
      await broken.close();
    }
  });

  it('reports ok with every check', async () => {
    const res = await get('/api/v1/health', null);
    expect(res.json()).toMatchObject({ status: 'ok', checks: { kafka: { status: 'ok' }, clickhouse: { status: 'ok' }, pipeline: { status: 'ok' } } });
  });
});

describe('OpenAPI', () => {
  it('documents every route with its schemas', async () => {
    const doc = (await get('/api/v1/openapi.json', null)).json();
    const paths = Object.keys(doc.paths);
    for (const p of [
      '/api/v1/metrics', '/api/v1/alerts', '/api/v1/alerts/{id}', '/api/v1/alerts/{id}/acknowledge', '/api/v1/alerts/{id}/resolve',
      '/api/v1/anomalies', '/api/v1/sla', '/api/v1/sla/definitions', '/api/v1/sla/definitions/{id}', '/api/v1/rules', '/api/v1/rules/{id}',
      '/api/v1/live-metrics', '/api/v1/dashboard-stats', '/api/v1/health', '/api/v1/client-config',
    ]) {
      expect(paths).toContain(p);
    }
    expect(doc.paths['/api/v1/alerts'].get.parameters.map((x: { name: string }) => x.name)).toEqual(expect.arrayContaining(['status', 'severity', 'cursor', 'limit', 'sort']));
    expect(doc.components.schemas).toHaveProperty('Alert');
  });
});

describe('OpenAPI 3.0.3 document', () => {
  type Doc = Record<string, any>;
  const served = async (): Promise<Doc> => (await get('/api/v1/openapi.json', null)).json();

  it('is valid OpenAPI 3.0.3 by the official JSON schema', async () => {
    const result = await new Validator().validate(await served());
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('spells draft-07 keywords the 3.0 way (pure rewrite)', () => {
    expect(
      toOpenApi30({ components: { schemas: { S: { type: 'object', properties: { o: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 }, n: { type: ['string', 'null'] }, a: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'null' }] }, c: { const: 'x' } } } } } }),
    ).toEqual({
      components: {
        schemas: {
          S: {
            type: 'object',
            properties: {
              o: { type: 'number', minimum: 0, exclusiveMinimum: true, maximum: 1, exclusiveMaximum: true },
              n: { type: 'string', nullable: true },
              a: { type: 'string', minLength: 1, nullable: true },
              c: { enum: ['x'] },
            },
          },
        },
      },
    });
  });

  it('rules are a oneOf with a discriminator, points need one item, public routes need no key', async () => {
    const doc = await served();
    const ruleBody = doc.paths['/api/v1/rules/{id}'].put.requestBody.content['application/json'].schema;
    expect(ruleBody.discriminator).toEqual({ propertyName: 'kind' });
    expect(ruleBody.oneOf.map((b: Doc) => b.properties.kind.enum)).toEqual([['threshold'], ['anomaly']]);
    const ingest = doc.paths['/api/v1/metrics'].post.requestBody.content['application/json'].schema;
    expect(ingest.oneOf[1].properties.points.minItems).toBe(1);
    expect(doc.security).toEqual([{ apiKey: [] }, { bearer: [] }]);
    for (const p of ['/api/v1/health', '/api/v1/client-config']) expect(doc.paths[p].get.security, p).toEqual([]);
    expect(doc.paths['/api/v1/alerts'].get.security).toBeUndefined();
  });

  it('every documented request body (each branch, required-only and full) is accepted by the server', async () => {
    const doc = await served();
    const keyFor = (method: string, path: string) => (path === '/api/v1/metrics' ? KEYS.ingester : method === 'get' ? KEYS.reader : KEYS.operator);
    let tried = 0;
    const refused: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Doc>)) {
      for (const [method, op] of Object.entries(ops as Record<string, Doc>)) {
        const schema = op.requestBody?.content?.['application/json']?.schema;
        if (!schema) continue;
        for (const mode of ['required', 'full'] as ExampleMode[]) {
          for (const body of examplesOf(schema, doc, mode)) {
            // Path ids equal a body's own id ('a'), so a full example names the same definition.
            const url = path.replace(/\{[^}]+\}/g, 'a');
            const res = await app.inject({ method: method.toUpperCase() as 'PUT', url, payload: body as object, headers: { 'x-api-key': keyFor(method, path) } });
            tried += 1;
            // 404/409: the example is valid but names no alert / a state that forbids it.
            if (res.statusCode === 400 || res.statusCode >= 500) refused.push(`${method} ${path} ${mode} ${JSON.stringify(body)} → ${res.statusCode} ${res.body.slice(0, 300)}`);
          }
        }
      }
    }
    expect(refused).toEqual([]);
    expect(tried).toBeGreaterThanOrEqual(10);
  });

  it('TRACE, QUERY and other methods on an existing path: 405 with Allow; unknown paths 404', async () => {
    for (const method of ['TRACE', 'QUERY', 'PROPFIND', 'DELETE'] as const) {
      const res = await app.inject({ method: method as 'GET', url: '/api/v1/alerts', headers: { 'x-api-key': KEYS.reader } });
      expect(res.statusCode, method).toBe(405);
      expect(res.headers.allow).toBe('GET, HEAD');
      expect(res.json()).toMatchObject({ statusCode: 405, error: 'Method Not Allowed' });
    }
    const rule = await app.inject({ method: 'POST', url: '/api/v1/rules/x', headers: { 'x-api-key': KEYS.operator } });
    expect(rule.statusCode).toBe(405);
    expect(rule.headers.allow).toBe('DELETE, GET, HEAD, PUT');
    expect((await app.inject({ method: 'TRACE', url: '/' })).statusCode).toBe(405);
    expect((await app.inject({ method: 'TRACE', url: '/api/v1/nothing' })).statusCode).toBe(404);
  });
});
