import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLoadGenerator, parseDuration, parseGaps, parseIncidents, STANDARD_PROFILES, type LoadGenOptions } from '../../../pipeline/loadgen/index.ts';
import { STANDARD_METRICS } from '../../../schemas/records.ts';

const START = Date.UTC(2024, 0, 1);
const base: LoadGenOptions = { sources: 2, rate: 10, points: 600, seed: 7, startMs: START };
const digest = (opts: LoadGenOptions) => createHash('sha256').update(JSON.stringify([...createLoadGenerator(opts).points()])).digest('hex');
const valuesOf = (opts: LoadGenOptions, seriesId: string) =>
  [...createLoadGenerator(opts).points()].filter((p) => `${p.source}/${p.metric}` === seriesId).map((p) => p.value);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

describe('load generator: determinism and shape', () => {
  it('the same options give the same points; another seed gives others', () => {
    expect(digest(base)).toBe(digest({ ...base }));
    expect(digest({ ...base, seed: 8 })).not.toBe(digest(base));
    const gen = createLoadGenerator(base);
    expect(JSON.stringify([...gen.points()])).toBe(JSON.stringify([...gen.points()])); // restartable
  });

  it('a series keeps its values when other sources or metrics are added', () => {
    const id = 'source-2/cpu_usage';
    expect(valuesOf({ ...base, sources: 5 }, id)).toEqual(valuesOf(base, id));
    expect(valuesOf({ ...base, metrics: ['cpu_usage'] }, id)).toEqual(valuesOf(base, id));
  });

  it('defaults to the eight standard metrics; timestamps advance by 1/rate; duration sets the count', () => {
    const gen = createLoadGenerator({ ...base, sources: ['web', 'db'], points: undefined, durationMs: 60_000 });
    expect(gen.series.map((s) => s.seriesId)).toEqual([...['web', 'db'].flatMap((s) => STANDARD_METRICS.map((m) => `${s}/${m}`))]);
    expect(gen.pointsPerSeries).toBe(600);
    const ticks = [...gen.ticks()];
    expect(ticks).toHaveLength(600);
    expect(ticks[0].timestamp).toBe(START);
    expect(ticks[1].timestamp).toBe(START + 100);
    expect(ticks[599].timestamp).toBe(START + 59_900);
    expect(ticks[0].points).toHaveLength(16);
    expect(createLoadGenerator({ ...base, rate: 0.5, points: 3 }).timestampOf(2)).toBe(START + 4000);
  });

  it('noise is Gaussian around each profile with its standard deviation', () => {
    const opts = { ...base, sources: 1, points: 4000 };
    for (const metric of ['response_time', 'throughput', 'cpu_usage'] as const) {
      const values = valuesOf(opts, `source-1/${metric}`);
      const profile = STANDARD_PROFILES[metric];
      expect(Math.abs(mean(values) - profile.base)).toBeLessThan(profile.noise * 0.1);
      expect(std(values) / profile.noise).toBeGreaterThan(0.93);
      expect(std(values) / profile.noise).toBeLessThan(1.07);
    }
  });

  it('keeps bounded metrics in range', () => {
    const values = valuesOf({ ...base, sources: 1, points: 2000, incidents: parseIncidents('drop:100') }, 'source-1/error_rate');
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    const avail = valuesOf({ ...base, sources: 1, points: 2000, incidents: parseIncidents('spike:100') }, 'source-1/availability');
    expect(Math.max(...avail)).toBeLessThanOrEqual(100);
  });

  it('daily seasonality: higher around noon than around midnight UTC', () => {
    const opts: LoadGenOptions = { sources: 1, metrics: ['throughput'], rate: 1 / 600, points: 144, seed: 1, startMs: START, seasonality: true };
    const points = [...createLoadGenerator(opts).points()];
    const hourOf = (t: number) => new Date(t).getUTCHours();
    const noon = points.filter((p) => hourOf(p.timestamp) >= 11 && hourOf(p.timestamp) <= 12).map((p) => p.value);
    const night = points.filter((p) => hourOf(p.timestamp) === 23 || hourOf(p.timestamp) === 0).map((p) => p.value);
    expect(mean(noon) - mean(night)).toBeGreaterThan(1.5 * STANDARD_PROFILES.throughput.dailyAmplitude);
    expect(digest({ ...opts, seasonality: false })).not.toBe(digest(opts));
  });
});

