/**
 * The pipeline's ClickHouse adapter: the inserts of processed batches — points as RowBinary,
 * the derived rows and state snapshots as JSONEachRow, each table's concurrent inserts combined
 * (insert-coalescer.ts) — and the reads that rebuild a partition's state (changelog snapshots +
 * points to replay). Every value that reaches SQL here is a number the pipeline produced itself
 * (partition, offsets), checked to be an integer before use.
 */
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import type { AlertEvent, AnomalyEvent, ScoredPoint, SlaSnapshot } from '../../schemas/records.ts';
import { alertEventRow, anomalyRow, slaSnapshotRow, type SeriesStateRow } from './rows.ts';
import { InsertCoalescer } from './insert-coalescer.ts';
import { POINT_COLUMNS, pointsRowBinary } from './row-binary.ts';

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

/** Rows per combined INSERT: well under max_insert_block_size (1,048,576), so one INSERT stays one block. */
const MAX_COMBINED_ROWS = 250_000;

export interface SinkOptions {
  /**
   * Combine concurrent batches' points into one INSERT (default). Off on a cluster: there a
   * retried points INSERT must be the same block as the attempt whose answer was lost, so that
   * replicated deduplication drops it even when the replica asked for the stored offsets has
   * not fetched that attempt's part yet; a combined insert's block depends on what else was
   * waiting.
   */
  combinePoints?: boolean;
}

export class ClickHouseSink {
  private readonly points: InsertCoalescer<Buffer> | null;
  private readonly sendPoints: (chunks: Buffer[]) => Promise<void>;
  private readonly jsonTables = new Map<string, InsertCoalescer<unknown[]>>();

  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
    options: SinkOptions = {},
  ) {
    const query = `INSERT INTO ${this.table('points')} (${POINT_COLUMNS.join(', ')}) FORMAT RowBinary`;
    this.sendPoints = async (chunks) => {
      const { stream } = await this.client.exec({ query, values: Readable.from(chunks) });
      for await (const _ of stream); // the answer is empty; read it so the socket is reused
    };
    this.points = options.combinePoints === false ? null : new InsertCoalescer<Buffer>({ maxRows: MAX_COMBINED_ROWS, send: this.sendPoints });
  }

  /** Inserts sent and batches they carried, per table (fewer inserts than batches = combined). */
  insertStats(): Record<string, { inserts: number; chunks: number }> {
    const out: Record<string, { inserts: number; chunks: number }> = this.points ? { points: { ...this.points.stats } } : {};
    for (const [name, c] of this.jsonTables) out[name] = { ...c.stats };
    return out;
  }

  private table(name: string) {
    return `${this.database}.${name}`;
  }

  private async insert(table: string, values: unknown[]) {
    if (values.length === 0) return;
    let coalescer = this.jsonTables.get(table);
    if (!coalescer) {
      const name = this.table(table);
      coalescer = new InsertCoalescer<unknown[]>({
        maxRows: MAX_COMBINED_ROWS,
        send: async (chunks) => {
          await this.client.insert({ table: name, values: chunks.length === 1 ? chunks[0] : chunks.flat(), format: 'JSONEachRow' });
        },
      });
      this.jsonTables.set(table, coalescer);
    }
    await coalescer.write(values, values.length);
  }

  /**
   * Points on their own: once an INSERT of them succeeded, the rollup views counted them, so
   * nothing else's failure may send them again. A batch's points are in exactly one INSERT (with
   * other partitions' batches when they arrive together), which is atomic and keeps the stored
   * offsets of a partition a prefix (the re-delivery skip relies on it). `nowMs` is the rows'
   * ingested_at: the caller keeps it for every attempt of a batch, so a retry repeats the block.
   */
  async writePoints(points: ScoredPoint[], nowMs = Date.now()): Promise<void> {
    if (points.length === 0) return;
    const chunk = pointsRowBinary(points, nowMs);
    await (this.points ? this.points.write(chunk, points.length) : this.sendPoints([chunk]));
  }

  /** Rows derived from points, deduplicated by their ids: safe to insert again. */
  async writeDerived(rows: Omit<BatchRows, 'points'>): Promise<void> {
    await Promise.all([
      this.insert('anomalies', rows.anomalies.map(anomalyRow)),
      this.insert('alert_events', rows.alerts.map(alertEventRow)),
      this.insert('sla_snapshots', rows.sla.map(slaSnapshotRow)),
    ]);
  }

  /** Not combined: snapshot rows are large (the window bytes), so one partition's would only wait for another's. */
  async writeSnapshots(rows: SeriesStateRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.client.insert({ table: this.table('series_state'), values: rows, format: 'JSONEachRow' });
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

  /**
   * Points with afterOffset < offset < beforeOffset, once each, in offset order; at most `limit`
   * of them (the first ones) when given. A replay pages through a partition with it: the next
   * page starts after the last offset of the previous one (keyset), so the pages concatenated
   * are exactly the one-query answer and none is held longer than its scoring takes.
   */
  async replayPoints(partition: number, afterOffset: bigint, beforeOffset: bigint, limit?: number): Promise<ReplayPoint[]> {
    if (beforeOffset <= afterOffset + 1n) return [];
    if (limit !== undefined && !(Number.isSafeInteger(limit) && limit > 0)) throw new Error(`replay page size must be a positive integer, got ${limit}`);
    return this.select<ReplayPoint>(
      `SELECT source, metric, value, timestamp_ms, kafka_offset FROM ${this.table('points')}
       WHERE kafka_partition = ${int(partition)} AND kafka_offset > ${int(afterOffset)} AND kafka_offset < ${int(beforeOffset)}
       ORDER BY kafka_offset LIMIT 1 BY kafka_offset${limit === undefined ? '' : ` LIMIT ${int(limit)}`}`,
    );
  }
}
