import { describe, expect, it } from 'vitest';
import { detectorParams } from '../../../workers/detector-params.ts';
import { createSeriesState, S } from '../../../workers/series-state.ts';
import { scoreBatch } from '../../../workers/score-batch.ts';
import { indexOfTs, scoreSeries, series } from './synthetic.ts';

// A lone point in [zThreshold, zConfirm) waits for the next one (series-detector.ts, zConfirm)
describe('confirming a borderline point (zConfirm)', () => {
  const params = detectorParams({ windowMs: Infinity });
  const atOnce = detectorParams({ windowMs: Infinity, zConfirm: 4 });
  const level = 50;
  // quiet noise of sd 1, then values set exactly (no noise) at the rows under test
  const withPoints = (points: Record<number, number>, n = 3000, seed = 3) =>
    series(n, (i, g) => (i in points ? level + points[i] : level + g()), seed);

  it('is 1.25 × zThreshold by default and never below zThreshold', () => {
    expect(params.zConfirm).toBe(5);
    expect(detectorParams({ zThreshold: 6 }).zConfirm).toBe(7.5);
    expect(() => detectorParams({ zConfirm: 3.9 })).toThrow(/zConfirm/);
    expect(() => detectorParams({ zConfirm: NaN })).toThrow(/zConfirm/);
  });

  it('a lone 4.6-sd point followed by an ordinary one is not reported; with zConfirm = zThreshold it is', () => {
    const { values, timestamps } = withPoints({ 2000: 4.6, 2001: 0 });
    const waited = scoreSeries(params, values, timestamps);
    const plain = scoreSeries(atOnce, values, timestamps);
    expect(plain.findings.filter((f) => f.pointIndex === 2000).map((f) => f.type)).toEqual(['outlier']);
    expect(waited.findings.filter((f) => f.pointIndex >= 2000 && f.pointIndex <= 2005)).toEqual([]);
    // it scores by its deviation, below 0.5 (nothing reported), and is not lost from the record
    expect(waited.score[2000]).toBeGreaterThan(0.2);
    expect(waited.score[2000]).toBeLessThan(0.5);
    expect(Math.abs(waited.zscore[2000])).toBeGreaterThan(4);
  });

  it('two adjacent 4.6-sd points: reported at the second, dated at the first', () => {
    const { values, timestamps } = withPoints({ 2000: 4.6, 2001: 4.6 });
    const r = scoreSeries(params, values, timestamps);
    const near = r.findings.filter((f) => f.pointIndex >= 2000 && f.pointIndex <= 2010);
    expect(near.map((f) => `${f.type} v${f.version} @${f.pointIndex} from ${indexOfTs(f.startTimestamp)}`)).toEqual(['outlier v1 @2001 from 2000']);
    expect(r.score[2001]).toBeGreaterThanOrEqual(0.5);
  });

  it('a point past zConfirm is reported at once; a next point on the other side, or below zThreshold, does not confirm a waiting one', () => {
    const big = scoreSeries(params, ...Object.values(withPoints({ 2000: 6.5 })) as [Float64Array, Float64Array]);
    expect(big.findings.filter((f) => f.pointIndex === 2000).map((f) => f.type)).toEqual(['outlier']);
    const flip = scoreSeries(params, ...Object.values(withPoints({ 2000: 4.6, 2001: -4.6, 2002: 0, 2003: 0 })) as [Float64Array, Float64Array]);
    expect(flip.findings.filter((f) => f.pointIndex >= 2000 && f.pointIndex <= 2005)).toEqual([]);
    // the next point must pass zThreshold too: 3 sd (past zExit) does not confirm
    const weak = scoreSeries(params, ...Object.values(withPoints({ 2000: 4.6, 2001: 3, 2002: 0, 2003: 0 })) as [Float64Array, Float64Array]);
    expect(weak.findings.filter((f) => f.pointIndex >= 2000 && f.pointIndex <= 2005)).toEqual([]);
    const strong = scoreSeries(atOnce, ...Object.values(withPoints({ 2000: 4.6, 2001: 3, 2002: 0, 2003: 0 })) as [Float64Array, Float64Array]);
    expect(strong.findings.filter((f) => f.pointIndex === 2000).map((f) => f.type)).toEqual(['outlier']);
  });

  it('cuts the Gaussian tail: lone reports on 60,000 points of noise', () => {
    let waited = 0;
    let plain = 0;
    for (const seed of [11, 12, 13]) {
      const { values, timestamps } = series(20_000, (_, g) => level + g(), seed);
      waited += scoreSeries(params, values, timestamps).findings.filter((f) => f.version === 1).length;
      plain += scoreSeries(atOnce, values, timestamps).findings.filter((f) => f.version === 1).length;
    }
    // 6.3e-5 per point at 4 sd: ~4 expected; twice in a row on one side is far rarer
    expect(plain).toBeGreaterThanOrEqual(2);
    expect(waited).toBeLessThanOrEqual(Math.floor(plain / 2));
  });

  it('a batch ending between the waiting point and its confirmation changes nothing (the wait is in the state)', () => {
    const { values, timestamps } = withPoints({ 2000: 4.6, 2001: 4.6, 2500: 4.6, 2501: 0 });
    const whole = scoreSeries(params, values, timestamps);
    const state = createSeriesState(params);
    const findings = [];
    const scores = new Float64Array(values.length);
    for (const [from, to] of [[0, 2001], [2001, 2501], [2501, values.length]]) {
      const r = scoreBatch({ params, states: [state], series: new Uint32Array(to - from), values: values.slice(from, to), timestamps: timestamps.slice(from, to) });
      if (from === 0) expect(new Float64Array(state)[S.epPending]).toBe(params.zThreshold);
      findings.push(...r.findings.map((f) => ({ ...f, pointIndex: f.pointIndex + from })));
      scores.set(r.score, from);
    }
    expect(findings).toEqual(whole.findings);
    expect(Array.from(scores)).toEqual(Array.from(whole.score));
  });

  it('a waiting point that closes unreported takes no start: later reports are dated as without it', () => {
    const { values, timestamps } = withPoints({ 2000: 4.6, 2001: 0 });
    const state = createSeriesState(params);
    const run = (from: number, to: number) =>
      scoreBatch({ params, states: [state], series: new Uint32Array(to - from), values: values.slice(from, to), timestamps: timestamps.slice(from, to) });
    run(0, 2000);
    const before = new Float64Array(state)[S.lastStart];
    run(2000, 2001);
    expect(new Float64Array(state)[S.epPending]).toBe(params.zThreshold);
    run(2001, 2002);
    const f = new Float64Array(state);
    expect(f[S.epPending]).toBe(0);
    expect(f[S.epOpen]).toBe(0);
    expect(f[S.lastStart]).toBe(before);
  });
});
