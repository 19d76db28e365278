/**
 * The gateway against the real Kafka: events produced (Avro) to the output topics reach exactly
 * the subscribers whose filters match, through uWebSockets.js on a real socket; auth, slow
 * consumers, resume, several instances, hostile frames and undecodable records.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../pipeline/kafka/client.ts';
import { seriesId, type AlertEvent, type AnomalyEvent, type LiveSnapshot, type Severity } from '../../schemas/records.ts';
import { startGateway, type RunningGateway } from '../../gateway/index.ts';
import { createEventCodec, encodeEvent } from '../../pipeline/codec/events.ts';
import { frameConfluent, frameSingleObject } from '../../pipeline/codec/framing.ts';
import { createTestEnv, waitFor, type TestEnv } from '../support/index.ts';

const TOKEN = 'gateway-test-token-0123456789';
const MAX_BACKPRESSURE = 64 * 1024;

let env: TestEnv;
let gateway: RunningGateway;
let producer: Producer;

type Frame = { type: string; [key: string]: unknown };

/** A ws client that records every frame and its close. */
class Client {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      this.frames.push(isBinary ? { type: '(binary)' } : (JSON.parse(data.toString()) as Frame));
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => undefined); // surfaced through `closed`
  }
  events(channel?: string): Array<Frame & { id: string; data: Record<string, unknown> }> {
    return this.frames.filter((f) => f.type === 'event' && (channel === undefined || f.channel === channel)) as Array<Frame & { id: string; data: Record<string, unknown> }>;
  }
  async next(type: string, after = 0, timeoutMs = 10_000): Promise<Frame> {
    return waitFor(() => this.frames.slice(after).find((f) => f.type === type), timeoutMs, { message: `a ${type} frame` });
  }
  /**
   * Round-trip barrier: uWS drains a socket's pending topic messages before a direct send, so
   * once the pong arrives every event published before the ping has arrived too.
   */
  async sync(): Promise<void> {
    const n = this.frames.length;
    this.send({ type: 'ping' });
    await this.next('pong', n);
  }
  /** Text frames (JSON-encodes objects). */
  send(data: unknown): void {
    this.ws.send(typeof data === 'string' ? data : JSON.stringify(data), { binary: false });
  }
  close(): void {
    this.ws.close();
  }
}

function url(query: string, port = gateway.port): string {
  return `ws://127.0.0.1:${port}/ws${query ? `?${query}` : ''}`;
}

/** Opens a subscriber and waits for hello (and `subscribed` when the query subscribes). */
async function connect(query: string, options: { port?: number; headers?: Record<string, string>; token?: string | null } = {}): Promise<Client> {
  const token = options.token === undefined ? TOKEN : options.token;
  const q = [query, token ? `token=${encodeURIComponent(token)}` : ''].filter(Boolean).join('&');
  const ws = new WebSocket(url(q, options.port), { headers: options.headers });
  const client = new Client(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode })));
    ws.once('error', reject);
  });
  await client.next('hello');
  if (/channels=/.test(query)) await client.next('subscribed');
  return client;
}

/** Upgrade attempt that is expected to be refused: resolves with the HTTP status. */
async function refusedStatus(query: string, headers?: Record<string, string>): Promise<number> {
  const ws = new WebSocket(url(query), { headers });
  return new Promise((resolve, reject) => {
    ws.once('open', () => reject(new Error('upgrade unexpectedly accepted')));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', () => undefined);
  });
}

let seq = 0;
function alert(source: string, metric: string, severity: Severity, extra: Partial<AlertEvent> = {}): AlertEvent {
  seq += 1;
  return {
    eventId: `alert-${seq}`,
    alertId: `a-${seq}`,
    fingerprint: `${source}|${metric}|rule`,
    source,
    metric,
    ruleId: 'rule',
    kind: 'threshold',
    severity,
    status: 'firing',
    version: 1,
    timestamp: 1_700_000_000_000 + seq,
    openedAt: 1_700_000_000_000,
    value: 95,
    threshold: 90,
    message: `alert ${seq}`,
    actor: 'pipeline',
    reason: 'threshold crossed',
    tags: {},
    ...extra,
  };
}
function anomaly(source: string, metric: string, score: number): AnomalyEvent {
  seq += 1;
  return { id: `anomaly-${seq}`, source, metric, type: 'spike', version: 1, startTimestamp: 1_700_000_000_000, detectedTimestamp: 1_700_000_000_000 + seq, value: 10, expected: 1, zscore: 6, score, confidence: 0.9, pointCount: 1 };
}
function live(source: string, metric: string, value: number): LiveSnapshot {
  seq += 1;
  return { source, metric, timestamp: 1_700_000_000_000 + seq, value, mean: 1, std: 0.5, zscore: 0.1, anomalyScore: 0 };
}

