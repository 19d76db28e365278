/** The insert benches' rows: one lane's batch of `rows` scored points, offsets counting up across calls. */
import { STANDARD_METRICS, type ScoredPoint } from '../../schemas/records.ts';

export function lanePointsOf(rows: number): (lane: number) => ScoredPoint[] {
  let offset = 0;
  return (lane) => {
    const t0 = Date.now() - rows * 1000;
    return Array.from({ length: rows }, (_, i) => ({
      source: `svc-${i % 250}`,
      metric: STANDARD_METRICS[i % STANDARD_METRICS.length],
      value: 50 + (i % 13),
      timestamp: t0 + i * 1000,
      tags: {},
      partition: lane,
      offset: String(offset++),
      mean: 50,
      std: 3,
      zscore: 0.5,
      anomalyScore: 0.1,
    }));
  };
}
