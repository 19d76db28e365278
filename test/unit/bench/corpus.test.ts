import { describe, expect, it } from 'vitest';
import { BASELINE_FEATURES, DETECTION_DELAY_ROWS, STEPS_MS, generateCorpus, generateSeries, weekendShare, type CorpusSeries } from '../../../bench/corpus/generate.ts';
import { LATE_GRACE_ROWS, judgeSeries, summarize, type Report } from '../../../bench/corpus/evaluate.ts';
import { ANOMALY_TYPES } from '../../../schemas/records.ts';

const corpus = generateCorpus({ seed: 1, perType: 12, normal: 30 });

describe('labelled corpus generator', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const again = generateCorpus({ seed: 1, perType: 12, normal: 30 });
    expect(again.map((s) => s.name)).toEqual(corpus.map((s) => s.name));
    expect(again[17].values).toEqual(corpus[17].values);
    expect(again[17].timestamps).toEqual(corpus[17].timestamps);
    const other = generateCorpus({ seed: 2, perType: 12, normal: 30 });
    expect(other[17].values).not.toEqual(corpus[17].values);
  });

  it('the weekly dip is a weekend: none on weekdays, full on Saturday and Sunday, smooth 6-hour edges', () => {
    const monday = Date.UTC(2026, 0, 5);
    const at = (day: number, hour: number) => weekendShare(monday + (day * 24 + hour) * 3_600_000);
    for (const hour of [0, 3, 6, 12]) expect(at(0, hour), `Monday ${hour}:00`).toBe(0);
    expect(at(2, 12)).toBe(0);
    expect(at(4, 21)).toBeCloseTo(0.5, 9);
    expect(at(5, 12)).toBe(1);
    expect(at(6, 12)).toBe(1);
    expect(at(6, 21)).toBeCloseTo(0.5, 9);
    // continuous everywhere, across the week's wrap too: no step of more than a raised-cosine minute
    let largest = 0;
    for (let m = 0; m < 2 * 7 * 24 * 60; m++) largest = Math.max(largest, Math.abs(weekendShare(monday + (m + 1) * 60_000) - weekendShare(monday + m * 60_000)));
    expect(largest).toBeLessThan(0.01);
  });

  it('holds perType series of each type, then the normal ones', () => {
    expect(corpus).toHaveLength(5 * 12 + 30);
    for (const [k, type] of ANOMALY_TYPES.entries()) {
      expect(corpus.slice(k * 12, (k + 1) * 12).every((s) => s.anomaly?.type === type), type).toBe(true);
    }
    expect(corpus.slice(60).every((s) => s.anomaly === null)).toBe(true);
  });

  it('varies the baseline within the advertised ranges', () => {
    const big = generateCorpus({ seed: 3, perType: 40, normal: 100 });
    for (const s of big) {
      expect(STEPS_MS).toContain(s.stepMs);
      expect(s.level).toBeGreaterThanOrEqual(5);
      expect(s.level).toBeLessThanOrEqual(20_000);
      expect(s.noise).toBeGreaterThanOrEqual(0.01);
      expect(s.noise).toBeLessThanOrEqual(0.08);
      expect(s.values.length).toBeLessThanOrEqual(4000);
      expect(s.values.length).toBeGreaterThanOrEqual(2000 - 300); // up to 3 gaps of 100 rows
      expect(s.values.every((v) => Number.isFinite(v) && v >= 0), s.name).toBe(true);
      for (let i = 1; i < s.timestamps.length; i++) if (!(s.timestamps[i] > s.timestamps[i - 1])) throw new Error(`${s.name}: row ${i} not after row ${i - 1}`);
      if (s.features.includes('integer')) expect(s.values.every((v) => Number.isInteger(v)), s.name).toBe(true);
    }
    for (const f of BASELINE_FEATURES) expect(big.filter((s) => s.features.includes(f)).length, f).toBeGreaterThan(5);
    expect(big.filter((s) => s.features.length === 0).length).toBeGreaterThan(5);
    for (const step of STEPS_MS) expect(big.filter((s) => s.stepMs === step).length).toBeGreaterThan(50);
    // gaps show as a missing stretch of at least 5 steps; irregular sampling as uneven steps
    const gapped = big.find((s) => s.features.includes('gaps'))!;
    expect(Math.max(...Array.from(gapped.timestamps.subarray(1), (t, i) => t - gapped.timestamps[i]))).toBeGreaterThanOrEqual(5 * gapped.stepMs);
    const irregular = big.find((s) => s.features.includes('irregular') && !s.features.includes('gaps'))!;
    const steps = new Set(Array.from(irregular.timestamps.subarray(1), (t, i) => t - irregular.timestamps[i]));
    expect(steps.size).toBeGreaterThan(100);
  });

  it('injects each anomaly exactly where its label says, and changes nothing before it', () => {
    for (const [index, s] of corpus.entries()) {
      if (!s.anomaly) continue;
      const clean = generateSeries(1, index, s.anomaly.type, { inject: false });
      expect(clean.timestamps).toEqual(s.timestamps);
      const diff = Array.from(s.values, (v, i) => v - clean.values[i]);
      const { start, end, deadline, type, magnitude } = s.anomaly;
      expect(start).toBeLessThanOrEqual(end);
      expect(start).toBeLessThan(deadline);
      expect(diff.slice(0, start).every((d) => d === 0), `${s.name}: changed before row ${start}`).toBe(true);
      const tol = s.unit; // rounding and the >= 0 clamp move a row by at most about one unit
      if (type === 'outlier' || type === 'spike' || type === 'drop') {
        // transient: back to the counterfactual right after its end
        expect(diff.slice(end + 1).every((d) => d === 0), `${s.name}: not back after row ${end}`).toBe(true);
        const peak = Math.max(...diff.slice(start, end + 1).map(Math.abs));
        expect(peak, s.name).toBeGreaterThan(magnitude * s.unit * 0.99 - tol);
        if (type === 'spike') expect(Math.min(...diff.slice(start, end + 1))).toBeGreaterThanOrEqual(-tol);
        if (type === 'drop') expect(Math.max(...diff.slice(start, end + 1))).toBeLessThanOrEqual(tol);
        expect(deadline - end).toBeLessThanOrEqual(DETECTION_DELAY_ROWS[type]);
      } else {
        // persistent: still different well after the start
        expect(diff.slice(start + 100).some((d) => Math.abs(d) > tol), s.name).toBe(true);
        expect(deadline - start).toBeLessThanOrEqual(DETECTION_DELAY_ROWS[type]);
      }
      if (type === 'trend_change') {
        // no jump: the first rows move by far less than the departure reached at the deadline
        expect(Math.abs(diff[start]), s.name).toBeLessThan(0.2 * s.unit + tol);
        expect(Math.abs(diff[deadline] ?? 0)).toBeGreaterThan(0.5 * magnitude * s.unit - tol);
      }
    }
  });
});

