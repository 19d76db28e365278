/**
 * The known data the documented queries run on, as Vigil records placed relative to `nowMs`.
 * Every time sits well away (≥ 10 minutes) from the windows the queries use, so a few seconds
 * between building the data and running a query cannot move a row across a boundary.
 *
 * The insert plan splits data the way production produces it: points in several INSERTs (so a
 * rollup minute holds several partial states), anomaly refinements after their first version,
 * and some alert events, anomalies and SLA snapshots inserted twice (Kafka re-delivery), which
 * exact queries must not count twice. Points are never inserted twice: the pipeline doesn't,
 * and the rollup views would count them again.
 */
import type { AlertEvent, AlertKind, AlertStatus, AnomalyEvent, AnomalyType, ScoredPoint, Severity, SlaSnapshot } from '../../../schemas/records.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const time = { SECOND, MINUTE, HOUR, DAY };

export interface Dataset {
  nowMs: number;
  points: ScoredPoint[];
  /** Point INSERTs, in order; together they hold every point exactly once. */
  pointBatches: ScoredPoint[][];
  anomalies: AnomalyEvent[];
  anomalyBatches: AnomalyEvent[][];
  alertEvents: AlertEvent[];
  alertEventBatches: AlertEvent[][];
  slaSnapshots: SlaSnapshot[];
  slaSnapshotBatches: SlaSnapshot[][];
}

// ---------------------------------------------------------------------------------- points

interface SeriesPlan {
  source: string;
  metric: string;
  partition: number;
  /** Runs of points 2.5 s apart from each start time. */
  groups: Array<{ startMs: number; values: number[] }>;
}

/** Anomaly scores cycle through both sides of the 0.5 "anomalous" cut-off, 0.5 included. */
const SCORE_CYCLE = [0.1, 0.5, 0.49, 0.93, 0.2];

function floorTo(ms: number, unit: number): number {
  return Math.floor(ms / unit) * unit;
}

/** Deterministic, irregular values (no two equal) so quantiles are not trivially linear. */
function values(count: number, base: number, seed: number): number[] {
  const out: number[] = [];
  let x = seed;
  for (let i = 0; i < count; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(base + (x % 10000) / 37 + i / 1000);
  }
  return out;
}

function buildPoints(nowMs: number): ScoredPoint[] {
  // A minute 2 h ago and one 90 min ago: inside query 4's 3-hour window; one 5 h ago outside it.
  const minuteA = floorTo(nowMs - 2 * HOUR, MINUTE);
  const minuteB = floorTo(nowMs - 90 * MINUTE, MINUTE);
  const plans: SeriesPlan[] = [
    {
      source: 'checkout',
      metric: 'response_time',
      partition: 0,
      groups: [
        { startMs: floorTo(nowMs - 30 * HOUR, MINUTE), values: values(4, 80, 1) },
        { startMs: floorTo(nowMs - 5 * HOUR, MINUTE), values: values(6, 90, 2) },
        { startMs: minuteA + 1 * SECOND, values: values(20, 100, 3) },
        { startMs: minuteB + 3 * SECOND, values: values(7, 120, 4) },
      ],
    },
    {
      source: 'search',
      metric: 'response_time',
      partition: 1,
      groups: [
        { startMs: floorTo(nowMs - 20 * HOUR, MINUTE), values: values(5, 40, 5) },
        { startMs: floorTo(nowMs - 10 * HOUR, MINUTE), values: values(3, 45, 6) },
        // The newest point is a minute old: this series is not silent.
        { startMs: nowMs - 70 * SECOND, values: values(1, 50, 7) },
      ],
    },
    {
      source: 'web',
      metric: 'error_rate',
      partition: 2,
      groups: [
        { startMs: floorTo(nowMs - 3 * HOUR, MINUTE), values: values(6, 0.01, 8).map((v) => v / 1000) },
        { startMs: nowMs - 40 * MINUTE, values: [0.02] },
      ],
    },
    // Only older than a week: neither in the hour rollup window nor "went silent" recently.
    { source: 'web', metric: 'cpu_usage', partition: 3, groups: [{ startMs: nowMs - 8 * DAY, values: values(3, 30, 9) }] },
    { source: 'batch', metric: 'queue_size', partition: 3, groups: [{ startMs: nowMs - 3 * DAY, values: values(4, 10, 10) }] },
  ];
  const nextOffset = new Map<number, number>();
  const points: ScoredPoint[] = [];
  let scoreIndex = 0;
  for (const plan of plans) {
    for (const group of plan.groups) {
      group.values.forEach((value, i) => {
        const offset = nextOffset.get(plan.partition) ?? 0;
        nextOffset.set(plan.partition, offset + 1);
        points.push({
          source: plan.source,
          metric: plan.metric,
          value,
          timestamp: group.startMs + i * 2500 + (i % 3) * 7, // not whole seconds: ms are kept apart
          tags: { region: i % 2 ? 'eu' : 'us' },
          partition: plan.partition,
          offset: String(offset),
          mean: value * 0.9,
          std: 1.5,
          zscore: 0.4,
          anomalyScore: SCORE_CYCLE[scoreIndex++ % SCORE_CYCLE.length],
        });
      });
    }
  }
  return points;
}

