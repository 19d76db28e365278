/**
 * The producer SDK against the real local Kafka: what it sends is what a raw consumer reads,
 * keyed by series id, decodable, and partitioned exactly as the Java client would.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMetricRecord } from '../../pipeline/ingest/decode-record.ts';
import { createMetricProducer, type MetricProducer } from '../../pipeline/sdk/producer.ts';
import type { MetricPoint } from '../../schemas/records.ts';
import { consumeN, createTestEnv, type TestEnv } from '../support/index.ts';

const PARTITIONS = 4;
const javaPartitions = JSON.parse(readFileSync(new URL('../fixtures/kafka/murmur2-partitions.json', import.meta.url), 'utf8')).partitions as Record<
  string,
  Record<string, number>
>;

describe('metric producer SDK on Kafka', () => {
  let env: TestEnv;
  let producer: MetricProducer;

  beforeAll(async () => {
    env = await createTestEnv('sdk', { partitions: PARTITIONS, migrations: false });
    producer = createMetricProducer({ config: env.config });
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.close();
    await env?.cleanup();
  });

  it('sends N points for several series; a raw consumer reads them back keyed, decodable and co-partitioned', async () => {
    // Series whose partitions the Java client computed (test/fixtures/kafka), plus generated ones.
    const series: Array<[string, string]> = [
      ['checkout', 'response_time'],
      ['api', 'cpu_usage'],
      ['source-1', 'error_rate'],
      ['héllo', '日本'],
      ['a', 'b'],
      ...Array.from({ length: 7 }, (_, i): [string, string] => [`svc-${i}`, 'throughput']),
    ];
    const perSeries = 25;
    const start = Date.now() - perSeries * 1000;
    const sent: MetricPoint[] = [];
    for (let i = 0; i < perSeries; i++) {
      for (const [source, metric] of series) sent.push({ source, metric, value: i * 1.5, timestamp: start + i * 1000, tags: { i: String(i) } });
    }
    // Two calls, as a service would.
    const half = Math.floor(sent.length / 2);
    expect(await producer.send(sent.slice(0, half))).toEqual({ sent: half });
    expect(await producer.send(sent.slice(half))).toEqual({ sent: sent.length - half });

    const consumed = await consumeN(env.config, env.topics.metrics, sent.length, 45_000);
    expect(consumed).toHaveLength(sent.length);
    const partitionOf = new Map<string, Set<number>>();
    const readBack: MetricPoint[] = [];
    const limits = { maxTagCount: 32, maxTagBytes: 2048, maxFutureSkewMs: 86_400_000, nowMs: Date.now() };
    const lastTimestamp = new Map<string, number>();
    for (const message of consumed) {
      const decoded = decodeMetricRecord(message, limits);
      expect(decoded.ok, JSON.stringify(decoded)).toBe(true);
      if (!decoded.ok) continue;
      expect(message.key!.toString('utf8')).toBe(decoded.seriesId);
      const set = partitionOf.get(decoded.seriesId) ?? new Set();
      set.add(message.partition);
      partitionOf.set(decoded.seriesId, set);
      // Within a series (one partition) the order of sending is kept.
      expect(decoded.point.timestamp).toBeGreaterThan(lastTimestamp.get(decoded.seriesId) ?? 0);
      lastTimestamp.set(decoded.seriesId, decoded.point.timestamp);
      readBack.push({ ...decoded.point, tags: { ...decoded.point.tags } });
    }
    const byKey = (p: MetricPoint) => `${p.source}/${p.metric}/${p.timestamp}`;
    expect(readBack.sort((a, b) => byKey(a).localeCompare(byKey(b)))).toEqual([...sent].sort((a, b) => byKey(a).localeCompare(byKey(b))));
    expect(partitionOf.size).toBe(series.length);
    for (const [id, partitions] of partitionOf) {
      expect(partitions.size, id).toBe(1);
      const java = javaPartitions[id];
      if (java) expect([...partitions][0], `${id}: Java client partition`).toBe(java[String(PARTITIONS)]);
    }
    // Twelve series over four partitions: spread, not piled on one.
    expect(new Set([...partitionOf.values()].map((s) => [...s][0])).size).toBeGreaterThan(1);
  });

  it('refuses an invalid batch without sending any of it', async () => {
    const ok = { source: 'only', metric: 'valid', value: 1, timestamp: Date.now() };
    await expect(producer.send([ok, { ...ok, timestamp: 5 }])).rejects.toThrow(/1 of 2 metric points are invalid/);
    // A marker sent afterwards is the only record of that series on the topic.
    await producer.send({ ...ok, value: 2 });
    const all = await consumeN(env.config, env.topics.metrics, 25 * 12 + 1, 30_000);
    const only = all.filter((m) => m.key?.toString() === 'only/valid');
    // Same key, same partition, so a partially sent batch would show up before the marker.
    expect(only).toHaveLength(1);
    const marker = decodeMetricRecord(only[0], { maxTagCount: 32, maxTagBytes: 2048, maxFutureSkewMs: 60_000, nowMs: Date.now() });
    expect(marker.ok && marker.point.value).toBe(2);
  });
});
