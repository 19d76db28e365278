/**
 * A process's view of a small compacted topic (definitions, silences): read from the beginning
 * with a group of its own (no commits: every start re-reads the whole topic), each record handed
 * to `onRecord`, and writes that resolve once this view has read its own record back, so a
 * GET right after a write sees it.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { VigilError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { endOffsets, withTimeout } from './offsets.ts';

export interface CompactedTopicView {
  /** True once the topic has been read to its end as of start-up. */
  readonly ready: boolean;
  whenReady(): Promise<void>;
  /**
   * Produces one record (acks = all) and waits up to `readBackMs` to read it back: 'seen', or
   * 'timeout' (the record is durable; the caller may apply it locally meanwhile).
   */
  write(key: string, value: Buffer | null, readBackMs: number): Promise<{ outcome: 'seen' | 'timeout'; partition: number; offset: string }>;
  close(): Promise<void>;
}

export interface FollowOptions {
  kafka: Kafka;
  /** Needed only to write; a read-only view leaves it out. */
  producer?: Producer;
  topic: string;
  logger: Logger;
  /** Consumer group prefix; a random suffix makes the group this process's own. */
  groupPrefix: string;
  onRecord(key: string, value: Buffer | null, at: { partition: number; offset: string }): void;
  /** Called once when the start-up end of the topic has been reached. */
  onReady?(): void;
}

export async function followCompactedTopic(opts: FollowOptions): Promise<CompactedTopicView> {
  const { kafka, producer, topic, logger } = opts;
  /** Next offset to read, per partition. */
  const positions = new Map<number, bigint>();
  const readBackWaiters = new Set<{ partition: number; offset: bigint; resolve: () => void }>();

  const initialEnds = await endOffsets(kafka, topic);
  const pendingPartitions = new Map([...initialEnds].filter(([, end]) => end > 0n));
  let ready = false;
  let markReady!: () => void;
  const readyPromise = new Promise<void>((resolve) => (markReady = resolve));
  const becomeReady = () => {
    ready = true;
    opts.onReady?.();
    markReady();
  };
  if (pendingPartitions.size === 0) becomeReady();

  const consumer: Consumer = kafka.consumer({
    groupId: `${opts.groupPrefix}-${randomUUID()}`,
    allowAutoTopicCreation: false,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      try {
        opts.onRecord(message.key?.toString('utf8') ?? '', message.value, { partition, offset: message.offset });
      } catch (err) {
        // A handler bug must not stop the view (later records would never be read).
        logger.error({ err, topic, partition, offset: message.offset }, 'record handler failed; record skipped');
      }
      const next = BigInt(message.offset) + 1n;
      positions.set(partition, next);
      for (const w of readBackWaiters) {
        if (w.partition === partition && next > w.offset) {
          readBackWaiters.delete(w);
          w.resolve();
        }
      }
      const end = pendingPartitions.get(partition);
      if (end !== undefined && next >= end) {
        pendingPartitions.delete(partition);
        if (pendingPartitions.size === 0 && !ready) becomeReady();
      }
    },
  });

  return {
    get ready() {
      return ready;
    },
    whenReady: () => readyPromise,
    async write(key, value, readBackMs) {
      if (!producer) throw new VigilError(`this view of ${topic} is read-only (no producer given)`, { action: 'pass a producer to write' });
      const [meta] = await producer.send({ topic, acks: -1, messages: [{ key, value }] });
      const offset = BigInt(meta.baseOffset ?? meta.offset ?? '-1');
      const partition = meta.partition;
      const at = { partition, offset: offset.toString() };
      if ((positions.get(partition) ?? 0n) > offset) return { outcome: 'seen', ...at };
      let resolveWaiter!: () => void;
      const seen = new Promise<void>((resolve) => (resolveWaiter = resolve));
      const waiter = { partition, offset, resolve: resolveWaiter };
      readBackWaiters.add(waiter);
      const outcome = await withTimeout(seen.then(() => 'seen' as const), readBackMs, 'timeout' as const);
      if (outcome === 'timeout') readBackWaiters.delete(waiter);
      return { outcome, ...at };
    },
    async close() {
      for (const w of readBackWaiters) w.resolve();
      readBackWaiters.clear();
      await consumer.disconnect();
    },
  };
}
