/** Deterministic synthetic series for the detector tests (seeded PRNG, Box–Muller noise). */
import { createSeriesState } from '../../../workers/series-state.ts';
import { scoreBatch, type ScoreResult } from '../../../workers/score-batch.ts';
import type { DetectorParams } from '../../../workers/detector-params.ts';

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(seed: number): () => number {
  const r = rng(seed);
  return () => {
    let u = 0;
    while (u === 0) u = r();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  };
}

export const STEP_MS = 1000;
export const T0 = 1_700_000_000_000;

/** values[i] = shape(i, noise) with timestamps T0 + i·STEP_MS. */
export function series(n: number, shape: (i: number, noise: () => number) => number, seed = 7) {
  const noise = gaussian(seed);
  const values = new Float64Array(n);
  const timestamps = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    values[i] = shape(i, noise);
    timestamps[i] = T0 + i * STEP_MS;
  }
  return { values, timestamps };
}

/** Scores one series in one batch from a fresh state. */
export function scoreSeries(params: DetectorParams, values: Float64Array, timestamps: Float64Array, state = createSeriesState(params)): ScoreResult & { state: SharedArrayBuffer } {
  const result = scoreBatch({ params, states: [state], series: new Uint32Array(values.length), values, timestamps });
  return { ...result, state };
}

export function indexOfTs(ts: number): number {
  return (ts - T0) / STEP_MS;
}
