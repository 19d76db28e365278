/**
 * Alert commands: published to the commands topic keyed by the series id (the same key and
 * partitioner as the metrics, so the command reaches the pipeline instance that owns the
 * series), then answered on the command-results topic. One long-lived consumer per API
 * instance reads the results (its own group, from the end as of start-up) and settles the
 * pending waits by command id.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { Logger } from '../../core/logger.ts';
import { decodeEvent, encodeEvent } from '../../pipeline/codec/events.ts';
import { seriesId, type AlertCommand, type CommandResult } from '../../schemas/records.ts';
import type { CommandBus } from '../deps.ts';
import { endOffsets, withTimeout } from '../../pipeline/kafka/offsets.ts';

/** The wire encoding of commands and results: the codec's Avro events. One place to change it. */
export function encodeCommand(command: AlertCommand): Buffer {
  return encodeEvent('command', command);
}

export function decodeCommandResult(value: Buffer): CommandResult | null {
  const decoded = decodeEvent(value);
  return decoded.kind === 'commandResult' ? decoded.record : null;
}

export interface KafkaCommandBus extends CommandBus {
  /** Resolves once the results consumer is positioned, so no result of a later command is missed. */
  whenReady(): Promise<void>;
  readonly pending: number;
  close(): Promise<void>;
}

export interface CommandBusOptions {
  kafka: Kafka;
  /** Must use the Java-compatible murmur2 partitioner (pipeline/kafka/client.ts). */
  producer: Producer;
  commandsTopic: string;
  resultsTopic: string;
  logger: Logger;
}

export async function startCommandBus(opts: CommandBusOptions): Promise<KafkaCommandBus> {
  const { kafka, producer, commandsTopic, resultsTopic } = opts;
  const logger = opts.logger.child({ component: 'command-bus' });
  const waiters = new Map<string, (result: CommandResult) => void>();

  // Position at the end as it is NOW, before joining: a result written between this moment and
  // the first fetch is still read (a plain "from latest" would resolve the end later).
  const start = await endOffsets(kafka, resultsTopic);
  const consumer: Consumer = kafka.consumer({
    groupId: `vigil-api-results-${randomUUID()}`,
    allowAutoTopicCreation: false,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 100,
  });
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  // Next offset to read per partition: the start-up end, then past every record read. After a
  // rejoin (broker restart, session timeout) the follower resumes there instead of "latest",
  // so results written meanwhile still settle their waits.
  const positions = new Map(start);
  consumer.on(consumer.events.GROUP_JOIN, () => {
    for (const [partition, offset] of positions) consumer.seek({ topic: resultsTopic, partition, offset: offset.toString() });
    markReady();
  });
  await consumer.connect();
  await consumer.subscribe({ topic: resultsTopic, fromBeginning: false });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      positions.set(partition, BigInt(message.offset) + 1n);
      if (!message.value || waiters.size === 0) return;
      let result: CommandResult | null;
      try {
        result = decodeCommandResult(message.value);
      } catch (err) {
        logger.warn({ partition, offset: message.offset, err }, 'undecodable command result skipped');
        return;
      }
      if (!result) return;
      const settle = waiters.get(result.commandId);
      if (settle) {
        waiters.delete(result.commandId);
        settle(result);
      }
    },
  });

  return {
    whenReady: () => ready,
    get pending() {
      return waiters.size;
    },
    async issue(command, waitMs) {
      // Register before publishing: the owner may answer before send() resolves.
      let settle!: (r: CommandResult) => void;
      const answered = new Promise<CommandResult>((resolve) => (settle = resolve));
      waiters.set(command.commandId, settle);
      try {
        await producer.send({
          topic: commandsTopic,
          acks: -1,
          messages: [
            {
              key: seriesId(command.source, command.metric),
              value: encodeCommand(command),
              headers: { 'vigil-command-id': command.commandId, 'vigil-kind': 'command' },
            },
          ],
        });
      } catch (err) {
        waiters.delete(command.commandId);
        throw err;
      }
      const result = await withTimeout(answered, waitMs, null);
      if (result === null) waiters.delete(command.commandId);
      return result;
    },
    async close() {
      waiters.clear();
      await consumer.disconnect();
    },
  };
}
