/**
 * The notification log in ClickHouse: written by the notifier (user `default`), reloaded on
 * start. Values reaching SQL here are a number the notifier computed (a time bound), checked
 * to be an integer; table names come from the validated database identifier.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { plainIdentifier } from '../../pipeline/storage/clickhouse.ts';
import { attemptRow, isAttempt, notificationRow, recordFromRow, type NotificationRecord, type NotificationRow } from './records.ts';

export interface NotificationLog {
  write(records: NotificationRecord[]): Promise<void>;
  /** The latest version of every notification created at or after `sinceMs`. */
  loadSince(sinceMs: number): Promise<NotificationRecord[]>;
}

export function clickhouseNotificationLog(client: ClickHouseClient, database: string): NotificationLog {
  const db = plainIdentifier(database);
  const table = `${db}.notifications`;
  return {
    async write(records) {
      if (records.length === 0) return;
      const attempts = records.filter(isAttempt).map(attemptRow);
      await Promise.all([
        client.insert({ table, values: records.map(notificationRow), format: 'JSONEachRow' }),
        attempts.length > 0 ? client.insert({ table: `${db}.notification_attempts`, values: attempts, format: 'JSONEachRow' }) : undefined,
      ]);
    },
    async loadSince(sinceMs) {
      if (!Number.isSafeInteger(sinceMs)) throw new Error(`not an integer time: ${sinceMs}`);
      const rs = await client.query({
        query: `SELECT * FROM ${table} FINAL WHERE created_at >= toDateTime(${Math.max(0, Math.floor(sinceMs / 1000))}) AND created_at_ms >= ${Math.max(0, sinceMs)}`,
        format: 'JSONEachRow',
      });
      return (await rs.json<NotificationRow>()).map(recordFromRow);
    },
  };
}
