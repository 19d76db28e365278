/**
 * Follows the incidents topic for the notifier. The topic is keyed by group key and compacted,
 * so it is its own changelog: the notifier's consumer group never commits, and every assigned
 * partition is read from its beginning, rebuilding the newest version of each incident. A
 * partition counts as live once it has been read up to where it ended at assignment; until then
 * its incidents are not evaluated, so a half-replayed (stale) state is never notified. Records
 * are read committed (the incident processor writes in transactions).
 */
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../../core/logger.ts';
import { decodeEvent } from '../../pipeline/codec/events.ts';
import type { IncidentEvent } from '../../schemas/records.ts';

export interface IncidentSource {
  isLive(partition: number): boolean;
  /** Partitions this member owns now. */
  assigned(): number[];
  close(): Promise<void>;
}

export interface IncidentSourceOptions {
  kafka: Kafka;
  topic: string;
  groupId: string;
  logger: Logger;
  onIncident(incident: IncidentEvent, partition: number): void;
  /** After each assignment, before its partitions are replayed. */
  onAssigned(partitions: number[]): Promise<void> | void;
  decode?: (value: Buffer) => IncidentEvent;
}

/** Decodes an incidents-topic value; throws (with the reason) on anything else. */
export function decodeIncident(value: Buffer): IncidentEvent {
  const decoded = decodeEvent(value) as { kind: string; record: unknown };
  if (decoded.kind !== 'incident') throw new Error(`expected an incident event, got a ${decoded.kind} event`);
  return decoded.record as IncidentEvent;
}

export async function startIncidentSource(opts: IncidentSourceOptions): Promise<IncidentSource> {
  const logger = opts.logger.child({ component: 'incident-source', topic: opts.topic });
  const decode = opts.decode ?? decodeIncident;
  /** Partition → offset it must be read up to before it is live (absent = live). */
  const pending = new Map<number, bigint>();
  /** Partition → next offset after the last batch read (this assignment). */
  const positions = new Map<number, bigint>();
  let owned: number[] = [];
  let generation = 0;

  const consumer: Consumer = opts.kafka.consumer({ groupId: opts.groupId, allowAutoTopicCreation: false, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 250 });
  const admin = opts.kafka.admin();
  await admin.connect();

  const caughtUp = (partition: number) => {
    const end = pending.get(partition);
    if (end !== undefined && (positions.get(partition) ?? 0n) >= end) {
      pending.delete(partition);
      logger.info({ partition }, 'incidents partition replayed; notifications for it are live');
    }
  };

  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    const partitions = [...(event.payload.memberAssignment[opts.topic] ?? [])].sort((a, b) => a - b);
    const gen = ++generation;
    owned = partitions;
    pending.clear();
    positions.clear();
    // Not live until their end offsets are known: set a bound no offset reaches, then the real one.
    for (const p of partitions) pending.set(p, BigInt(Number.MAX_SAFE_INTEGER));
    void (async () => {
      try {
        await opts.onAssigned(partitions);
        const offsets = await admin.fetchTopicOffsets(opts.topic);
        if (gen !== generation) return;
        for (const o of offsets) {
          if (!pending.has(o.partition)) continue;
          if (BigInt(o.high) <= BigInt(o.low)) pending.delete(o.partition);
          else pending.set(o.partition, BigInt(o.high));
          caughtUp(o.partition);
        }
        logger.info({ partitions, replaying: [...pending.keys()] }, 'incidents partitions assigned');
      } catch (err) {
        logger.error({ err }, 'cannot read incidents end offsets; partitions stay not live until the next assignment');
      }
    })();
  });
  // Also fires for batches holding only transaction markers or aborted records, which
  // eachMessage never sees: the end offset of a transactional topic is usually a marker.
  consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
    if (event.payload.topic !== opts.topic) return;
    const { partition } = event.payload;
    const next = BigInt(event.payload.lastOffset) + 1n;
    if (next > (positions.get(partition) ?? 0n)) positions.set(partition, next);
    caughtUp(partition);
  });

  await consumer.connect();
  await consumer.subscribe({ topic: opts.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      if (!message.value) return; // tombstone: the incident's group was cleaned up
      let incident: IncidentEvent;
      try {
        incident = decode(message.value);
      } catch (err) {
        logger.warn({ partition, offset: message.offset, err: (err as Error).message }, 'skipped an incidents record that does not decode');
        return;
      }
      opts.onIncident(incident, partition);
    },
  });

  return {
    isLive: (partition) => owned.includes(partition) && !pending.has(partition),
    assigned: () => [...owned],
    async close() {
      await consumer.disconnect();
      await admin.disconnect();
    },
  };
}
