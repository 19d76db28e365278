/**
 * The series-count limit of a partition (pipeline.maxSeries): which points of a batch may create
 * state and which are refused. Pure.
 *
 * Deterministic for replay and recovery: the decision for a record depends only on the series
 * its partition holds when the record comes up, and that set is a function of the partition's
 * accepted history — a refused point is dead-lettered, never stored in `points` nor scored, so a
 * rebuild (snapshots + `points` replay) never holds a refused series, and holds every accepted
 * one. Series are never evicted (their no-data alerts need the state), so a partition's count
 * only grows: once full, it keeps serving its series and refuses new ones until the limit is
 * raised.
 */
import type { IncomingPoint } from '../processor/score-points.ts';

/** Series each partition may hold: an instance owning every partition holds at most ~maxSeries. */
export function seriesLimitPerPartition(maxSeries: number, partitions: number): number {
  return Math.max(1, Math.ceil(maxSeries / Math.max(1, partitions)));
}

export interface SeriesAdmission {
  admitted: IncomingPoint[];
  refused: IncomingPoint[];
  /** Series the batch adds to the partition (admitted and not held before). */
  added: number;
}

/**
 * Splits a batch (in offset order) at the limit: points of series already held, and of the first
 * new series while there is room, are admitted; every point of a new series beyond it is refused.
 */
export function admitSeries(points: readonly IncomingPoint[], held: ReadonlySet<string> | ReadonlyMap<string, unknown>, limit: number): SeriesAdmission {
  const out: SeriesAdmission = { admitted: [], refused: [], added: 0 };
  let room = limit - held.size;
  const added = new Set<string>();
  for (const p of points) {
    if (held.has(p.seriesId) || added.has(p.seriesId)) {
      out.admitted.push(p);
    } else if (room > 0) {
      room--;
      added.add(p.seriesId);
      out.admitted.push(p);
    } else {
      out.refused.push(p);
    }
  }
  out.added = added.size;
  return out;
}

/** The dead letter's detail: which limit, how full, and the setting to raise. */
export function seriesLimitDetail(seriesId: string, partition: number, limit: number, maxSeries: number, partitions: number): string {
  return `series ${seriesId} is new and partition ${partition} already holds ${limit} series, its limit (pipeline.maxSeries ${maxSeries} over ${partitions} partitions); the series' points are refused until pipeline.maxSeries (VIGIL_MAX_SERIES) is raised`;
}
