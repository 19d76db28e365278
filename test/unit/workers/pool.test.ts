import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../core/logger.ts';
import { VigilError } from '../../../core/errors.ts';
import { detectorParams } from '../../../workers/detector-params.ts';
import { createScoringPool, transferListFor, type ScoringPool } from '../../../workers/pool.ts';
import { scoreBatch, type ScoreTask } from '../../../workers/score-batch.ts';
import { createSeriesState, restoreSeriesState } from '../../../workers/series-state.ts';
import { series } from './synthetic.ts';
import { HANG_VALUE } from '../../fixtures/workers/faulty-score-batch.ts';

const params = detectorParams({ windowSize: 200, windowMs: Infinity });

function interleavedTask(states: SharedArrayBuffer[], n: number, seed: number): ScoreTask {
  const a = series(n, (i, g) => 10 + g() + (i === 150 ? 12 : 0), seed);
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i % states.length;
  return { params, states, series: idx, values: a.values, timestamps: a.timestamps };
}

function copyTask(task: ScoreTask, states: SharedArrayBuffer[]): ScoreTask {
  return { params: task.params, states, series: task.series.slice(), values: task.values.slice(), timestamps: task.timestamps.slice() };
}

describe('scoring pool (real Piscina threads)', () => {
  let pool: ScoringPool;
  beforeAll(() => {
    pool = createScoringPool({ threads: 2, logger: createLogger('silent') });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('returns what scoreBatch computes in-process, updating the shared states in place', async () => {
    const states = [createSeriesState(params), createSeriesState(params)];
    const local = states.map((s) => restoreSeriesState(new Uint8Array(s), params));
    for (let round = 0; round < 3; round++) {
      const task = interleavedTask(states, 700, round + 1);
      const expected = scoreBatch(copyTask(task, local));
      const got = await pool.run(task);
      expect(got.score).toBeInstanceOf(Float64Array);
      expect(Array.from(got.mean)).toEqual(Array.from(expected.mean));
      expect(Array.from(got.std)).toEqual(Array.from(expected.std));
      expect(Array.from(got.zscore)).toEqual(Array.from(expected.zscore));
      expect(Array.from(got.score)).toEqual(Array.from(expected.score));
      expect(got.findings).toEqual(expected.findings);
      // the worker wrote into the very SharedArrayBuffers the caller holds
      for (let s = 0; s < states.length; s++) expect(Buffer.from(new Uint8Array(states[s])).equals(Buffer.from(new Uint8Array(local[s])))).toBe(true);
    }
    expect(pool.stats()).toMatchObject({ threads: 2, queued: 0 });
    expect(pool.stats().completed).toBeGreaterThanOrEqual(3);
  });

  it('transfers the input arrays (detached afterwards) instead of copying them', async () => {
    const task = interleavedTask([createSeriesState(params)], 300, 9);
    const { values, timestamps, series: idx } = task;
    await pool.run(task);
    expect(values.byteLength).toBe(0);
    expect(timestamps.byteLength).toBe(0);
    expect(idx.byteLength).toBe(0);
  });

  it('copies rather than transfers views into a larger buffer (would detach the neighbours)', () => {
    const slab = new ArrayBuffer(8 * 30);
    const task: ScoreTask = {
      params,
      states: [createSeriesState(params)],
      series: new Uint32Array(10),
      values: new Float64Array(slab, 0, 10),
      timestamps: new Float64Array(slab, 80, 10),
    };
    expect(transferListFor(task)).toEqual([task.series.buffer]);
  });

  it('runs batches of different partitions concurrently and keeps each series consistent', async () => {
    const a = [createSeriesState(params)];
    const b = [createSeriesState(params)];
    const la = [restoreSeriesState(new Uint8Array(a[0]), params)];
    const lb = [restoreSeriesState(new Uint8Array(b[0]), params)];
    const ta = interleavedTask(a, 500, 21);
    const tb = interleavedTask(b, 500, 22);
    const ea = scoreBatch(copyTask(ta, la));
    const eb = scoreBatch(copyTask(tb, lb));
    const [ra, rb] = await Promise.all([pool.run(ta), pool.run(tb)]);
    expect(Array.from(ra.score)).toEqual(Array.from(ea.score));
    expect(Array.from(rb.score)).toEqual(Array.from(eb.score));
  });

  it('rejects a bad task with a VigilError and leaves the state untouched', async () => {
    const state = createSeriesState(params);
    const before = Buffer.from(new Uint8Array(state));
    const values = new Float64Array([1, 2, Number.NaN]);
    const task: ScoreTask = { params, states: [state], series: new Uint32Array(3), values, timestamps: new Float64Array([1, 2, 3]) };
    const err = await pool.run(task).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VigilError);
    expect(String((err as Error).message)).toMatch(/non-finite value/);
    expect(Buffer.from(new Uint8Array(state)).equals(before)).toBe(true);
  });
});

describe('scoring pool task timeout', () => {
  it('counts a task\'s run, not its wait nor its thread\'s start-up: a hung task times out alone, the one queued behind it runs', async () => {
    const faulty = fileURLToPath(new URL('../../fixtures/workers/faulty-score-batch.ts', import.meta.url));
    // Below a thread's start-up on a busy machine (tsx + the module, 1–3 s): the first task and
    // the queued one (on the thread started after the hung one is terminated) must not pay it.
    const timeoutMs = 1500;
    const pool = createScoringPool({ threads: 1, logger: createLogger('silent'), taskTimeoutMs: timeoutMs, filename: faulty });
    try {
      await pool.run(interleavedTask([createSeriesState(params)], 10, 1));
      const hang = interleavedTask([createSeriesState(params)], 10, 2);
      hang.values[3] = HANG_VALUE;
      const hung = pool.run(hang).catch((e: unknown) => e);
      // Queued behind the hung one for the whole timeout: before the fix it timed out too.
      const queued = pool.run(interleavedTask([createSeriesState(params)], 10, 3)).catch((e: unknown) => e);
      expect(pool.stats().queued).toBe(1);
      const err = await hung;
      expect(err).toBeInstanceOf(VigilError);
      expect((err as VigilError).code).toBe('SCORE_TASK_TIMEOUT');
      const ok = await queued;
      expect(ok).not.toBeInstanceOf(Error);
      expect((ok as { score: Float64Array }).score).toHaveLength(10);
    } finally {
      await pool.close();
    }
  }, 60_000);
});

describe('scoring pool outside vitest', () => {
  it('works under plain `node --import tsx` (how the CLI runs it)', async () => {
    const script = fileURLToPath(new URL('./fixtures/pool-smoke.ts', import.meta.url));
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { cwd: root, timeout: 60_000 });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ sameScores: true, findings: ['outlier@400'], transferred: true });
  });
});
