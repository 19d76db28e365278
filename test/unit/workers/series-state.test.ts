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
} from '../../../workers/series-state.ts';
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

  it('is bounded and small for the default pipeline config (~28 KB per series at windowSize 1000)', () => {
    const defaults = defaultDetectorParams(loadConfig({ env: {} }).pipeline);
    expect(defaults).toMatchObject({ windowSize: 1000, windowMs: 3_600_000 });
    const size = seriesStateBytes(defaults);
    // 2 × windowSize (values + timestamps) dominates; everything else is a small constant share
    expect(size).toBeGreaterThan(16 * 1000);
    expect(size).toBeLessThan(32 * 1024);
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
