/**
 * The API's view of the compacted config topic (rules and SLA definitions). It reads the topic
 * from the beginning with a group of its own (no commits: every start re-reads the whole,
 * small, topic), keeps the latest DefinitionSet, and writes through the same topic so that every
 * pipeline instance and every API instance apply the same change.
 */
import type { Kafka, Producer } from 'kafkajs';
import { VigilError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { DefinitionSet, configKeyOf, parseConfigRecord } from '../../pipeline/alerts/definitions.ts';
import type { ConfigStore, DefinitionKind } from '../deps.ts';
import { followCompactedTopic } from '../../pipeline/kafka/compacted-topic.ts';

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
  const logger = opts.logger.child({ component: 'config-store', topic: opts.topic });
  let definitions = DefinitionSet.defaults();
  const view = await followCompactedTopic({
    kafka: opts.kafka,
    producer: opts.producer,
    topic: opts.topic,
    logger,
    groupPrefix: 'vigil-api-config',
    onRecord(key, value, at) {
      const parsed = parseConfigRecord(key, value);
      if (parsed.ok) definitions = definitions.withChange(parsed.change);
      else logger.warn({ ...at, key: parsed.key, reason: parsed.reason }, 'ignored invalid config record');
    },
    onReady: () => logger.info({ rules: definitions.rules().length, slas: definitions.slas().length }, 'config topic loaded'),
  });

  return {
    get ready() {
      return view.ready;
    },
    whenReady: () => view.whenReady(),
    definitions: () => definitions,
    async write(kind: DefinitionKind, id: string, value: object | null) {
      const key = configKeyOf(kind, id);
      const payload = value === null ? null : Buffer.from(JSON.stringify(value), 'utf8');
      // The pipeline applies the record with the same parser: refuse here what it would ignore.
      const check = parseConfigRecord(key, payload);
      if (!check.ok) throw new VigilError(`refusing to write an invalid config record: ${check.reason}`, { code: 'invalid-definition' });
      const written = await view.write(key, payload, opts.readBackTimeoutMs ?? 5000);
      if (written.outcome === 'timeout') {
        // The record is durable (acks = all); apply it locally so this instance answers
        // consistently until the consumer catches up and applies it again (idempotent).
        definitions = definitions.withChange(check.change);
        logger.warn({ key, partition: written.partition, offset: written.offset }, 'config record not read back in time; applied locally');
      }
    },
    close: () => view.close(),
  };
}
