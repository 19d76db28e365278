/**
 * Two gateway processes reading the same output topics of the real Kafka (issue #11 point 4):
 * both deliver the same events, in the same order per series; a client that drops off one of
 * them and comes back with its last event id gets exactly what it missed from the gateway that
 * issued the id, and a clear replay-gap (never a silent gap or a duplicate) from the other one.
 * Event ids are per gateway process (docs/architecture.md, "Gateway"), hence sticky balancing.
 */
import type { Producer } from 'kafkajs';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../pipeline/kafka/client.ts';
import { encodeEvent } from '../../pipeline/codec/events.ts';
import { seriesId, type AlertEvent, type LiveSnapshot } from '../../schemas/records.ts';
import { createTestEnv, spawnGateway, waitFor, type GatewayProcess, type TestEnv } from '../support/index.ts';

const TOKEN = 'several-gateways-token-0123456789';

type Frame = { type: string; id?: string; channel?: string; data?: Record<string, unknown>; [key: string]: unknown };

interface Child extends GatewayProcess {
  gatewayId: string;
}

let env: TestEnv;
let producer: Producer;
const children: Child[] = [];

async function startChild(): Promise<Child> {
  const gw = await spawnGateway(env.config);
  const probe = await subscribe(gw.port, 'channels=alerts');
  const child = { ...gw, gatewayId: String(probe.frames.find((f) => f.type === 'hello')!.gatewayId) };
  probe.ws.close();
  children.push(child);
  return child;
}

