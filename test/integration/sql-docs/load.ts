/** Inserts the data set the way the pipeline writes it (the plan in dataset.ts), through any writer client. */
import type { ClickHouseClient } from '@clickhouse/client';
import { alertEventRow, anomalyRow, pointRow, slaSnapshotRow } from '../../../pipeline/storage/rows.ts';
import type { Dataset } from './dataset.ts';

export async function loadDataset(client: ClickHouseClient, database: string, data: Dataset): Promise<void> {
  const insert = (table: string, values: object[]) => client.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });
  for (const batch of data.pointBatches) await insert('points', batch.map((p) => pointRow(p, data.nowMs)));
  for (const batch of data.anomalyBatches) await insert('anomalies', batch.map(anomalyRow));
  for (const batch of data.alertEventBatches) await insert('alert_events', batch.map(alertEventRow));
  for (const batch of data.slaSnapshotBatches) await insert('sla_snapshots', batch.map(slaSnapshotRow));
}
