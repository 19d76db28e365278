/**
 * Rolling SLA counters for one (SLA, series): which points were good, compliance over the SLA
 * window, error budget, and the multi-window burn rates the burn-rate alerts read. Pure and
 * plain-JSON, so the series monitor snapshots it as-is. The alert lifecycle lives in
 * pipeline/alerts/series-monitor.ts; this module only counts and computes.
 *
 * Two rings per SLA keep the state bounded whatever the window:
 *  - `window`: the compliance window in buckets of 1 minute, widened for long windows so it
 *    never holds more than 1440 buckets (24 h → 1-minute buckets, 30 days → 30-minute buckets);
 *  - `fine`: the last 6 hours in 1-minute buckets, for the burn-rate windows (5 min … 6 h).
 * A window covers the last ceil(windowMs / bucketMs) buckets, the current partial bucket included.
 */
import type { Severity, SlaDefinition, SlaSnapshot } from '../../schemas/records.ts';
import {
  burnRate,
  bucketMsForWindow,
  compliance,
  createRing,
  errorBudgetRemaining,
  ringAdd,
  ringAdvance,
  ringSum,
  type CountRing,
} from '../../workers/sla.ts';
import { slaSnapshotIdOf } from '../alerts/ids.ts';

export interface BurnWindow {
  name: 'fast' | 'slow';
  longMs: number;
  shortMs: number;
  /** Alert when both windows burn faster than this multiple of the sustainable rate. */
  factor: number;
  severity: Severity;
}

/**
 * Google SRE workbook, "Alerting on SLOs", multiwindow multi-burn-rate alerts: page when the 1 h
 * and 5 min windows both burn > 14.4× (2 % of a 30-day budget in an hour), ticket-level when the
 * 6 h and 30 min windows both burn > 6× (5 % in 6 h). The short window makes the alert stop soon
 * after the burn stops.
 */
export const BURN_WINDOWS: readonly BurnWindow[] = [
  { name: 'fast', longMs: 3_600_000, shortMs: 300_000, factor: 14.4, severity: 'critical' },
  { name: 'slow', longMs: 21_600_000, shortMs: 1_800_000, factor: 6, severity: 'high' },
];

export const SLA_TUNING = {
  fineBucketMs: 60_000,
  fineWindowMs: 21_600_000,
  maxWindowBuckets: 1440,
  /** A burn-rate alert needs at least this many points in its short window: one bad point out of three is not a burn. */
  minBurnPoints: 10,
  /** At most one snapshot per SLA and series per minute of event time. */
  snapshotIntervalMs: 60_000,
} as const;

export interface SlaTrackerState {
  slaId: string;
  /** comparator|threshold|windowMs the counters were built with; a change restarts them. */
  basis: string;
  window: CountRing;
  fine: CountRing;
  lastSnapshotSlot: number | null;
}

export interface BurnFigures {
  name: 'fast' | 'slow';
  longRate: number;
  shortRate: number;
  longTotal: number;
  shortTotal: number;
  /** Both windows over the factor with enough points: the alert condition. */
  burning: boolean;
}

export interface SlaFigures {
  good: number;
  total: number;
  compliance: number;
  errorBudgetRemaining: number;
  violated: boolean;
  burn: BurnFigures[];
}

export function slaBasis(sla: SlaDefinition): string {
  return `${sla.comparator}|${sla.threshold}|${sla.windowMs}`;
}

export function isGoodPoint(sla: SlaDefinition, value: number): boolean {
  switch (sla.comparator) {
    case 'lt':
      return value < sla.threshold;
    case 'lte':
      return value <= sla.threshold;
    case 'gt':
      return value > sla.threshold;
    case 'gte':
      return value >= sla.threshold;
  }
}

