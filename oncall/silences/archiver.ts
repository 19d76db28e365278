/**
 * On-call stage: copies every version of every silence from the silences topic into ClickHouse
 * `silences` (history for SQL: who silenced what, when, for how long). A consumer group of its
 * own commits only after the insert is acknowledged; a re-delivered version is the same row
 * (ReplacingMergeTree(version) by id), so a kill -9 between insert and commit changes nothing.
 */
import type { Kafka } from 'kafkajs';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '../../core/logger.ts';
import type { OncallDeps } from '../stage.ts';
import { parseSilenceRecord } from './record.ts';
import type { Silence } from './silence.ts';

export interface SilenceRow {
  id: string;
  version: number;
  matchers: string;
  starts_at: number;
  starts_at_ms: number;
  ends_at: number;
  ends_at_ms: number;
  created_by: string;
  comment: string;
  schedule: string;
  updated_at: number;
  updated_at_ms: number;
  updated_by: string;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

export function silenceRow(s: Silence): SilenceRow {
  return {
    id: s.id,
    version: s.version,
    matchers: JSON.stringify(s.matchers),
    starts_at: seconds(s.startsAt),
    starts_at_ms: s.startsAt,
    ends_at: seconds(s.endsAt),
    ends_at_ms: s.endsAt,
    created_by: s.createdBy,
    comment: s.comment,
    schedule: s.schedule ? JSON.stringify(s.schedule) : '',
    updated_at: seconds(s.updatedAt),
    updated_at_ms: s.updatedAt,
    updated_by: s.updatedBy,
  };
}

export interface SilenceArchiverDeps {
  kafka: Kafka;
  clickhouse: ClickHouseClient;
  /** Fully qualified or default-database table name. */
  table: string;
  topic: string;
  groupId: string;
  logger: Logger;
}

export async function startSilenceArchiver(deps: SilenceArchiverDeps): Promise<{ close(): Promise<void> }> {
  const logger = deps.logger.child({ component: 'silence-archiver', topic: deps.topic });
  const consumer = deps.kafka.consumer({ groupId: deps.groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 500, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topic: deps.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      const rows: SilenceRow[] = [];
      for (const message of batch.messages) {
        const parsed = parseSilenceRecord(message.key?.toString('utf8') ?? '', message.value);
        if (!parsed.ok) logger.warn({ partition: batch.partition, offset: message.offset, key: parsed.key, reason: parsed.reason }, 'invalid silence record not archived');
        else if (parsed.silence) rows.push(silenceRow(parsed.silence.silence));
      }
      // A failed insert throws: kafkajs retries the batch and nothing is committed meanwhile.
      if (rows.length > 0) await deps.clickhouse.insert({ table: deps.table, values: rows, format: 'JSONEachRow' });
      const last = batch.messages[batch.messages.length - 1];
      if (last) {
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
        resolveOffset(last.offset);
      }
      await heartbeat();
    },
  });
  logger.info('archiving silences to ClickHouse');
  return {
    async close() {
      await consumer.disconnect();
    },
  };
}

/** The archiver as an on-call stage (`silence-archive` in ONCALL_STAGES). */
export function startSilenceArchiveStage(deps: OncallDeps): Promise<{ close(): Promise<void> }> {
  return startSilenceArchiver({
    kafka: deps.kafka,
    clickhouse: deps.clickhouse,
    table: `${deps.config.clickhouse.database}.silences`,
    topic: deps.topics.silences,
    groupId: `${deps.config.kafka.groupId}-silence-archive`,
    logger: deps.logger,
  });
}
