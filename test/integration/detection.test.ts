/**
 * Detection end to end on the real broker and server: the seeded load generator's series, a
 * known set of injected incidents on some of them, sent with the producer SDK through the real
 * pipeline. Asserted from ClickHouse: every point stored once; every incident found where it
 * starts, with its type and an alert of the expected severity that resolves after recovery;
 * series without incidents produce no anomaly and no alert.
 *
 * Why the expected severities are what they are (default.anomaly, docs/alerts.md): the alert
 * takes the highest score of the episode's findings, score = z² / (z² + zThreshold²) with
 * zThreshold 4, so score ≥ 0.7 (low) from |z| ≈ 6.1, ≥ 0.85 (medium) from 9.5, ≥ 0.95 (high)
 * from 17.4. Spikes, drops and level shifts are scored by the largest |z| of their points
 * (magnitude + the noise of its points); an outlier only by its single opening point's
 * "inclusive" z, which saturates near √windowSize (≈ 14 here): no outlier scores high at this
 * window, and a 30σ outlier is only low-to-medium. The magnitudes below sit inside their bands.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { createTestEnv, type TestEnv } from '../support/index.ts';
import { createClickHouse } from '../../pipeline/storage/clickhouse.ts';
import { startPipeline, type PipelineHandle } from '../../pipeline/runtime/pipeline.ts';
import { createMetricProducer } from '../../pipeline/sdk/producer.ts';
import { createLoadGenerator, STANDARD_PROFILES, type GroundTruthIncident, type IncidentSpec, type LoadGenerator } from '../../pipeline/loadgen/index.ts';
import { DEFAULT_THRESHOLD_RULES } from '../../pipeline/alerts/default-rules.ts';
import { DEFAULT_SLAS } from '../../pipeline/sla/default-slas.ts';
import { STANDARD_METRICS, severityRank, type AnomalyType, type MetricPoint, type Severity } from '../../schemas/records.ts';
import { query, waitForCommitted } from './pipeline/scenario.ts';

const WINDOW = 200;
const POINTS = 600;
/** One point per 5 s of event time: a 15-point incident outlasts the 1-minute `for` of the response_time and availability rules. */
const RATE = 0.2;
const STEP_MS = 1000 / RATE;
const SEED = 1;
const SOURCES = ['source-1', 'source-2', 'source-3', 'source-4'];

interface Expected {
  type: AnomalyType;
  /** Severity of the incident's default.anomaly alert (null: no anomaly alert). */
  severity: Severity | null;
  /** A default threshold alert the incident must raise (and clear), if it crosses a bound for its rule's `for`. */
  threshold?: Severity;
  /** How many points after the incident start the anomaly may be dated (0: at the first changed point). */
  startSlack: number;
}

/** What the detector does today where it falls short of `expect` (asserted as is; the right outcome is an it.fails below). */
interface KnownGap {
  why: string;
  type?: AnomalyType;
  severity?: Severity | null;
}

type Case = IncidentSpec & { target: string; expect: Expected; gap?: KnownGap };

const sudden = (type: AnomalyType, severity: Severity, threshold?: Severity): Expected => ({ type, severity, threshold, startSlack: 0 });

