/**
 * What one pipeline instance holds for one owned partition: every series' detector window
 * (a SharedArrayBuffer the workers update in place) and its alert/SLA monitor. The instance
 * that owns the partition is the only writer of these series' alerts.
 */
import type { SeriesMonitor } from '../alerts/series-monitor.ts';

export interface SeriesEntry {
  id: string;
  source: string;
  metric: string;
  window: SharedArrayBuffer;
  monitor: SeriesMonitor;
  /** Changed since the last changelog snapshot. */
  dirty: boolean;
  /** Wall clock of the last live snapshot sent (throttling is for humans, not replayed). */
  lastLiveAt: number;
}

export class PartitionState {
  readonly series = new Map<string, SeriesEntry>();
  /** Highest metrics offset reflected in this state (-1n: nothing yet). */
  stateOffset = -1n;
  /** Highest offset already stored in `points`: re-delivered offsets up to it are not re-inserted. */
  maxInsertedOffset = -1n;
  lastSnapshotAt = 0;

  constructor(readonly partition: number) {}

  dirtySeries(): SeriesEntry[] {
    return [...this.series.values()].filter((s) => s.dirty);
  }

  windowBytes(): number {
    let total = 0;
    for (const s of this.series.values()) total += s.window.byteLength;
    return total;
  }
}
