/**
 * Judges a detector's reports against the corpus labels. Pure: series + reports in, counts out.
 *
 * An episode is every report with the same startTimestamp (a report and its refinements); it
 * is *reported* at the row of its first report and *typed* by its last version (a burst that
 * does not return and becomes a pattern_change is judged as a pattern_change).
 *
 * - Detected: an episode is first reported at a row in [anomaly.start, anomaly.deadline].
 *   The first such episode is what the on-call person sees first: its type is the one judged.
 * - False report: an episode on a normal series; on an anomalous series one first reported before
 *   the anomaly, or — for transient types (outlier, spike, drop) — more than LATE_GRACE_ROWS past
 *   the deadline (after a persistent change the series is in a new regime, where what counts as
 *   false is not defined by the label).
 */
import { ANOMALY_TYPES, type AnomalyType } from '../../schemas/records.ts';
import { BASELINE_FEATURES, type BaselineFeature, type CorpusSeries } from './generate.ts';

export interface Report {
  pointIndex: number;
  type: AnomalyType;
  version: number;
  startTimestamp: number;
}

/** A late report of a transient anomaly is a miss, not also a false alarm, for this many rows. */
export const LATE_GRACE_ROWS = 50;

export interface SeriesOutcome {
  name: string;
  features: BaselineFeature[];
  injected: AnomalyType | null;
  detected: boolean;
  /** Final type of the first episode reported in time (null when missed or normal). */
  reportedType: AnomalyType | null;
  /** Rows from the anomaly's start to that episode's first report. */
  delayRows: number | null;
  /** Episodes counted as false reports, by final type. */
  falseReports: AnomalyType[];
}

export interface Episode<R extends Report = Report> {
  firstRow: number;
  /** The report made at firstRow (its first version). */
  first: R;
  finalType: AnomalyType;
  finalVersion: number;
}

/** Reports grouped by start timestamp, in order of their first report. */
export function episodes<R extends Report>(reports: R[]): Episode<R>[] {
  const byStart = new Map<number, Episode<R>>();
  for (const r of reports) {
    const e = byStart.get(r.startTimestamp);
    if (!e) byStart.set(r.startTimestamp, { firstRow: r.pointIndex, first: r, finalType: r.type, finalVersion: r.version });
    else {
      if (r.pointIndex < e.firstRow) {
        e.firstRow = r.pointIndex;
        e.first = r;
      }
      if (r.version >= e.finalVersion) {
        e.finalVersion = r.version;
        e.finalType = r.type;
      }
    }
  }
  return [...byStart.values()].sort((a, b) => a.firstRow - b.firstRow);
}

const TRANSIENT: ReadonlySet<AnomalyType> = new Set(['outlier', 'spike', 'drop']);

export function judgeSeries(series: Pick<CorpusSeries, 'name' | 'features' | 'anomaly'>, reports: Report[]): SeriesOutcome {
  const a = series.anomaly;
  const out: SeriesOutcome = { name: series.name, features: series.features, injected: a?.type ?? null, detected: false, reportedType: null, delayRows: null, falseReports: [] };
  for (const e of episodes(reports)) {
    if (!a) {
      out.falseReports.push(e.finalType);
    } else if (e.firstRow >= a.start && e.firstRow <= a.deadline) {
      if (!out.detected) {
        out.detected = true;
        out.reportedType = e.finalType;
        out.delayRows = e.firstRow - a.start;
      }
    } else if (e.firstRow < a.start || (TRANSIENT.has(a.type) && e.firstRow > a.deadline + LATE_GRACE_ROWS)) {
      out.falseReports.push(e.finalType);
    }
  }
  return out;
}

export interface TypeSummary {
  injected: number;
  detected: number;
  typedRight: number;
  /** Row of the confusion matrix: final reported type → count, plus `missed`. */
  confusion: Record<AnomalyType | 'missed', number>;
  /** Median rows from start to first report, over the detected ones. */
  medianDelayRows: number | null;
}

export interface CorpusSummary {
  byType: Record<AnomalyType, TypeSummary>;
  injected: number;
  detected: number;
  typedRight: number;
  normal: number;
  normalWithFalse: number;
  /** False-report episodes on normal series, by final type. */
  normalFalseByType: Record<AnomalyType, number>;
  /** Normal series and those with a false report, per baseline feature ('plain' = none). */
  normalByFeature: Record<BaselineFeature | 'plain', { series: number; withFalse: number }>;
  /** Anomalous series, detected in time and typed right, per baseline feature ('plain' = none). */
  anomalousByFeature: Record<BaselineFeature | 'plain', { series: number; detected: number; typedRight: number }>;
  /** Anomalous series with a false report outside their anomaly. */
  anomalousWithFalse: number;
}

const zeroTypes = (): Record<AnomalyType, number> => Object.fromEntries(ANOMALY_TYPES.map((t) => [t, 0])) as Record<AnomalyType, number>;

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function summarize(outcomes: SeriesOutcome[]): CorpusSummary {
  const byType = Object.fromEntries(
    ANOMALY_TYPES.map((t) => [t, { injected: 0, detected: 0, typedRight: 0, confusion: { ...zeroTypes(), missed: 0 }, medianDelayRows: null }]),
  ) as Record<AnomalyType, TypeSummary>;
  const delays = Object.fromEntries(ANOMALY_TYPES.map((t) => [t, [] as number[]])) as Record<AnomalyType, number[]>;
  const normalByFeature = Object.fromEntries([...BASELINE_FEATURES, 'plain'].map((f) => [f, { series: 0, withFalse: 0 }])) as CorpusSummary['normalByFeature'];
  const anomalousByFeature = Object.fromEntries([...BASELINE_FEATURES, 'plain'].map((f) => [f, { series: 0, detected: 0, typedRight: 0 }])) as CorpusSummary['anomalousByFeature'];
  const s: CorpusSummary = { byType, injected: 0, detected: 0, typedRight: 0, normal: 0, normalWithFalse: 0, normalFalseByType: zeroTypes(), normalByFeature, anomalousByFeature, anomalousWithFalse: 0 };
  for (const o of outcomes) {
    const hasFalse = o.falseReports.length > 0;
    if (o.injected === null) {
      s.normal++;
      if (hasFalse) s.normalWithFalse++;
      for (const t of o.falseReports) s.normalFalseByType[t]++;
      for (const f of o.features.length ? o.features : (['plain'] as const)) {
        normalByFeature[f].series++;
        if (hasFalse) normalByFeature[f].withFalse++;
      }
      continue;
    }
    for (const f of o.features.length ? o.features : (['plain'] as const)) {
      const row = anomalousByFeature[f];
      row.series++;
      if (o.detected) row.detected++;
      if (o.detected && o.reportedType === o.injected) row.typedRight++;
    }
    const t = byType[o.injected];
    t.injected++;
    s.injected++;
    if (hasFalse) s.anomalousWithFalse++;
    if (!o.detected) {
      t.confusion.missed++;
      continue;
    }
    t.detected++;
    s.detected++;
    delays[o.injected].push(o.delayRows!);
    t.confusion[o.reportedType!]++;
    if (o.reportedType === o.injected) {
      t.typedRight++;
      s.typedRight++;
    }
  }
  for (const type of ANOMALY_TYPES) byType[type].medianDelayRows = median(delays[type]);
  return s;
}
