/**
 * Partition state changelog, Kafka Streams style, with ClickHouse as the store:
 * - snapshot: after a batch is committed (at most every `snapshotIntervalMs`, and right after
 *   operator commands or no-data transitions, which replay cannot reproduce), every changed
 *   series' window bytes + monitor JSON are written with the offset they reflect;
 * - rebuild (partition assigned): newest snapshot per series, then the points after the newest
 *   snapshot offset and before the committed offset are replayed from `points` through the
 *   same processor with outputs discarded. The result equals the uninterrupted run's state.
 */
import type { Logger } from '../../core/logger.ts';
import { snapshotSeriesState } from '../../workers/series-state.ts';
import { VigilError } from '../../core/errors.ts';
import type { ClickHouseSink } from '../storage/writer.ts';
import type { SeriesStateRow } from '../storage/rows.ts';
import type { IncomingPoint } from '../processor/score-points.ts';
import { PartitionState, type SeriesEntry } from './partition-state.ts';

export interface SeriesFactory {
  fresh(seriesId: string, source: string, metric: string): SeriesEntry;
  restore(row: SeriesStateRow): SeriesEntry;
}

/**
 * Points per replay page: one ClickHouse query and one scoring call each, so a rebuild holds
 * at most this many points (290–610 B each in RSS, ~12 MiB) however long the history is. The
 * same size as the scoring chunks of the former one-query replay, so the points reach the
 * detector in the same calls as before. Larger pages mean fewer queries: the points table is
 * not ordered by (partition, offset), so each page scans those two columns of the whole table.
 */
export const REPLAY_PAGE_ROWS = 20_000;
/** Error codes of snapshots written by an incompatible build (detector layout, monitor format). */
const RESTORE_ERRORS = new Set(['STATE_LAYOUT', 'BAD_MONITOR_STATE']);

export class StateStore {
  constructor(
    private readonly sink: ClickHouseSink,
    private readonly factory: SeriesFactory,
    private readonly logger: Logger,
    private readonly replayPageRows = REPLAY_PAGE_ROWS,
  ) {
    if (!Number.isSafeInteger(replayPageRows) || replayPageRows < 1) throw new Error(`replay page size must be a positive integer, got ${replayPageRows}`);
  }

  /**
   * @param committedOffset next offset the group will read for this partition (-1 = none)
   * @param replay processes points into `state` and discards outputs
   */
  async rebuild(
    partition: number,
    committedOffset: bigint,
    replay: (state: PartitionState, points: IncomingPoint[]) => Promise<void>,
  ): Promise<PartitionState> {
    const started = Date.now();
    const state = new PartitionState(partition);
    state.maxInsertedOffset = await this.sink.maxInsertedOffset(partition);
    if (committedOffset < 0n) {
      this.logger.info({ partition }, 'no committed offset: starting partition with empty state');
      return state;
    }
    let newest = -1n;
    let skipped = 0;
    try {
      for (const row of await this.sink.loadSnapshots(partition)) {
        const offset = BigInt(row.kafka_offset);
        if (offset >= committedOffset) {
          skipped++;
          continue;
        }
        state.series.set(row.series_id, this.factory.restore(row));
        if (offset > newest) newest = offset;
      }
    } catch (err) {
      // A snapshot this build cannot read (state layout or window size changed): start every
      // series fresh and replay the partition's whole history from `points` instead.
      if (!(err instanceof VigilError) || !RESTORE_ERRORS.has(err.code ?? '')) throw err;
      this.logger.warn({ partition, err }, 'snapshots unreadable by this version: rebuilding from the full point history');
      state.series.clear();
      newest = -1n;
    }
    if (skipped > 0) {
      this.logger.warn({ partition, skipped, committedOffset: String(committedOffset) }, 'ignored snapshots newer than the committed offset');
    }
    state.stateOffset = newest;
    let replayed = 0;
    let pages = 0;
    for (let after = newest; ; ) {
      const page = await this.sink.replayPoints(partition, after, committedOffset, this.replayPageRows);
      if (page.length === 0) break;
      await replay(
        state,
        page.map(
          (r): IncomingPoint => ({
            point: { source: r.source, metric: r.metric, value: r.value, timestamp: Number(r.timestamp_ms), tags: {} },
            seriesId: `${r.source}/${r.metric}`,
            offset: r.kafka_offset,
          }),
        ),
      );
      replayed += page.length;
      pages++;
      if (page.length < this.replayPageRows) break;
      after = BigInt(page[page.length - 1].kafka_offset);
    }
    state.stateOffset = committedOffset - 1n;
    this.logger.info(
      { partition, series: state.series.size, snapshotOffset: String(newest), replayed, pages, ms: Date.now() - started },
      'partition state rebuilt',
    );
    return state;
  }

  rows(state: PartitionState, entries: SeriesEntry[], nowMs = Date.now()): SeriesStateRow[] {
    return entries.map((e) => ({
      kafka_partition: state.partition,
      series_id: e.id,
      kafka_offset: String(state.stateOffset),
      source: e.source,
      metric: e.metric,
      window_state: snapshotSeriesState(e.window).toString('base64'),
      monitor_state: JSON.stringify(e.monitor.toJSON()),
      updated_at: Math.floor(nowMs / 1000),
    }));
  }

  /** Writes every dirty series of the partition; call only when stateOffset is committed. */
  async snapshot(state: PartitionState, nowMs = Date.now()): Promise<number> {
    if (state.stateOffset < 0n) return 0;
    const dirty = state.dirtySeries();
    if (dirty.length > 0) {
      await this.sink.writeSnapshots(this.rows(state, dirty, nowMs));
      for (const e of dirty) e.dirty = false;
    }
    state.lastSnapshotAt = nowMs;
    return dirty.length;
  }
}
