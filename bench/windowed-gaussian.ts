/**
 * NAB's "Windowed Gaussian" detector (nab/detectors/gaussian/windowedGaussian_detector.py), the
 * plain rolling z-score peer: the window grows to 6400 points, then slides by steps of 100;
 * score = 1 - Q(|z|) against the window's mean and population std (std 0 → 1e-6).
 */
import { upperTail } from '../workers/probability.ts';

const WINDOW = 6400;
const STEP = 100;

export function windowedGaussianScores(values: Float64Array): Float64Array {
  const n = values.length;
  const scores = new Float64Array(n);
  let start = 0; // window = values[start .. end)
  let end = 0;
  let mean = 0;
  let std = 1;
  let pending = 0;
  const update = () => {
    let sum = 0;
    for (let i = start; i < end; i++) sum += values[i];
    mean = sum / (end - start);
    let ss = 0;
    for (let i = start; i < end; i++) ss += (values[i] - mean) ** 2;
    std = Math.sqrt(ss / (end - start));
    if (std === 0) std = 0.000001;
  };
  // growing phase: Welford instead of numpy's full recompute per point (same values up to rounding)
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    const x = values[i];
    if (end > start) scores[i] = 1 - upperTail(Math.abs(x - mean) / std);
    if (end - start < WINDOW) {
      end++;
      const k = end - start;
      const d = x - (k === 1 ? 0 : mean);
      mean = k === 1 ? x : mean + d / k;
      m2 = k === 1 ? 0 : m2 + d * (x - mean);
      std = Math.sqrt(Math.max(0, m2) / k);
      if (std === 0) std = 0.000001;
    } else if (++pending === STEP) {
      start += STEP;
      end += STEP;
      pending = 0;
      update();
    }
  }
  return scores;
}