function encode(kind: 'alert' | 'anomaly' | 'live', record: object): Buffer {
  return encodeEvent(kind, record);
}

async function produce(topic: string, kind: 'alert' | 'anomaly' | 'live', records: Array<{ source: string; metric: string }>): Promise<void> {
  for (let i = 0; i < records.length; i += 50) {
    await producer.send({ topic, messages: records.slice(i, i + 50).map((r) => ({ key: seriesId(r.source, r.metric), value: encode(kind, r) })) });
  }
}

async function health(port = gateway.port): Promise<Record<string, any>> {
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  return (await res.json()) as Record<string, any>;
}

/**
 * Waits until the gateway has published `count` more events than `before`, then syncs the
 * given clients so everything published has reached them.
 */
async function published(before: number, count: number, clients: Client[], g = gateway): Promise<void> {
  await waitFor(() => {
    const s = g.server.getStats();
    return s.eventsPublished >= before + count && s.queuedEvents === 0;
  }, 20_000, { message: `${count} events published` });
  await Promise.all(clients.map((c) => c.sync()));
}

beforeAll(async () => {
  env = await createTestEnv('gateway', {
    partitions: 3,
    migrations: false,
    overrides: { gateway: { port: 0, tokens: [TOKEN], maxBackpressureBytes: MAX_BACKPRESSURE, replayBufferSize: 5000, idleTimeoutSec: 8 } },
  });
  gateway = await startGateway(env.config, env.logger);
  producer = createKafka(env.config, env.logger).producer({ allowAutoTopicCreation: false });
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await gateway?.close();
  await env?.cleanup();
});

describe('subscriptions and filters', () => {
  it('delivers exactly the events each filter selects (query and message subscriptions)', async () => {
    const highAlerts = await connect('channels=alerts&minSeverity=high');
    const apiCpuLive = await connect('channels=live&series=api-1/cpu_usage');
    const dbAnomalies = await connect('');
    dbAnomalies.send({ type: 'subscribe', channels: ['anomalies'], source: 'db-1', minSeverity: 'medium' });
    await dbAnomalies.next('subscribed');
    const everything = await connect('channels=alerts,anomalies,live');

    const alerts = [alert('api-1', 'cpu_usage', 'critical'), alert('api-1', 'cpu_usage', 'low'), alert('db-1', 'error_rate', 'high'), alert('db-1', 'error_rate', 'medium'), alert('web', 'x', 'info')];
    const anomalies = [anomaly('db-1', 'queue_size', 0.95), anomaly('db-1', 'queue_size', 0.3), anomaly('api-1', 'cpu_usage', 0.99), anomaly('db-1', 'throughput', 0.6)];
    const lives = [live('api-1', 'cpu_usage', 1), live('api-1', 'memory_usage', 2), live('api-10', 'cpu_usage', 3), live('api-1', 'cpu_usage', 4)];
    const before = gateway.server.getStats().eventsPublished;
    await produce(env.topics.alerts, 'alert', alerts);
    await produce(env.topics.anomalies, 'anomaly', anomalies);
    await produce(env.topics.live, 'live', lives);
    await published(before, alerts.length + anomalies.length + lives.length, [highAlerts, apiCpuLive, dbAnomalies, everything]);

    const ids = (c: Client, channel: string, key: string) => c.events(channel).map((e) => String(e.data[key])).sort();
    expect(ids(highAlerts, 'alerts', 'eventId')).toEqual([alerts[0].eventId, alerts[2].eventId].sort());
    expect(highAlerts.events().length).toBe(2);
    expect(apiCpuLive.events('live').map((e) => e.data.value)).toEqual([1, 4]); // one partition per series: in order
    expect(apiCpuLive.events().length).toBe(2);
    expect(ids(dbAnomalies, 'anomalies', 'id')).toEqual([anomalies[0].id, anomalies[3].id].sort());
    expect(dbAnomalies.events().length).toBe(2);
    expect(everything.events().length).toBe(alerts.length + anomalies.length + lives.length);

    // Frames carry the documented envelope.
    const frame = highAlerts.events()[0];
    expect(frame).toMatchObject({ type: 'event', channel: 'alerts', severity: expect.stringMatching(/critical|high/) });
    expect(frame.id).toMatch(new RegExp(`^${gateway.gatewayId}\\.\\d+$`));
    expect(dbAnomalies.events()[0].severity).toMatch(/critical|medium/);
    expect(apiCpuLive.events()[0]).not.toHaveProperty('severity');
    expect(frame.data).toEqual(alerts.find((a) => a.eventId === frame.data.eventId));

    // Unsubscribe stops delivery; `subscribed` reports what is left.
    const framesSoFar = everything.frames.length;
    everything.send({ type: 'unsubscribe', channels: ['alerts', 'live'] });
    const sub = await everything.next('subscribed', framesSoFar);
    expect(sub).toMatchObject({ channels: ['anomalies'] });
    const count = everything.events().length;
    const before2 = gateway.server.getStats().eventsPublished;
    await produce(env.topics.alerts, 'alert', [alert('api-1', 'cpu_usage', 'critical')]);
    await published(before2, 1, [everything, highAlerts]);
    expect(everything.events().length).toBe(count);
    expect(highAlerts.events().length).toBe(3);

    for (const c of [highAlerts, apiCpuLive, dbAnomalies, everything]) c.close();
  });
});

