/**
 * The API's view of the compacted config topic (rules and SLA definitions). It reads the topic
 * from the beginning with a group of its own (no commits: every start re-reads the whole,
 * small, topic), keeps the latest DefinitionSet, and writes through the same topic so that every
 * pipeline instance and every API instance apply the same change.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { VigilError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { DefinitionSet, configKeyOf, parseConfigRecord } from '../../pipeline/alerts/definitions.ts';
import type { ConfigStore, DefinitionKind } from '../deps.ts';
import { endOffsets, withTimeout } from './offsets.ts';

export interface KafkaConfigStore extends ConfigStore {
  /** Resolves once the topic has been read to its end as of start-up. */
  whenReady(): Promise<void>;
  close(): Promise<void>;
}

export interface ConfigStoreOptions {
  kafka: Kafka;
  producer: Producer;
  topic: string;
  logger: Logger;
  /** How long write() waits to read its own record back before applying it locally. */
  readBackTimeoutMs?: number;
}

export async function startConfigStore(opts: ConfigStoreOptions): Promise<KafkaConfigStore> {
  const { kafka, producer, topic } = opts;
  const logger = opts.logger.child({ component: 'config-store', topic });
  let definitions = DefinitionSet.defaults();
  /** Next offset to read, per partition. */
  const positions = new Map<number, bigint>();
  const readBackWaiters = new Set<{ partition: number; offset: bigint; resolve: () => void }>();

  const initialEnds = await endOffsets(kafka, topic);
  const pendingPartitions = new Map([...initialEnds].filter(([, end]) => end > 0n));
  let ready = pendingPartitions.size === 0;
  let markReady!: () => void;
  const readyPromise = new Promise<void>((resolve) => (markReady = resolve));
  if (ready) markReady();

  const consumer: Consumer = kafka.consumer({
    groupId: `vigil-api-config-${randomUUID()}`,
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
      const key = message.key?.toString('utf8') ?? '';
      const parsed = parseConfigRecord(key, message.value);
      if (parsed.ok) definitions = definitions.withChange(parsed.change);
      else logger.warn({ partition, offset: message.offset, key: parsed.key, reason: parsed.reason }, 'ignored invalid config record');
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
        if (pendingPartitions.size === 0 && !ready) {
          ready = true;
          logger.info({ rules: definitions.rules().length, slas: definitions.slas().length }, 'config topic loaded');
          markReady();
        }
      }
    },
  });

  return {
    get ready() {
      return ready;
    },
    whenReady: () => readyPromise,
    definitions: () => definitions,
    async write(kind: DefinitionKind, id: string, value: object | null) {
      const key = configKeyOf(kind, id);
      const payload = value === null ? null : Buffer.from(JSON.stringify(value), 'utf8');
      // The pipeline applies the record with the same parser: refuse here what it would ignore.
      const check = parseConfigRecord(key, payload);
      if (!check.ok) throw new VigilError(`refusing to write an invalid config record: ${check.reason}`, { code: 'invalid-definition' });
      const [meta] = await producer.send({ topic, acks: -1, messages: [{ key, value: payload }] });
      const offset = BigInt(meta.baseOffset ?? meta.offset ?? '-1');
      const partition = meta.partition;
      if ((positions.get(partition) ?? 0n) > offset) return;
      let resolveWaiter!: () => void;
      const seen = new Promise<void>((resolve) => (resolveWaiter = resolve));
      const waiter = { partition, offset, resolve: resolveWaiter };
      readBackWaiters.add(waiter);
      const outcome = await withTimeout(seen.then(() => 'seen' as const), opts.readBackTimeoutMs ?? 5000, 'timeout' as const);
      if (outcome === 'timeout') {
        readBackWaiters.delete(waiter);
        // The record is durable (acks = all); apply it locally so this instance answers
        // consistently until the consumer catches up and applies it again (idempotent).
        definitions = definitions.withChange(check.change);
        logger.warn({ key, partition, offset: offset.toString() }, 'config record not read back in time; applied locally');
      }
    },
    async close() {
      for (const w of readBackWaiters) w.resolve();
      readBackWaiters.clear();
      await consumer.disconnect();
    },
  };
}