const CASES: Case[] = [
  { kind: 'spike', at: { index: 200 }, target: 'source-1/response_time', magnitude: 7, expect: sudden('spike', 'low') },
  { kind: 'drop', at: { index: 250 }, target: 'source-1/throughput', magnitude: 13, expect: sudden('drop', 'medium') },
  { kind: 'outlier', at: { index: 300 }, target: 'source-1/cpu_usage', magnitude: 10, expect: sudden('outlier', 'low') },
  // the first shifted point may still be in band by its noise: dated up to 2 points late
  { kind: 'level_shift', at: { index: 350 }, target: 'source-1/memory_usage', magnitude: 6, expect: { ...sudden('pattern_change', 'low'), startSlack: 2 } },
  { kind: 'spike', at: { index: 220 }, target: 'source-2/queue_size', magnitude: 25, expect: sudden('spike', 'high') },
  { kind: 'drop', at: { index: 260 }, target: 'source-2/accuracy', magnitude: 7, expect: sudden('drop', 'low') },
  { kind: 'outlier', at: { index: 280 }, target: 'source-2/cpu_usage', magnitude: 10, expect: sudden('outlier', 'low') },
  { kind: 'level_shift', at: { index: 400 }, target: 'source-2/error_rate', magnitude: 6, expect: { ...sudden('pattern_change', 'low'), startSlack: 2 } },
  { kind: 'outlier', at: { index: 330 }, target: 'source-2/throughput', magnitude: 30, expect: sudden('outlier', 'medium') },
  // 1200 ms for 15 points (70 s): above the response_time low bound (1000 ms) for longer than its 1-minute `for`
  { kind: 'spike', at: { index: 300 }, target: 'source-3/response_time', magnitude: 50, points: 15, expect: sudden('spike', 'high', 'low') },
  { kind: 'spike', at: { index: 250 }, target: 'source-3/error_rate', magnitude: 13, expect: sudden('spike', 'medium') },
  // 99.85 % for 15 points: below the availability info bound (99.9 %) for longer than its 1-minute `for`
  { kind: 'drop', at: { index: 500 }, target: 'source-3/availability', magnitude: 10, points: 15, expect: sudden('drop', 'medium', 'info') },
  // found early by the slope test (3.7σ away: score 0.53, no alert) and re-reported while young as
  // it grows (≈ 7.6σ from the knot level: 0.81, low)
  { kind: 'trend_change', at: { index: 400 }, target: 'source-3/queue_size', expect: { type: 'trend_change', severity: 'low', startSlack: 40 } }, // 0.1σ per point: 50 → ~145 items by the end
  // the first burst of the wider noise opens as a drop and is refined to the variance change when
  // it ends, while its points are still out of the 200-point baseline
  { kind: 'variance_change', at: { index: 400 }, target: 'source-3/throughput', expect: { type: 'pattern_change', severity: 'low', startSlack: 40 } }, // noise ×4
];

/** What the detector does today for a case: the expectation, overridden by a known gap. */
const current = (c: Case): Expected => ({ ...c.expect, ...(c.gap?.type ? { type: c.gap.type } : {}), ...(c.gap && 'severity' in c.gap ? { severity: c.gap.severity! } : {}) });

interface StoredAnomaly {
  id: string;
  source: string;
  metric: string;
  type: AnomalyType;
  version: number;
  start_timestamp_ms: string;
  detected_timestamp_ms: string;
  score: number;
  confidence: number;
}

interface StoredAlertEvent {
  alert_id: string;
  source: string;
  metric: string;
  rule_id: string;
  kind: string;
  severity: Severity;
  status: string;
  version: number;
  timestamp_ms: string;
  reason: string;
  tag_keys: string[];
  tag_values: string[];
}

let env: TestEnv;
let ch: ClickHouseClient;
let pipeline: PipelineHandle;
let gen: LoadGenerator;
let produced: Map<string, { count: number; sum: number }>;
let anomalies: StoredAnomaly[];
let events: StoredAlertEvent[];

const seriesOf = (r: { source: string; metric: string }) => `${r.source}/${r.metric}`;
const indexAt = (ts: number | string) => (Number(ts) - gen.groundTruth.startMs) / STEP_MS;
const truthOf = (c: Case): GroundTruthIncident => gen.groundTruth.incidents.find((i) => i.seriesId === c.target && i.kind === c.kind && i.startIndex === (c.at as { index: number }).index)!;
const incidentSeries = new Set(CASES.map((c) => c.target));

