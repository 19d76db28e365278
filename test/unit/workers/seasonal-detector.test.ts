/** The seasonal baseline inside the detector: residual scoring, conversion, reconfiguration. */
import { describe, expect, it } from 'vitest';
import { detectorParams } from '../../../workers/detector-params.ts';
import { SeriesDetector } from '../../../workers/series-detector.ts';
import { createSeriesState, inspectSeriesState, restoreSeriesState, snapshotSeriesState, stateLayout } from '../../../workers/series-state.ts';
import { DAY_MS, inspectSeason, SEASON_AUTO, SEASON_NONE } from '../../../workers/seasonal.ts';
import { gaussian } from './synthetic.ts';
import { scoreSeries } from './synthetic.ts';

const T0 = Date.UTC(2026, 0, 5);
const STEP = 300_000; // 5 minutes: 288 points a day
const auto = detectorParams({ windowMs: Infinity, seasonPeriod: SEASON_AUTO });
const none = detectorParams({ windowMs: Infinity, seasonPeriod: SEASON_NONE });

/** 10 days of a daily cycle (amplitude 30 % of the level, a second harmonic) under 2 % noise, plus `extra`. */
function dailySeries(days: number, extra: (i: number) => number = () => 0, seed = 21) {
  const g = gaussian(seed);
  const n = (days * DAY_MS) / STEP;
  const values = new Float64Array(n);
  const timestamps = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = i * STEP;
    const x = (2 * Math.PI * t) / DAY_MS;
    values[i] = 1000 + 300 * Math.sin(x + 0.7) + 90 * Math.sin(2 * x) + 20 * g() + extra(i);
    timestamps[i] = T0 + t;
  }
  return { values, timestamps };
}