describe('auth and upgrade', () => {
  it('rejects a missing or wrong token with 401 and accepts query or Bearer tokens', async () => {
    const failures = gateway.server.getStats().authFailures;
    expect(await refusedStatus('channels=alerts')).toBe(401);
    expect(await refusedStatus(`channels=alerts&token=wrong-token-0123456789`)).toBe(401);
    expect(await refusedStatus('channels=alerts', { Authorization: 'Bearer nope' })).toBe(401);
    expect(await refusedStatus('channels=alerts', { Authorization: `Basic ${TOKEN}` })).toBe(401);
    expect(gateway.server.getStats().authFailures).toBe(failures + 4);
    const viaHeader = await connect('channels=alerts', { token: null, headers: { Authorization: `Bearer ${TOKEN}` } });
    const viaQuery = await connect('channels=alerts');
    viaHeader.close();
    viaQuery.close();
  });

  it('rejects an invalid subscription query with 400 before upgrading', async () => {
    expect(await refusedStatus(`channels=alerts,metrics&token=${TOKEN}`)).toBe(400);
    expect(await refusedStatus(`channels=alerts&minSeverity=urgent&token=${TOKEN}`)).toBe(400);
  });

  it('serves /health, /metrics and 404', async () => {
    const h = await health();
    expect(h).toMatchObject({ status: 'ok', native: true, gatewayId: gateway.gatewayId, kafka: { state: 'running', groupId: gateway.source.groupId } });
    expect(typeof h.connections).toBe('number');
    expect(typeof h.eventsPublished).toBe('number');
    expect(typeof h.droppedSlowConsumers).toBe('number');
    const metrics = await (await fetch(`http://127.0.0.1:${gateway.port}/metrics`)).text();
    expect(metrics).toMatch(/^vigil_gateway_events_published_total \d+$/m);
    expect(metrics).toMatch(/^vigil_gateway_healthy 1$/m);
    for (const name of ['rate_limited_total', 'connection_limited_total', 'origin_refused_total', 'oversized_frames_total']) expect(metrics).toMatch(new RegExp(`^vigil_gateway_${name} \\d+$`, 'm'));
    const missing = await fetch(`http://127.0.0.1:${gateway.port}/nope`);
    expect(missing.status).toBe(404);
  });
});

