import { readFileSync } from 'node:fs';
import { Partitioners, type Kafka, type ProducerRecord } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { decodeMetricRecord } from '../../../pipeline/ingest/decode-record.ts';
import { createMetricProducer, InvalidMetricPointsError } from '../../../pipeline/sdk/producer.ts';
import { CachingJavaPartitioner } from '../../../pipeline/sdk/encode.ts';
import { SdkMessage } from '../../../pipeline/sdk/fast-produce.ts';
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
    expect(producerOptions[0]).toMatchObject({ idempotent: true, createPartitioner: CachingJavaPartitioner });
    sends[0].messages.forEach((m, i) => {
      expect(Buffer.isBuffer(m.key) && m.key.toString('utf8')).toBe(`svc-${i % 3}/cpu_usage`);
      const decoded = decodeMetricRecord({ key: m.key as Buffer, value: m.value as Buffer }, limits);
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

  it.each([
    ['maxBatchPoints', 0],
    ['maxBatchPoints', 1.5],
    ['maxBatchPoints', 100_001],
    ['maxBatchPoints', Number.NaN],
    ['maxBatchPoints', '5000'],
    ['maxBatchBytes', 4095],
    ['maxBatchBytes', 64 * 1024 * 1024 + 1],
    ['maxBatchBytes', Number.POSITIVE_INFINITY],
    ['maxBatchBytes', -1],
    ['lingerMs', -1],
    ['lingerMs', 10_001],
    ['lingerMs', Number.NaN],
    ['lingerMs', null],
    ['lingerMs', { valueOf: (): number => 5 }],
  ])('refuses %s = %s at construction, saying the range and what to pass', (name, value) => {
    const { kafka } = recordingKafka();
    const make = () => createMetricProducer({ brokers: ['h:1'], kafka, [name]: value } as never);
    expect(make).toThrow(new RegExp(`${name} must be an? (integer|number) from \\d+ to \\d+, got .*pass e\\.g\\. ${name}: `));
  });

  it('fastEncoding: SDK messages by default, plain ones with false, anything else refused', async () => {
    for (const fastEncoding of [undefined, false]) {
      const { kafka, sends } = recordingKafka();
      const producer = createMetricProducer({ brokers: ['h:1'], kafka, ...(fastEncoding === undefined ? {} : { fastEncoding }) });
      await producer.connect();
      await producer.send(point(0));
      expect(sends[0].messages[0] instanceof SdkMessage).toBe(fastEncoding === undefined);
    }
    const { kafka } = recordingKafka();
    expect(() => createMetricProducer({ brokers: ['h:1'], kafka, fastEncoding: 'yes' } as never)).toThrow(/fastEncoding must be true or false, got string/);
  });

  it('accepts the batching options at their bounds and from a config', () => {
    const { kafka } = recordingKafka();
    expect(() => createMetricProducer({ brokers: ['h:1'], kafka, maxBatchPoints: 100_000, maxBatchBytes: 4096, lingerMs: 0.5 })).not.toThrow();
    const config = loadConfig({ env: {}, overrides: { kafka: { topicPrefix: 'p.' } } });
    expect(() => createMetricProducer({ config, lingerMs: -5 })).toThrow(/lingerMs must be a number from 0 to 10000, got -5/);
  });

  it('keeps each request within maxBatchBytes and sends concurrent calls together', async () => {
    const sends: ProducerRecord[] = [];
    let release: (() => void) | null = null;
    const kafka = {
      producer: () => ({
        connect: async () => {},
        disconnect: async () => {},
        send: (record: ProducerRecord) => {
          sends.push(record);
          return new Promise((resolve) => (release = () => resolve([])));
        },
      }),
    } as unknown as Kafka;
    const producer = createMetricProducer({ brokers: ['h:1'], kafka, maxBatchBytes: 4096 });
    await producer.connect();
    const first = producer.send(point(0));
    // While the first request is in flight, three calls queue and go out as one request.
    const rest = [producer.send([point(1), point(2)]), producer.send(point(3)), producer.send(Array.from({ length: 100 }, (_, i) => point(4 + i)))];
    const bytesOf = (r: ProducerRecord) => r.messages.reduce((n, m) => n + (m.key as Buffer).length + (m.value as Buffer).length, 0);
    const closing = producer.close();
    for (let i = 0; i < 10 && release; i++) {
      const r = release as () => void;
      release = null;
      r();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await first).toEqual({ sent: 1 });
    expect(await Promise.all(rest)).toEqual([{ sent: 2 }, { sent: 1 }, { sent: 100 }]);
    await closing;
    expect(sends[0].messages).toHaveLength(1);
    expect(sends.length).toBeGreaterThan(2);
    for (const r of sends) expect(bytesOf(r)).toBeLessThanOrEqual(4096);
    // Call order is kept across the requests.
    const values = sends.flatMap((r) => r.messages.map((m) => decodeMetricRecord({ key: m.key as Buffer, value: m.value as Buffer }, limits)));
    expect(values.map((d) => (d.ok ? d.point.value : null))).toEqual(Array.from({ length: 104 }, (_, i) => point(i).value));
  });

  it('close waits for queued points; a failed request rejects its calls with how many were delivered', async () => {
    let calls = 0;
    const kafka = {
      producer: () => ({
        connect: async () => {},
        disconnect: async () => {},
        send: async () => {
          calls += 1;
          await new Promise((resolve) => setTimeout(resolve, 20));
          if (calls === 2) throw new Error('broker said no');
          return [];
        },
      }),
    } as unknown as Kafka;
    const producer = createMetricProducer({ brokers: ['h:1'], kafka, maxBatchPoints: 3 });
    await producer.connect();
    const a = producer.send(Array.from({ length: 5 }, (_, i) => point(i)));
    const settled = await Promise.allSettled([a, producer.close()]);
    expect(settled[1].status).toBe('fulfilled');
    expect(settled[0].status).toBe('rejected');
    const err = (settled[0] as PromiseRejectedResult).reason as Error & { delivered: number; total: number; code: string };
    expect(err).toMatchObject({ delivered: 3, total: 5, code: 'send-failed' });
    expect(err.message).toMatch(/3 of 5 points of this call were acknowledged \(the first 3, in order\).*resend this call's points from index 3/);
    expect((err.cause as Error).message).toBe('broker said no');
    await expect(producer.send(point(0))).rejects.toThrow(/closed/);
  });

  it('takes brokers, topic and limits from a Vigil config', () => {
    const config = loadConfig({ env: {}, overrides: { kafka: { topicPrefix: 'p.' } } });
    expect(createMetricProducer({ config }).topic).toBe('p.metrics');
  });
});

describe('partitioning matches the Java client (murmur2)', () => {
  it('the caching partitioner answers as kafkajs DefaultPartitioner for every fixture key, count and repeat', () => {
    const cached = CachingJavaPartitioner();
    const plain = Partitioners.DefaultPartitioner();
    const keys = Object.keys(fixture.partitions).map((k) => Buffer.from(k));
    for (const count of [1, 3, 12, 7, 12]) {
      const partitionMetadata = Array.from({ length: count }, (_, i) => ({ partitionId: i, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
      for (let round = 0; round < 2; round++) {
        for (const key of keys) expect(cached({ topic: 't', partitionMetadata, message: { key, value: null } })).toBe(plain({ topic: 't', partitionMetadata, message: { key, value: null } }));
      }
      // An explicit partition still wins, and is not remembered for the key.
      expect(cached({ topic: 't', partitionMetadata, message: { key: keys[0], value: null, partition: 0 } })).toBe(0);
    }
  });

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
