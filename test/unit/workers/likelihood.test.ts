import { describe, expect, it } from 'vitest';
import {
  HISTORY_BLOCKS,
  inspectLikelihood,
  LIKELIHOOD_SLOTS,
  likelihoodReady,
  logLikelihood,
  MIN_HISTORY,
  resetLikelihood,
  SHORT_POINTS,
  unfilteredLikelihood,
  updateLikelihood,
  YELLOW_TAIL,
} from '../../../workers/likelihood.ts';
import { rng } from './synthetic.ts';

const BLOCK = 250;
/** Where the region sits in the test buffer: sentinels on both sides catch writes outside it. */
const BASE = 5;
const SENTINEL = 12345.678;

function region(): Float64Array {
  const f = new Float64Array(BASE + LIKELIHOOD_SLOTS + 5).fill(SENTINEL);
  resetLikelihood(f, BASE);
  return f;
}

function untouchedOutside(f: Float64Array): boolean {
  for (let k = 0; k < BASE; k++) if (f[k] !== SENTINEL) return false;
  for (let k = BASE + LIKELIHOOD_SLOTS; k < f.length; k++) if (f[k] !== SENTINEL) return false;
  return true;
}

/** Raw scores of an ordinary noisy series: mostly near 0, a mild blip now and then. */
function quiet(r: () => number): number {
  const u = r();
  return u < 0.97 ? 0.02 * r() : 0.1 * r();
}

/**
 * Raw scores with bursts of 1 – 4 points of 0.6 – 0.9 (each an anomaly by its raw score alone),
 * a burst starting with probability `rate` per point. Returns the raw score and the burst id.
 */
function burstySource(seed: number, rate = 0.01): () => number {
  const r = rng(seed);
  let left = 0;
  let height = 0;
  return () => {
    if (left === 0 && r() < rate) {
      left = 1 + Math.floor(r() * 4);
      height = 0.6 + 0.3 * r();
    }
    if (left > 0) {
      left--;
      return height;
    }
    return quiet(r);
  };
}

