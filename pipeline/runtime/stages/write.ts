/**
 * Stage 4 of a metrics batch: the points insert, the insert of the rows derived from them, and the
 * Kafka produce, run together; all three must be acknowledged before the commit, but none
 * depends on another (running them together takes the ClickHouse inserts out of the alert
 * latency: a subscriber may see an event a moment before the API can read its row).
 */
import type { Producer } from 'kafkajs';
import type { TopicNames } from '../../../core/config.ts';
import type { ProcessedBatch } from '../../processor/score-points.ts';
import type { PartitionState } from '../../state/partition-state.ts';
import type { ClickHouseSink } from '../../storage/writer.ts';
import type { BatchControl, BatchRetry } from '../batch-retry.ts';
import { outputPublisher, type EventEncoder, type OutputBatch, type PublishOptions } from '../outputs.ts';
import { afterOffset } from './after-offset.ts';

export interface WriteDeps {
  sink: ClickHouseSink;
  producer: Producer;
  topics: TopicNames;
  encoder: EventEncoder;
  publish: PublishOptions;
  retry: BatchRetry;
}

export interface WriteTimes {
  /** performance.now() when the Kafka outputs were acknowledged. */
  producedAt: number;
  /** The produce alone, in seconds. */
  produceSeconds: number;
}

export async function writeBatch(deps: WriteDeps, state: PartitionState, processed: ProcessedBatch, outputs: OutputBatch, payload: BatchControl): Promise<WriteTimes> {
  const partition = state.partition;
  // A failed points INSERT may have been applied anyway (its answer lost): before another
  // attempt, ask ClickHouse where the partition's stored prefix ends.
  let fresh = afterOffset(processed.scored, state.maxInsertedOffset);
  const lastFresh = fresh.at(-1);
  let pointsAttempted = false;
  // One ingested_at for every attempt: a retry then sends the same rows, the same block, which a
  // replicated table drops if the lost attempt was stored after all (docs/operations.md, cluster).
  const ingestedAtMs = Date.now();
  const insertPoints = async () => {
    if (pointsAttempted) {
      const stored = await deps.sink.maxInsertedOffset(partition);
      fresh = afterOffset(fresh, stored);
    }
    pointsAttempted = true;
    await deps.sink.writePoints(fresh, ingestedAtMs);
  };
  const produceStartedAt = performance.now();
  const times: WriteTimes = { producedAt: produceStartedAt, produceSeconds: 0 };
  await Promise.all([
    deps.retry('ClickHouse insert (points)', insertPoints, payload).then(() => {
      if (lastFresh) state.maxInsertedOffset = BigInt(lastFresh.offset);
    }),
    deps.retry('ClickHouse insert', () => deps.sink.writeDerived({ anomalies: processed.anomalies, alerts: processed.alerts, sla: processed.sla }), payload),
    deps.retry('Kafka produce', outputPublisher(deps.producer, deps.topics, deps.encoder, outputs, deps.publish), payload).then(() => {
      times.producedAt = performance.now();
      times.produceSeconds = (times.producedAt - produceStartedAt) / 1000;
    }),
  ]);
  return times;
}