const series = (type: CorpusSeries['anomaly'] extends infer A ? A : never) => ({ name: 'x', features: [], anomaly: type });
const rep = (pointIndex: number, type: Report['type'], startTimestamp = pointIndex, version = 1): Report => ({ pointIndex, type, version, startTimestamp });

describe('judging reports against the labels', () => {
  const spike = { type: 'spike' as const, start: 1000, end: 1009, deadline: 1012, magnitude: 8, detail: '' };
  const level = { type: 'pattern_change' as const, start: 1000, end: 2999, deadline: 1300, magnitude: 6, detail: '' };

  it('detects within [start, deadline] and types by the episode\'s last version', () => {
    const o = judgeSeries(series(spike), [rep(1000, 'outlier', 5), rep(1002, 'spike', 5, 2)]);
    expect(o).toMatchObject({ detected: true, reportedType: 'spike', delayRows: 0, falseReports: [] });
    // a burst that never returns and is refined into a pattern change is judged a pattern change
    expect(judgeSeries(series(spike), [rep(1001, 'outlier', 5), rep(1004, 'spike', 5, 2), rep(1100, 'pattern_change', 5, 3)]).reportedType).toBe('pattern_change');
  });

  it('judges the first episode reported in time, not a later better one', () => {
    const o = judgeSeries(series(level), [rep(1003, 'outlier', 1), rep(1150, 'pattern_change', 2)]);
    expect(o).toMatchObject({ detected: true, reportedType: 'outlier', delayRows: 3 });
  });

  it('misses a report after the deadline; a late transient past the grace is also a false report', () => {
    expect(judgeSeries(series(spike), [rep(1013, 'spike')])).toMatchObject({ detected: false, falseReports: [] });
    expect(judgeSeries(series(spike), [rep(1012 + LATE_GRACE_ROWS + 1, 'spike')])).toMatchObject({ detected: false, falseReports: ['spike'] });
    // after a persistent change, later reports belong to the new regime: not counted
    expect(judgeSeries(series(level), [rep(1001, 'pattern_change'), rep(2500, 'outlier')]).falseReports).toEqual([]);
  });

  it('counts reports before the anomaly and every episode on a normal series as false', () => {
    expect(judgeSeries(series(level), [rep(400, 'trend_change'), rep(999, 'outlier'), rep(1000, 'pattern_change')])).toMatchObject({
      detected: true,
      reportedType: 'pattern_change',
      falseReports: ['trend_change', 'outlier'],
    });
    expect(judgeSeries(series(null), [rep(10, 'outlier'), rep(12, 'spike', 10, 2), rep(500, 'trend_change')]).falseReports).toEqual(['spike', 'trend_change']);
    expect(judgeSeries(series(null), []).falseReports).toEqual([]);
  });

  it('summarises detection, typing, the confusion matrix and normal false reports by feature', () => {
    const s = summarize([
      { name: 'a', features: [], injected: 'spike', detected: true, reportedType: 'spike', delayRows: 1, falseReports: [] },
      { name: 'b', features: [], injected: 'spike', detected: true, reportedType: 'outlier', delayRows: 3, falseReports: ['outlier'] },
      { name: 'c', features: [], injected: 'spike', detected: false, reportedType: null, delayRows: null, falseReports: [] },
      { name: 'd', features: ['daily'], injected: null, detected: false, reportedType: null, delayRows: null, falseReports: ['trend_change', 'trend_change'] },
      { name: 'e', features: ['daily', 'gaps'], injected: null, detected: false, reportedType: null, delayRows: null, falseReports: [] },
      { name: 'f', features: [], injected: null, detected: false, reportedType: null, delayRows: null, falseReports: [] },
    ]);
    expect(s).toMatchObject({ injected: 3, detected: 2, typedRight: 1, normal: 3, normalWithFalse: 1, anomalousWithFalse: 1 });
    expect(s.byType.spike).toMatchObject({ injected: 3, detected: 2, typedRight: 1, medianDelayRows: 2 });
    expect(s.byType.spike.confusion).toEqual({ outlier: 1, spike: 1, drop: 0, trend_change: 0, pattern_change: 0, missed: 1 });
    expect(s.byType.drop.injected).toBe(0);
    expect(s.normalFalseByType.trend_change).toBe(2);
    expect(s.normalByFeature.daily).toEqual({ series: 2, withFalse: 1 });
    expect(s.normalByFeature.gaps).toEqual({ series: 1, withFalse: 0 });
    expect(s.normalByFeature.plain).toEqual({ series: 1, withFalse: 0 });
    expect(s.anomalousByFeature.plain).toEqual({ series: 3, detected: 2, typedRight: 1 });
    expect(s.anomalousByFeature.daily).toEqual({ series: 0, detected: 0, typedRight: 0 });
  });
});
