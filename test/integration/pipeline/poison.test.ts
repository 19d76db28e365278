/**
 * Records that cannot be dead-lettered as they are (issue #12, defect 1), on the real broker: a
 * value just under the broker's max.message.bytes, a huge key, huge headers, and a flood of
 * small bad records whose DLQ copies add up past the limit in one record batch. Each must reach
 * the DLQ in a form that fits (truncated, or a reference) and leave its partition flowing: the
 * valid points behind it are stored, every offset is committed and /health stays healthy.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import kafkajs, { type Message } from 'kafkajs';
import type { ClickHouseClient } from '@clickhouse/client';
import { createTestEnv, consumeN, waitFor, type ConsumedMessage, type TestEnv } from '../../support/index.ts';
import { createClickHouse } from '../../../pipeline/storage/clickhouse.ts';
import { createKafka } from '../../../pipeline/kafka/client.ts';
import { startPipeline, type PipelineHandle } from '../../../pipeline/runtime/pipeline.ts';
import { encodeEvent } from '../../../pipeline/codec/events.ts';
import { DLQ_HEADERS } from '../../../pipeline/ingest/dlq.ts';
import type { MetricPoint } from '../../../schemas/records.ts';
import { query, waitForCommitted } from './scenario.ts';

let env: TestEnv;
let ch: ClickHouseClient;
let pipeline: PipelineHandle;

// ~1 KiB each, 100 per producer batch, all there before the pipeline starts: its first fetch of
// the partition (maxBytesPerPartition 1 MiB) holds ~1000 of them, and their DLQ copies (+ reason
// headers, same key so one DLQ partition) add up past max.message.bytes in one record batch.
const flood = Array.from({ length: 1200 }, (_, i): Message => ({ key: 'p/flood', value: Buffer.concat([Buffer.from(`junk-${i}-`), Buffer.alloc(1000, 0x20)]), partition: 0 }));

beforeAll(async () => {
  env = await createTestEnv('poison', { partitions: 2, overrides: { pipeline: { windowSize: 50, workerThreads: 1 } } });
  ch = createClickHouse(env.config);
  await produce([...flood, ...goodPoints('svc-after-flood', 20, 0)], 100);
  pipeline = await startPipeline(env.config, env.logger, { snapshotIntervalMs: 1000 });
}, 120_000);

afterAll(async () => {
  await pipeline?.stop();
  await ch?.close();
  await env?.cleanup();
});

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const header = (m: ConsumedMessage, name: string) => m.headers?.[name]?.toString();

async function produce(messages: Message[], perSend = messages.length, topic: string = env.topics.metrics): Promise<void> {
  const producer = createKafka(env.config, env.logger).producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += perSend) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + perSend) });
    }
  } finally {
    await producer.disconnect();
  }
}

function goodPoints(source: string, n: number, partition: number): Message[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => {
    const p: MetricPoint = { source, metric: 'queue_size', value: 10 + (i % 3), timestamp: now - 60_000 + i, tags: {} };
    return { key: `${source}/queue_size`, value: encodeEvent('metric', p), partition };
  });
}

async function storedPoints(source: string): Promise<number> {
  const [r] = await query<{ n: string }>(ch, `SELECT count() AS n FROM ${env.config.clickhouse.database}.points WHERE source = '${source}'`);
  return Number(r.n);
}

/** DLQ records whose source offset header is one of the produced poison records'. */
async function dlqFrom(partition: number, count: number): Promise<ConsumedMessage[]> {
  const all = await consumeN(env.config, env.topics.dlq, count, 60_000);
  return all.filter((m) => header(m, DLQ_HEADERS.partition) === String(partition));
}

/** Every produced point stored, every partition committed to its end, the instance healthy. */
async function expectFlowing(source: string, n: number) {
  await waitFor(async () => (await storedPoints(source)) === n, 60_000, { message: `${n} valid points of ${source} stored behind the poison` });
  await waitForCommitted(env.config, env.topics.metrics, 30_000);
  const health = pipeline.health();
  expect(health.healthy, JSON.stringify(health)).toBe(true);
}