beforeAll(async () => {
  env = await createTestEnv('detection', { overrides: { pipeline: { windowSize: WINDOW, workerThreads: 1 } } });
  ch = createClickHouse(env.config);
  gen = createLoadGenerator({
    sources: SOURCES,
    rate: RATE,
    points: POINTS,
    seed: SEED,
    // the last point a minute ago: synthetic event time, well inside the ingest limits
    startMs: Date.now() - POINTS * STEP_MS - 60_000,
    incidents: CASES.map(({ expect: _e, ...spec }) => spec),
    tags: { env: 'detection-test' },
  });
  pipeline = await startPipeline(env.config, env.logger, { snapshotIntervalMs: 2000 });

  produced = new Map();
  const producer = createMetricProducer({ config: env.config });
  await producer.connect();
  try {
    let chunk: MetricPoint[] = [];
    for (const point of gen.points()) {
      const id = seriesOf(point);
      const p = produced.get(id) ?? { count: 0, sum: 0 };
      produced.set(id, { count: p.count + 1, sum: p.sum + point.value });
      chunk.push(point);
      if (chunk.length === 2000) {
        await producer.send(chunk);
        chunk = [];
      }
    }
    if (chunk.length > 0) await producer.send(chunk);
  } finally {
    await producer.close();
  }
  await waitForCommitted(env.config, env.topics.metrics, 45_000);

  const db = env.config.clickhouse.database;
  anomalies = await query<StoredAnomaly>(
    ch,
    `SELECT id, source, metric, type, version, start_timestamp_ms, detected_timestamp_ms, score, confidence FROM ${db}.anomalies FINAL ORDER BY source, metric, start_timestamp_ms`,
  );
  events = await query<StoredAlertEvent>(
    ch,
    `SELECT alert_id, source, metric, rule_id, kind, severity, status, version, timestamp_ms, reason, tag_keys, tag_values FROM ${db}.alert_events FINAL ORDER BY source, metric, alert_id, version`,
  );
  printReport();
}, 90_000);

afterAll(async () => {
  await pipeline?.stop();
  await ch?.close();
  await env?.cleanup();
});

/** Alerts of one series, each as its ordered events. */
function alertsOf(id: string, kind?: string): StoredAlertEvent[][] {
  const byAlert = new Map<string, StoredAlertEvent[]>();
  for (const e of events) {
    if (seriesOf(e) !== id || (kind !== undefined && e.kind !== kind)) continue;
    byAlert.set(e.alert_id, [...(byAlert.get(e.alert_id) ?? []), e]);
  }
  return [...byAlert.values()].map((list) => list.sort((a, b) => a.version - b.version));
}

function matching(c: Case): StoredAnomaly[] {
  const truth = truthOf(c);
  return anomalies.filter((a) => seriesOf(a) === c.target && indexAt(a.start_timestamp_ms) >= truth.startIndex && indexAt(a.start_timestamp_ms) <= truth.startIndex + c.expect.startSlack);
}

const worst = (list: StoredAlertEvent[]) => list.reduce<Severity>((s, e) => (severityRank[e.severity] < severityRank[s] ? e.severity : s), 'info');

/** Severity of the series' one anomaly alert, null without one, 'several' with more. */
function alertSeverity(c: Case): Severity | null | 'several' {
  const alerts = alertsOf(c.target, 'anomaly');
  return alerts.length === 0 ? null : alerts.length > 1 ? 'several' : worst(alerts[0]);
}

function printReport(): void {
  const rows = CASES.map((c) => {
    const alert = alertsOf(c.target, 'anomaly')[0];
    return {
      incident: `${c.kind}×${c.magnitude ?? 'default'}`,
      series: c.target,
      at: truthOf(c).startIndex,
      found: matching(c).map((a) => `${a.type} v${a.version} @${indexAt(a.start_timestamp_ms)} score ${a.score.toFixed(2)}`).join(', ') || '-',
      expected: `${c.expect.type} / ${c.expect.severity ?? 'no alert'}`,
      alert: alert ? `${worst(alert)} ${alert[alert.length - 1].status}` : '-',
      gap: c.gap ? 'known gap' : '',
    };
  });
  const detected = CASES.filter((c) => matching(c).length > 0).length;
  const typed = CASES.filter((c) => matching(c).some((a) => a.type === c.expect.type)).length;
  const alerted = CASES.filter((c) => alertSeverity(c) === c.expect.severity).length;
  const truePositives = anomalies.filter((a) => CASES.some((c) => matching(c).includes(a))).length;
  const normalAlerts = events.filter((e) => !incidentSeries.has(seriesOf(e))).length;
  console.log(`detection: ${gen.series.length} series × ${POINTS} points, ${CASES.length} incidents, seed ${SEED}, windowSize ${WINDOW}`);
  console.table(rows);
  console.log(
    `recall ${detected}/${CASES.length} incidents found (${typed} with the right type, ${alerted} with the right alert severity); ` +
      `precision ${truePositives}/${anomalies.length} anomalies at an incident; ${normalAlerts} alert events on normal series`,
  );
}

