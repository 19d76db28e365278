import { readFileSync } from 'node:fs';
import { Partitioners, type Kafka, type ProducerRecord } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { decodeMetricRecord } from '../../../pipeline/ingest/decode-record.ts';
import { createMetricProducer, InvalidMetricPointsError } from '../../../pipeline/sdk/producer.ts';
import { loadConfig } from '../../../core/config.ts';

/** A kafkajs stand-in that records what would be sent (pure unit test; the real broker is in test/integration/sdk.test.ts). */
function recordingKafka() {
  const sends: ProducerRecord[] = [];
  const producerOptions: unknown[] = [];
  const kafka = {
    producer(opts: unknown) {
      producerOptions.push(opts);
      return {
        connect: async () => {},
        disconnect: async () => {},
        send: async (record: ProducerRecord) => {
          sends.push(record);
          return [];
        },
      };
    },
  } as unknown as Kafka;
  return { kafka, sends, producerOptions };
}

const now = Date.now();
const point = (i: number) => ({ source: `svc-${i % 3}`, metric: 'cpu_usage', value: 40 + i, timestamp: now - 1000 + i });
const limits = { maxTagCount: 32, maxTagBytes: 2048, maxFutureSkewMs: 86_400_000, nowMs: now + 10_000 };

describe('metric producer (without a broker)', () => {
  it('sends one keyed, single-object-encoded batch per call with an idempotent, Java-partitioned producer', async () => {
    const { kafka, sends, producerOptions } = recordingKafka();
    const producer = createMetricProducer({ brokers: ['127.0.0.1:1'], kafka, topic: 'x.metrics' });
    await producer.connect();
    const result = await producer.send(Array.from({ length: 7 }, (_, i) => point(i)));
    expect(result).toEqual({ sent: 7 });
    expect(sends).toHaveLength(1);
    expect(sends[0]).toMatchObject({ topic: 'x.metrics', acks: -1 });
    expect(producerOptions[0]).toMatchObject({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
    sends[0].messages.forEach((m, i) => {
      expect(m.key).toBe(`svc-${i % 3}/cpu_usage`);
      const decoded = decodeMetricRecord({ key: Buffer.from(m.key as string), value: m.value as Buffer }, limits);
      expect(decoded).toEqual({ ok: true, point: { ...point(i), tags: {} }, seriesId: `svc-${i % 3}/cpu_usage` });
    });
    await producer.close();
  });

  it('refuses the whole call when any point is invalid, listing each bad item', async () => {
    const { kafka, sends } = recordingKafka();
    const producer = createMetricProducer({ brokers: ['127.0.0.1:1'], kafka });
    await producer.connect();
    const batch = [point(0), { ...point(1), value: Number.NaN }, point(2), { ...point(3), source: 'a/b' }];
    const err = await producer.send(batch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidMetricPointsError);
    const invalid = (err as InvalidMetricPointsError).invalid;
    expect(invalid.map((p) => p.index)).toEqual([1, 3]);
    expect(invalid[0].errors).toEqual(['value: NaN is not a finite number']);
    expect((err as Error).message).toMatch(/2 of 4 metric points are invalid, none were sent: \[1\] value: NaN/);
    expect(sends).toHaveLength(0);
  });

  it('splits very large calls into ordered chunks', async () => {
    const { kafka, sends } = recordingKafka();
    const producer = createMetricProducer({ brokers: ['127.0.0.1:1'], kafka, maxBatchPoints: 4 });
    await producer.connect();
    expect(await producer.send(Array.from({ length: 10 }, (_, i) => point(i)))).toEqual({ sent: 10 });
    expect(sends.map((s) => s.messages.length)).toEqual([4, 4, 2]);
  });

  it('refuses to send before connect or after close, and bad options up front', async () => {
    const { kafka } = recordingKafka();
    const producer = createMetricProducer({ brokers: ['127.0.0.1:1'], kafka });
    await expect(producer.send(point(0))).rejects.toThrow(/not connected/);
    await producer.connect();
    await producer.close();
    await expect(producer.send(point(0))).rejects.toThrow(/closed/);
    expect(() => createMetricProducer({ brokers: [] })).toThrow(/at least one broker/);
    expect(() => createMetricProducer({ brokers: ['h:1'], maxBatchPoints: 0 })).toThrow(/maxBatchPoints/);
  });

  it('takes brokers, topic and limits from a Vigil config', () => {
    const config = loadConfig({ env: {}, overrides: { kafka: { topicPrefix: 'p.' } } });
    expect(createMetricProducer({ config }).topic).toBe('p.metrics');
  });
});

describe('partitioning matches the Java client (murmur2)', () => {
  const fixture = JSON.parse(readFileSync(new URL('../../fixtures/kafka/murmur2-partitions.json', import.meta.url), 'utf8')) as {
    partitions: Record<string, Record<string, number>>;
  };
  it.each(Object.entries(fixture.partitions))('%s', (key, expected) => {
    const partitioner = Partitioners.DefaultPartitioner();
    for (const [count, partition] of Object.entries(expected)) {
      const partitionMetadata = Array.from({ length: Number(count) }, (_, i) => ({ partitionId: i, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
      expect(partitioner({ topic: 't', partitionMetadata, message: { key, value: null } }), `${count} partitions`).toBe(partition);
    }
  });
});