describe('seasonal baseline in the detector', () => {
  it('a daily cycle with no anomaly stays silent', () => {
    const { values, timestamps } = dailySeries(10);
    const r = scoreSeries(auto, values, timestamps);
    const season = inspectSeason(new Float64Array(r.state), stateLayout(auto).season);
    expect(season).toMatchObject({ wanted: true, on: true });
    // nothing but, at most, a Gaussian-tail outlier (P(|z| ≥ 4) ≈ 6e-5 a point: ~0.2 in 2880)
    expect(r.findings.filter((f) => f.type !== 'outlier')).toEqual([]);
    expect(r.findings.length).toBeLessThanOrEqual(1);
    expect(r.findings.every((f) => f.version === 1)).toBe(true);
    // judged as residuals from day 2 on: the baseline's spread is the noise's, not the cycle's
    expect(r.std.at(-1)!).toBeLessThan(30);
    expect(scoreSeries(none, values, timestamps).std.at(-1)!).toBeGreaterThan(150);
  });

  it('a spike on top of the cycle is reported as a spike, with the cycle value as expected', () => {
    // day 6, 12:00: 8 points (40 min) 6 noise sd above the cycle; the cycle itself swings ±19 sd
    const at = 5 * 288 + 144;
    const { values, timestamps } = dailySeries(8, (i) => (i >= at && i < at + 8 ? 120 : 0), 23);
    const r = scoreSeries(auto, values, timestamps);
    const firsts = r.findings.filter((f) => f.version === 1 && f.pointIndex >= at - 288);
    expect(firsts).toHaveLength(1);
    expect(firsts[0].pointIndex).toBeGreaterThanOrEqual(at);
    expect(firsts[0].pointIndex).toBeLessThan(at + 3);
    const episode = r.findings.filter((f) => f.startTimestamp === firsts[0].startTimestamp);
    expect(episode.at(-1)!.type).toBe('spike');
    // expected is in the series' own units: the cycle's value there, not the residual's level
    const cycleAt = values[at] - 120;
    expect(Math.abs(firsts[0].expected - cycleAt)).toBeLessThan(60);
    expect(r.mean[at]).toBeCloseTo(firsts[0].expected, 6);
    // judged raw, the same spike hides in the cycle's spread
    const raw = scoreSeries(none, values, timestamps);
    expect(raw.findings.some((f) => f.type === 'spike' && f.pointIndex >= at && f.pointIndex < at + 8)).toBe(false);
  });

  it('batches split anywhere give the same result as one batch (the model lives in the state)', () => {
    const { values, timestamps } = dailySeries(4, (i) => (i === 700 ? 400 : 0));
    const whole = scoreSeries(auto, values, timestamps);
    const state = createSeriesState(auto);
    const cut = [0, 317, 401, 1000, 1151];
    const parts = cut.map((from, k) => scoreSeries(auto, values.slice(from, cut[k + 1]), timestamps.slice(from, cut[k + 1]), state));
    expect(Array.from(parts.flatMap((p) => Array.from(p.score)))).toEqual(Array.from(whole.score));
    expect(Buffer.from(new Uint8Array(state)).equals(snapshotSeriesState(whole.state))).toBe(true);
  });

  it('a restored state follows a changed period setting: residuals turned back into raw values, the model reset', () => {
    const { values, timestamps } = dailySeries(3);
    const r = scoreSeries(auto, values, timestamps);
    const layout = stateLayout(auto);
    expect(inspectSeason(new Float64Array(r.state), layout.season).on).toBe(true);
    const restored = restoreSeriesState(snapshotSeriesState(r.state), auto);
    expect(SeriesDetector.reconfigureSeason(restored, layout, auto, SEASON_AUTO)).toBe(false);
    expect(SeriesDetector.reconfigureSeason(restored, layout, auto, SEASON_NONE)).toBe(true);
    expect(inspectSeason(new Float64Array(restored), layout.season)).toMatchObject({ periodMs: 0, on: false, wanted: false });
    // the baseline holds the raw values again: its mean is that of the raw points (all 864 of them)
    expect(inspectSeriesState(restored, auto).baselinePoints).toBe(values.length);
    let mean = 0;
    for (let i = 0; i < values.length; i++) mean += values[i] / values.length;
    // (back with the shape of now, not of when each residual was taken: within a small share of the noise)
    expect(Math.abs(inspectSeriesState(restored, auto).mean - mean)).toBeLessThan(1);
    // and it scores on as a series without a model
    const more = dailySeries(4).values.slice(864, 900);
    const moreAt = dailySeries(4).timestamps.slice(864, 900);
    scoreSeries(auto, more, moreAt, restored);
    expect(inspectSeason(new Float64Array(restored), layout.season).periodMs).toBe(0);
  });

  it('seasonPeriod none costs nothing: the seasonal region is never written', () => {
    const { values, timestamps } = dailySeries(3);
    const { season } = stateLayout(none);
    const fresh = new Float64Array(createSeriesState(none)).slice(season);
    const r = scoreSeries(none, values, timestamps);
    expect(Array.from(new Float64Array(r.state).slice(season))).toEqual(Array.from(fresh));
  });

  it('refuses a hostile seasonPeriod naming the field', () => {
    for (const bad of [Number.NaN, 12.5, -2, 60, 1e12, Infinity]) {
      expect(() => detectorParams({ seasonPeriod: bad })).toThrow(/seasonPeriod/);
      expect(() => createSeriesState(auto, bad)).toThrow(/seasonPeriod/);
    }
  });
});

