/**
 * Writes committed incident events (read_committed) to ClickHouse `incident_events`, then
 * commits the offsets: at-least-once into a table whose (incident_id, version) key folds
 * re-deliveries, so every transition is stored once. The `incidents` table (latest state) is
 * filled from it by a materialized view; a re-inserted event has the same version there too.
 */
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../../core/logger.ts';
import { committedReader } from './consumer.ts';
import { decodeEvent } from '../../pipeline/codec/events.ts';
import type { ClickHouseClient } from '../../pipeline/storage/clickhouse.ts';
import type { IncidentEvent } from '../../schemas/records.ts';
import { incidentEventRow } from './rows.ts';

export interface IncidentSink {
  lastError(): string | null;
  close(): Promise<void>;
}

export async function startIncidentSink(opts: {
  kafka: Kafka;
  clickhouse: ClickHouseClient;
  topic: string;
  groupId: string;
  logger: Logger;
  onStored?: (n: number) => void;
}): Promise<IncidentSink> {
  const log = opts.logger.child({ component: 'incident-sink' });
  let lastError: string | null = null;
  const consumer: Consumer = committedReader(opts.kafka, opts.groupId);
  await consumer.connect();
  await consumer.subscribe({ topic: opts.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, heartbeat }) => {
      const events: IncidentEvent[] = [];
      for (const m of batch.messages) {
        if (!m.value) continue;
        try {
          const decoded = decodeEvent(m.value);
          if (decoded.kind === 'incident') events.push(decoded.record);
          else log.warn({ partition: batch.partition, offset: m.offset, kind: decoded.kind }, 'non-incident event on the incidents topic skipped');
        } catch (err) {
          log.warn({ err, partition: batch.partition, offset: m.offset }, 'undecodable record on the incidents topic skipped');
        }
      }
      try {
        if (events.length > 0) await opts.clickhouse.insert({ table: 'incident_events', values: events.map(incidentEventRow), format: 'JSONEachRow' });
        lastError = null;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
        throw err; // kafkajs retries the batch; nothing is committed before the insert succeeded
      }
      if (batch.messages.length > 0) {
        const last = batch.messages[batch.messages.length - 1].offset;
        await consumer.commitOffsets([{ topic: opts.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
      }
      opts.onStored?.(events.length);
      await heartbeat();
    },
  });
  return {
    lastError: () => lastError,
    close: () => consumer.disconnect(),
  };
}