describe('hostile clients', () => {
  it('answers malformed frames with error frames, closes oversize and repeat offenders, keeps serving others', async () => {
    const healthy = await connect('channels=alerts');
    const hostile = await connect('');
    const hostileFrames = [
      'not json',
      '{"type":"ping"',
      '{"type":"nope"}',
      '{"type":"subscribe","channels":"alerts"}',
      '{"type":"subscribe","channels":["alerts"],"__proto__":{"admin":true}}',
      '{"type":"subscribe","channels":["alerts"],"series":"no-slash"}',
    ];
    for (const f of hostileFrames) hostile.send(f);
    hostile.send({ type: 'ping' });
    await hostile.next('pong');
    const errors = hostile.frames.filter((f) => f.type === 'error').map((f) => f.code);
    expect(errors).toEqual(['bad-json', 'bad-json', 'unknown-type', 'invalid-message', 'invalid-message', 'invalid-series']);
    // Binary frames are refused too (ws sends Buffers as binary).
    hostile.ws.send(Buffer.from('{"type":"ping"}'), { binary: true });
    await waitFor(() => hostile.frames.filter((f) => f.type === 'error').length === 7, 5000);
    expect(hostile.frames.filter((f) => f.type === 'error').at(-1)).toMatchObject({ code: 'binary-not-supported' });

    // Ten malformed frames in total: closed with 1008.
    for (let i = 0; i < 5; i++) hostile.send('{');
    expect((await hostile.closed).code).toBe(1008);

    // A 1 MiB frame is over the 16 KiB message limit: closed with 1009 and the sizes in the reason.
    const oversized = gateway.server.getStats().oversizedFrames;
    const big = await connect('');
    const bigFrame = JSON.stringify({ type: 'ping', pad: 'x'.repeat(1024 * 1024) });
    big.send(bigFrame);
    expect(await big.closed).toEqual({ code: 1009, reason: `message too large: ${Buffer.byteLength(bigFrame)} bytes, limit 16384` });
    expect(gateway.server.getStats().oversizedFrames).toBe(oversized + 1);
    // Just over the limit, as a binary frame: the size is checked before anything else.
    const over = await connect('');
    over.ws.send(Buffer.alloc(16 * 1024 + 1, 0x20), { binary: true });
    expect(await over.closed).toEqual({ code: 1009, reason: 'message too large: 16385 bytes, limit 16384' });
    // Past even uWS's own limit (1 MiB + 64 KiB) uWS drops the socket itself: no close frame.
    const huge = await connect('');
    huge.send('x'.repeat(1024 * 1024 + 64 * 1024 + 1));
    expect((await huge.closed).code).toBe(1006);
    // Invalid UTF-8 in a text frame: uWS 20.30 checks it before our handler and drops the socket
    // without a close frame (docs/websocket.md "Close codes"); the gateway is unaffected.
    const badUtf8 = await connect('');
    badUtf8.ws.send(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { binary: false });
    expect((await badUtf8.closed).code).toBe(1006);

    // The gateway still serves the well-behaved subscriber.
    const before = gateway.server.getStats().eventsPublished;
    const a = alert('api-1', 'cpu_usage', 'high');
    await produce(env.topics.alerts, 'alert', [a]);
    await published(before, 1, [healthy]);
    expect(healthy.events().map((e) => e.data.eventId)).toContain(a.eventId);
    healthy.send({ type: 'ping' });
    await healthy.next('pong');
    expect((await health()).status).toBe('ok');
    healthy.close();
  });

  it('counts and skips undecodable or misrouted records on the output topics', async () => {
    const client = await connect('channels=alerts,live');
    const errorsBefore = gateway.source.status().decodeErrors;
    // encodeEvent refuses an unknown severity, so write that one with the raw schema.
    const alertWriter = createEventCodec().writerOf('alert');
    const badSeverity = frameSingleObject(alertWriter.fingerprint, alertWriter.type.toBuffer({ ...alert('x', 'y', 'critical'), severity: 'apocalyptic' }));
    const valid = encode('alert', alert('x', 'y', 'critical'));
    const hostileValues: Array<Buffer | null> = [
      Buffer.from([0xc3, 0x01, 1, 2, 3]), // header cut short
      Buffer.concat([valid.subarray(0, 2), Buffer.alloc(8, 0xab), valid.subarray(10)]), // unknown fingerprint
      valid.subarray(0, valid.length - 5), // body cut short
      frameConfluent(987654, valid.subarray(10)), // unknown registry id
      Buffer.from(JSON.stringify({ kind: 'alert', record: alert('x', 'y', 'critical') })), // JSON, not Avro
      encode('live', live('x', 'y', 1)), // a valid event of the wrong kind for the topic
      badSeverity,
      null,
    ];
    await producer.send({ topic: env.topics.alerts, messages: hostileValues.map((value) => ({ key: 'x/y', value })) });
    const good = alert('x', 'y', 'critical');
    const before = gateway.server.getStats().eventsPublished;
    await produce(env.topics.alerts, 'alert', [good]);
    await published(before, 1, [client]);
    expect(gateway.source.status().decodeErrors).toBe(errorsBefore + hostileValues.length);
    expect(client.events().map((e) => e.data.eventId)).toEqual([good.eventId]);
    expect(gateway.source.status().state).toBe('running');
    client.close();
  });
});