export function createSlaState(sla: SlaDefinition): SlaTrackerState {
  const bucketMs = bucketMsForWindow(sla.windowMs, SLA_TUNING.maxWindowBuckets, SLA_TUNING.fineBucketMs);
  return {
    slaId: sla.id,
    basis: slaBasis(sla),
    window: createRing(bucketMs, Math.ceil(sla.windowMs / bucketMs)),
    fine: createRing(SLA_TUNING.fineBucketMs, Math.ceil(SLA_TUNING.fineWindowMs / SLA_TUNING.fineBucketMs)),
    lastSnapshotSlot: null,
  };
}

/** Counts a point at `timestamp` and moves both windows to `now` (the newest event time seen). */
export function recordSlaPoint(state: SlaTrackerState, sla: SlaDefinition, timestamp: number, value: number, now: number): void {
  const good = isGoodPoint(sla, value);
  ringAdvance(state.window, now);
  ringAdvance(state.fine, now);
  ringAdd(state.window, timestamp, good);
  ringAdd(state.fine, timestamp, good);
}

export function slaFigures(state: SlaTrackerState, sla: SlaDefinition): SlaFigures {
  const { sumGood: good, sumTotal: total } = state.window;
  const c = compliance(good, total);
  const burn = BURN_WINDOWS.map((w): BurnFigures => {
    const long = ringSum(state.fine, w.longMs);
    const short = ringSum(state.fine, w.shortMs);
    const longRate = burnRate(long.total - long.good, long.total, sla.objective);
    const shortRate = burnRate(short.total - short.good, short.total, sla.objective);
    return {
      name: w.name,
      longRate,
      shortRate,
      longTotal: long.total,
      shortTotal: short.total,
      burning: short.total >= SLA_TUNING.minBurnPoints && longRate > w.factor && shortRate > w.factor,
    };
  });
  return {
    good,
    total,
    compliance: c,
    errorBudgetRemaining: errorBudgetRemaining(c, sla.objective),
    violated: total > 0 && c < sla.objective,
    burn,
  };
}

/**
 * The snapshot due at `now`, if any: the first point of each new minute of event time emits one
 * (ids are deterministic, so a replay emits the same snapshots). Marks the slot as done.
 */
export function takeSnapshot(
  state: SlaTrackerState,
  sla: SlaDefinition,
  source: string,
  metric: string,
  now: number,
  figures: SlaFigures,
): SlaSnapshot | null {
  const slot = Math.floor(now / SLA_TUNING.snapshotIntervalMs);
  if (state.lastSnapshotSlot !== null && slot <= state.lastSnapshotSlot) return null;
  state.lastSnapshotSlot = slot;
  const fast = figures.burn.find((b) => b.name === 'fast');
  const slow = figures.burn.find((b) => b.name === 'slow');
  return {
    id: slaSnapshotIdOf(sla.id, source, now),
    slaId: sla.id,
    source,
    metric,
    timestamp: now,
    windowMs: sla.windowMs,
    objective: sla.objective,
    compliance: figures.compliance,
    good: figures.good,
    total: figures.total,
    errorBudgetRemaining: figures.errorBudgetRemaining,
    // The snapshot's "fast" and "slow" burn rates are the long windows of the two alerts: 1 h and 6 h.
    burnRateFast: fast ? fast.longRate : 0,
    burnRateSlow: slow ? slow.longRate : 0,
    violated: figures.violated,
  };
}

export function cloneSlaState(s: SlaTrackerState): SlaTrackerState {
  return {
    slaId: s.slaId,
    basis: s.basis,
    window: cloneRing(s.window),
    fine: cloneRing(s.fine),
    lastSnapshotSlot: s.lastSnapshotSlot,
  };
}

function cloneRing(r: CountRing): CountRing {
  return {
    bucketMs: r.bucketMs,
    capacity: r.capacity,
    head: r.head,
    starts: r.starts.slice(),
    good: r.good.slice(),
    total: r.total.slice(),
    sumGood: r.sumGood,
    sumTotal: r.sumTotal,
  };
}
