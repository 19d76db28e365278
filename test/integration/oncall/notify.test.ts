/**
 * The notifier stage on the real stack (Kafka incidents topic, ClickHouse notification log)
 * against a real HTTP receiver on 127.0.0.1: signed webhooks, grouping within group_wait,
 * retries after 500s and a timeout, the dead-letter record, repeats that stop on acknowledge and
 * re-arm, resolved notifications, Alertmanager/Slack payloads by route, and silences.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { createKafka, javaCompatiblePartitioner } from '../../../pipeline/kafka/client.ts';
import { createClickHouse, type ClickHouseClient } from '../../../pipeline/storage/clickhouse.ts';
import { startApi, type RunningApi } from '../../../api/index.ts';
import { startOncall, type OncallProcess } from '../../../oncall/runtime.ts';
import { notifierStage } from '../../../oncall/notify/stage.ts';
import { verifySignature } from '../../../oncall/notify/signing.ts';
import { startSilenceStore, type KafkaSilenceStore } from '../../../oncall/silences/silence-store.ts';
import { createTestEnv, incidentPublisher, startHttpReceiver, testAlert, testIncident, waitFor, type HttpReceiver, type IncidentPublisher, type TestEnv } from '../../support/index.ts';

const SECRET = 'integration-test-webhook-secret';

interface Row {
  notification_id: string;
  incident_id: string;
  incident_event_id: string;
  receiver: string;
  kind: string;
  result: string;
  attempts: number;
  http_status: number;
  error: string;
  payload: string;
  silence_ids: string[];
  version: number;
}

let env: TestEnv;
let receiver: HttpReceiver;
let kafka: Kafka;
let ch: ClickHouseClient;
let publisher: IncidentPublisher;
let oncall: OncallProcess;
let silences: KafkaSilenceStore;
let closeSilenceProducer: () => Promise<void>;
let api: RunningApi | undefined;

const bodies = (path: string, source: string) => receiver.on(path).filter((r) => r.body.includes(`"${source}`)).map((r) => ({ ...r, json: JSON.parse(r.body) }));

async function rows(incidentId: string): Promise<Row[]> {
  const id = incidentId.replace(/[^0-9a-f]/g, '');
  const rs = await ch.query({ query: `SELECT * FROM notifications FINAL WHERE incident_id = '${id}' ORDER BY updated_at_ms, version`, format: 'JSONEachRow' });
  return rs.json<Row>();
}

async function attemptRows(notificationId: string) {
  const id = notificationId.replace(/[^0-9a-f]/g, '');
  const rs = await ch.query({ query: `SELECT attempt, result, http_status, error FROM notification_attempts FINAL WHERE notification_id = '${id}' ORDER BY attempt`, format: 'JSONEachRow' });
  return rs.json<{ attempt: number; result: string; http_status: number; error: string }>();
}

beforeAll(async () => {
  receiver = await startHttpReceiver();
  env = await createTestEnv('notify', {
    partitions: 2,
    overrides: {
      notify: {
        receivers: [
          { type: 'webhook', name: 'hook', url: `${receiver.url}/hook`, secret: SECRET, timeoutMs: 400 },
          { type: 'alertmanager', name: 'am', url: `${receiver.url}/am` },
          { type: 'slack', name: 'slack', url: `${receiver.url}/slack`, channel: '#oncall' },
        ],
        route: {
          receiver: 'hook',
          routes: [
            { matchers: ['severity="critical"'], receiver: 'am', continue: true },
            { matchers: ['source="web"'], receiver: 'slack' },
            { matchers: ['source="svc-repeat"'], receiver: 'hook', repeatIntervalMs: 1500 },
            // defined only through the API, in the last test
            { matchers: ['source="svc-late"'], receiver: 'late-hook' },
          ],
        },
        // Wide enough that the two incident versions published 100 ms apart reach the notifier
        // inside it even when the shared machine is loaded.
        groupWaitMs: 1500,
        groupIntervalMs: 1000,
        repeatIntervalMs: 600_000,
        tickMs: 50,
        retries: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 200, jitter: 0.2 },
      },
    },
  });
  kafka = createKafka(env.config, env.logger, { clientId: 'notify-it' });
  ch = createClickHouse(env.config, { logger: env.logger });
  publisher = await incidentPublisher(kafka, env.topics.incidents, `${env.config.kafka.topicPrefix}test-incidents`);
  const producer = kafka.producer({ createPartitioner: javaCompatiblePartitioner });
  await producer.connect();
  silences = await startSilenceStore({ kafka, producer, topic: env.topics.silences, logger: env.logger });
  closeSilenceProducer = () => producer.disconnect();
  oncall = await startOncall(env.config, env.logger, { stages: [notifierStage], skipSetup: true });
});

afterAll(async () => {
  await api?.close();
  await oncall?.close();
  await silences?.close();
  await closeSilenceProducer?.();
  await publisher?.close();
  await ch?.close();
  await receiver?.close();
  await env?.cleanup();
});

describe('notifier against a real HTTP receiver', () => {
  it('sends one signed webhook for alerts that open within group_wait, keyed by the incident event id', async () => {
    const a1 = testAlert('svc-a');
    const v1 = testIncident('svc-a', 1, [a1]);
    const v2 = testIncident('svc-a', 2, [a1, testAlert('svc-a', { ruleId: 'error-rate-burn-fast', kind: 'sla' })]);
    await publisher.publish(v1);
    await new Promise((r) => setTimeout(r, 100));
    await publisher.publish(v2);
    const [req] = await waitFor(() => (bodies('/hook', 'svc-a').length > 0 ? bodies('/hook', 'svc-a') : null), 20_000, { message: 'webhook for svc-a' });
    expect(req.json).toMatchObject({ kind: 'firing', status: 'firing', idempotencyKey: v2.eventId, receiver: 'hook' });
    expect(req.json.incident.alerts).toHaveLength(2);
    expect(req.headers['idempotency-key']).toBe(v2.eventId);
    const check = (secret: string, body = req.body) =>
      verifySignature({ secret, body, timestamp: req.headers['x-vigil-timestamp'] as string, signature: req.headers['x-vigil-signature'] as string, now: Date.now(), maxAgeMs: 60_000 });
    expect(check(SECRET)).toEqual({ ok: true });
    expect(check('some-other-secret-value').ok).toBe(false);
    expect(check(SECRET, req.body.replace('svc-a', 'svc-x')).ok).toBe(false);
    // nothing changes within group_interval: no second request
    await new Promise((r) => setTimeout(r, 1500));
    expect(bodies('/hook', 'svc-a')).toHaveLength(1);
    const log = await rows(v2.incidentId);
    expect(log).toEqual([expect.objectContaining({ receiver: 'hook', kind: 'firing', result: 'sent', attempts: 1, http_status: 200, incident_event_id: v2.eventId })]);
  });

  it('retries after a 500 and a timeout with the same body and key, and dead-letters after the last attempt', async () => {
    receiver.script('/hook', [500, 'hang', 200]);
    const inc = testIncident('svc-b', 1, [testAlert('svc-b')]);
    await publisher.publish(inc);
    const reqs = await waitFor(() => (bodies('/hook', 'svc-b').length >= 3 ? bodies('/hook', 'svc-b') : null), 20_000, { message: 'three attempts for svc-b' });
    expect(reqs.map((r) => r.answer)).toEqual([500, 'hang', 200]);
    expect(new Set(reqs.map((r) => r.body)).size).toBe(1);
    expect(new Set(reqs.map((r) => r.headers['idempotency-key']))).toEqual(new Set([inc.eventId]));
    // back-off between attempts (initial 100 ms, jitter 0.2; the timeout adds 400 ms)
    expect(reqs[1].at - reqs[0].at).toBeGreaterThanOrEqual(75);
    expect(reqs[2].at - reqs[1].at).toBeGreaterThanOrEqual(400 + 150);
    const sent = await waitFor(async () => (await rows(inc.incidentId)).find((r) => r.result === 'sent'), 10_000, { message: 'sent row' });
    expect(sent.attempts).toBe(3);
    const history = await attemptRows(sent.notification_id);
    expect(history.map((r) => [r.attempt, r.result, r.http_status])).toEqual([
      [1, 'failed', 500],
      [2, 'failed', 0],
      [3, 'sent', 200],
    ]);
    expect(history[1].error).toMatch(/no answer within 400 ms/);

    receiver.always('/hook', 503);
    const dead = testIncident('svc-c', 1, [testAlert('svc-c')]);
    await publisher.publish(dead);
    const final = await waitFor(async () => (await rows(dead.incidentId)).find((r) => r.result === 'dead'), 20_000, { message: 'dead-letter row' });
    receiver.always('/hook', 200);
    expect(final).toMatchObject({ attempts: 3, http_status: 503 });
    expect(final.error).toMatch(/HTTP 503/);
    expect(JSON.parse(final.payload)).toMatchObject({ idempotencyKey: dead.eventId, incident: { incidentId: dead.incidentId } });
    expect(bodies('/hook', 'svc-c')).toHaveLength(3);
  });

  it('repeats until acknowledged, stays quiet while acknowledged, re-arms when a new alert fires, and sends the resolution', async () => {
    const a1 = testAlert('svc-repeat');
    const v1 = testIncident('svc-repeat', 1, [a1]);
    await publisher.publish(v1);
    const two = await waitFor(() => (bodies('/hook', 'svc-repeat').length >= 2 ? bodies('/hook', 'svc-repeat') : null), 20_000, { message: 'first notification and one repeat' });
    expect(two.map((r) => r.json.kind)).toEqual(['firing', 'repeat']);
    expect(two[1].headers['idempotency-key']).toBe(`${v1.eventId}/repeat-1`);
    expect(two[1].at - two[0].at).toBeGreaterThanOrEqual(1450);

    const acked = { ...a1, status: 'acknowledged' as const, version: 2 };
    await publisher.publish(testIncident('svc-repeat', 2, [acked]));
    const quietFrom = Date.now();
    const suppressed = await waitFor(async () => (await rows(v1.incidentId)).find((r) => r.result === 'suppressed'), 10_000, { message: 'suppressed row' });
    expect(suppressed.kind).toBe('repeat');
    await new Promise((r) => setTimeout(r, 4000)); // more than two repeat intervals
    const whileAcked = bodies('/hook', 'svc-repeat').filter((r) => r.at > quietFrom + 200);
    expect(whileAcked).toEqual([]);

    const a2 = testAlert('svc-repeat', { ruleId: 'latency', metric: 'error_rate', severity: 'medium' });
    const v3 = testIncident('svc-repeat', 3, [acked, a2]);
    await publisher.publish(v3);
    const update = await waitFor(() => bodies('/hook', 'svc-repeat').find((r) => r.json.kind === 'update'), 10_000, { message: 're-armed update' });
    expect(update.json).toMatchObject({ idempotencyKey: v3.eventId, status: 'firing' });
    expect(update.json.incident.alerts.map((a: { alertId: string }) => a.alertId)).toEqual([a1.alertId, a2.alertId]);

    const v4 = testIncident('svc-repeat', 4, [{ ...acked, status: 'resolved', version: 3 }, { ...a2, status: 'resolved', version: 2 }]);
    await publisher.publish(v4);
    const resolved = await waitFor(() => bodies('/hook', 'svc-repeat').find((r) => r.json.kind === 'resolved'), 10_000, { message: 'resolved notification' });
    expect(resolved.json).toMatchObject({ status: 'resolved', idempotencyKey: v4.eventId });
    const count = bodies('/hook', 'svc-repeat').length;
    await new Promise((r) => setTimeout(r, 2500));
    expect(bodies('/hook', 'svc-repeat')).toHaveLength(count);
  });

  it('routes a critical incident to Alertmanager (continue) and Slack, with their payloads, not to the default', async () => {
    const inc = testIncident('web', 1, [testAlert('web', { severity: 'critical' })]);
    await publisher.publish(inc);
    const [am] = await waitFor(() => (bodies('/am', 'web').length ? bodies('/am', 'web') : null), 20_000, { message: 'alertmanager payload' });
    const [slack] = await waitFor(() => (bodies('/slack', 'web').length ? bodies('/slack', 'web') : null), 20_000, { message: 'slack payload' });
    expect(am.json).toMatchObject({ version: '4', status: 'firing', receiver: 'am', groupLabels: { source: 'web', metric: 'error_rate' }, groupKey: '{}:{metric="error_rate", source="web"}', truncatedAlerts: 0 });
    expect(am.json.alerts[0]).toMatchObject({ status: 'firing', labels: { alertname: 'error-rate-threshold', source: 'web', severity: 'critical' }, endsAt: '0001-01-01T00:00:00Z' });
    expect(am.headers['x-vigil-signature']).toBeUndefined();
    expect(slack.json).toMatchObject({ text: '[FIRING] web error_rate (critical)', channel: '#oncall' });
    expect(bodies('/hook', 'web')).toEqual([]);
  });

  it('a silenced incident is recorded with the silence and not sent; metrics count every result', async () => {
    const now = Date.now();
    await silences.write({ id: 'mute-svc-s', matchers: [{ name: 'source', op: '=', value: 'svc-s' }], startsAt: now - 1000, endsAt: now + 3_600_000, createdBy: 'test', comment: 'maintenance', schedule: null, version: 1, updatedAt: now, updatedBy: 'test' });
    // the notifier's own silence store follows the topic
    await new Promise((r) => setTimeout(r, 500));
    const inc = testIncident('svc-s', 1, [testAlert('svc-s')]);
    await publisher.publish(inc);
    const row = await waitFor(async () => (await rows(inc.incidentId)).find((r) => r.result === 'silenced'), 20_000, { message: 'silenced row' });
    expect(row.silence_ids).toEqual(['mute-svc-s']);
    await new Promise((r) => setTimeout(r, 1000));
    expect(bodies('/hook', 'svc-s')).toEqual([]);
    const metrics = await oncall.registry.metrics();
    for (const result of ['sent', 'failed', 'dead', 'suppressed', 'silenced']) {
      expect(metrics).toMatch(new RegExp(`vigil_notifications_total\\{receiver="hook",result="${result}"\\} [1-9]`));
    }
    expect(metrics).toMatch(/vigil_notification_latency_seconds_count\{receiver="hook"\} [1-9]/);
  });

  it('GET /api/v1/notifications lists the log with filters, paging and the dead letter body; hostile queries are refused or bound', async () => {
    api = await startApi(env.config, env.logger);
    const get = async (path: string) => {
      const res = await fetch(`${api!.url}/api/v1${path}`);
      return { status: res.status, body: (await res.json()) as any };
    };
    const dead = await get('/notifications?receiver=hook&result=dead');
    expect(dead.status).toBe(200);
    expect(dead.body.items).toHaveLength(1);
    expect(dead.body.items[0]).toMatchObject({ receiver: 'hook', result: 'dead', attempts: 3, httpStatus: 503, kind: 'firing' });
    const detail = await get(`/notifications/${dead.body.items[0].notificationId}`);
    expect(detail.status).toBe(200);
    expect(detail.body.attempts.map((a: { attempt: number; result: string; httpStatus: number }) => [a.attempt, a.result, a.httpStatus])).toEqual([
      [1, 'failed', 503],
      [2, 'failed', 503],
      [3, 'dead', 503],
    ]);
    expect(JSON.parse(detail.body.payload).receiver).toBe('hook');

    const all = await get('/notifications?limit=2&result=sent,silenced,suppressed,dead');
    expect(all.body.items).toHaveLength(2);
    const next = await get(`/notifications?limit=100&result=sent,silenced,suppressed,dead&cursor=${all.body.nextCursor}`);
    const ids = [...all.body.items, ...next.body.items].map((n: { notificationId: string }) => n.notificationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(8);
    // the latest state only: a notification that was retried then sent is not listed as failed
    expect((await get('/notifications?result=failed')).body.items).toEqual([]);
    expect((await get('/notifications?kind=resolved&receiver=hook')).body.items.map((n: { result: string }) => n.result)).toEqual(['sent']);

    // hostile values are bound as literals: no match, no error
    for (const receiverName of ["hook' OR 1=1 --", 'hook\\', "x') UNION ALL SELECT * FROM system.users --"]) {
      const r = await get(`/notifications?receiver=${encodeURIComponent(receiverName)}`);
      expect(r.status).toBe(200);
      expect(r.body.items).toEqual([]);
    }
    // and refused where the schema says so
    for (const bad of ['result=exploded', 'receiver=%00', 'incident=a%27b', 'cursor=not-a-cursor', 'limit=100000', 'from=yesterday', 'unknown=1']) {
      const r = await get(`/notifications?${bad}`);
      expect(r.status, bad).toBe(400);
      expect(r.body.message.length).toBeGreaterThan(5);
    }
    expect((await get('/notifications/no-such-notification')).status).toBe(404);
  });

  it('receivers CRUD: a receiver added through the API is used by the running notifier; secrets are never echoed; bad bodies are 400', async () => {
    const send = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${api!.url}/api/v1${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, text, body: text ? JSON.parse(text) : null };
    };
    const list = await send('GET', '/receivers');
    expect(list.status).toBe(200);
    expect(list.body.items.map((r: { name: string; source: string }) => [r.name, r.source])).toEqual([
      ['am', 'config'],
      ['hook', 'config'],
      ['slack', 'config'],
    ]);
    expect(list.text).not.toContain(SECRET);
    expect(list.text).not.toContain('/slack"'); // the Slack URL path (its token) is hidden
    expect(list.body.items.find((r: { name: string }) => r.name === 'hook')).toMatchObject({ hasSecret: true, url: `${receiver.url}/hook` });

    const lateSecret = 'late-receiver-secret-value';
    const created = await send('PUT', '/receivers/late-hook', { type: 'webhook', url: `${receiver.url}/late`, secret: lateSecret });
    expect(created.status).toBe(201);
    expect(created.text).not.toContain(lateSecret);
    expect(created.body).toMatchObject({ name: 'late-hook', source: 'api', hasSecret: true });
    // an update that leaves the secret out keeps it
    expect((await send('PUT', '/receivers/late-hook', { type: 'webhook', url: `${receiver.url}/late`, sendResolved: false })).status).toBe(200);

    const inc = testIncident('svc-late', 1, [testAlert('svc-late')]);
    await publisher.publish(inc);
    const [req] = await waitFor(() => (receiver.on('/late').length ? receiver.on('/late') : null), 20_000, { message: 'notification to the API-defined receiver' });
    expect(verifySignature({ secret: lateSecret, body: req.body, timestamp: req.headers['x-vigil-timestamp'] as string, signature: req.headers['x-vigil-signature'] as string, now: Date.now(), maxAgeMs: 60_000 })).toEqual({ ok: true });

    for (const [name, body] of [
      ['late-hook', { type: 'webhook', url: 'file:///etc/passwd', secret: lateSecret }],
      ['late-hook', { type: 'webhook', url: `${receiver.url}/late`, secret: 'short' }],
      ['late-hook', { type: 'pagerduty', url: `${receiver.url}/x` }],
      ['late-hook', { type: 'slack', url: `${receiver.url}/x`, extra: "'; DROP TABLE notifications; --" }],
      ['other', { type: 'slack', name: 'not-other', url: `${receiver.url}/x` }],
    ] as const) {
      const r = await send('PUT', `/receivers/${name}`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.message).toMatch(/invalid receiver|body/);
    }
    expect((await send('PUT', '/receivers/bad%20name', { type: 'slack', url: `${receiver.url}/x` })).status).toBe(400);
    expect((await send('DELETE', '/receivers/hook')).status).toBe(409);
    expect((await send('DELETE', '/receivers/late-hook')).body).toEqual({ name: 'late-hook', removed: true });
    expect((await send('GET', '/receivers/late-hook')).status).toBe(404);
  });
});
