/** Live snapshots of a scored batch: at most one per series per `throttleMs` of wall time (live views are for humans). */
import type { LiveSnapshot, ScoredPoint } from '../../../schemas/records.ts';
import type { SeriesEntry } from '../../state/partition-state.ts';

export function liveSnapshots(lastBySeries: Map<SeriesEntry, ScoredPoint>, throttleMs: number, now: number): LiveSnapshot[] {
  const out: LiveSnapshot[] = [];
  for (const [entry, p] of lastBySeries) {
    if (now - entry.lastLiveAt < throttleMs) continue;
    entry.lastLiveAt = now;
    out.push({ source: p.source, metric: p.metric, timestamp: p.timestamp, value: p.value, mean: p.mean, std: p.std, zscore: p.zscore, anomalyScore: p.anomalyScore });
  }
  return out;
}
