/**
 * The pipeline's ClickHouse adapter: batched JSONEachRow inserts of a processed batch, and the
 * reads that rebuild a partition's state (changelog snapshots + points to replay). Every value
 * that reaches SQL here is a number the pipeline produced itself (partition, offsets), checked
 * to be an integer before use.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { AlertEvent, AnomalyEvent, ScoredPoint, SlaSnapshot } from '../../schemas/records.ts';
import { alertEventRow, anomalyRow, pointRow, slaSnapshotRow, type SeriesStateRow } from './rows.ts';

export interface BatchRows {
  points: ScoredPoint[];
  anomalies: AnomalyEvent[];
  alerts: AlertEvent[];
  sla: SlaSnapshot[];
}

export interface ReplayPoint {
  source: string;
  metric: string;
  value: number;
  timestamp_ms: string;
  kafka_offset: string;
}

function int(n: bigint | number): string {
  const s = String(n);
  if (!/^-?\d+$/.test(s)) throw new Error(`not an integer: ${s}`);
  return s;
}

export class ClickHouseSink {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  private table(name: string) {
    return `${this.database}.${name}`;
  }

  private async insert(table: string, values: unknown[]) {
    if (values.length === 0) return;
    await this.client.insert({ table: this.table(table), values, format: 'JSONEachRow' });
  }

  /**
   * Points on their own: once an INSERT of them succeeded, the rollup views counted them, so
   * nothing else's failure may send them again. One INSERT of a batch is atomic, which keeps the
   * stored offsets of a partition a prefix (the re-delivery skip relies on it).
   */
  async writePoints(points: ScoredPoint[], nowMs = Date.now()): Promise<void> {
    await this.insert('points', points.map((p) => pointRow(p, nowMs)));
  }

  /** Rows derived from points, deduplicated by their ids: safe to insert again. */
  async writeDerived(rows: Omit<BatchRows, 'points'>): Promise<void> {
    await Promise.all([
      this.insert('anomalies', rows.anomalies.map(anomalyRow)),
      this.insert('alert_events', rows.alerts.map(alertEventRow)),
      this.insert('sla_snapshots', rows.sla.map(slaSnapshotRow)),
    ]);
  }

  async writeSnapshots(rows: SeriesStateRow[]): Promise<void> {
    await this.insert('series_state', rows);
  }

  private async select<T>(query: string): Promise<T[]> {
    const rs = await this.client.query({ query, format: 'JSONEachRow' });
    return rs.json<T>();
  }

  async loadSnapshots(partition: number): Promise<SeriesStateRow[]> {
    return this.select<SeriesStateRow>(
      `SELECT kafka_partition, series_id, kafka_offset, source, metric, window_state, monitor_state, updated_at
       FROM ${this.table('series_state')} FINAL WHERE kafka_partition = ${int(partition)}`,
    );
  }

  /** Highest offset of this partition already in `points`, or -1 when there is none. */
  async maxInsertedOffset(partition: number): Promise<bigint> {
    const [row] = await this.select<{ n: string; m: string }>(
      `SELECT count() AS n, max(kafka_offset) AS m FROM ${this.table('points')} WHERE kafka_partition = ${int(partition)}`,
    );
    return row && Number(row.n) > 0 ? BigInt(row.m) : -1n;
  }

  /** Points with afterOffset < offset < beforeOffset, once each, in offset order. */
  async replayPoints(partition: number, afterOffset: bigint, beforeOffset: bigint): Promise<ReplayPoint[]> {
    if (beforeOffset <= afterOffset + 1n) return [];
    return this.select<ReplayPoint>(
      `SELECT source, metric, value, timestamp_ms, kafka_offset FROM ${this.table('points')}
       WHERE kafka_partition = ${int(partition)} AND kafka_offset > ${int(afterOffset)} AND kafka_offset < ${int(beforeOffset)}
       ORDER BY kafka_offset LIMIT 1 BY kafka_offset`,
    );
  }
}