describe('slow consumers', () => {
  it('closes a subscriber that stops reading with 4008 and keeps serving a healthy one', async () => {
    const slow = await connect('channels=alerts');
    const healthy = await connect('channels=alerts');
    slow.ws.pause(); // stop reading: kernel buffers fill, then uWS back-pressure grows
    const droppedBefore = gateway.server.getStats().droppedSlowConsumers;
    const flood = Array.from({ length: 1200 }, (_, i) => alert(`flood-${i % 7}`, 'cpu_usage', 'info', { message: 'x'.repeat(8000) })); // ~10 MB
    const before = gateway.server.getStats().eventsPublished;
    await produce(env.topics.alerts, 'alert', flood);
    await waitFor(() => gateway.server.getStats().droppedSlowConsumers > droppedBefore, 30_000, { message: 'slow subscriber dropped' });
    slow.ws.resume();
    const closed = await slow.closed;
    expect(closed).toEqual({ code: 4008, reason: 'too slow' });
    // The slow client saw a gap-free prefix of the stream before the close.
    const slowIds = slow.events().map((e) => e.id);
    const healthyIds = healthy.events().map((e) => e.id);
    expect(slowIds.length).toBeLessThan(flood.length);
    expect(healthyIds.slice(0, slowIds.length)).toEqual(slowIds);

    await published(before, flood.length, [healthy]);
    expect(healthy.events().length).toBe(flood.length);

    // Resuming after the 4008 delivers exactly the rest of the stream: nothing was skipped.
    const resumed = await connect(`channels=alerts&lastEventId=${slowIds.at(-1) ?? `${gateway.gatewayId}.${before}`}`);
    await resumed.next('replayed', 0, 30_000);
    expect([...slowIds, ...resumed.events().map((e) => e.id)]).toEqual(healthy.events().map((e) => e.id));
    resumed.close();
    expect(healthy.events().map((e) => e.data.eventId)).toEqual(expect.arrayContaining(flood.map((a) => a.eventId)));
    expect(gateway.server.getStats().droppedSlowConsumers).toBe(droppedBefore + 1);
    expect((await health()).status).toBe('ok');
    healthy.close();
  });
});

