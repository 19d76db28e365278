/**
 * Repeated points (issue #12): a point at a timestamp its series' recent ring already holds is
 * not scored and changes no state; the same value is a duplicate, another value a conflict.
 */
import { describe, expect, it } from 'vitest';
import { VigilError } from '../../../core/errors.ts';
import { detectorParams, layoutFields, type DetectorParams } from '../../../workers/detector-params.ts';
import { scoreBatch, type ScoreResult } from '../../../workers/score-batch.ts';
import { MAX_MAGNITUDE, SEASON_REPEAT_SD } from '../../../workers/series-detector.ts';
import { createSeriesState, S, stateLayout } from '../../../workers/series-state.ts';
import { DAY_MS, inspectSeason, SEASON_AUTO } from '../../../workers/seasonal.ts';
import { gaussian } from './synthetic.ts';

const T0 = Date.UTC(2026, 0, 5);
const params = detectorParams({ windowSize: 100, windowMs: Infinity });
const RING = layoutFields(params)[2];

function score(state: SharedArrayBuffer, p: DetectorParams, values: number[], timestamps: number[], dropRepeats = true): ScoreResult {
  return scoreBatch({ params: p, states: [state], series: new Uint32Array(values.length), values: Float64Array.from(values), timestamps: Float64Array.from(timestamps), dropRepeats });
}

/** n noisy points one second apart. */
function stream(n: number, seed = 3) {
  const g = gaussian(seed);
  const values = Array.from({ length: n }, () => 50 + 2 * g());
  const timestamps = Array.from({ length: n }, (_, i) => T0 + i * 1000);
  return { values, timestamps };
}

const bytes = (s: SharedArrayBuffer) => Buffer.from(new Uint8Array(s));