// ------------------------------------------------------------------------------- anomalies

function anomaly(
  nowMs: number,
  id: string,
  source: string,
  metric: string,
  startAgoMs: number,
  versions: Array<{ type: AnomalyType; score: number; confidence: number }>,
): AnomalyEvent[] {
  const startTimestamp = nowMs - startAgoMs;
  return versions.map((v, i) => ({
    id,
    source,
    metric,
    type: v.type,
    version: i + 1,
    startTimestamp,
    detectedTimestamp: startTimestamp + (i + 1) * 5 * SECOND,
    value: 10 + i,
    expected: 5,
    zscore: 4 + i,
    score: v.score,
    confidence: v.confidence,
    pointCount: 2 + i * 3,
  }));
}

function buildAnomalies(nowMs: number): AnomalyEvent[][] {
  const refined = anomaly(nowMs, 'an-x1', 'checkout', 'response_time', 1 * HOUR, [
    { type: 'spike', score: 0.7, confidence: 0.8 },
    { type: 'pattern_change', score: 0.85, confidence: 0.9 },
  ]);
  const first = [
    refined[0],
    ...anomaly(nowMs, 'an-x2', 'checkout', 'response_time', 3 * HOUR, [{ type: 'outlier', score: 0.6, confidence: 0.7 }]),
    ...anomaly(nowMs, 'an-x3', 'checkout', 'response_time', 10 * HOUR, [{ type: 'drop', score: 0.55, confidence: 0.65 }]),
    ...anomaly(nowMs, 'an-y1', 'search', 'response_time', 2 * HOUR, [{ type: 'spike', score: 0.9, confidence: 0.95 }]),
    ...anomaly(nowMs, 'an-y2', 'search', 'response_time', 4 * HOUR, [{ type: 'outlier', score: 0.5, confidence: 0.6 }]),
    ...anomaly(nowMs, 'an-z1', 'web', 'error_rate', 5 * HOUR, [{ type: 'spike', score: 0.95, confidence: 0.9 }]),
    ...anomaly(nowMs, 'an-z2', 'web', 'error_rate', 6 * HOUR, [{ type: 'trend_change', score: 0.7, confidence: 0.8 }]),
    // 30 h ago: outside the 24-hour ranking, inside the 7-day type breakdown.
    ...anomaly(nowMs, 'an-w1', 'web', 'cpu_usage', 30 * HOUR, [
      { type: 'spike', score: 0.8, confidence: 0.5 },
      { type: 'pattern_change', score: 0.8, confidence: 0.75 },
    ]),
    // 8 days ago: outside every window.
    ...anomaly(nowMs, 'an-w2', 'web', 'cpu_usage', 8 * DAY, [{ type: 'spike', score: 0.99, confidence: 0.99 }]),
  ];
  // The refinement arrives later, in its own insert; a re-delivery repeats two rows.
  const second = [refined[1], first.find((a) => a.id === 'an-y1')!, refined[0]];
  return [first, second];
}

// ---------------------------------------------------------------------------- alert events

interface Step {
  atMs: number; // after opening
  status: AlertStatus;
  severity?: Severity; // default: unchanged
}

function alert(
  nowMs: number,
  spec: { source: string; metric: string; ruleId: string; kind: AlertKind; severity: Severity; openedAgoMs: number; steps?: Step[] },
): AlertEvent[] {
  const openedAt = nowMs - spec.openedAgoMs;
  const fingerprint = `${spec.source}|${spec.metric}|${spec.ruleId}`;
  const alertId = `al-${fingerprint}-${openedAt}`;
  const steps: Step[] = [{ atMs: 0, status: 'firing', severity: spec.severity }, ...(spec.steps ?? [])];
  let severity = spec.severity;
  return steps.map((step, i) => {
    severity = step.severity ?? severity;
    return {
      eventId: `${alertId}#${i + 1}`,
      alertId,
      fingerprint,
      source: spec.source,
      metric: spec.metric,
      ruleId: spec.ruleId,
      kind: spec.kind,
      severity,
      status: step.status,
      version: i + 1,
      timestamp: openedAt + step.atMs,
      openedAt,
      value: 3 + i,
      threshold: 2,
      message: `${spec.metric} on ${spec.source}`,
      actor: step.status === 'acknowledged' ? 'oncall' : 'pipeline',
      reason: i === 0 ? 'opened' : step.status,
      tags: {},
    };
  });
}

