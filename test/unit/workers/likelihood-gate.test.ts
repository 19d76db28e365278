import { describe, expect, it } from 'vitest';
import { detectorParams } from '../../../workers/detector-params.ts';
import { LIKELIHOOD_SLOTS } from '../../../workers/likelihood.ts';
import { createSeriesState, restoreSeriesState, snapshotSeriesState, stateLayout } from '../../../workers/series-state.ts';
import { rng, scoreSeries, series, T0, STEP_MS } from './synthetic.ts';
import { scoreBatch } from '../../../workers/score-batch.ts';

// the burst model off: these tests measure the gate alone (burst.test.ts has the model's own)
const off = detectorParams({ windowMs: Infinity, burstMemory: 0 });
const gated = detectorParams({ windowMs: Infinity, likelihoodGate: 0.3, burstMemory: 0 });

/** A counter with usual bursts: noise sd 1 around 100, 1 – 4 points of +4 – 6 sd on ~2 % of points. */
function burstyCounter(n: number, seed: number) {
  const r = rng(seed);
  let left = 0;
  let height = 0;
  return series(
    n,
    (_i, g) => {
      if (left === 0 && r() < 0.006) {
        left = 1 + Math.floor(r() * 4);
        height = 4 + 2 * r();
      }
      const burst = left > 0 ? height : 0;
      if (left > 0) left--;
      return 100 + g() + burst;
    },
    seed,
  );
}

const pointReports = (findings: { type: string; version: number }[]) => findings.filter((f) => f.version === 1 && (f.type === 'outlier' || f.type === 'spike' || f.type === 'drop')).length;

describe('likelihood gate in the detector (likelihoodGate)', () => {
  it('is off by default, and then the likelihood region takes no room (layout 6: no cost, nothing stored)', () => {
    expect(off.likelihoodGate).toBe(0);
    expect(stateLayout(off).likelihoodSlots).toBe(0);
    expect(stateLayout(gated).likelihoodSlots).toBe(LIKELIHOOD_SLOTS);
    expect(stateLayout(gated).bytes - stateLayout(off).bytes).toBe(LIKELIHOOD_SLOTS * 8);
    // with the gate on the region is there and written
    const { values, timestamps } = burstyCounter(5000, 1);
    const state = createSeriesState(gated);
    const { likelihood } = stateLayout(gated);
    const fresh = new Float64Array(createSeriesState(gated)).slice(likelihood, likelihood + LIKELIHOOD_SLOTS);
    scoreSeries(gated, values, timestamps, state);
    expect(new Float64Array(state).slice(likelihood, likelihood + LIKELIHOOD_SLOTS)).not.toEqual(fresh);
    // a state of one setting is refused under the other (the pipeline replays instead)
    expect(() => restoreSeriesState(snapshotSeriesState(state), off)).toThrow(/bytes, params need .*likelihoodGate/);
  });

  it('a bursty counter raises fewer outliers on its usual bursts', () => {
    const { values, timestamps } = burstyCounter(20_000, 2);
    const without = pointReports(scoreSeries(off, values, timestamps).findings);
    const withGate = pointReports(scoreSeries(gated, values, timestamps).findings);
    expect(without).toBeGreaterThan(40);
    // fewer, not none: a burst gated at its first points can pass at a later one, once the
    // short-term level has climbed (docs/detection.md, anomaly likelihood)
    expect(withGate).toBeLessThan(0.7 * without);
  });

  it('a real outlier on a quiet series is still reported, typed and scored at least as high as without the gate', () => {
    const at = 6000;
    const { values, timestamps } = series(8000, (i, g) => 50 + g() + (i === at ? 12 : 0), 3);
    const [a, b] = [off, gated].map((params) => scoreSeries(params, values, timestamps));
    for (const r of [a, b]) expect(r.findings.filter((f) => f.startTimestamp === T0 + at * STEP_MS).map((f) => f.type)).toEqual(['outlier']);
    expect(b.score[at]).toBeGreaterThan(0.5);
    // no lower: fewer earlier reports (gated noise) leave its confidence less discounted
    expect(b.score[at]).toBeGreaterThanOrEqual(a.score[at]);
  });

  it('a gradual drop whose likelihood went red before it crossed zThreshold is still reported (the gate reads the unfiltered likelihood)', () => {
    // triangular: 26 rows down to 9.7σ and back, from row 6000; its first rows are 3σ – 3.5σ
    const at = 6000;
    const depth = (i: number) => (i < at || i >= at + 26 ? 0 : 9.7 * (1 - Math.abs(i - at - 12.5) / 13.5));
    const { values, timestamps } = series(8000, (i, g) => 50 + g() - (i >= at && i < at + 4 ? 3.3 : depth(i)), 5);
    for (const params of [off, gated]) {
      const r = scoreSeries(params, values, timestamps);
      const hit = r.findings.filter((f) => f.pointIndex >= at && f.pointIndex < at + 26);
      expect(hit.map((f) => f.type)).toContain('drop');
    }
  });

  it('scores the same whether a series comes in one batch or many (the gate lives in the state)', () => {
    const { values, timestamps } = burstyCounter(6000, 4);
    const whole = scoreSeries(gated, values, timestamps);
    const state = createSeriesState(gated);
    const scores: number[] = [];
    for (let from = 0; from < values.length; from += 777) {
      const to = Math.min(values.length, from + 777);
      const r = scoreBatch({ params: gated, states: [state], series: new Uint32Array(to - from), values: values.slice(from, to), timestamps: timestamps.slice(from, to) });
      scores.push(...r.score);
    }
    expect(scores).toEqual([...whole.score]);
  });

  it('refuses hostile likelihood params', () => {
    for (const bad of [{ likelihoodGate: NaN }, { likelihoodGate: -0.1 }, { likelihoodGate: 1.5 }, { likelihoodHistory: 0 }, { likelihoodHistory: 1.5 }, { likelihoodHistory: Infinity }]) {
      expect(() => detectorParams(bad)).toThrow(/likelihood/);
    }
  });
});
