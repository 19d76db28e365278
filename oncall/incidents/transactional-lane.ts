/**
 * Consume → transform → produce → commit, exactly once, one task per input partition (what a
 * Kafka Streams task is). Each batch of a partition is one Kafka transaction: its outputs and
 * the input offset (sendOffsets) commit together or not at all, and readers of the outputs use
 * read_committed, so a crash anywhere leaves either the whole batch or none of it.
 *
 * Zombie fencing: the transactional id is `<prefix>-<partition>`, so whichever instance takes a
 * partition over (rebalance, restart after kill -9) initialises the same id, which aborts the
 * previous owner's open transaction and fences its producer before the new owner reads state.
 * (kafkajs has no KIP-447 group-metadata fencing, hence one producer per partition.)
 *
 * A task's state is only changed through `commit()` of a transform result after the
 * transaction committed; any failure drops the task (producer closed, state forgotten), and the
 * next attempt recreates it from scratch: re-fence, rebuild state, re-read from the committed
 * offset.
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import type { Logger } from '../../core/logger.ts';
import { committedReader } from './consumer.ts';
import { javaCompatiblePartitioner } from '../../pipeline/kafka/client.ts';

export interface LaneOutput {
  /** Explicit partition, or undefined for the key's murmur2 partition. */
  partition?: number;
  message: Message;
}

export interface TransformResult {
  outputs: LaneOutput[];
  /** Applies the state changes of this batch; called only after its transaction committed. */
  commit(): void;
}

export interface LaneTask {
  transform(messages: readonly KafkaMessage[]): TransformResult;
}

export interface LaneOptions {
  kafka: Kafka;
  logger: Logger;
  groupId: string;
  inputTopic: string;
  outputTopic: string;
  transactionalIdPrefix: string;
  /** Builds a partition's task once its producer has fenced every earlier owner. */
  createTask(partition: number): Promise<LaneTask>;
  /** Test hook: runs after a batch's outputs were sent, before its transaction commits. */
  beforeCommit?: () => Promise<void>;
  partitionsConsumedConcurrently?: number;
  onBatchCommitted?: (partition: number, inputs: number, outputs: number) => void;
}

export interface Lane {
  /** Partitions of the input this member owns now. */
  owned(): number[];
  lastError(): string | null;
  running(): boolean;
  close(): Promise<void>;
}

interface Task {
  producer: Producer;
  task: LaneTask;
}

export async function startTransactionalLane(opts: LaneOptions): Promise<Lane> {
  const log = opts.logger.child({ component: 'transactional-lane', group: opts.groupId, input: opts.inputTopic });
  const tasks = new Map<number, Promise<Task>>();
  let assigned: number[] = [];
  let lastError: string | null = null;
  let crashed = false;

  const consumer: Consumer = committedReader(opts.kafka, opts.groupId);

  async function dropTask(partition: number): Promise<void> {
    const t = tasks.get(partition);
    tasks.delete(partition);
    if (!t) return;
    await t.then(
      (x) => x.producer.disconnect(),
      () => undefined,
    ).catch((err: unknown) => log.debug({ err, partition }, 'producer of a dropped task did not disconnect cleanly'));
  }

  function taskFor(partition: number): Promise<Task> {
    let t = tasks.get(partition);
    if (!t) {
      t = (async () => {
        const producer = opts.kafka.producer({
          transactionalId: `${opts.transactionalIdPrefix}-${partition}`,
          idempotent: true,
          maxInFlightRequests: 1,
          createPartitioner: javaCompatiblePartitioner,
          allowAutoTopicCreation: false,
        });
        // connect() initialises the transactional id: earlier owners are fenced and their open
        // transaction aborted before the task reads any state.
        await producer.connect();
        try {
          return { producer, task: await opts.createTask(partition) };
        } catch (err) {
          await producer.disconnect().catch(() => undefined);
          throw err;
        }
      })();
      tasks.set(partition, t);
      t.catch(() => tasks.delete(partition));
    }
    return t;
  }

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    assigned = [...(payload.memberAssignment[opts.inputTopic] ?? [])].sort((a, b) => a - b);
    for (const p of [...tasks.keys()]) if (!assigned.includes(p)) void dropTask(p);
    log.info({ partitions: assigned }, 'lane assignment');
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    lastError = payload.error?.message ?? String(payload.error);
    crashed = !payload.restart;
    // Whatever the task had may be behind what was committed elsewhere meanwhile.
    for (const p of [...tasks.keys()]) void dropTask(p);
  });

  async function eachBatch({ batch, isStale, isRunning, resolveOffset, heartbeat }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0 || isStale() || !isRunning()) return;
    const partition = batch.partition;
    const last = batch.messages[batch.messages.length - 1].offset;
    try {
      const { producer, task } = await taskFor(partition);
      const result = task.transform(batch.messages);
      const txn = await producer.transaction();
      try {
        if (result.outputs.length > 0) {
          await txn.send({
            topic: opts.outputTopic,
            acks: -1,
            messages: result.outputs.map((o) => (o.partition === undefined ? o.message : { ...o.message, partition: o.partition })),
          });
        }
        await txn.sendOffsets({
          consumerGroupId: opts.groupId,
          topics: [{ topic: opts.inputTopic, partitions: [{ partition, offset: (BigInt(last) + 1n).toString() }] }],
        });
        await opts.beforeCommit?.();
        await txn.commit();
      } catch (err) {
        await txn.abort().catch(() => undefined);
        throw err;
      }
      result.commit();
      resolveOffset(last);
      lastError = null;
      opts.onBatchCommitted?.(partition, batch.messages.length, result.outputs.length);
      await heartbeat();
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
      log.warn({ err, partition, firstOffset: batch.firstOffset(), lastOffset: last }, 'batch not committed; the task is rebuilt and the batch re-read');
      await dropTask(partition);
      throw err;
    }
  }

  await consumer.connect();
  await consumer.subscribe({ topic: opts.inputTopic, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? 4, eachBatch });

  return {
    owned: () => [...assigned],
    lastError: () => lastError,
    running: () => !crashed,
    async close() {
      await consumer.disconnect();
      for (const p of [...tasks.keys()]) await dropTask(p);
    },
  };
}