describe('records that cannot be dead-lettered as they are', () => {
  let dlqSeen = 0;

  it('a flood of small bad records whose dead letters exceed max.message.bytes together: all dead-lettered, none lost', async () => {
    await expectFlowing('svc-after-flood', 20);
    const letters = (await dlqFrom(0, (dlqSeen += flood.length))).filter((m) => m.key?.toString() === 'p/flood');
    expect(letters).toHaveLength(flood.length);
    expect(new Set(letters.map((m) => m.value!.toString()))).toEqual(new Set(flood.map((m) => (m.value as Buffer).toString())));
  }, 180_000);

  it('a value just under max.message.bytes: the DLQ copy is truncated, says so, and the partition flows on', async () => {
    const value = Buffer.alloc(1_048_500, 0x41); // not Avro: bad-framing
    // Its own producer batch: with the points in the same record batch the broker would refuse it.
    await produce([{ key: 'p/big', value, partition: 0 }]);
    await produce(goodPoints('svc-after-big', 20, 0));
    await expectFlowing('svc-after-big', 20);
    const letter = (await dlqFrom(0, (dlqSeen += 1))).find((m) => m.key?.toString() === 'p/big')!;
    expect(letter, 'the dead letter of p/big').toBeDefined();
    expect(header(letter, DLQ_HEADERS.reason)).toBe('bad-framing');
    expect(header(letter, DLQ_HEADERS.truncated)).toBe('value');
    expect(header(letter, DLQ_HEADERS.originalValueBytes)).toBe(String(value.length));
    expect(header(letter, DLQ_HEADERS.originalValueSha256)).toBe(sha256(value));
    expect(letter.value!.length).toBeLessThan(value.length);
    expect(letter.value!.equals(value.subarray(0, letter.value!.length))).toBe(true); // a prefix of the original
    expect(letter.key!.toString()).toBe('p/big');
  }, 120_000);

  it('a huge key and huge headers: both cut down to fit, with their original sizes and digests', async () => {
    const key = Buffer.alloc(600_000, 0x6b);
    const headerValue = Buffer.alloc(440_000, 0x68);
    await produce([{ key, value: Buffer.from('not avro'), headers: { big: headerValue }, partition: 1 }]);
    await produce(goodPoints('svc-after-key', 20, 1));
    await expectFlowing('svc-after-key', 20);
    const letters = await dlqFrom(1, (dlqSeen += 1));
    const letter = letters.find((m) => header(m, DLQ_HEADERS.originalKeyBytes) === String(key.length));
    expect(letter, 'the dead letter of the huge-key record').toBeDefined();
    expect(header(letter!, DLQ_HEADERS.originalKeySha256)).toBe(sha256(key));
    expect(letter!.key!.length).toBeLessThan(key.length);
    // The record's own headers are replaced by a note of what they were.
    expect(letter!.headers?.big).toBeUndefined();
    expect(header(letter!, DLQ_HEADERS.originalHeaders)).toBe('big');
    expect(Number(header(letter!, DLQ_HEADERS.originalHeaderBytes))).toBeGreaterThanOrEqual(headerValue.length);
    expect(header(letter!, DLQ_HEADERS.reason)).toBe('bad-framing');
  }, 120_000);

  it('an oversized record on the commands topic: dead-lettered truncated as invalid-command, the commands partition committed', async () => {
    const value = Buffer.alloc(1_048_500, 0x43);
    await produce([{ key: 'p/cmd', value, partition: 0 }], 1, env.topics.commands);
    const letter = (await dlqFrom(0, (dlqSeen += 1))).find((m) => m.key?.toString() === 'p/cmd');
    expect(letter, 'the dead letter of the oversized command').toBeDefined();
    expect(header(letter!, DLQ_HEADERS.reason)).toBe('invalid-command');
    expect(header(letter!, DLQ_HEADERS.truncated)).toBe('value');
    expect(header(letter!, DLQ_HEADERS.originalValueSha256)).toBe(sha256(value));
    await waitForCommitted(env.config, env.topics.commands, 30_000);
  }, 120_000);

  it('a dead letter the broker still refuses (DLQ topic limit lowered under the running pipeline) becomes a reference', async () => {
    const admin = createKafka(env.config, env.logger).admin();
    await admin.connect();
    try {
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: env.topics.dlq, configEntries: [{ name: 'max.message.bytes', value: '20000' }] }] });
    } finally {
      await admin.disconnect();
    }
    const value = Buffer.alloc(100_000, 0x52);
    await produce([{ key: 'p/ref', value, partition: 1 }]);
    await produce(goodPoints('svc-after-ref', 20, 1));
    await expectFlowing('svc-after-ref', 20);
    const letter = (await dlqFrom(1, (dlqSeen += 1))).find((m) => m.key?.toString() === 'p/ref');
    expect(letter, 'the reference to p/ref').toBeDefined();
    expect(header(letter!, DLQ_HEADERS.truncated)).toBe('reference');
    expect(letter!.value!.length).toBe(0);
    expect(header(letter!, DLQ_HEADERS.originalValueBytes)).toBe(String(value.length));
    expect(header(letter!, DLQ_HEADERS.originalValueSha256)).toBe(sha256(value));
    expect(header(letter!, DLQ_HEADERS.offset)).toBeDefined();
  }, 120_000);
});
