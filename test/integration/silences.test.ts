/**
 * Silences against the real Kafka and ClickHouse: created and expired through the real API,
 * seen by another process's store on the same topic (as the notifier would), archived to
 * ClickHouse `silences` by version, marked on alerts read from ClickHouse, hostile topic records
 * skipped, and a store started later rebuilding the same set from the topic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Producer } from 'kafkajs';
import { startApi, type RunningApi } from '../../api/index.ts';
import { createKafka } from '../../pipeline/kafka/client.ts';
import { createClickHouse } from '../../pipeline/storage/clickhouse.ts';
import { alertEventRow } from '../../pipeline/storage/rows.ts';
import { alertLabels } from '../../oncall/silences/index.ts';
import { startSilenceArchiver } from '../../oncall/silences/archiver.ts';
import { startSilenceStore, type KafkaSilenceStore } from '../../oncall/silences/silence-store.ts';
import type { AlertEvent } from '../../schemas/records.ts';
import { createTestEnv, waitFor, type TestEnv } from '../support/index.ts';

const OPERATOR = 'it-operator-key-0123456789';
const H = 3_600_000;
const NOW = Date.now();

const firing: AlertEvent = {
  eventId: 'ev-1',
  alertId: 'alert-silenced',
  fingerprint: 'checkout|error_rate|default.error_rate',
  source: 'checkout',
  metric: 'error_rate',
  ruleId: 'default.error_rate',
  kind: 'threshold',
  severity: 'high',
  status: 'firing',
  version: 1,
  timestamp: NOW - 60_000,
  openedAt: NOW - 60_000,
  value: 0.3,
  threshold: 0.05,
  message: 'error rate high',
  actor: 'pipeline',
  reason: 'opened',
  tags: {},
};

let env: TestEnv;
let api: RunningApi;
let ch: ClickHouseClient;
let producer: Producer;
let notifierView: KafkaSilenceStore;
let archiver: { close(): Promise<void> };
const closers: Array<() => Promise<unknown>> = [];

const http = (method: string, path: string, body?: unknown) =>
  fetch(`${api.url}${path}`, {
    method,
    headers: { 'x-api-key': OPERATOR, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

const archived = async (id: string) =>
  (await (await ch.query({ query: `SELECT id, version, ends_at_ms, updated_by, matchers FROM silences FINAL WHERE id = '${id.replace(/[^0-9a-f]/g, '')}'`, format: 'JSONEachRow' })).json()) as Array<{
    id: string;
    version: number;
    ends_at_ms: string;
    updated_by: string;
    matchers: string;
  }>;

beforeAll(async () => {
  env = await createTestEnv('silences', {
    partitions: 1,
    overrides: { api: { port: 0, apiKeys: [{ key: OPERATOR, roles: ['read', 'operate'], name: 'oncall-bot' }] } },
  });
  ch = createClickHouse(env.config, { logger: env.logger });
  await ch.insert({ table: 'alert_events', values: [alertEventRow(firing)], format: 'JSONEachRow' });
  const kafka = createKafka(env.config, env.logger, { clientId: 'silences-it' });
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  // Hostile records already in the topic before anyone reads it: each is skipped, none stops the readers.
  await producer.send({
    topic: env.topics.silences,
    messages: [
      { key: 'bad-json', value: '{"id":' },
      { key: 'bomb', value: JSON.stringify({ id: 'bomb', matchers: [{ name: 'source', op: '=~', value: '(a+)+$' }], startsAt: NOW, endsAt: NOW + H, createdBy: 'x', comment: 'x', schedule: null, version: 1, updatedAt: NOW, updatedBy: 'x' }) },
      { key: 'other-id', value: JSON.stringify({ id: 'mismatch', matchers: [{ name: 'source', op: '=', value: 'a' }], startsAt: NOW, endsAt: NOW + H, createdBy: 'x', comment: 'x', schedule: null, version: 1, updatedAt: NOW, updatedBy: 'x' }) },
      { key: '../../etc', value: '{}' },
      { key: 'huge', value: Buffer.alloc(70_000, 0x20) },
    ],
  });
  api = await startApi(env.config, env.logger);
  notifierView = await startSilenceStore({ kafka, topic: env.topics.silences, logger: env.logger }); // read-only, as the notifier's
  archiver = await startSilenceArchiver({ kafka, clickhouse: ch, table: 'silences', topic: env.topics.silences, groupId: `${env.config.kafka.groupId}-silences`, logger: env.logger });
  closers.push(() => archiver.close(), () => notifierView.close(), () => api.close(), () => producer.disconnect(), () => ch.close());
});

afterAll(async () => {
  for (const close of closers) await close().catch(() => undefined);
  await env?.cleanup();
});

describe('silences through Kafka and ClickHouse', () => {
  let id = '';

  it('a silence made through the API reaches another process, ClickHouse, and the alert it covers', async () => {
    await notifierView.whenReady();
    expect(notifierView.list(Date.now())).toEqual([]); // every hostile record skipped
    const res = await http('POST', '/api/v1/silences', {
      matchers: [{ name: 'source', op: '=', value: 'checkout' }, { name: 'alertname', op: '=~', value: 'default\\..*' }],
      endsAt: new Date(Date.now() + H).toISOString(),
      comment: 'checkout deploy',
    });
    expect(res.status).toBe(201);
    const created = await res.json();
    id = created.id;
    expect(created).toMatchObject({ state: 'active', createdBy: 'oncall-bot', version: 1 });

    const labels = alertLabels(firing);
    const seen = await waitFor(() => {
      const ids = notifierView.activeSilencesFor(labels, Date.now()).map((s) => s.id);
      return ids.length > 0 ? ids : null;
    }, 10_000, { message: 'notifier view never saw the silence' });
    expect(seen).toEqual([id]);
    expect(notifierView.activeSilencesFor({ ...labels, source: 'web' }, Date.now())).toEqual([]);

    const alert = await (await http('GET', `/api/v1/alerts/${firing.alertId}`)).json();
    expect(alert.alert.silencedBy).toEqual([id]);
    const list = await (await http('GET', '/api/v1/alerts?status=firing')).json();
    expect(list.items.find((a: { alertId: string }) => a.alertId === firing.alertId)?.silencedBy).toEqual([id]);

    const rows = await waitFor(async () => ((await archived(id)).length > 0 ? archived(id) : null), 15_000, { message: 'silence never archived' });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id, version: 1, updated_by: 'oncall-bot' });
    expect(JSON.parse(rows[0].matchers)).toEqual(created.matchers);
  });

  it('expiring it stops it everywhere; ClickHouse keeps the newest version; a fresh reader agrees', async () => {
    const res = await http('DELETE', `/api/v1/silences/${id}`);
    expect(res.status).toBe(200);
    const expired = await res.json();
    expect(expired).toMatchObject({ state: 'expired', version: 2 });
    await waitFor(() => notifierView.get(id)?.version === 2, 10_000, { message: 'expiry never reached the notifier view' });
    expect(notifierView.activeSilencesFor(alertLabels(firing), Date.now())).toEqual([]);
    expect((await (await http('GET', `/api/v1/alerts/${firing.alertId}`)).json()).alert.silencedBy).toEqual([]);

    const rows = await waitFor(async () => {
      const r = await archived(id);
      return r.length === 1 && r[0].version === 2 ? r : null;
    }, 15_000, { message: 'expiry never archived' });
    expect(Number(rows[0].ends_at_ms)).toBe(expired.endsAt);

    const kafka = createKafka(env.config, env.logger, { clientId: 'silences-it-late' });
    const late = await startSilenceStore({ kafka, producer, topic: env.topics.silences, logger: env.logger });
    try {
      await late.whenReady();
      expect(late.list(Date.now()).map((s) => [s.id, s.version])).toEqual([[id, 2]]);
      await expect(notifierView.write(late.get(id)!)).rejects.toThrow(/read-only/);
    } finally {
      await late.close();
    }
  });
});
