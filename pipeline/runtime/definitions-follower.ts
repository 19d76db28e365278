/**
 * Follows the compacted config topic (rules and SLA definitions). Every pipeline instance
 * reads it whole from the beginning with a group of its own, applies each record to a
 * DefinitionSet and tells the caller, so rule changes take effect without a restart.
 * An empty topic is seeded with the defaults so operators see (and can edit) them.
 */
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../core/logger.ts';
import { DefinitionSet, parseConfigRecord, defaultConfigRecords } from '../alerts/definitions.ts';

export interface DefinitionsFollower {
  readonly definitions: DefinitionSet;
  stop(): Promise<void>;
}

async function topicIsEmpty(kafka: Kafka, topic: string): Promise<{ empty: boolean; ends: Map<number, bigint> }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)] as const));
    const empty = offsets.every((o) => o.high === o.low);
    return { empty, ends };
  } finally {
    await admin.disconnect();
  }
}

export async function seedDefaults(producer: Producer, topic: string): Promise<number> {
  const records = defaultConfigRecords();
  await producer.send({
    topic,
    acks: -1,
    messages: records.map((r) => ({ key: r.key, value: JSON.stringify(r.value) })),
  });
  return records.length;
}

export async function startDefinitionsFollower(opts: {
  kafka: Kafka;
  producer: Producer;
  topic: string;
  logger: Logger;
  onChange: (defs: DefinitionSet) => void;
  seed?: boolean;
}): Promise<DefinitionsFollower> {
  const { kafka, topic, logger } = opts;
  const definitions = new DefinitionSet();
  let { empty, ends } = await topicIsEmpty(kafka, topic);
  if (empty && opts.seed !== false) {
    const n = await seedDefaults(opts.producer, topic);
    logger.info({ topic, records: n }, 'config topic was empty: seeded default rules and SLAs');
    ({ ends } = await topicIsEmpty(kafka, topic));
  }
  const consumer: Consumer = kafka.consumer({ groupId: `vigil-config-${randomUUID()}`, allowAutoTopicCreation: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const pending = new Map(ends);
  for (const [p, end] of pending) if (end === 0n) pending.delete(p);
  let caughtUp!: () => void;
  const ready = new Promise<void>((r) => (caughtUp = r));
  if (pending.size === 0) caughtUp();
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const change = parseConfigRecord(message.key?.toString('utf8') ?? '', message.value);
      if (change.ok) {
        definitions.apply(change.change);
        if (pending.size === 0) opts.onChange(definitions.clone());
      } else {
        logger.warn({ topic, partition, offset: message.offset, reason: change.reason }, 'ignored invalid config record');
      }
      const end = pending.get(partition);
      if (end !== undefined && BigInt(message.offset) + 1n >= end) {
        pending.delete(partition);
        if (pending.size === 0) caughtUp();
      }
    },
  });
  await ready;
  opts.onChange(definitions.clone());
  logger.info({ topic, ...definitions.summary() }, 'definitions loaded');
  return {
    definitions,
    async stop() {
      await consumer.disconnect();
    },
  };
}
