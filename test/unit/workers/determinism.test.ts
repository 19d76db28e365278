import { describe, expect, it } from 'vitest';
import { detectorParams } from '../../../workers/detector-params.ts';
import { scoreBatch, type ScoreResult } from '../../../workers/score-batch.ts';
import { createSeriesState, restoreSeriesState, snapshotSeriesState } from '../../../workers/series-state.ts';
import { rng, series } from './synthetic.ts';

// small windows so that the run crosses many recomputes, episodes, resets and shape checks
const params = detectorParams({ windowSize: 300, windowMs: 120_000, checkStride: 7 });

/** Every kind of event: outliers, a spike, a step, a variance change, a drift, a time gap. */
function eventfulSeries(n: number, seed: number) {
  const s = series(
    n,
    (i, g) =>
      100 +
      g() * (i > 3000 && i < 3600 ? 4 : 1) +
      (i % 397 === 11 ? 12 : 0) +
      (i >= 1200 && i < 1215 ? 9 : 0) +
      (i >= 2000 ? 8 : 0) +
      (i >= 4200 ? 0.05 * (i - 4200) : 0),
    seed,
  );
  for (let i = 2500; i < n; i++) s.timestamps[i] += 600_000; // a silence longer than windowMs
  return s;
}

const bytes = (sab: SharedArrayBuffer) => Buffer.from(new Uint8Array(sab));

function concat(parts: ScoreResult[], offsets: number[]) {
  const out = { mean: [] as number[], std: [] as number[], zscore: [] as number[], score: [] as number[], findings: [] as unknown[] };
  parts.forEach((p, k) => {
    out.mean.push(...p.mean);
    out.std.push(...p.std);
    out.zscore.push(...p.zscore);
    out.score.push(...p.score);
    out.findings.push(...p.findings.map((f) => ({ ...f, pointIndex: f.pointIndex + offsets[k] })));
  });
  return out;
}

const flat = (r: ScoreResult) => concat([r], [0]);

describe('determinism', () => {
  const n = 5000;
  const { values, timestamps } = eventfulSeries(n, 11);
  const whole = (() => {
    const state = createSeriesState(params);
    const result = scoreBatch({ params, states: [state], series: new Uint32Array(n), values, timestamps });
    return { result, state };
  })();

  it('the scenario exercises the interesting paths', () => {
    const types = new Set(whole.result.findings.map((f) => `${f.type}/${f.cause}`));
    for (const t of ['outlier/isolated', 'spike/burst', 'pattern_change/level', 'pattern_change/variance', 'trend_change/slope']) expect(types).toContain(t);
    // a followed trend re-reported as it grows
    expect(whole.result.findings.some((f) => f.type === 'trend_change' && f.version > 1)).toBe(true);
  });

  it('one batch, many random splits and a restore-from-bytes midway give identical outputs and state bytes', () => {
    const r = rng(5);
    for (let trial = 0; trial < 5; trial++) {
      let state = createSeriesState(params);
      const parts: ScoreResult[] = [];
      const offsets: number[] = [];
      let at = 0;
      while (at < n) {
        const len = Math.min(n - at, 1 + Math.floor(r() * 700));
        parts.push(scoreBatch({ params, states: [state], series: new Uint32Array(len), values: values.slice(at, at + len), timestamps: timestamps.slice(at, at + len) }));
        offsets.push(at);
        at += len;
        // a "restart": snapshot to bytes, drop the live buffer, continue from the restored copy
        if (r() < 0.3) state = restoreSeriesState(snapshotSeriesState(state), params);
      }
      expect(concat(parts, offsets)).toEqual(flat(whole.result));
      expect(bytes(state).equals(bytes(whole.state))).toBe(true);
    }
  });

  it('a batch interleaving several series equals scoring each series alone', () => {
    const seeds = [21, 22, 23];
    const alone = seeds.map((seed) => {
      const s = eventfulSeries(n, seed);
      const state = createSeriesState(params);
      return { ...s, state, result: scoreBatch({ params, states: [state], series: new Uint32Array(n), values: s.values, timestamps: s.timestamps }) };
    });
    // round-robin with random run lengths, order within each series preserved
    const total = n * seeds.length;
    const idx = new Uint32Array(total);
    const vals = new Float64Array(total);
    const ts = new Float64Array(total);
    const next = [0, 0, 0];
    const r = rng(9);
    for (let k = 0; k < total; ) {
      const s = Math.floor(r() * seeds.length);
      for (let run = 1 + Math.floor(r() * 5); run > 0 && next[s] < n; run--, k++) {
        idx[k] = s;
        vals[k] = alone[s].values[next[s]];
        ts[k] = alone[s].timestamps[next[s]];
        next[s]++;
      }
    }
    const states = seeds.map(() => createSeriesState(params));
    const mixed = scoreBatch({ params, states, series: idx, values: vals, timestamps: ts });
    for (let s = 0; s < seeds.length; s++) {
      const pick = (arr: Float64Array) => Array.from(arr).filter((_, k) => idx[k] === s);
      expect(pick(mixed.score)).toEqual(Array.from(alone[s].result.score));
      expect(pick(mixed.zscore)).toEqual(Array.from(alone[s].result.zscore));
      const positions = Array.from(idx.keys()).filter((k) => idx[k] === s);
      const mine = mixed.findings.filter((f) => f.seriesIndex === s).map((f) => ({ ...f, pointIndex: positions.indexOf(f.pointIndex), seriesIndex: 0 }));
      expect(mine).toEqual(alone[s].result.findings);
      expect(bytes(states[s]).equals(bytes(alone[s].state))).toBe(true);
    }
  });
});
