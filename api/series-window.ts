/**
 * Which rows GET /series/points reads: the time range (defaults, ordering, bounds) and the
 * resolution `step` selects. Pure, so the rules are unit-tested without a server; every refusal
 * is a 400 that says what to change.
 */
import { SERIES_POINTS_LIMITS as L, type SeriesResolution } from '../schemas/http/series.ts';
import { badRequest } from './http-error.ts';
import { parseTime } from './time.ts';

interface Range {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
}

/** Raw points have no bucket; sampled and rollup buckets are `stepSec` wide. */
export type SeriesWindow = (Range & { resolution: 'raw'; stepSec: null }) | (Range & { resolution: Exclude<SeriesResolution, 'raw'>; stepSec: number });

const hours = (ms: number) => `${Math.round((ms / 3_600_000) * 10) / 10} h`;

export function resolveSeriesWindow(q: { from?: string; to?: string; step?: number }, now: number): SeriesWindow {
  const to = q.to === undefined ? now : parseTime(q.to, 'to');
  const from = q.from === undefined ? Math.max(0, to - L.defaultRangeMs) : parseTime(q.from, 'from');
  if (from > to) throw badRequest('from is after to', [{ path: 'from', message: 'must not be after to' }]);
  const span = to - from;
  const step = q.step;

  if (step === undefined || step < L.rollupStepSec) {
    if (step !== undefined && !(Number.isSafeInteger(step) && step >= 1)) {
      throw badRequest('step must be a whole number of seconds', [{ path: 'step', message: 'expected an integer ≥ 1' }]);
    }
    if (span > L.maxRawRangeMs) {
      throw badRequest(`a range of ${hours(span)} is longer than the ${hours(L.maxRawRangeMs)} raw points are served for: pass step (a multiple of 60 s) to read the per-minute rollup, or narrow from/to`, [
        { path: 'step', message: `required (a multiple of ${L.rollupStepSec}) for ranges over ${hours(L.maxRawRangeMs)}` },
      ]);
    }
    return step === undefined ? { resolution: 'raw', from, to, stepSec: null } : { resolution: 'sampled', from, to, stepSec: step };
  }

  if (step % L.rollupStepSec !== 0 || step > L.maxStepSec) {
    throw badRequest(`step ${step} s cannot be built from the per-minute rollup: use a multiple of ${L.rollupStepSec} up to ${L.maxStepSec}, or a step below ${L.rollupStepSec} for sampled raw points`, [
      { path: 'step', message: `a multiple of ${L.rollupStepSec} (≤ ${L.maxStepSec}) or below ${L.rollupStepSec}` },
    ]);
  }
  if (span > L.maxRollupRangeMs) {
    throw badRequest(`a range of ${Math.round(span / 86_400_000)} days is longer than the ${L.maxRollupRangeMs / 86_400_000} days the rollup is served for: narrow from/to`, [
      { path: 'from', message: `at most ${L.maxRollupRangeMs / 86_400_000} days before to` },
    ]);
  }
  // Buckets are aligned to multiples of step since the epoch (UTC), so a range covers whole ones.
  const stepMs = step * 1000;
  return { resolution: 'rollup', from: Math.floor(from / stepMs) * stepMs, to: Math.ceil(to / stepMs) * stepMs, stepSec: step };
}