/** Highest log likelihood from each burst's first point to SHORT_POINTS after its last (after `learn` points). */
function perBurstPeaks(f: Float64Array, source: () => number, n: number, learn: number): number[] {
  const peaks: number[] = [];
  let since = Infinity;
  for (let i = 0; i < n; i++) {
    const raw = source();
    const out = updateLikelihood(f, BASE, raw, BLOCK);
    if (raw >= 0.6) {
      if (since > SHORT_POINTS && i >= learn) peaks.push(0);
      since = 0;
    } else since++;
    if (i >= learn && since <= SHORT_POINTS && peaks.length) peaks[peaks.length - 1] = Math.max(peaks[peaks.length - 1], out);
  }
  return peaks;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const redShare = (xs: number[]) => xs.filter((x) => x >= 0.5).length / xs.length;

function feed(f: Float64Array, source: () => number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = updateLikelihood(f, BASE, source(), BLOCK);
  return out;
}

function max(a: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
}

describe('anomaly likelihood (workers/likelihood.ts)', () => {
  it('log scale: Numenta computeLogLikelihood on the tail probability', () => {
    expect(logLikelihood(1)).toBe(0);
    expect(logLikelihood(0)).toBe(1);
    expect(logLikelihood(0.5)).toBeCloseTo(0.0301, 4);
    expect(logLikelihood(1e-3)).toBeCloseTo(0.3, 4);
    expect(logLikelihood(1e-5)).toBeCloseTo(0.5, 4);
  });

  it('learns first: 0 and not ready until a completed block holds enough short-term levels', () => {
    const f = region();
    const r = rng(1);
    const out = feed(f, () => quiet(r), SHORT_POINTS - 1 + BLOCK - 1);
    expect(max(out)).toBe(0);
    expect(likelihoodReady(f, BASE)).toBe(false);
    updateLikelihood(f, BASE, 0.01, BLOCK); // closes the first block: BLOCK ≥ MIN_HISTORY levels
    expect(BLOCK).toBeGreaterThanOrEqual(MIN_HISTORY);
    expect(inspectLikelihood(f, BASE)).toMatchObject({ ready: true, history: BLOCK });
    // a surprise is judged from now on
    expect(max(feed(f, () => 1, 5))).toBeGreaterThan(0.5);
  });

  it('bursty-but-normal scores stay mostly unlikely: the bursts a series always has are not unusual for it', () => {
    // a burst every ~100 points: learned as this series' normal
    const bursty = perBurstPeaks(region(), burstySource(3, 0.01), 60_000, 5000);
    // the very same bursts, one every ~2000 points: each is news
    const rare = perBurstPeaks(region(), burstySource(3, 0.0005), 60_000, 5000);
    expect(bursty.length).toBeGreaterThan(400);
    expect(rare.length).toBeGreaterThan(20);
    expect(median(bursty)).toBeLessThan(0.4);
    expect(median(rare)).toBeGreaterThan(0.9);
    // the Gaussian over a skewed mixture of levels still lets the biggest usual bursts reach red
    // (documented in docs/detection.md): a minority, against most of the same bursts on a quiet series
    expect(redShare(bursty)).toBeLessThan(0.3);
    expect(redShare(rare)).toBeGreaterThan(0.6);
  });

  it('a new kind of burst on that series is likely an anomaly: high where it starts', () => {
    const f = region();
    const source = burstySource(3);
    feed(f, source, 8000);
    // ten points of the highest raw score: a short-term level the bursts never reached
    const burst = feed(f, () => 1, 10);
    expect(max(burst)).toBeGreaterThanOrEqual(0.5);
    // on a quiet series, three high points already are
    const g = region();
    const r = rng(4);
    feed(g, () => quiet(r), 8000);
    expect(max(feed(g, () => 0.9, 3))).toBeGreaterThanOrEqual(0.5);
  });

  it('a long excursion is red where it starts, then held at yellow (Numenta filter)', () => {
    const f = region();
    const r = rng(5);
    feed(f, () => quiet(r), 4000);
    const out = feed(f, () => 1, 6);
    const firstRed = out.findIndex((x) => x >= 0.5);
    expect(firstRed).toBeGreaterThanOrEqual(0);
    expect(firstRed).toBeLessThan(5);
    expect(out[firstRed + 1]).toBeCloseTo(logLikelihood(YELLOW_TAIL), 12);
    // before the filter it is still red: the level is as unusual as ever
    expect(unfilteredLikelihood(f, BASE)).toBeGreaterThanOrEqual(0.5);
    expect(inspectLikelihood(f, BASE).last).toBe(out[5]);
  });

  it('a score level lower than usual is not an anomaly (upper tail only)', () => {
    const f = region();
    const r = rng(6);
    feed(f, () => 0.3 + 0.1 * r(), 4000);
    expect(max(feed(f, () => 0, 500))).toBeCloseTo(logLikelihood(0.5), 12);
  });

  it('is bounded: a fixed run of slots, nothing written outside it, exact sums after a million points', () => {
    const f = region();
    const source = burstySource(7);
    feed(f, source, 1_000_000);
    expect(untouchedOutside(f)).toBe(true);
    const s = inspectLikelihood(f, BASE);
    expect(s.points).toBe(1_000_000);
    // the history is the last HISTORY_BLOCKS blocks, whatever the series' length
    expect(s.history).toBe(HISTORY_BLOCKS * BLOCK);
    for (let k = BASE; k < BASE + LIKELIHOOD_SLOTS; k++) expect(Number.isFinite(f[k])).toBe(true);
    // the short-term sum equals its ring (no drift)
    const ring = f.subarray(BASE + 16, BASE + 16 + SHORT_POINTS);
    expect(f[BASE + 3]).toBeCloseTo(ring.reduce((a, b) => a + b, 0), 12);
  });

  it('hostile raw scores (NaN, ±Infinity, out of range) are clamped into [0, 1] and cannot poison the state', () => {
    const hostile = [NaN, Infinity, -Infinity, 1e300, -1e300, -5, 7, Number.MIN_VALUE, -0];
    const clamped = hostile.map((x) => (x > 1 ? 1 : x >= 0 ? x : 0));
    const a = region();
    const b = region();
    const r = rng(8);
    let differ = 0;
    let outside = 0;
    for (let i = 0; i < 20_000; i++) {
      const k = i % 37 === 0 ? (i / 37) % hostile.length : -1;
      const base = quiet(r);
      const x = updateLikelihood(a, BASE, k >= 0 ? hostile[k] : base, BLOCK);
      const y = updateLikelihood(b, BASE, k >= 0 ? clamped[k] : base, BLOCK);
      if (!Object.is(x, y)) differ++;
      if (!(x >= 0 && x <= 1)) outside++;
    }
    expect({ differ, outside }).toEqual({ differ: 0, outside: 0 });
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    for (let k = BASE; k < BASE + LIKELIHOOD_SLOTS; k++) expect(Number.isNaN(a[k])).toBe(false);
  });

  it('is a pure function of the slots: a run split anywhere (or copied between) equals one run', () => {
    const whole = region();
    const split = region();
    const s1 = burstySource(9);
    const s2 = burstySource(9);
    const one = feed(whole, s1, 3000);
    const first = feed(split, s2, 1234);
    const moved = new Float64Array(split); // e.g. a snapshot restored on another thread
    const second = feed(moved, s2, 3000 - 1234);
    expect([...first, ...second]).toEqual([...one]);
    expect(Buffer.from(moved.buffer).equals(Buffer.from(whole.buffer))).toBe(true);
  });
});