/** Opens a subscriber, records its frames, resolves after hello + subscribed. */
async function subscribe(port: number, query: string): Promise<{ frames: Frame[]; events: () => Frame[]; ws: WebSocket }> {
  const frames: Frame[] = [];
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?${query}&token=${TOKEN}`);
  ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as Frame));
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await waitFor(() => frames.some((f) => f.type === 'subscribed'), 10_000, { message: 'a subscribed frame' });
  return { frames, ws, events: () => frames.filter((f) => f.type === 'event') };
}

let n = 0;
function alert(source: string, metric: string): AlertEvent {
  n += 1;
  return {
    eventId: `alert-${n}`, alertId: `a-${n}`, fingerprint: `${source}|${metric}|rule`, source, metric, ruleId: 'rule', kind: 'threshold', severity: 'high', status: 'firing',
    version: 1, timestamp: 1_700_000_000_000 + n, openedAt: 1_700_000_000_000, value: 95, threshold: 90, message: `alert ${n}`, actor: 'pipeline', reason: 'threshold crossed', tags: {},
  };
}
function live(source: string, metric: string): LiveSnapshot {
  n += 1;
  return { source, metric, timestamp: 1_700_000_000_000 + n, value: n, mean: 1, std: 0.5, zscore: 0.1, anomalyScore: 0 };
}

async function produce(topic: string, kind: 'alert' | 'live', records: Array<{ source: string; metric: string }>): Promise<void> {
  for (let i = 0; i < records.length; i += 50) {
    await producer.send({ topic, messages: records.slice(i, i + 50).map((r) => ({ key: seriesId(r.source, r.metric), value: encodeEvent(kind, r) })) });
  }
}

/** A series' events as delivered: the order clients may rely on. */
function perSeries(events: Frame[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of events) {
    const d = e.data!;
    const key = `${e.channel}:${String(d.source)}/${String(d.metric)}`;
    (out[key] ??= []).push(String(d.eventId ?? d.value));
  }
  return out;
}

const SERIES = Array.from({ length: 12 }, (_, i) => [`host-${i % 4}`, `metric_${i % 3}`] as const);

beforeAll(async () => {
  env = await createTestEnv('gwmulti', { partitions: 3, migrations: false, overrides: { gateway: { port: 0, tokens: [TOKEN], replayBufferSize: 5000 } } });
  producer = createKafka(env.config, env.logger).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  // Both start at the log end of the same topics, in separate processes and consumer groups.
  await Promise.all([startChild(), startChild()]);
}, 240_000);

afterAll(async () => {
  await Promise.all(children.map((c) => c.stop()));
  await producer?.disconnect();
  await env?.cleanup();
});

describe('several gateways on the same output topics', () => {
  it('deliver the same events, in the same order per series, to subscribers on either gateway', async () => {
    const [a, b] = children;
    expect(a.gatewayId).not.toBe(b.gatewayId);
    const onA = await subscribe(a.port, 'channels=alerts,live');
    const onB = await subscribe(b.port, 'channels=alerts,live');

    const alerts = Array.from({ length: 240 }, (_, i) => alert(...SERIES[i % SERIES.length]));
    const lives = Array.from({ length: 240 }, (_, i) => live(...SERIES[(i * 5) % SERIES.length]));
    await Promise.all([produce(env.topics.alerts, 'alert', alerts), produce(env.topics.live, 'live', lives)]);
    const total = alerts.length + lives.length;
    await waitFor(() => onA.events().length >= total && onB.events().length >= total, 60_000, { message: `${total} events on both gateways` });
    // Anything extra (a duplicate) would have arrived with the rest; give it a moment anyway.
    await new Promise((r) => setTimeout(r, 1000));

    expect(onA.events().length).toBe(total);
    expect(onB.events().length).toBe(total);
    const expected: Record<string, string[]> = {};
    for (const r of alerts) (expected[`alerts:${r.source}/${r.metric}`] ??= []).push(r.eventId);
    for (const r of lives) (expected[`live:${r.source}/${r.metric}`] ??= []).push(String(r.value));
    expect(perSeries(onA.events())).toEqual(expected);
    expect(perSeries(onB.events())).toEqual(expected);
    // Ids are issued by each gateway: same shape, own prefix, strictly increasing.
    for (const [sub, g] of [[onA, a], [onB, b]] as const) {
      const seqs = sub.events().map((e) => {
        const [prefix, s] = String(e.id).split('.');
        expect(prefix).toBe(g.gatewayId);
        return Number(s);
      });
      expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1])).toBe(true);
    }
    onA.ws.close();
    onB.ws.close();
  }, 120_000);

  it('a client back on the gateway that issued its id gets exactly what it missed; on the other one a replay-gap, then live events', async () => {
    const [a, b] = children;
    const watchA = await subscribe(a.port, 'channels=alerts&source=resume-host');
    const watchB = await subscribe(b.port, 'channels=alerts&source=resume-host');
    const client = await subscribe(a.port, 'channels=alerts&source=resume-host');
    const seen = Array.from({ length: 30 }, (_, i) => alert('resume-host', `m${i % 5}`));
    await produce(env.topics.alerts, 'alert', seen);
    await waitFor(() => client.events().length >= seen.length && watchB.events().length >= seen.length, 60_000, { message: 'the first batch on both gateways' });
    const lastEventId = String(client.events().at(-1)!.id);
    client.ws.close();

    // Events keep flowing while the client is away (other sources too, which its filter drops).
    const missed = Array.from({ length: 40 }, (_, i) => alert(i % 4 === 0 ? 'other-host' : 'resume-host', `m${i % 5}`));
    await produce(env.topics.alerts, 'alert', missed);
    const wanted = missed.filter((r) => r.source === 'resume-host').map((r) => r.eventId);
    await waitFor(() => watchA.events().length >= seen.length + wanted.length && watchB.events().length >= seen.length + wanted.length, 60_000, { message: 'the missed batch on both gateways' });

    // Same gateway: replay of exactly the missed events, no gap, no duplicate.
    const back = await subscribe(a.port, `channels=alerts&source=resume-host&lastEventId=${lastEventId}`);
    await waitFor(() => back.frames.find((f) => f.type === 'replayed'), 20_000, { message: 'a replayed frame' });
    expect(back.events().map((e) => String(e.data!.eventId))).toEqual(watchA.events().slice(seen.length).map((e) => String(e.data!.eventId)));
    expect(back.events().map((e) => String(e.data!.eventId)).sort()).toEqual([...wanted].sort());
    expect(back.frames.find((f) => f.type === 'replay-gap')).toBeUndefined();

    // Other gateway: the id is not a position there. The client is told (replay-gap
    // other-instance, with B's own position to continue from) instead of being replayed a guess.
    const elsewhere = await subscribe(b.port, `channels=alerts&source=resume-host&lastEventId=${lastEventId}`);
    const gap = await waitFor(() => elsewhere.frames.find((f) => f.type === 'replay-gap'), 20_000, { message: 'a replay-gap frame' });
    expect(gap).toMatchObject({ reason: 'other-instance', requested: lastEventId, lastEventId: expect.stringMatching(new RegExp(`^${b.gatewayId}\\.\\d+$`)) });
    expect(elsewhere.events()).toEqual([]);
    // ...and then gets live events like any subscriber of B.
    const after = alert('resume-host', 'm0');
    await produce(env.topics.alerts, 'alert', [after]);
    await waitFor(() => elsewhere.events().length >= 1 && back.events().length >= wanted.length + 1, 30_000, { message: 'the live event on both' });
    expect(elsewhere.events().map((e) => e.data!.eventId)).toEqual([after.eventId]);
    expect(back.events().at(-1)!.data!.eventId).toBe(after.eventId);
    for (const c of [watchA, watchB, back, elsewhere]) c.ws.close();
  }, 180_000);
});