describe('resume', () => {
  it('replays missed events matching the filter after lastEventId, then continues live', async () => {
    const first = await connect('channels=alerts&source=resume-src');
    const before = gateway.server.getStats().eventsPublished;
    const seen = [alert('resume-src', 'cpu_usage', 'high'), alert('resume-src', 'cpu_usage', 'low')];
    await produce(env.topics.alerts, 'alert', seen);
    await published(before, seen.length, [first]);
    expect(first.events().length).toBe(2);
    const lastEventId = first.events().at(-1)!.id;
    first.close();
    await first.closed;

    const missed = [alert('resume-src', 'cpu_usage', 'critical'), alert('other-src', 'cpu_usage', 'critical'), alert('resume-src', 'memory_usage', 'info')];
    const before2 = gateway.server.getStats().eventsPublished;
    await produce(env.topics.alerts, 'alert', missed);
    await published(before2, missed.length, []);

    const again = await connect(`channels=alerts&source=resume-src&lastEventId=${lastEventId}`);
    const done = await again.next('replayed');
    expect(again.events().map((e) => e.data.eventId).sort()).toEqual([missed[0].eventId, missed[2].eventId].sort());
    expect(done).toMatchObject({ count: 2, lastEventId: gateway.server.lastEventId });
    // Replayed frames come before the marker, live ones after it.
    const after = alert('resume-src', 'x', 'high');
    const before3 = gateway.server.getStats().eventsPublished;
    await produce(env.topics.alerts, 'alert', [after]);
    await published(before3, 1, [again]);
    expect(again.events().map((e) => e.data.eventId)).toContain(after.eventId);
    const markerIndex = again.frames.indexOf(done);
    expect(again.frames.findIndex((f) => f.type === 'event' && (f.data as AlertEvent).eventId === after.eventId)).toBeGreaterThan(markerIndex);
    expect(new Set(again.events().map((e) => e.id)).size).toBe(again.events().length); // no duplicates
    again.close();

    // Resume via a subscribe message works the same way.
    const viaMessage = await connect('');
    viaMessage.send({ type: 'subscribe', channels: ['alerts'], source: 'resume-src', lastEventId });
    await viaMessage.next('replayed');
    expect(viaMessage.events().length).toBe(3);
    viaMessage.close();
  });

  it('reports a replay-gap for unknown, foreign or malformed positions', async () => {
    const foreign = await connect('channels=alerts&lastEventId=zzzzzzzzzz.5');
    expect(await foreign.next('replay-gap')).toMatchObject({ reason: 'other-instance', requested: 'zzzzzzzzzz.5' });
    const future = await connect(`channels=alerts&lastEventId=${gateway.gatewayId}.99999999`);
    expect(await future.next('replay-gap')).toMatchObject({ reason: 'unknown-position' });
    const garbage = await connect('channels=alerts&lastEventId=%3Cscript%3E');
    expect(await garbage.next('error')).toMatchObject({ code: 'bad-last-event-id' });
    for (const c of [foreign, future, garbage]) c.close();
  });

  it('a second instance reads every event too; its small buffer reports evicted positions as gaps', async () => {
    const second = await startGateway({ ...env.config, gateway: { ...env.config.gateway, replayBufferSize: 3 } }, env.logger, { ensureTopics: false });
    try {
      expect(second.gatewayId).not.toBe(gateway.gatewayId);
      expect(second.source.groupId).not.toBe(gateway.source.groupId);
      const onFirst = await connect('channels=live&source=multi');
      const onSecond = await connect('channels=live&source=multi', { port: second.port });
      const points = Array.from({ length: 6 }, (_, i) => live('multi', 'cpu_usage', i));
      const b1 = gateway.server.getStats().eventsPublished;
      const b2 = second.server.getStats().eventsPublished;
      await produce(env.topics.live, 'live', points);
      await published(b1, points.length, [onFirst]);
      await published(b2, points.length, [onSecond], second);
      expect(onFirst.events().map((e) => e.data.value)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(onSecond.events().map((e) => e.data.value)).toEqual([0, 1, 2, 3, 4, 5]);
      // Ids from the first instance mean nothing to the second.
      const crossed = await connect(`channels=live&source=multi&lastEventId=${onFirst.events()[1].id}`, { port: second.port });
      expect(await crossed.next('replay-gap')).toMatchObject({ reason: 'other-instance' });
      // The second keeps 3 events: resuming from the first of six is a gap, from the fourth a replay.
      const evicted = await connect(`channels=live&source=multi&lastEventId=${onSecond.events()[0].id}`, { port: second.port });
      expect(await evicted.next('replay-gap')).toMatchObject({ reason: 'evicted' });
      const ok = await connect(`channels=live&source=multi&lastEventId=${onSecond.events()[3].id}`, { port: second.port });
      await ok.next('replayed');
      expect(ok.events().map((e) => e.data.value)).toEqual([4, 5]);
      for (const c of [onFirst, onSecond, crossed, evicted, ok]) c.close();
    } finally {
      await second.close();
    }
  });
});

describe('native uWebSockets.js', () => {
  it('vigil gateway refuses to start on the JS fallback, naming the cause and the fix', () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const run = spawnSync(path.join(root, 'bin/vigil'), ['gateway', '--port', '0'], { env: { ...process.env, UWS_USE_FALLBACK: 'true' }, encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/JavaScript fallback.*UWS_USE_FALLBACK=true.*unset UWS_USE_FALLBACK/);
  });
});