describe('detection on generated load (real Kafka + ClickHouse)', () => {
  it('the generator baselines are healthy under the default rules and SLAs (≥ 4.5σ inside every bound)', () => {
    for (const metric of STANDARD_METRICS) {
      const p = STANDARD_PROFILES[metric];
      const rule = DEFAULT_THRESHOLD_RULES.find((r) => r.metric === metric)!;
      const mildest = rule.levels[rule.levels.length - 1].value;
      const edge = rule.direction === 'above' ? p.base + p.dailyAmplitude : p.base - p.dailyAmplitude;
      expect(rule.direction === 'above' ? mildest > edge : mildest < edge, `${metric} baseline beyond ${rule.id}`).toBe(true);
      expect(Math.abs(mildest - edge) / p.noise, `${metric} vs ${rule.id}`).toBeGreaterThanOrEqual(4.5);
      for (const sla of DEFAULT_SLAS.filter((s) => s.metric === metric)) {
        const worstPoint = sla.comparator.startsWith('l') ? p.base + p.dailyAmplitude : p.base - p.dailyAmplitude;
        expect(Math.abs(sla.threshold - worstPoint) / p.noise, `${metric} vs ${sla.id}`).toBeGreaterThanOrEqual(4.5);
      }
    }
  });

  it('stores every produced point exactly once, with its value', async () => {
    const db = env.config.clickhouse.database;
    const total = gen.series.length * POINTS;
    const [counts] = await query<{ final: string; raw: string }>(ch, `SELECT (SELECT count() FROM ${db}.points FINAL) AS final, (SELECT count() FROM ${db}.points) AS raw`);
    expect({ final: Number(counts.final), raw: Number(counts.raw) }).toEqual({ final: total, raw: total });
    const perSeries = await query<{ source: string; metric: string; n: string; instants: string; total: number }>(
      ch,
      `SELECT source, metric, count() AS n, uniqExact(timestamp_ms) AS instants, sum(value) AS total FROM ${db}.points FINAL GROUP BY source, metric`,
    );
    expect(perSeries).toHaveLength(produced.size);
    for (const row of perSeries) {
      const want = produced.get(seriesOf(row))!;
      expect({ id: seriesOf(row), n: Number(row.n), instants: Number(row.instants) }).toEqual({ id: seriesOf(row), n: want.count, instants: want.count });
      expect(row.total).toBeCloseTo(want.sum, 6);
    }
  });

  it('finds every injected incident where it starts, with its final type, and nothing else on its series', () => {
    for (const c of CASES) {
      const mine = anomalies.filter((a) => seriesOf(a) === c.target).map((a) => `${a.type}@${indexAt(a.start_timestamp_ms)}`);
      const found = matching(c);
      expect(found.map((a) => a.type), `${c.kind} on ${c.target} at ${truthOf(c).startIndex}: stored ${mine.join(', ')}`).toEqual([current(c).type]);
      expect(mine, `${c.target}: one anomaly for one incident`).toHaveLength(1);
    }
  });

  it('raises one anomaly alert per incident, of the expected severity, resolved after recovery', () => {
    for (const c of CASES) {
      const truth = truthOf(c);
      const want = current(c);
      const alerts = alertsOf(c.target, 'anomaly');
      const history = alerts.map((a) => a.map((e) => `v${e.version} ${e.status} ${e.severity} @${indexAt(e.timestamp_ms)} ${e.reason}`).join(' | '));
      if (want.severity === null) {
        expect(history, `${c.kind} on ${c.target}: no anomaly alert`).toEqual([]);
        continue;
      }
      expect(alerts, `${c.kind} on ${c.target}: ${history.join(' || ')}`).toHaveLength(1);
      const [alert] = alerts;
      expect(worst(alert), `${c.kind} on ${c.target}: ${history[0]}`).toBe(want.severity);
      // anomaly alerts never de-escalate: the last state carries the worst severity
      expect(alert[alert.length - 1].severity).toBe(want.severity);
      expect(indexAt(alert[0].timestamp_ms), `${c.target} opened`).toBeGreaterThanOrEqual(truth.startIndex);
      const last = alert[alert.length - 1];
      expect([last.status, last.reason], `${c.target}: ${history[0]}`).toEqual(['resolved', 'auto-resolved']);
      const resolvedAt = indexAt(last.timestamp_ms);
      if (truth.persistent) {
        // a persistent change has no "back to normal": resolved once the detector took the new
        // regime as normal, i.e. after its last report on the anomaly
        expect(resolvedAt, `${c.target} resolved (${history[0]})`).toBeGreaterThan(indexAt(matching(c)[0].detected_timestamp_ms));
      } else {
        // transient: resolved once the value is back — 2 points close the episode, 10 normal
        // points clear the alert — not before
        expect(resolvedAt, `${c.target} resolved (${history[0]})`).toBeGreaterThan(truth.endIndex);
        expect(resolvedAt, `${c.target} resolved (${history[0]})`).toBeLessThanOrEqual(truth.endIndex + 15);
      }
      expect(alert.map((e) => e.version)).toEqual(alert.map((_, i) => i + 1));
    }
  });

  it('raises threshold alerts only where an incident crosses a default bound for its `for`, and clears them after recovery', () => {
    const thresholdAlerts = events.filter((e) => e.kind === 'threshold');
    expect(new Set(thresholdAlerts.map(seriesOf))).toEqual(new Set(CASES.filter((c) => c.expect.threshold).map((c) => c.target)));
    for (const c of CASES.filter((x) => x.expect.threshold)) {
      const truth = truthOf(c);
      const alerts = alertsOf(c.target, 'threshold');
      expect(alerts, c.target).toHaveLength(1);
      const [alert] = alerts;
      expect(alert[0].rule_id).toBe(`default.${truth.metric}`);
      expect(worst(alert)).toBe(c.expect.threshold);
      // opened once the breach lasted the rule's `for` (1 min = 12 points), inside the incident
      expect(indexAt(alert[0].timestamp_ms)).toBe(truth.startIndex + 12);
      const last = alert[alert.length - 1];
      expect([last.status, last.reason]).toEqual(['resolved', 'auto-resolved']);
      expect(indexAt(last.timestamp_ms)).toBeGreaterThan(truth.endIndex);
    }
    expect(events.filter((e) => e.kind !== 'threshold' && e.kind !== 'anomaly').map((e) => `${seriesOf(e)} ${e.rule_id}`)).toEqual([]);
  });

  it("every stored alert event carries its series' tags (those of the points)", () => {
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect([e.tag_keys, e.tag_values], e.alert_id).toEqual([['env'], ['detection-test']]);
  });

  it('series without incidents: no anomaly and no alert', () => {
    const normal = gen.series.map((s) => s.seriesId).filter((id) => !incidentSeries.has(id));
    expect(normal.length).toBe(gen.series.length - CASES.length);
    expect(anomalies.filter((a) => !incidentSeries.has(seriesOf(a))).map((a) => `${seriesOf(a)} ${a.type}@${indexAt(a.start_timestamp_ms)}`)).toEqual([]);
    expect(events.filter((e) => !incidentSeries.has(seriesOf(e))).map((e) => `${seriesOf(e)} ${e.rule_id} ${e.severity}`)).toEqual([]);
  });
});