describe('trend reports while a cycle may still be found (auto)', () => {
  const MIN = 60_000;
  /** A 1-minute series: a daily cycle under 2 % noise for `days`, then `after(i)` added. */
  function minuteSeries(days: number, amplitude: number, after: (i: number) => number = () => 0, seed = 31) {
    const g = gaussian(seed);
    const n = (days * DAY_MS) / MIN;
    const values = new Float64Array(n);
    const timestamps = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const t = i * MIN;
      values[i] = 1000 + amplitude * Math.sin((2 * Math.PI * t) / DAY_MS) + 20 * g() + after(i);
      timestamps[i] = T0 + t;
    }
    return { values, timestamps };
  }

  it('holds trend_change while the first day of a cycle looks like slope changes', () => {
    // 1.2 days at 1-minute steps: before the model's first decision; the cycle swings ±15 sd
    const { values, timestamps } = minuteSeries(1.2, 300);
    const held = scoreSeries(auto, values, timestamps);
    expect(inspectSeason(new Float64Array(held.state), stateLayout(auto).season).explained).toBeNaN();
    expect(held.findings.filter((f) => f.type === 'trend_change')).toEqual([]);
    // without the model the same points read as trend changes
    expect(scoreSeries(none, values, timestamps).findings.some((f) => f.type === 'trend_change')).toBe(true);
  });

  it('does not hold a series sampled so fast that the trend window sees a sliver of the period', () => {
    // 1-second steps: the 400-point window spans 6.7 minutes (< 1/64 of a day), so the trend
    // test runs from the start: a drift that stops after 30 minutes is found where it stops,
    // exactly as without the model, long before the model could decide
    const SEC = 1000;
    const at = 1800;
    const g = gaussian(35);
    const n = 4000;
    const values = new Float64Array(n);
    const timestamps = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      values[i] = 10 + g() + 0.01 * Math.min(i, at);
      timestamps[i] = T0 + i * SEC;
    }
    const r = scoreSeries(auto, values, timestamps);
    expect(inspectSeason(new Float64Array(r.state), stateLayout(auto).season).explained).toBeNaN();
    const trends = r.findings.filter((f) => f.type === 'trend_change');
    expect(trends.length).toBeGreaterThan(0);
    expect(Math.abs((trends[0].startTimestamp - T0) / SEC - at)).toBeLessThan(120);
    expect(r.findings).toEqual(scoreSeries(none, values, timestamps).findings);
    // the same drift stopping at point 1000 of 1700 at 1-minute steps (the window spans 6.7
    // hours; 1.2 days, before the model's first decision) is held; without the model it is found
    const m = 1700;
    const slowValues = values.slice(0, m).map((v, i) => v - 0.01 * Math.min(i, at) + 0.01 * Math.min(i, 1000));
    const slowTimes = timestamps.slice(0, m).map((t) => T0 + (t - T0) * 60);
    const slow = scoreSeries(auto, slowValues, slowTimes);
    expect(inspectSeason(new Float64Array(slow.state), stateLayout(auto).season).explained).toBeNaN();
    expect(slow.findings.filter((f) => f.type === 'trend_change')).toEqual([]);
    expect(scoreSeries(none, slowValues, slowTimes).findings.some((f) => f.type === 'trend_change')).toBe(true);
  });

  it('reports a real slope change once the model has decided there is no cycle', () => {
    // 2.5 days of flat noise, then a ramp of 0.025 noise sd a minute for 3 hours
    const start = Math.round((2.5 * DAY_MS) / MIN);
    const { values, timestamps } = minuteSeries(2.5 + 3 / 24, 0, (i) => (i >= start ? 0.5 * (i - start) : 0), 33);
    const r = scoreSeries(auto, values, timestamps);
    const season = inspectSeason(new Float64Array(r.state), stateLayout(auto).season);
    expect(season.wanted).toBe(false);
    expect(Number.isNaN(season.explained)).toBe(false);
    const trend = r.findings.filter((f) => f.type === 'trend_change' && f.pointIndex >= start);
    expect(trend.length).toBeGreaterThan(0);
    expect(r.findings.filter((f) => f.pointIndex < start && f.type === 'trend_change')).toEqual([]);
    // found where the detector without the model finds it
    const plain = scoreSeries(none, values, timestamps).findings.filter((f) => f.type === 'trend_change' && f.pointIndex >= start);
    expect(trend[0].pointIndex).toBe(plain[0].pointIndex);
  });
});