function buildAlertEvents(nowMs: number): AlertEvent[][] {
  const s = SECOND;
  const alerts = [
    // Acknowledged after 120.4 s, resolved after 600.2 s.
    alert(nowMs, { source: 'checkout', metric: 'response_time', ruleId: 'rt-high', kind: 'threshold', severity: 'critical', openedAgoMs: 3 * HOUR, steps: [
      { atMs: 120_400, status: 'acknowledged' },
      { atMs: 600_200, status: 'resolved' },
    ] }),
    // Opened high, updated, acknowledged at 300.7 s, escalated to critical (firing again),
    // acknowledged again: still open, MTTA counts the first acknowledgement.
    alert(nowMs, { source: 'search', metric: 'response_time', ruleId: 'rt-high', kind: 'threshold', severity: 'high', openedAgoMs: 2 * HOUR, steps: [
      { atMs: 30 * s, status: 'firing' },
      { atMs: 300_700, status: 'acknowledged' },
      { atMs: 400 * s, status: 'firing', severity: 'critical' },
      { atMs: 500 * s, status: 'acknowledged' },
    ] }),
    // Resolved by the pipeline without ever being acknowledged.
    alert(nowMs, { source: 'checkout', metric: 'error_rate', ruleId: 'anomaly-default', kind: 'anomaly', severity: 'high', openedAgoMs: 5 * HOUR, steps: [
      { atMs: 900 * s, status: 'resolved' },
    ] }),
    // Still firing.
    alert(nowMs, { source: 'checkout', metric: 'cpu_usage', ruleId: 'cpu-high', kind: 'threshold', severity: 'medium', openedAgoMs: 1 * HOUR }),
    // 40 days old: outside the 30-day MTTA window and every 7-day / 24-hour window.
    alert(nowMs, { source: 'web', metric: 'memory_usage', ruleId: 'mem-high', kind: 'threshold', severity: 'medium', openedAgoMs: 40 * DAY, steps: [
      { atMs: 60 * s, status: 'acknowledged' },
      { atMs: 120 * s, status: 'resolved' },
    ] }),
    alert(nowMs, { source: 'web', metric: 'cpu_usage', ruleId: 'nodata', kind: 'nodata', severity: 'info', openedAgoMs: 26 * HOUR, steps: [
      { atMs: 3600 * s, status: 'acknowledged' },
      { atMs: 7200 * s, status: 'resolved' },
    ] }),
    // Flapping: three alerts in 24 h for one fingerprint, the last still firing.
    alert(nowMs, { source: 'web', metric: 'error_rate', ruleId: 'er-high', kind: 'threshold', severity: 'low', openedAgoMs: 4 * HOUR, steps: [{ atMs: 300 * s, status: 'resolved' }] }),
    alert(nowMs, { source: 'web', metric: 'error_rate', ruleId: 'er-high', kind: 'threshold', severity: 'low', openedAgoMs: 3 * HOUR, steps: [{ atMs: 420 * s, status: 'resolved' }] }),
    alert(nowMs, { source: 'web', metric: 'error_rate', ruleId: 'er-high', kind: 'threshold', severity: 'low', openedAgoMs: 2 * HOUR }),
    // Three alerts too, but only two of them in the last 24 h: not flapping.
    alert(nowMs, { source: 'batch', metric: 'queue_size', ruleId: 'queue-high', kind: 'threshold', severity: 'low', openedAgoMs: 30 * HOUR, steps: [{ atMs: 180 * s, status: 'resolved' }] }),
    alert(nowMs, { source: 'batch', metric: 'queue_size', ruleId: 'queue-high', kind: 'threshold', severity: 'low', openedAgoMs: 20 * HOUR, steps: [{ atMs: 240 * s, status: 'resolved' }] }),
    alert(nowMs, { source: 'batch', metric: 'queue_size', ruleId: 'queue-high', kind: 'threshold', severity: 'low', openedAgoMs: 10 * HOUR, steps: [{ atMs: 60 * s, status: 'resolved' }] }),
    // Same rule on another series: rule counts span series.
    alert(nowMs, { source: 'search', metric: 'cpu_usage', ruleId: 'cpu-high', kind: 'threshold', severity: 'medium', openedAgoMs: 10 * HOUR + 30 * MINUTE, steps: [
      { atMs: 60 * s, status: 'resolved' },
    ] }),
    alert(nowMs, { source: 'search', metric: 'cpu_usage', ruleId: 'cpu-high', kind: 'threshold', severity: 'medium', openedAgoMs: 9 * HOUR }),
  ];
  const all = alerts.flat();
  // Re-delivery: the first two alerts' events once more, in a later insert.
  return [all, [...alerts[0], ...alerts[1]]];
}

