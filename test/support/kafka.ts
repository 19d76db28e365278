/** Small Kafka helpers for tests: read what a topic holds, with a deadline. */
import { randomBytes } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import type { VigilConfig } from '../../core/config.ts';
import { createLogger } from '../../core/logger.ts';
import { createKafka } from '../../pipeline/kafka/client.ts';
import { endOffsets } from '../../pipeline/kafka/offsets.ts';

export type ConsumedMessage = KafkaMessage & {
  topic: string;
  partition: number;
};

export interface ConsumeOptions {
  /** Default true: read the topic from its start. */
  fromBeginning?: boolean;
  /** Default a fresh random group, so earlier reads do not hide messages. */
  groupId?: string;
  /** Default false: transactional tests want only committed messages. */
  readUncommitted?: boolean;
}

/**
 * Consumes until `n` messages have arrived (then returns exactly those n, in arrival order)
 * or `timeoutMs` passes (then rejects saying how many arrived). Raw kafkajs messages: value
 * and key are Buffers.
 */
export async function consumeN(
  config: Pick<VigilConfig, 'kafka' | 'logLevel'>,
  topic: string,
  n: number,
  timeoutMs: number,
  options: ConsumeOptions = {},
): Promise<ConsumedMessage[]> {
  const logger = createLogger(config.logLevel, { helper: 'consumeN', topic });
  const kafka = createKafka(config, logger, { clientId: `${config.kafka.clientId}-consumeN` });
  const consumer = kafka.consumer({
    groupId: options.groupId ?? `${config.kafka.groupId}.consumeN.${randomBytes(4).toString('hex')}`,
    readUncommitted: options.readUncommitted ?? false,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 250,
  });
  const messages: ConsumedMessage[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: options.fromBeginning ?? true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`consumeN: ${messages.length} of ${n} messages from ${topic} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      if (n === 0) resolve();
      consumer
        .run({
          eachMessage: async ({ topic: t, partition, message }) => {
            if (messages.length < n) messages.push({ ...message, topic: t, partition });
            if (messages.length >= n) resolve();
          },
        })
        .catch(reject);
    });
    return messages;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => {});
  }
}

/**
 * Everything committed on `topic` as of now (read_committed), in partition then offset order:
 * reads until every partition's position reaches the high watermark measured at the start.
 * Call it when no transaction is open on the topic (the writers are idle or stopped).
 */
export async function consumeAll(config: Pick<VigilConfig, 'kafka' | 'logLevel'>, topic: string, timeoutMs: number): Promise<ConsumedMessage[]> {
  const logger = createLogger(config.logLevel, { helper: 'consumeAll', topic });
  const kafka = createKafka(config, logger, { clientId: `${config.kafka.clientId}-consumeAll` });
  const ends = await endOffsets(kafka, topic);
  const position = new Map<number, bigint>();
  const messages: ConsumedMessage[] = [];
  const done = () => [...ends].every(([p, end]) => (position.get(p) ?? 0n) >= end);
  if (done()) return [];
  const consumer = kafka.consumer({
    groupId: `${config.kafka.groupId}.consumeAll.${randomBytes(4).toString('hex')}`,
    readUncommitted: false,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 100,
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`consumeAll: ${topic} not read to its end within ${timeoutMs} ms (${messages.length} messages)`)), timeoutMs);
      // Batch events also report batches of transaction markers only, so the position is exact.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.lastOffset !== null && payload.lastOffset !== undefined) position.set(payload.partition, BigInt(payload.lastOffset) + 1n);
        if (done()) resolve();
      });
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) if (BigInt(m.offset) < (ends.get(batch.partition) ?? 0n)) messages.push({ ...m, topic, partition: batch.partition });
          },
        })
        .catch(reject);
    });
    return messages.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => {});
  }
}
