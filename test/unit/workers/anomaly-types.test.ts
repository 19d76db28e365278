import { describe, expect, it } from 'vitest';
import { detectorParams } from '../../../workers/detector-params.ts';
import type { AnomalyFinding } from '../../../workers/score-batch.ts';
import { indexOfTs, scoreSeries, series, T0, STEP_MS } from './synthetic.ts';

const params = detectorParams({ windowMs: Infinity }); // windowSize 1000: spikes up to 100 points
const N = 4000;
const AT = 2000;

function run(shape: (i: number, g: () => number) => number, n = N, seed = 7) {
  const { values, timestamps } = series(n, shape, seed);
  return { ...scoreSeries(params, values, timestamps), values };
}

const brief = (fs: AnomalyFinding[]) => fs.map((f) => `${f.type} v${f.version} @${f.pointIndex} from ${indexOfTs(f.startTimestamp)}`);

describe('anomaly typing and refinement', () => {
  it('one isolated point far above: outlier v1 at that point, nothing else', () => {
    const r = run((i, g) => 10 + g() + (i === AT ? 9 : 0));
    expect(brief(r.findings)).toEqual([`outlier v1 @${AT} from ${AT}`]);
    expect(r.findings[0]).toMatchObject({ cause: 'isolated', pointCount: 1 });
    expect(r.findings[0].zscore).toBeGreaterThan(6);
    expect(r.findings[0].expected).toBeCloseTo(10, 0);
    expect(r.findings[0].confidence).toBeGreaterThan(0.9);
    expect(r.score[AT]).toBeGreaterThan(0.5);
  });

  it('two points far below: still one outlier (either direction), not a drop', () => {
    const r = run((i, g) => 10 + g() - (i === AT || i === AT + 1 ? 9 : 0));
    expect(brief(r.findings)).toEqual([`outlier v1 @${AT} from ${AT}`]);
    expect(r.findings[0].zscore).toBeLessThan(-6);
  });

  it('the outlier does not poison the baseline: the next points have ordinary z and the mean barely moves', () => {
    const r = run((i, g) => 10 + g() + (i === AT ? 50 : 0));
    expect(Math.abs(r.mean[AT + 1] - r.mean[AT])).toBeLessThan(0.05);
    expect(Math.abs(r.std[AT + 1] - r.std[AT])).toBeLessThan(0.05);
    for (let i = AT + 1; i < AT + 50; i++) expect(Math.abs(r.zscore[i])).toBeLessThan(4);
  });

  it('a short burst above: outlier v1, refined to spike v2 (same start), then back to normal', () => {
    const r = run((i, g) => 10 + g() + (i >= AT && i < AT + 10 ? 8 : 0));
    expect(brief(r.findings)).toEqual([`outlier v1 @${AT} from ${AT}`, `spike v2 @${AT + 2} from ${AT}`]);
    const [v1, v2] = r.findings;
    expect(v2.startTimestamp).toBe(v1.startTimestamp);
    expect(v2).toMatchObject({ cause: 'burst', pointCount: 3 });
    expect(v2.confidence).toBeGreaterThan(0.99);
    // held out of the baseline while it lasts
    expect(Math.abs(r.mean[AT + 9] - r.mean[AT])).toBeLessThan(0.02);
    expect(r.zscore[AT + 9]).toBeGreaterThan(4);
  });

  it('a burst below lasting 30 points: outlier v1, refined to drop v2', () => {
    const r = run((i, g) => 10 + g() - (i >= AT && i < AT + 30 ? 8 : 0));
    expect(brief(r.findings)).toEqual([`outlier v1 @${AT} from ${AT}`, `drop v2 @${AT + 2} from ${AT}`]);
  });

  it('a step that stays: outlier v1 → spike v2 → pattern_change v3 after spikeMaxPoints, then the new level is normal', () => {
    const r = run((i, g) => 10 + g() + (i >= AT ? 6 : 0));
    const end = AT + params.spikeMaxPoints;
    // the step's first point is below zConfirm (6 sd + this seed's noise): the next point, still
    // out, confirms it, and the report names the first as its start
    expect(Math.abs(r.zscore[AT])).toBeLessThan(params.zConfirm);
    expect(brief(r.findings)).toEqual([`outlier v1 @${AT + 1} from ${AT}`, `spike v2 @${AT + 2} from ${AT}`, `pattern_change v3 @${end} from ${AT}`]);
    expect(r.findings[2]).toMatchObject({ cause: 'level', pointCount: params.spikeMaxPoints + 1 });
    expect(r.findings[2].expected).toBeCloseTo(10, 0);
    // the baseline adapted: after the change the step's level scores as ordinary
    for (let i = end + 1; i < N; i++) expect(r.score[i]).toBeLessThan(0.5);
    expect(r.mean[N - 1]).toBeGreaterThan(15);
  });

  it('a step down that stays: outlier → drop → pattern_change', () => {
    const r = run((i, g) => 10 + g() - (i >= AT ? 7 : 0));
    expect(r.findings.map((f) => `${f.type} v${f.version}`)).toEqual(['outlier v1', 'drop v2', 'pattern_change v3']);
    expect(new Set(r.findings.map((f) => f.startTimestamp)).size).toBe(1);
  });

  it('the variance triples: a pattern_change caused by variance, after which the wider noise is normal', () => {
    const r = run((i, g) => 10 + g() * (i >= AT ? 3 : 1), 6000);
    const change = r.findings.find((f) => f.type === 'pattern_change');
    expect(change, brief(r.findings).join('\n')).toBeDefined();
    expect(change!.cause).toBe('variance');
    expect(change!.pointIndex).toBeGreaterThan(AT);
    expect(change!.pointIndex).toBeLessThan(AT + 200);
    expect(r.findings.every((f) => f.pointIndex >= AT)).toBe(true);
    // afterwards: an ordinary noise rate of reports, not one per wide swing
    expect(r.findings.filter((f) => f.pointIndex > change!.pointIndex + 200).length).toBeLessThanOrEqual(2);
  });

  it('the noise quadruples at a small window: the burst it opens with ends as that variance change, not as a drop of its own', () => {
    const small = detectorParams({ windowSize: 200, windowMs: Infinity });
    const { values, timestamps } = series(700, (i, g) => 1000 + 50 * g() * (i >= 400 ? 4 : 1), 4);
    const r = scoreSeries(small, values, timestamps);
    const what = brief(r.findings).join(', ');
    // the burst is tested when it closes, while its points are still out of the baseline: at the
    // next regular check they would have widened the 200-point baseline already
    expect(r.findings.map((f) => `${f.type} v${f.version} ${f.cause}`), what).toEqual(['outlier v1 isolated', 'drop v2 burst', 'pattern_change v3 variance']);
    expect(new Set(r.findings.map((f) => f.startTimestamp)).size).toBe(1);
    expect(indexOfTs(r.findings[0].startTimestamp)).toBeGreaterThanOrEqual(400);
    expect((r.findings[2].pointIndex + 1) % small.checkStride, 'reported at the burst end, not by the regular check').not.toBe(0);
    // afterwards the wider noise is normal
    expect(r.std[699]).toBeGreaterThan(120);
  });

  it('a long spike that comes back is still a spike, at a small window too', () => {
    const small = detectorParams({ windowSize: 200, windowMs: Infinity });
    for (const seed of [1, 2, 3]) {
      const r = run((i, g) => 10 + g() + (i >= AT && i < AT + 15 ? 8 : 0), N, seed);
      const s = scoreSeries(small, r.values, Float64Array.from(r.values, (_, i) => T0 + i * STEP_MS));
      const near = s.findings.filter((f) => f.pointIndex >= AT && f.pointIndex < AT + 40);
      expect(near.map((f) => `${f.type} v${f.version}`), `seed ${seed}: ${brief(s.findings).join(', ')}`).toEqual(['outlier v1', 'spike v2']);
    }
  });

  it('the variance collapses (a value gets stuck near its mean): pattern_change by variance', () => {
    const r = run((i, g) => 10 + g() * (i >= AT ? 0.1 : 1));
    const types = r.findings.map((f) => `${f.type}/${f.cause}`);
    expect(types).toEqual(['pattern_change/variance']);
    expect(r.findings[0].pointIndex - AT).toBeLessThan(150);
  });

  it('a drift starts without a jump: trend_change with its start near the knee', () => {
    let firstEverywhereButOne = 0; // seeds where the trend is the first report after the knee
    for (const seed of [1, 2, 3, 4, 5, 7]) {
      const r = run((i, g) => 10 + g() + (i >= AT ? 0.02 * (i - AT) : 0), 3000, seed);
      const trend = r.findings.find((f) => f.type === 'trend_change');
      expect(trend, `seed ${seed}: ${brief(r.findings).join(', ')}`).toBeDefined();
      expect(trend!.cause).toBe('slope');
      expect(trend!.pointIndex - AT).toBeLessThan(200);
      // dated at the knee, or just after an anomaly already reported there (starts stay in order)
      const before = r.findings.filter((f) => f.pointIndex < trend!.pointIndex && f.pointIndex >= AT);
      const earliest = Math.max(AT, ...before.map((f) => indexOfTs(f.startTimestamp) + 1));
      expect(indexOfTs(trend!.startTimestamp)).toBeGreaterThanOrEqual(AT - 60);
      expect(indexOfTs(trend!.startTimestamp)).toBeLessThanOrEqual(earliest + 60);
      if (before.length === 0) firstEverywhereButOne++;
    }
    // at this slope the level alarm (z >= 4) and the slope test race; the slope test must win
    // at least half of the time
    expect(firstEverywhereButOne).toBeGreaterThanOrEqual(3);
  });

  it('a growing drift is followed while young: re-reported (same start) as its departure from the knot level grows', () => {
    // windowSize 200 like a small pipeline window; a slope test that fires early, so the drift
    // is first reported small (0.1σ per point, found ~40 points in)
    const small = detectorParams({ windowSize: 200, windowMs: Infinity, trendThreshold: 4 });
    const at = 400;
    for (const seed of [1, 7, 11]) {
      const { values, timestamps } = series(700, (i, g) => 50 + 5 * g() + (i >= at ? 0.5 * (i - at + 1) : 0), seed);
      const r = scoreSeries(small, values, timestamps);
      const what = `seed ${seed}: ${brief(r.findings).join(', ')}`;
      expect(new Set(r.findings.map((f) => `${f.type} ${f.startTimestamp}`)).size, what).toBe(1);
      expect(r.findings[0].type, what).toBe('trend_change');
      expect(r.findings.map((f) => f.version), what).toEqual(r.findings.map((_, k) => k + 1));
      expect(r.findings.length, what).toBeGreaterThanOrEqual(3);
      const knot = indexOfTs(r.findings[0].startTimestamp);
      expect(Math.abs(knot - at), what).toBeLessThan(10);
      for (let k = 1; k < r.findings.length; k++) {
        const f = r.findings[k];
        expect(f.score - r.findings[k - 1].score, what).toBeGreaterThanOrEqual(0.05);
        expect(f.cause).toBe('slope');
        // measured against the level at the knot, and only while the trend is young
        expect(f.expected, what).toBeCloseTo(50, -1);
        expect(f.pointCount, what).toBeLessThanOrEqual(small.trendWindow);
        expect(f.pointIndex - knot, what).toBeLessThanOrEqual(small.trendWindow);
      }
      expect(r.findings[0].score, what).toBeLessThan(0.7);
      expect(r.findings[r.findings.length - 1].score, what).toBeGreaterThanOrEqual(0.7);
      // refinements do not score points as new anomalies, but the points the trend has taken
      // well away from its knot level are not "normal" either while it is followed
      expect(r.score.filter((x) => x >= 0.5).length, what).toBe(1);
      for (let i = r.findings[1].pointIndex; i <= knot + small.trendWindow; i++) expect(r.score[i], `${what}; point ${i}`).toBeGreaterThanOrEqual(0.35);
    }
  });

  it('a drift stops: trend_change near the point it stops', () => {
    const r = run((i, g) => 10 + g() + 0.01 * Math.min(i, AT));
    const trends = r.findings.filter((f) => f.type === 'trend_change');
    expect(trends.length, brief(r.findings).join('\n')).toBe(1);
    expect(Math.abs(indexOfTs(trends[0].startTimestamp) - AT)).toBeLessThan(60);
  });

  it('a drift reverses: trend_change near the turn', () => {
    const r = run((i, g) => 10 + g() + (i < AT ? 0.015 * i : 0.015 * (2 * AT - i)));
    const trends = r.findings.filter((f) => f.type === 'trend_change');
    expect(trends.length, brief(r.findings).join('\n')).toBeGreaterThanOrEqual(1);
    expect(Math.abs(indexOfTs(trends[0].startTimestamp) - AT)).toBeLessThan(60);
  });

  it('a level jump is not a trend change', () => {
    for (const jump of [3, 6, -8]) {
      const r = run((i, g) => 10 + g() + (i >= AT ? jump : 0));
      expect(r.findings.filter((f) => f.type === 'trend_change'), `jump ${jump}: ${brief(r.findings).join(', ')}`).toEqual([]);
    }
  });

  it('every finding of a series has a unique start per anomaly and versions counting up from 1', () => {
    const r = run((i, g) => 10 + g() + (i % 700 === 300 ? 9 : 0) + (i >= 2500 ? 7 : 0) + (i >= 1000 && i < 1020 ? -8 : 0), 5000);
    const byStart = new Map<number, number[]>();
    for (const f of r.findings) byStart.set(f.startTimestamp, [...(byStart.get(f.startTimestamp) ?? []), f.version]);
    for (const versions of byStart.values()) expect(versions).toEqual(versions.map((_, k) => k + 1));
    expect(byStart.size).toBeGreaterThanOrEqual(6);
    for (const f of r.findings) {
      expect(f.confidence).toBeGreaterThanOrEqual(0);
      expect(f.confidence).toBeLessThanOrEqual(1);
      expect(f.score).toBeGreaterThanOrEqual(0);
      expect(f.score).toBeLessThanOrEqual(1);
      expect(f.startTimestamp).toBeGreaterThanOrEqual(T0);
      expect(f.startTimestamp).toBeLessThanOrEqual(T0 + f.pointIndex * STEP_MS);
    }
  });

  it('a spike every 12 points (an hourly job) becomes normal; one every 200 points stays an anomaly each time', () => {
    const frequent = run((i, g) => 10 + g() + (i >= AT && i % 12 === 0 ? 15 : 0), 6000);
    expect(frequent.findings.length).toBeGreaterThan(5);
    expect(frequent.findings.filter((f) => f.pointIndex >= 4000)).toEqual([]);
    const rare = run((i, g) => 10 + g() + (i >= AT && i % 200 === 0 ? 15 : 0), 6000);
    const starts = rare.findings.filter((f) => f.version === 1).map((f) => f.pointIndex);
    expect(starts).toEqual(Array.from({ length: 20 }, (_, k) => AT + 200 * k));
  });

  it('no anomaly during the warm-up (minPoints)', () => {
    const r = run((i, g) => 10 + g() + (i === 10 ? 30 : 0), 200);
    expect(r.findings).toEqual([]);
    expect(r.score[10]).toBe(0);
  });
});