// The slow changes, once known gaps (trend: found small and never re-scored; variance: its first
// burst reported as a drop), each checked on its own. A case with a `gap` is the right outcome
// where the detector falls short: an it.fails, until the gap is closed and the `gap` goes.
describe('slow changes: type and alert severity', () => {
  for (const c of CASES.filter((x) => x.gap || x.kind === 'trend_change' || x.kind === 'variance_change')) {
    (c.gap ? it.fails : it)(`${c.kind} on ${c.target}: ${c.expect.type}, alert ${c.expect.severity ?? 'none'}${c.gap ? ` — today ${c.gap.why}` : ''}`, () => {
      expect(matching(c).map((a) => a.type)).toEqual([c.expect.type]);
      expect(alertSeverity(c)).toBe(c.expect.severity);
    });
  }
});

// Daily cycles (the load generator's, low at midnight UTC, high at noon; amplitude up to 6 noise
// sd) at 10-minute steps for 6 days, with the seasonal baseline on: once the cycle is declared
// (from about day 1.25: a day to see every phase, a quarter of a second to check it repeats)
// the series stay silent, and a spike on top of the cycle — inside the cycle's own swing, so
// hidden in the raw spread — is still found and typed as a spike.
describe('seasonal series (pipeline.seasonPeriod auto)', () => {
  const S_STEP = 600_000;
  const S_POINTS = 6 * 144;
  /** By this index every series has declared its cycle (1.4 days). */
  const WARM = 200;
  const SPIKE = { kind: 'spike' as const, at: { index: 450 }, target: 'source-1/throughput', magnitude: 10, points: 6 };
  let senv: TestEnv;
  let sch: ClickHouseClient;
  let spipeline: PipelineHandle;
  let sgen: LoadGenerator;
  let stored: StoredAnomaly[];
  const sIndexAt = (ts: number | string) => (Number(ts) - sgen.groundTruth.startMs) / S_STEP;

  beforeAll(async () => {
    senv = await createTestEnv('detection-seasonal', {
      overrides: { pipeline: { windowSize: WINDOW, windowMs: 7 * 86_400_000, seasonPeriod: 'auto', noDataMs: 2 * 86_400_000, workerThreads: 1 } },
    });
    sch = createClickHouse(senv.config);
    sgen = createLoadGenerator({
      sources: ['source-1', 'source-2'],
      rate: 1000 / S_STEP,
      points: S_POINTS,
      seed: SEED,
      seasonality: true,
      // at a UTC midnight: the cycle follows the wall clock, so a start at another time of day
      // is another series (the outcome must not depend on when the test runs)
      startMs: Math.floor((Date.now() - S_POINTS * S_STEP - 60_000) / 86_400_000) * 86_400_000,
      incidents: [SPIKE],
    });
    spipeline = await startPipeline(senv.config, senv.logger, { snapshotIntervalMs: 2000 });
    const producer = createMetricProducer({ config: senv.config });
    await producer.connect();
    try {
      await producer.send([...sgen.points()]);
    } finally {
      await producer.close();
    }
    await waitForCommitted(senv.config, senv.topics.metrics, 45_000);
    stored = await query<StoredAnomaly>(
      sch,
      `SELECT id, source, metric, type, version, start_timestamp_ms, detected_timestamp_ms, score, confidence FROM ${senv.config.clickhouse.database}.anomalies FINAL ORDER BY source, metric, start_timestamp_ms`,
    );
  }, 90_000);

  afterAll(async () => {
    await spipeline?.stop();
    await sch?.close();
    await senv?.cleanup();
  });

  it('every series stays silent once its cycle is modelled', () => {
    expect(sgen.series.length).toBe(16);
    const late = stored.filter((a) => seriesOf(a) !== SPIKE.target && sIndexAt(a.start_timestamp_ms) >= WARM);
    expect(late.map((a) => `${seriesOf(a)} ${a.type}@${sIndexAt(a.start_timestamp_ms)}`)).toEqual([]);
    const onSpikeSeries = stored.filter((a) => seriesOf(a) === SPIKE.target && sIndexAt(a.start_timestamp_ms) >= WARM && sIndexAt(a.start_timestamp_ms) !== SPIKE.at.index);
    expect(onSpikeSeries).toEqual([]);
  });

  it('a spike on top of the cycle is found where it starts and typed as a spike', () => {
    const found = stored.filter((a) => seriesOf(a) === SPIKE.target && sIndexAt(a.start_timestamp_ms) === SPIKE.at.index);
    expect(found.map((a) => a.type)).toEqual(['spike']);
  });
});
