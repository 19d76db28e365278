import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../../../core/errors.ts';
import { loadConfig } from '../../../core/config.ts';
import { defaultDetectorParams, detectorParams } from '../../../workers/detector-params.ts';
import { scoreBatch, type ScoreTask } from '../../../workers/score-batch.ts';
import {
  createSeriesState,
  inspectSeriesState,
  LAYOUT_VERSION,
  restoreSeriesState,
  seriesStateBytes,
  snapshotSeriesState,
  stateLayout,
} from '../../../workers/series-state.ts';
import { LIKELIHOOD_SLOTS } from '../../../workers/likelihood.ts';
import { SEASON_SLOTS } from '../../../workers/seasonal.ts';
import { scoreSeries, series } from './synthetic.ts';

const params = detectorParams({ windowSize: 200, windowMs: Infinity });

describe('series state buffer', () => {
  it('is sized by the layout params only, and stays that size whatever the series does', () => {
    const state = createSeriesState(params);
    expect(state.byteLength).toBe(seriesStateBytes(params));
    const { values, timestamps } = series(20_000, (i, g) => 10 + g() + (i > 10_000 ? 50 : 0) + (i % 999 === 0 ? 30 : 0));
    scoreSeries(params, values, timestamps, state);
    expect(state.byteLength).toBe(seriesStateBytes(params));
    expect(inspectSeriesState(state, params)).toMatchObject({ pointsSeen: 20_000, baselinePoints: 200 });
  });

  it('is bounded and at most 20 KiB for the default pipeline config (windowSize 1000)', () => {
    const defaults = defaultDetectorParams(loadConfig({ env: {} }).pipeline);
    expect(defaults).toMatchObject({ windowSize: 1000, windowMs: 3_600_000 });
    const size = seriesStateBytes(defaults);
    // the baseline (8-byte values, 4-byte time offsets) dominates; the recent ring is 0.4 of it
    expect(size).toBeGreaterThan(12 * 1000);
    expect(size).toBeLessThanOrEqual(20 * 1024);
    expect(seriesStateBytes(detectorParams({ windowSize: 10_000 }))).toBeLessThan(11 * seriesStateBytes(defaults));
  });

  it('round-trips through bytes (Buffer) exactly', () => {
    const state = createSeriesState(params);
    const { values, timestamps } = series(1000, (i, g) => 5 + g());
    scoreSeries(params, values, timestamps, state);
    const snap = snapshotSeriesState(state);
    const restored = restoreSeriesState(snap, params);
    expect(Buffer.from(new Uint8Array(restored)).equals(snap)).toBe(true);
    expect(restored).not.toBe(state);
    // a copy: further scoring of the live state does not touch the snapshot
    scoreSeries(params, values, timestamps, state);
    expect(Buffer.from(new Uint8Array(state)).equals(snap)).toBe(false);
  });

  it('refuses bytes written by another layout version, another window size, or garbage', () => {
    const snap = snapshotSeriesState(createSeriesState(params));
    const oldVersion = Buffer.from(snap);
    oldVersion[2] = LAYOUT_VERSION + 1;
    expect(() => restoreSeriesState(oldVersion, params)).toThrow(VigilError);
    expect(() => restoreSeriesState(oldVersion, params)).toThrow(/layout version/);
    expect(() => restoreSeriesState(snap, detectorParams({ windowSize: 300 }))).toThrow(/windowSize/);
    expect(() => restoreSeriesState(Buffer.from('{"not":"a state"}'), params)).toThrow(/bad magic/);
    expect(() => restoreSeriesState(snap.subarray(0, snap.length - 8), params)).toThrow(/bytes/);
    try {
      restoreSeriesState(oldVersion, params);
    } catch (err) {
      expect((err as VigilError).code).toBe('STATE_LAYOUT');
      expect((err as VigilError).action).toMatch(/replay/);
    }
  });

  it.each([2, 3, 4, 5])('refuses a real version-%i snapshot (earlier build) with STATE_LAYOUT; replaying its points builds a working state', (version) => {
    // written by the LAYOUT_VERSION 2 / 3 / 4 / 5 builds (4: main 9fc8a06, before the seasonal
    // region; 5: main 5d57879, before the weekly component and the gate-sized likelihood region):
    // windowSize 50, 120 points 10 + sin(i) one second apart
    const old = Buffer.from(readFileSync(new URL(`./fixtures/series-state-v${version}-window50.b64`, import.meta.url), 'utf8'), 'base64');
    const p50 = detectorParams({ windowSize: 50, windowMs: Infinity });
    expect(old[2]).toBe(version);
    let error: unknown;
    try {
      restoreSeriesState(old, p50);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(VigilError);
    expect((error as VigilError).code).toBe('STATE_LAYOUT');
    expect((error as VigilError).message).toMatch(new RegExp(`layout version ${version}, this build reads version ${LAYOUT_VERSION}`));
    // what the pipeline's state store does on STATE_LAYOUT: a fresh state, the points replayed
    const n = 120;
    const values = new Float64Array(n).map((_, i) => 10 + Math.sin(i));
    const timestamps = new Float64Array(n).map((_, i) => 1_700_000_000_000 + i * 1000);
    const rebuilt = scoreSeries(p50, values, timestamps);
    const summary = inspectSeriesState(rebuilt.state, p50);
    expect(summary).toMatchObject({ pointsSeen: 120, baselinePoints: 50 });
    // the same statistics the old state held: sin over its last 50 points
    let mean = 0;
    for (let i = 70; i < 120; i++) mean += values[i] / 50;
    expect(summary.mean).toBeCloseTo(mean, 12);
    expect(new Float64Array(old.buffer, old.byteOffset, old.length / 8)[7]).toBeCloseTo(mean, 12);
  });

  it('keeps expiring by time when points are weeks apart (baseline time offsets re-anchored)', () => {
    const day = 86_400_000;
    const p = detectorParams({ windowSize: 200, windowMs: 40 * day });
    // one point a day for 150 days, then a 60-day gap: offsets leave the Int32 range several times
    const n = 151;
    const timestamps = new Float64Array(n).map((_, i) => 1_700_000_000_000 + (i < 150 ? i : 210) * day);
    const values = new Float64Array(n).map((_, i) => 5 + (i % 7) * 0.1);
    const state = createSeriesState(p);
    scoreSeries(p, values.subarray(0, 150), timestamps.subarray(0, 150), state);
    // the points of the last 40 days (day 109 .. 149; day 109 is exactly at the horizon)
    expect(inspectSeriesState(state, p).baselinePoints).toBe(41);
    scoreSeries(p, values.subarray(150), timestamps.subarray(150), state);
    expect(inspectSeriesState(state, p).baselinePoints).toBe(1);
  });

  it('holds the seasonal region with its weekly component: a layout-6 state at the default window is at most 20 KiB', () => {
    expect(LAYOUT_VERSION).toBe(6);
    const defaults = defaultDetectorParams(loadConfig({ env: {} }).pipeline);
    const layout = stateLayout(defaults);
    // the likelihood gate is off by default: its region takes no room
    expect(layout.likelihoodSlots).toBe(0);
    expect(layout.season).toBe(layout.likelihood);
    expect(layout.bytes).toBe((layout.season + SEASON_SLOTS) * 8);
    expect(layout.bytes).toBeLessThanOrEqual(20 * 1024);
    // with the gate on it is there, and the state may exceed 20 KiB by it
    const gated = stateLayout({ ...defaults, likelihoodGate: 0.3 });
    expect(gated.season).toBe(gated.likelihood + LIKELIHOOD_SLOTS);
    expect(gated.bytes).toBe(layout.bytes + LIKELIHOOD_SLOTS * 8);
  });

  it('rejects invalid params with the offending field named', () => {
    expect(() => detectorParams({ windowSize: 5 })).toThrow(/windowSize/);
    expect(() => detectorParams({ zExit: 9, zThreshold: 4 })).toThrow(/zExit/);
    expect(() => detectorParams({ minPoints: Number.NaN })).toThrow(/minPoints/);
    expect(() => createSeriesState({ ...params, spikeMaxPoints: 1000 })).toThrow(VigilError);
  });
});

describe('score task validation', () => {
  function task(over: Partial<ScoreTask>): ScoreTask {
    return { params, states: [createSeriesState(params)], series: new Uint32Array(3), values: new Float64Array([1, 2, 3]), timestamps: new Float64Array([1, 2, 3]), ...over };
  }

  it.each([
    ['a NaN value', { values: new Float64Array([1, Number.NaN, 3]) }, /non-finite value/],
    ['an infinite value', { values: new Float64Array([1, Infinity, 3]) }, /non-finite value/],
    ['a NaN timestamp', { timestamps: new Float64Array([1, Number.NaN, 3]) }, /non-finite timestamp/],
    ['a series index with no state', { series: new Uint32Array([0, 1, 0]) }, /refers to state 1/],
    ['arrays of different lengths', { timestamps: new Float64Array(2) }, /length mismatch/],
    ['a plain array for values', { values: [1, 2, 3] as unknown as Float64Array }, /Float64Array/],
    ['a state of another layout', { states: [createSeriesState(detectorParams({ windowSize: 100 }))] }, /states\[0\]/],
    ['an ArrayBuffer instead of a SharedArrayBuffer', { states: [new ArrayBuffer(8) as unknown as SharedArrayBuffer] }, /SharedArrayBuffer/],
  ])('rejects %s before touching any state', (_name, over, message) => {
    const t = task(over as Partial<ScoreTask>);
    const before = t.states.map((s) => (s instanceof SharedArrayBuffer ? Buffer.from(new Uint8Array(s)) : null));
    expect(() => scoreBatch(t)).toThrow(message);
    expect(() => scoreBatch(t)).toThrow(VigilError);
    t.states.forEach((s, k) => {
      if (before[k]) expect(Buffer.from(new Uint8Array(s)).equals(before[k]!)).toBe(true);
    });
  });

  it('an empty batch is fine and changes nothing', () => {
    const state = createSeriesState(params);
    const r = scoreBatch({ params, states: [state], series: new Uint32Array(0), values: new Float64Array(0), timestamps: new Float64Array(0) });
    expect(r.score.length).toBe(0);
    expect(r.findings).toEqual([]);
    expect(inspectSeriesState(state, params).pointsSeen).toBe(0);
  });
});