describe('repeated points', () => {
  it('in-order points are never repeats, and scoring them with the check on or off is byte-identical', () => {
    const { values, timestamps } = stream(500);
    const on = createSeriesState(params);
    const off = createSeriesState(params);
    const a = score(on, params, values, timestamps, true);
    const b = score(off, params, values, timestamps, false);
    expect(a.repeats).toEqual([]);
    expect(b.repeats).toEqual([]);
    expect(Array.from(a.score)).toEqual(Array.from(b.score));
    expect(bytes(on).equals(bytes(off))).toBe(true);
    expect(new Float64Array(on)[S.newestTime]).toBe(timestamps.at(-1));
  });

  it('a copy in the same batch is a duplicate: not scored, and the state is as if it never came', () => {
    const { values, timestamps } = stream(200);
    const withCopies = createSeriesState(params);
    const without = createSeriesState(params);
    // copies right after their original, and one 30 points later (a retry behind other records)
    const v = [...values.slice(0, 120), values[119], values[90], ...values.slice(120)];
    const t = [...timestamps.slice(0, 120), timestamps[119], timestamps[90], ...timestamps.slice(120)];
    const r = score(withCopies, params, v, t);
    score(without, params, values, timestamps);
    expect(r.repeats).toEqual([
      { pointIndex: 120, kind: 'duplicate', firstValue: values[119] },
      { pointIndex: 121, kind: 'duplicate', firstValue: values[90] },
    ]);
    expect([r.mean[120], r.std[120], r.zscore[120], r.score[120]]).toEqual([0, 0, 0, 0]);
    expect(bytes(withCopies).equals(bytes(without))).toBe(true);
  });

  it('another value at a held timestamp is a conflict naming the first value, which is kept', () => {
    const { values, timestamps } = stream(150);
    const state = createSeriesState(params);
    score(state, params, values, timestamps);
    const before = bytes(state);
    const r = score(state, params, [values[140] + 0.5, values[149] * -1, 0], [timestamps[140], timestamps[149], timestamps[115]]);
    expect(r.repeats).toEqual([
      { pointIndex: 0, kind: 'conflict', firstValue: values[140] },
      { pointIndex: 1, kind: 'conflict', firstValue: values[149] },
      { pointIndex: 2, kind: 'conflict', firstValue: values[115] },
    ]);
    expect(bytes(state).equals(before)).toBe(true);
    // bit-equal is the rule: the nearest other double is already another value
    const next = score(state, params, [values[149] + Math.abs(values[149]) * Number.EPSILON], [timestamps[149]]);
    expect(next.repeats[0].kind).toBe('conflict');
  });

  it('out-of-order points: a late point at a new time is scored, a copy of it is a duplicate', () => {
    expect(RING).toBe(40);
    const { values, timestamps } = stream(100);
    const state = createSeriesState(params);
    // every second point first, then the others late (each older than the newest seen); the ring
    // holds the last 40 points that arrived: the odd ones from 21 on
    const order = [...Array.from({ length: 50 }, (_, k) => 2 * k), ...Array.from({ length: 50 }, (_, k) => 2 * k + 1)];
    const r = score(state, params, order.map((i) => values[i]), order.map((i) => timestamps[i]));
    expect(r.repeats).toEqual([]);
    const again = score(state, params, [values[97], values[99], values[21], values[98]], [timestamps[97], timestamps[99], timestamps[21], timestamps[98]]);
    expect(again.repeats.map((x) => [x.pointIndex, x.kind])).toEqual([
      [0, 'duplicate'],
      [1, 'duplicate'],
      [2, 'duplicate'],
    ]);
  });

  it('the horizon is the ring: a copy of the oldest point it holds is a duplicate, one point older is stored anew', () => {
    const { values, timestamps } = stream(RING + 50);
    const state = createSeriesState(params);
    score(state, params, values, timestamps);
    const f = new Float64Array(state);
    expect(f[S.recentCount]).toBe(RING);
    const oldestHeld = values.length - RING;
    const kept = score(state, params, [values[oldestHeld]], [timestamps[oldestHeld]]);
    expect(kept.repeats).toEqual([{ pointIndex: 0, kind: 'duplicate', firstValue: values[oldestHeld] }]);
    const gone = score(state, params, [values[oldestHeld - 1]], [timestamps[oldestHeld - 1]]);
    expect(gone.repeats).toEqual([]);
    expect(f[S.pointsSeen]).toBe(values.length + 1);
  });

  it('a ring evicted by time: a copy older than the time window is stored anew', () => {
    const timed = detectorParams({ windowSize: 100, windowMs: 60_000 });
    const state = createSeriesState(timed);
    const { values, timestamps } = stream(30);
    score(state, timed, values, timestamps);
    // a point two minutes on expires every ring point older than a minute before it
    score(state, timed, [50], [timestamps[29] + 120_000]);
    expect(score(state, timed, [values[29]], [timestamps[29]]).repeats).toEqual([]);
  });

  it('decides the same whatever the batch boundaries', () => {
    const { values, timestamps } = stream(400, 9);
    // copies at 0..40 points behind their original (40 behind is just out of the ring)
    const v: number[] = [];
    const t: number[] = [];
    for (let i = 0; i < values.length; i++) {
      v.push(values[i]);
      t.push(timestamps[i]);
      if (i % 7 === 3) {
        const j = Math.max(0, i - (i % 41));
        v.push(values[j]);
        t.push(timestamps[j]);
      }
    }
    const whole = createSeriesState(params);
    const r = score(whole, params, v, t);
    const want = r.repeats.map((x) => x.pointIndex);
    const inRing = Array.from({ length: values.length }, (_, i) => i).filter((i) => i % 7 === 3 && i % 41 < RING);
    expect(want.length).toBe(inRing.length);
    expect(want.length).toBeGreaterThan(50);
    for (const size of [1, 7, 50]) {
      const split = createSeriesState(params);
      const got: number[] = [];
      for (let from = 0; from < v.length; from += size) {
        for (const x of score(split, params, v.slice(from, from + size), t.slice(from, from + size)).repeats) got.push(x.pointIndex + from);
      }
      expect(got).toEqual(want);
      expect(bytes(split).equals(bytes(whole))).toBe(true);
    }
  });

  it('a state whose newest-time bound is not known (an older snapshot: slot 0) decides the same', () => {
    const { values, timestamps } = stream(150);
    const a = createSeriesState(params);
    score(a, params, values, timestamps);
    const b = new SharedArrayBuffer(a.byteLength);
    new Uint8Array(b).set(new Uint8Array(a));
    new Float64Array(b)[S.newestTime] = 0;
    const next = [values[149], values[120], 7, 8];
    const times = [timestamps[149], timestamps[120], timestamps[149] + 1000, timestamps[10]];
    const ra = score(a, params, next, times);
    const rb = score(b, params, next, times);
    expect(rb.repeats).toEqual(ra.repeats);
    expect(ra.repeats.map((x) => x.kind)).toEqual(['duplicate', 'duplicate']);
    expect(bytes(b).equals(bytes(a))).toBe(true);
  });

  it('values beyond ±MAX_MAGNITUDE compare as their clamp', () => {
    const state = createSeriesState(params);
    score(state, params, [1, 2, 3e200], [T0, T0 + 1, T0 + 2]);
    expect(score(state, params, [4e200], [T0 + 2]).repeats).toEqual([{ pointIndex: 0, kind: 'duplicate', firstValue: MAX_MAGNITUDE }]);
  });

  it('a seasonal series (its stored values residuals): copies of every ring point are duplicates, a value 3 sd off is a conflict', () => {
    const seasonal = detectorParams({ windowMs: Infinity, seasonPeriod: SEASON_AUTO });
    const step = 300_000;
    const g = gaussian(21);
    const n = (6 * DAY_MS) / step;
    const values: number[] = [];
    const timestamps: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = (2 * Math.PI * i * step) / DAY_MS;
      values.push(1000 + 300 * Math.sin(x + 0.7) + 20 * g());
      timestamps.push(T0 + i * step);
    }
    const state = createSeriesState(seasonal);
    expect(score(state, seasonal, values, timestamps).repeats).toEqual([]);
    const layout = stateLayout(seasonal);
    expect(inspectSeason(new Float64Array(state), layout.season)).toMatchObject({ on: true });
    const before = bytes(state);
    const ring = new Float64Array(state)[S.recentCount];
    const held = Array.from({ length: ring }, (_, k) => n - 1 - k);
    const copies = score(state, seasonal, held.map((i) => values[i]), held.map((i) => timestamps[i]));
    expect(copies.repeats.map((x) => x.kind)).toEqual(held.map(() => 'duplicate'));
    // the first value is reconstructed as residual + today's offset: within the tolerance of the raw one
    const sd = 20;
    for (const [k, x] of copies.repeats.entries()) expect(Math.abs(x.firstValue - values[held[k]])).toBeLessThan(SEASON_REPEAT_SD * sd);
    const off = score(state, seasonal, held.slice(0, 50).map((i) => values[i] + 3 * sd), held.slice(0, 50).map((i) => timestamps[i]));
    expect(off.repeats.map((x) => x.kind)).toEqual(held.slice(0, 50).map(() => 'conflict'));
    expect(bytes(state).equals(before)).toBe(true);
  });

  it('a series whose seasonal cycle is not declared (auto, the default) still compares exactly', () => {
    const auto = detectorParams({ windowSize: 100, windowMs: Infinity, seasonPeriod: SEASON_AUTO });
    const state = createSeriesState(auto);
    const { values, timestamps } = stream(200);
    score(state, auto, values, timestamps);
    expect(inspectSeason(new Float64Array(state), stateLayout(auto).season)).toMatchObject({ on: false });
    const nearly = values[190] + 1e-9;
    expect(score(state, auto, [values[190], nearly], [timestamps[190], timestamps[190]]).repeats).toEqual([
      { pointIndex: 0, kind: 'duplicate', firstValue: values[190] },
      { pointIndex: 1, kind: 'conflict', firstValue: values[190] },
    ]);
  });

  it('refuses a dropRepeats that is not a boolean', () => {
    const state = createSeriesState(params);
    const task = { params, states: [state], series: new Uint32Array(1), values: Float64Array.of(1), timestamps: Float64Array.of(T0), dropRepeats: 'yes' as unknown as boolean };
    expect(() => scoreBatch(task)).toThrow(VigilError);
    expect(() => scoreBatch(task)).toThrow(/dropRepeats must be a boolean/);
  });
});
