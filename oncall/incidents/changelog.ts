/**
 * Follows the incidents topic (read_committed, every partition, its own throw-away group) and
 * keeps the latest incident event per group key: the changelog an incident task rebuilds its
 * state from when it takes a partition over. Each partition's read position is tracked from
 * kafkajs's batch events, which also report batches holding only transaction markers, so
 * "caught up to offset N" is exact even when a partition ends in a commit marker.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { VigilError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { committedReader } from './consumer.ts';
import { decodeEvent } from '../../pipeline/codec/events.ts';
import type { IncidentEvent } from '../../schemas/records.ts';

export interface IncidentChangelog {
  /** Waits until partition `partition` has been read up to (not including) `offset`. */
  caughtUp(partition: number, offset: bigint, timeoutMs: number): Promise<void>;
  /** Latest incident event per group key of one partition (copies). */
  latest(partition: number): Map<string, IncidentEvent>;
  close(): Promise<void>;
}

export async function startIncidentChangelog(opts: { kafka: Kafka; topic: string; groupPrefix: string; logger: Logger }): Promise<IncidentChangelog> {
  const log = opts.logger.child({ component: 'incident-changelog' });
  const byPartition = new Map<number, Map<string, IncidentEvent>>();
  const position = new Map<number, bigint>();
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  const advance = (partition: number, lastOffset: string | null | undefined) => {
    if (lastOffset === null || lastOffset === undefined) return;
    const next = BigInt(lastOffset) + 1n;
    if (next > (position.get(partition) ?? 0n)) position.set(partition, next);
    wake();
  };

  const consumer: Consumer = committedReader(opts.kafka, `${opts.groupPrefix}${randomUUID()}`, 100);
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.topic === opts.topic) advance(payload.partition, payload.lastOffset);
  });
  await consumer.connect();
  await consumer.subscribe({ topic: opts.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      let latest = byPartition.get(batch.partition);
      if (!latest) byPartition.set(batch.partition, (latest = new Map()));
      for (const m of batch.messages) {
        if (!m.value) continue;
        try {
          const decoded = decodeEvent(m.value);
          if (decoded.kind !== 'incident') continue;
          // One writer per partition and committed records only: the log order is the truth.
          latest.set(decoded.record.groupKey, decoded.record);
        } catch (err) {
          log.warn({ err, partition: batch.partition, offset: m.offset }, 'undecodable record on the incidents topic skipped');
        }
      }
    },
  });

  return {
    async caughtUp(partition, offset, timeoutMs) {
      if (offset <= 0n) return;
      const deadline = Date.now() + timeoutMs;
      while ((position.get(partition) ?? 0n) < offset) {
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new VigilError(`incident changelog partition ${partition} not read up to offset ${offset} within ${timeoutMs} ms (at ${position.get(partition) ?? 0n})`, {
            action: 'check the broker; the task is rebuilt on the next attempt',
          });
        }
        await new Promise<void>((resolve) => {
          const done = () => {
            waiters.delete(done);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(done, Math.min(left, 500));
          waiters.add(done);
        });
      }
    },
    latest(partition) {
      return new Map([...(byPartition.get(partition) ?? new Map<string, IncidentEvent>())].map(([k, v]) => [k, structuredClone(v)]));
    },
    async close() {
      wake();
      await consumer.disconnect();
    },
  };
}