// ---------------------------------------------------------------------------- SLA snapshots

function buildSlaSnapshots(nowMs: number): SlaSnapshot[][] {
  const snap = (slaId: string, source: string, metric: string, agoMs: number, objective: number, compliance: number, budget: number): SlaSnapshot => {
    const total = 1000;
    const good = Math.round(compliance * total);
    return {
      id: `sla-${slaId}-${source}-${nowMs - agoMs}`,
      slaId,
      source,
      metric,
      timestamp: nowMs - agoMs,
      windowMs: DAY,
      objective,
      compliance,
      good,
      total,
      errorBudgetRemaining: budget,
      burnRateFast: Math.round((1 - budget) * 100) / 10,
      burnRateSlow: Math.round((1 - budget) * 100) / 20,
      violated: compliance < objective,
    };
  };
  // Snapshots that must share a day sit at fixed hours of past days: offsets from now would
  // split a pair across midnight when the test runs in the early hours (UTC).
  const dayStart = Math.floor(nowMs / DAY) * DAY;
  const ago = (daysAgo: number, hour: number) => nowMs - (dayStart - daysAgo * DAY + hour * HOUR);
  const rows = [
    snap('rt-p95', 'checkout', 'response_time', ago(1, 22), 0.95, 0.96, 0.2),
    snap('rt-p95', 'checkout', 'response_time', ago(1, 20), 0.95, 0.93, -0.4),
    snap('rt-p95', 'checkout', 'response_time', ago(2, 22), 0.95, 0.97, 0.4),
    snap('rt-p95', 'checkout', 'response_time', ago(2, 21), 0.95, 0.94, -0.2),
    snap('rt-p95', 'checkout', 'response_time', ago(3, 22), 0.95, 0.99, 0.8),
    snap('rt-p95', 'checkout', 'response_time', 9 * DAY, 0.95, 0.5, -9),
    snap('rt-p95', 'search', 'response_time', ago(1, 21), 0.95, 0.99, 0.8),
    snap('rt-p95', 'search', 'response_time', ago(2, 18), 0.95, 0.98, 0.6),
    snap('err-1pct', 'checkout', 'error_rate', ago(1, 22.5), 0.99, 0.985, -0.5),
    snap('err-1pct', 'checkout', 'error_rate', ago(3, 20), 0.99, 0.995, 0.5),
    // Only a 10-day-old snapshot: still the latest for its SLA, outside the daily report.
    snap('avail', 'web', 'availability', 10 * DAY, 0.999, 0.9995, 0.5),
  ];
  // Re-delivered: the older snapshot of each pair, so a query that takes any row instead of the
  // latest one meets the stale copy first.
  return [rows, rows.filter((_, i) => i % 2 === 1)];
}

/** The distinct rows of re-delivered batches: what the tables hold once merged. */
function distinct<T>(batches: T[][], key: (row: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const row of batches.flat()) if (!seen.has(key(row))) seen.set(key(row), row);
  return [...seen.values()];
}

export function buildDataset(nowMs: number): Dataset {
  const points = buildPoints(nowMs);
  const anomalyBatches = buildAnomalies(nowMs);
  const alertEventBatches = buildAlertEvents(nowMs);
  const slaSnapshotBatches = buildSlaSnapshots(nowMs);
  return {
    nowMs,
    points,
    pointBatches: [0, 1, 2].map((k) => points.filter((_, i) => i % 3 === k)),
    anomalies: distinct(anomalyBatches, (a) => `${a.id}#${a.version}`),
    anomalyBatches,
    alertEvents: distinct(alertEventBatches, (e) => e.eventId),
    alertEventBatches,
    slaSnapshots: distinct(slaSnapshotBatches, (r) => r.id),
    slaSnapshotBatches,
  };
}
