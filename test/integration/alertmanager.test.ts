/**
 * Forwarding to a real Alertmanager (Debian's prometheus-alertmanager 0.25, started on a free
 * loopback port by deploy/alertmanager with its own config and data folder) from the on-call
 * process, with the real Kafka and ClickHouse: an open alert stored before start and one fired
 * afterwards show up in Alertmanager's GET /api/v2/alerts with Vigil's labels and annotations,
 * are re-posted, and resolve there when Vigil resolves them; a silence made in Alertmanager is
 * read back into Vigil's silences (the notifier's view and the API's silencedBy) and expired
 * there when it is deleted in Alertmanager.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Producer } from 'kafkajs';
import { startAlertmanager, type RunningAlertmanager } from '../../deploy/alertmanager/alertmanager.ts';
import { encodeEvent } from '../../pipeline/codec/events.ts';
import { createKafka } from '../../pipeline/kafka/client.ts';
import { createClickHouse } from '../../pipeline/storage/clickhouse.ts';
import { alertEventRow } from '../../pipeline/storage/rows.ts';
import { startAlertmanagerForwarder } from '../../oncall/alertmanager/forwarder.ts';
import { startOncall, type OncallProcess } from '../../oncall/runtime.ts';
import { alertLabels } from '../../oncall/silences/labels.ts';
import { startSilenceStore, type KafkaSilenceStore } from '../../oncall/silences/silence-store.ts';
import type { AlertEvent } from '../../schemas/records.ts';
import { createTestEnv, waitFor, type TestEnv } from '../support/index.ts';

const NOW = Date.now();

function alertEvent(alertId: string, source: string, version: number, status: AlertEvent['status'], at: number): AlertEvent {
  return {
    eventId: `${alertId}-v${version}`,
    alertId,
    fingerprint: `${source}|error_rate|default.error_rate`,
    source,
    metric: 'error_rate',
    ruleId: 'default.error_rate',
    kind: 'threshold',
    severity: 'critical',
    status,
    version,
    timestamp: at,
    openedAt: NOW - 120_000,
    value: 0.4,
    threshold: 0.05,
    message: `error rate 40% on ${source}`,
    actor: 'pipeline',
    reason: status === 'resolved' ? 'recovered' : 'opened',
    tags: {},
  };
}

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  status: { state: string; silencedBy: string[] };
}

let am: RunningAlertmanager;
let env: TestEnv;
let ch: ClickHouseClient;
let producer: Producer;
let oncall: OncallProcess;
let view: KafkaSilenceStore;

const amAlerts = async (): Promise<AmAlert[]> => (await fetch(`${am.url}/api/v2/alerts`)).json() as Promise<AmAlert[]>;
const amAlert = async (source: string) => (await amAlerts()).find((a) => a.labels.source === source);

beforeAll(async () => {
  am = await startAlertmanager();
  env = await createTestEnv('alertmanager', {
    partitions: 1,
    overrides: { alertmanager: { url: am.url, resendIntervalMs: 1000, silencePollMs: 300 }, notify: { dashboardUrl: 'http://127.0.0.1:8080' } },
  });
  ch = createClickHouse(env.config, { logger: env.logger });
  // Open before the forwarder starts: found in ClickHouse, not on the topic.
  await ch.insert({ table: 'alert_events', values: [alertEventRow(alertEvent('stored-1', 'billing', 1, 'firing', NOW - 120_000))], format: 'JSONEachRow' });
  const kafka = createKafka(env.config, env.logger, { clientId: 'am-it' });
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  oncall = await startOncall(env.config, env.logger, { stages: [{ name: 'alertmanager', start: (d) => startAlertmanagerForwarder(d) }], skipSetup: true });
  view = await startSilenceStore({ kafka, producer, topic: env.topics.silences, logger: env.logger });
});

afterAll(async () => {
  await view?.close().catch(() => undefined);
  await oncall?.close().catch(() => undefined);
  await producer?.disconnect().catch(() => undefined);
  await ch?.close().catch(() => undefined);
  await env?.cleanup();
  await am?.close();
});

const send = (e: AlertEvent) => producer.send({ topic: env.topics.alerts, messages: [{ key: `${e.source}/${e.metric}`, value: encodeEvent('alert', e) }] });

describe('Alertmanager forwarding', () => {
  it('an alert open at start and one fired later appear in Alertmanager with labels and annotations', async () => {
    const stored = await waitFor(() => amAlert('billing'), 15_000, { message: 'stored alert never reached Alertmanager' });
    expect(stored.labels).toEqual({ alertname: 'default.error_rate', source: 'billing', metric: 'error_rate', severity: 'critical', kind: 'threshold' });
    expect(stored.annotations).toMatchObject({ description: 'error rate 40% on billing', dashboard: 'http://127.0.0.1:8080/#alerts', vigil_alert_id: 'stored-1' });
    expect(Date.parse(stored.startsAt)).toBe(NOW - 120_000);
    expect(stored.status.state).toBe('active');

    // Bytes that are no event, and an event of another kind, go first: skipped, the stage goes on.
    await producer.send({ topic: env.topics.alerts, messages: [{ key: 'junk', value: Buffer.from([0xc3, 0x01, 0xff]) }, { key: 'empty', value: null }] });
    await send(alertEvent('live-1', 'checkout', 1, 'firing', Date.now()));
    const live = await waitFor(() => amAlert('checkout'), 15_000, { message: 'fired alert never reached Alertmanager' });
    expect(live.annotations.vigil_status).toBe('firing');
    // Open alerts are refreshed (endsAt 4 resend intervals ahead), so Alertmanager keeps them firing.
    const firstUpdate = Date.parse(live.updatedAt);
    const refreshed = await waitFor(async () => {
      const a = await amAlert('checkout');
      return a && Date.parse(a.updatedAt) > firstUpdate ? a : null;
    }, 10_000, { message: 'alert never re-posted' });
    expect(Date.parse(refreshed.endsAt)).toBeGreaterThan(Date.now());
  });

  it('acknowledging keeps it firing in Alertmanager; resolving in Vigil resolves it there', async () => {
    await send(alertEvent('live-1', 'checkout', 2, 'acknowledged', Date.now()));
    await waitFor(async () => (await amAlert('checkout'))?.annotations.vigil_status === 'acknowledged', 10_000, { message: 'ack not forwarded' });
    const resolvedAt = Date.now();
    await send(alertEvent('live-1', 'checkout', 3, 'resolved', resolvedAt));
    await waitFor(async () => (await amAlert('checkout')) === undefined, 15_000, { message: 'alert still active in Alertmanager after resolve' });
    expect(await amAlert('billing')).toBeDefined(); // the other one is untouched
    expect(oncall.health().stages.alertmanager).toMatchObject({ healthy: true, openAlerts: 1, pendingEnds: 0 });
  });

  it('a silence made in Alertmanager is read back into Vigil and expired there when deleted', async () => {
    const created = await fetch(`${am.url}/api/v2/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [{ name: 'source', value: 'billing', isRegex: false, isEqual: true }, { name: 'severity', value: 'critical|high', isRegex: true, isEqual: true }],
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        createdBy: 'sre-anna',
        comment: 'billing migration',
      }),
    });
    expect(created.status).toBe(200);
    const { silenceID } = (await created.json()) as { silenceID: string };
    const billing = alertLabels({ source: 'billing', metric: 'error_rate', severity: 'critical', ruleId: 'default.error_rate', kind: 'threshold' });
    const ids = await waitFor(() => {
      const found = view.activeSilencesFor(billing, Date.now()).map((s) => s.id);
      return found.length > 0 ? found : null;
    }, 10_000, { message: 'Alertmanager silence never mirrored' });
    expect(ids).toEqual([`am-${silenceID}`]);
    expect(view.get(`am-${silenceID}`)).toMatchObject({ createdBy: 'alertmanager:sre-anna', comment: 'billing migration', matchers: [{ name: 'source', op: '=', value: 'billing' }, { name: 'severity', op: '=~', value: 'critical|high' }] });
    expect(view.activeSilencesFor({ ...billing, source: 'checkout' }, Date.now())).toEqual([]);
    // Alertmanager applies its own silence to the forwarded alert too.
    await waitFor(async () => (await amAlert('billing'))?.status.state === 'suppressed', 10_000, { message: 'Alertmanager did not suppress' });

    expect((await fetch(`${am.url}/api/v2/silence/${silenceID}`, { method: 'DELETE' })).status).toBe(200);
    await waitFor(() => view.activeSilencesFor(billing, Date.now()).length === 0, 10_000, { message: 'mirror not expired after delete in Alertmanager' });
    expect(view.list(Date.now(), 'expired').map((s) => s.id)).toContain(`am-${silenceID}`);
  });
});