describe('weekly component in the detector (auto)', () => {
  const Q = 900_000; // 15 minutes: 96 points a day
  const WEEK = 7 * DAY_MS;
  const daily = detectorParams({ windowMs: Infinity, seasonPeriod: 86_400 });
  /** T0 is a Monday: Saturday and Sunday 200 lower (10 noise sd), 6-hour edges, on a ±150 daily cycle. */
  function weeklySeries(days: number, extra: (i: number) => number = () => 0, seed = 41) {
    const g = gaussian(seed);
    const n = (days * DAY_MS) / Q;
    const values = new Float64Array(n);
    const timestamps = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const t = i * Q;
      const h = (t % WEEK) / 3_600_000;
      const edge = (x: number) => 0.5 - 0.5 * Math.cos(Math.PI * x);
      const weekend = h < 114 ? 0 : h < 120 ? edge((h - 114) / 6) : h < 162 ? 1 : 1 - edge((h - 162) / 6);
      values[i] = 1000 + 150 * Math.sin((2 * Math.PI * t) / DAY_MS) - 200 * weekend + 20 * g() + extra(i);
      timestamps[i] = T0 + t;
    }
    return { values, timestamps };
  }
  const fromDay = (d: number) => (d * DAY_MS) / Q;

  it('from its second weekend on, a daily cycle with a weekend dip stays silent and is judged on the noise; the daily model alone judges it on the dip', () => {
    const { values, timestamps } = weeklySeries(35);
    const r = scoreSeries(auto, values, timestamps);
    expect(inspectSeason(new Float64Array(r.state), stateLayout(auto).season)).toMatchObject({ on: true, weeklyOn: true });
    const late = r.findings.filter((f) => f.version === 1 && f.pointIndex >= fromDay(12));
    // nothing but, at most, a Gaussian-tail outlier (~0.14 expected in 2,208 points)
    expect(late.filter((f) => f.type !== 'outlier')).toEqual([]);
    expect(late.length).toBeLessThanOrEqual(1);
    // judged as residuals of both: the spread is the noise's
    expect(r.std.at(-1)!).toBeLessThan(30);
    // the daily model alone (a configured period has no weekly component) takes the first
    // weekend's drop as a new regime and from then on its baseline spans both levels: 5 noise sd
    const dailyOnly = scoreSeries(daily, values, timestamps);
    expect(dailyOnly.std.at(-1)!).toBeGreaterThan(80);
  });

  it('a spike on the fourth Saturday is reported as a spike, with the weekend value as expected', () => {
    const at = fromDay(26) + 48; // Saturday of week 4, 12:00
    const { values, timestamps } = weeklySeries(30, (i) => (i >= at && i < at + 6 ? 160 : 0), 43);
    const r = scoreSeries(auto, values, timestamps);
    const firsts = r.findings.filter((f) => f.version === 1 && f.pointIndex >= fromDay(12));
    expect(firsts).toHaveLength(1);
    expect(firsts[0].pointIndex).toBeGreaterThanOrEqual(at);
    expect(firsts[0].pointIndex).toBeLessThan(at + 3);
    expect(r.findings.filter((f) => f.startTimestamp === firsts[0].startTimestamp).at(-1)!.type).toBe('spike');
    // the weekend's value there (level − dip + cycle), not the weekday one
    expect(Math.abs(firsts[0].expected - (values[at] - 160))).toBeLessThan(60);
    // with the daily model alone the same 8-sd spike hides in that spread
    const d = scoreSeries(daily, values, timestamps);
    expect(d.findings.some((f) => f.pointIndex >= at && f.pointIndex < at + 6)).toBe(false);
  });

  it('batches split anywhere give the same result as one batch, across the weekly declaration', () => {
    const { values, timestamps } = weeklySeries(16);
    const whole = scoreSeries(auto, values, timestamps);
    const state = createSeriesState(auto);
    const cut = [0, 700, 1001, 1100, 1234, 1500];
    const parts = cut.map((from, k) => scoreSeries(auto, values.slice(from, cut[k + 1]), timestamps.slice(from, cut[k + 1]), state));
    expect(Array.from(parts.flatMap((p) => Array.from(p.score)))).toEqual(Array.from(whole.score));
    expect(Buffer.from(new Uint8Array(state)).equals(snapshotSeriesState(whole.state))).toBe(true);
    expect(inspectSeason(new Float64Array(state), stateLayout(auto).season).weeklyOn).toBe(true);
  });

  it('a restored state switched to none turns the residuals of both components back into raw values', () => {
    const { values, timestamps } = weeklySeries(16);
    const r = scoreSeries(auto, values, timestamps);
    const layout = stateLayout(auto);
    const restored = restoreSeriesState(snapshotSeriesState(r.state), auto);
    expect(SeriesDetector.reconfigureSeason(restored, layout, auto, SEASON_NONE)).toBe(true);
    const s = inspectSeriesState(restored, auto);
    let mean = 0;
    for (let i = values.length - s.baselinePoints; i < values.length; i++) mean += values[i] / s.baselinePoints;
    // (back with the shapes of now, not of when each residual was taken: within half a noise sd)
    expect(Math.abs(s.mean - mean)).toBeLessThan(10);
    expect(inspectSeason(new Float64Array(restored), layout.season)).toMatchObject({ periodMs: 0, on: false, weeklyOn: false });
  });
});