describe('load generator: incidents and ground truth', () => {
  const id = 'source-1/response_time';
  const sigma = STANDARD_PROFILES.response_time.noise;
  const baseline = STANDARD_PROFILES.response_time.base;
  const z = (v: number) => (v - baseline) / sigma;

  it('spike: a few points up, then back; drop: the same below', () => {
    const up = valuesOf({ ...base, incidents: parseIncidents('spike:300') }, id);
    const plain = valuesOf(base, id);
    for (const i of [300, 301, 302]) expect(up[i] - plain[i]).toBeCloseTo(8 * sigma, 6);
    for (const i of [299, 303, 400]) expect(up[i]).toBe(plain[i]);
    const down = valuesOf({ ...base, incidents: parseIncidents('drop:200') }, id);
    for (const i of [200, 201, 202]) expect(z(down[i])).toBeLessThan(-4);
    expect(down[203]).toBe(plain[203]);
  });

  it('outlier: exactly one point', () => {
    const values = valuesOf({ ...base, incidents: parseIncidents('outlier:150') }, id);
    const plain = valuesOf(base, id);
    const changed = values.map((v, i) => (v !== plain[i] ? i : -1)).filter((i) => i >= 0);
    expect(changed).toEqual([150]);
    expect(z(values[150])).toBeGreaterThan(6);
  });

  it('level shift persists; trend change ramps; variance change widens the noise', () => {
    const shifted = valuesOf({ ...base, incidents: parseIncidents('level_shift:300') }, id);
    expect(mean(shifted.slice(300)) - mean(shifted.slice(0, 300))).toBeGreaterThan(5 * sigma);
    const trend = valuesOf({ ...base, incidents: parseIncidents('trend_change:300') }, id);
    const plain = valuesOf(base, id);
    expect(trend.slice(0, 300)).toEqual(plain.slice(0, 300));
    expect(trend[599] - plain[599]).toBeCloseTo(0.1 * sigma * 300, 6);
    expect(trend[450] - plain[450]).toBeCloseTo(0.1 * sigma * 151, 6);
    const wide = valuesOf({ ...base, incidents: parseIncidents('variance_change:300') }, id);
    expect(std(wide.slice(300)) / std(wide.slice(0, 300))).toBeGreaterThan(3);
  });

  it('exposes the ground truth: series, indices, timestamps, expected anomaly type', () => {
    const gen = createLoadGenerator({ ...base, incidents: parseIncidents('spike:300:source-2/cpu_usage,level_shift:30s:source-1') });
    const truth = gen.groundTruth;
    expect(truth).toMatchObject({ seed: 7, startMs: START, rate: 10, pointsPerSeries: 600 });
    const spike = truth.incidents.filter((i) => i.kind === 'spike');
    expect(spike).toEqual([
      {
        kind: 'spike', seriesId: 'source-2/cpu_usage', source: 'source-2', metric: 'cpu_usage', expectedType: 'spike',
        startIndex: 300, endIndex: 302, persistent: false, magnitude: 8, delta: 8 * STANDARD_PROFILES.cpu_usage.noise,
        startTimestamp: START + 30_000, endTimestamp: START + 30_200,
      },
    ]);
    const shifts = truth.incidents.filter((i) => i.kind === 'level_shift');
    expect(shifts.map((s) => s.seriesId)).toEqual(STANDARD_METRICS.map((m) => `source-1/${m}`));
    expect(shifts[0]).toMatchObject({ startIndex: 300, endIndex: 599, persistent: true, expectedType: 'pattern_change' });
    // The truth matches the data: only the targeted series moved at the spike.
    const plain = [...createLoadGenerator(base).points()];
    const withIncidents = [...gen.points()];
    const moved = new Set(withIncidents.filter((p, i) => p.value !== plain[i].value).map((p) => `${p.source}/${p.metric}`));
    expect([...moved].sort()).toEqual(['source-2/cpu_usage', ...STANDARD_METRICS.map((m) => `source-1/${m}`)].sort());
  });

  it('gaps leave points out without changing the values around them', () => {
    const gen = createLoadGenerator({ ...base, gaps: parseGaps('100:20:source-1/cpu_usage') });
    const series = [...gen.points()].filter((p) => p.source === 'source-1' && p.metric === 'cpu_usage');
    expect(series).toHaveLength(580);
    expect(series.some((p) => p.timestamp === START + 10_500)).toBe(false);
    expect(gen.groundTruth.gaps).toEqual([{ seriesId: 'source-1/cpu_usage', startIndex: 100, endIndex: 119, startTimestamp: START + 10_000, endTimestamp: START + 11_900 }]);
    const plain = valuesOf(base, 'source-1/cpu_usage');
    expect(series.map((p) => p.value)).toEqual([...plain.slice(0, 100), ...plain.slice(120)]);
  });

  it('refuses incidents it could not place', () => {
    expect(() => createLoadGenerator({ ...base, incidents: parseIncidents('spike:600') })).toThrow(/past the run's 600 points/);
    expect(() => createLoadGenerator({ ...base, incidents: parseIncidents('spike:10:nosuch') })).toThrow(/targets "nosuch"/);
    expect(() => parseIncidents('explode:10')).toThrow(/kind is one of spike, drop/);
    expect(() => parseIncidents('spike')).toThrow(/<kind>:<at>/);
    expect(() => parseIncidents('spike:soon')).toThrow(/neither a point index nor a duration/);
    expect(() => parseGaps('10:0')).toThrow(/<at>:<points>/);
    expect(() => createLoadGenerator({ ...base, rate: 0 })).toThrow(/rate/);
    expect(() => createLoadGenerator({ ...base, points: undefined })).toThrow(/points per series/);
    expect(() => createLoadGenerator({ ...base, sources: [] })).toThrow(/at least one source/);
  });

  it('parses durations', () => {
    expect([parseDuration('250ms'), parseDuration('90s'), parseDuration('5m'), parseDuration('1.5h'), parseDuration('2d'), parseDuration('42')]).toEqual([
      250, 90_000, 300_000, 5_400_000, 172_800_000, 42,
    ]);
    expect([parseDuration(''), parseDuration('-5s'), parseDuration('5 weeks'), parseDuration('1e400s')]).toEqual([null, null, null, null]);
  });
});
