/**
 * Repeated points: a point at a timestamp its series already holds among its recent points.
 * The decision is the detector's (SeriesDetector.repeatOf, on the series state at that point);
 * this is what the pipeline says about a conflicting one. Pure.
 *
 * Deterministic for replay and recovery, as the series limit (series-limit.ts): a repeat is
 * never stored in `points` nor scored, so a rebuild (snapshots + `points` replay) reproduces
 * the state every later decision was made on, and a re-delivered batch is decided the same.
 */
import type { IncomingPoint } from '../processor/score-points.ts';

/** The dead letter's detail of a conflicting sample: both values, which one is kept, what to do. */
export function duplicateTimestampDetail(p: IncomingPoint, firstValue: number): string {
  const ts = p.point.timestamp;
  return `series ${p.seriesId} already holds a point at ${new Date(ts).toISOString()} (${ts} ms) with value ${firstValue}; this record says ${p.point.value}: the first is kept and this one is not stored. One timestamp carries one value per series: send a correction at another timestamp, or fix the producer that writes two values for one instant`;
}
