/**
 * What the benches on the real stack share: synthetic metric records produced into a topic,
 * waiting until a group has committed every offset, and removing the bench's topics and database.
 */
import kafkajs from 'kafkajs';
import { topicNames, type VigilConfig } from '../../core/config.ts';
import type { Logger } from '../../core/logger.ts';
import { createKafka } from '../../pipeline/kafka/client.ts';
import { deleteTopicsWithPrefix } from '../../pipeline/kafka/topics.ts';
import { encodeEvent } from '../../pipeline/codec/events.ts';
import { createClickHouse, plainIdentifier } from '../../pipeline/storage/clickhouse.ts';
import { STANDARD_METRICS, seriesId, type MetricPoint } from '../../schemas/records.ts';

/** points × series records (interleaved by time, one per second from `startMs`) into the metrics topic, 5000 per send. */
export async function produceSynthetic(config: VigilConfig, logger: Logger, opts: { series: number; points: number; startMs: number }): Promise<void> {
  const topic = topicNames(config).metrics;
  const producer = createKafka(config, logger).producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  await producer.connect();
  const batch: { key: string; value: Buffer }[] = [];
  for (let i = 0; i < opts.points; i++) {
    for (let s = 0; s < opts.series; s++) {
      const metric = STANDARD_METRICS[s % STANDARD_METRICS.length];
      const point: MetricPoint = { source: `svc-${Math.floor(s / STANDARD_METRICS.length)}`, metric, value: 50 + 10 * Math.sin(i / 7 + s) + (i % 13), timestamp: opts.startMs + i * 1000, tags: {} };
      batch.push({ key: seriesId(point.source, point.metric), value: encodeEvent('metric', point) });
      if (batch.length === 5000) await producer.send({ topic, acks: -1, messages: batch.splice(0) });
    }
  }
  if (batch.length) await producer.send({ topic, acks: -1, messages: batch.splice(0) });
  await producer.disconnect();
}

/** Resolves once `groupId` has committed every offset of the metrics topic. */
export async function waitCommitted(config: VigilConfig, logger: Logger, groupId: string): Promise<void> {
  const topic = topicNames(config).metrics;
  const admin = createKafka(config, logger).admin();
  await admin.connect();
  try {
    for (;;) {
      const ends = await admin.fetchTopicOffsets(topic);
      const [c] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const behind = ends.some((e) => BigInt(c?.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1') < BigInt(e.high) && e.high !== '0');
      if (!behind) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.disconnect();
  }
}

/** Deletes the bench's topics and drops its database. */
export async function removeBenchEnv(config: VigilConfig, logger: Logger): Promise<void> {
  await deleteTopicsWithPrefix(config, config.kafka.topicPrefix, logger).catch(() => undefined);
  await dropDatabase(config);
}

/** Drops config.clickhouse.database (a bench's own). */
export async function dropDatabase(config: VigilConfig): Promise<void> {
  const ch = createClickHouse(config, { database: null });
  await ch.command({ query: `DROP DATABASE IF EXISTS ${plainIdentifier(config.clickhouse.database)}` }).finally(() => ch.close());
}

/** Runs a bench's main and exits 0, or prints the error and exits 1. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
