/**
 * SLA figures and burn-rate alerts, checked against figures the test computes itself from the raw
 * generated points, following the documented window definition: a window of W over buckets of B
 * covers the points whose bucket index floor(t / B) is within the last ceil(W / B) buckets up to
 * the bucket of the newest point.
 */
import { describe, expect, it } from 'vitest';
import type { AlertEvent, SlaSnapshot } from '../../../schemas/records.ts';
import { slaSnapshotIdOf } from '../../../pipeline/alerts/ids.ts';
import { DefinitionSet } from '../../../pipeline/alerts/definitions.ts';
import { SeriesMonitor } from '../../../pipeline/alerts/series-monitor.ts';
import { command, MIN, pt, SEC, sla, T0 } from './support.ts';

interface P {
  t: number;
  v: number;
  good: boolean;
}

const HOUR = 60 * MIN;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Reference window count over `pts` (all at or before `now`). */
function windowCounts(pts: P[], now: number, windowMs: number, bucketMs = MIN): { good: number; total: number } {
  const head = Math.floor(now / bucketMs);
  const n = Math.ceil(windowMs / bucketMs);
  let good = 0;
  let total = 0;
  for (const p of pts) {
    if (Math.floor(p.t / bucketMs) > head - n) {
      total++;
      if (p.good) good++;
    }
  }
  return { good, total };
}

const burn = (c: { good: number; total: number }, objective: number) => (c.total === 0 ? 0 : (c.total - c.good) / c.total / (1 - objective));

function run(m: SeriesMonitor, pts: P[]): { alerts: Array<AlertEvent & { index: number }>; snapshots: Array<SlaSnapshot & { index: number }> } {
  const alerts: Array<AlertEvent & { index: number }> = [];
  const snapshots: Array<SlaSnapshot & { index: number }> = [];
  pts.forEach((p, index) => {
    const r = m.observe(pt(p.t, p.v), null);
    alerts.push(...r.alerts.map((a) => ({ ...a, index })));
    snapshots.push(...r.slaSnapshots.map((s) => ({ ...s, index })));
  });
  return { alerts, snapshots };
}

/** Points every `stepMs`; `badAt(i, t)` decides which are bad (value 500 vs 50 against "< 100"). */
function series(count: number, stepMs: number, badAt: (i: number, t: number) => boolean, start = T0): P[] {
  return Array.from({ length: count }, (_, i) => {
    const t = start + i * stepMs;
    const bad = badAt(i, t);
    return { t, v: bad ? 500 : 50, good: !bad };
  });
}

describe('SLA snapshots', () => {
  const def = sla({ id: 'lat', metric: 'm', comparator: 'lt', threshold: 100, objective: 0.95, windowMs: 2 * HOUR });

  it('compliance, budget and burn rates match an independent recount of the generated series', () => {
    const rand = lcg(42);
    // 5 h at one point per 15 s: 3 % bad, then 30 min at 25 % bad, then 1 % bad
    const pts = series(1200, 15 * SEC, (_i, t) => rand() < (t - T0 < 2 * HOUR ? 0.03 : t - T0 < 2.5 * HOUR ? 0.25 : 0.01));
    const m = new SeriesMonitor('svc', 'm', DefinitionSet.of([], [def]));
    const { snapshots } = run(m, pts);

    // one snapshot per minute of event time, on the first point of each minute
    const minutes = new Set(pts.map((p) => Math.floor(p.t / MIN)));
    expect(snapshots).toHaveLength(minutes.size);
    expect(new Set(snapshots.map((s) => s.id)).size).toBe(snapshots.length);

    let violatedSeen = false;
    for (const s of snapshots) {
      const upTo = pts.slice(0, s.index + 1);
      const now = pts[s.index].t;
      expect(s.timestamp).toBe(now);
      expect(s.id).toBe(slaSnapshotIdOf('lat', 'svc', now));
      const w = windowCounts(upTo, now, 2 * HOUR);
      const compliance = w.total === 0 ? 1 : w.good / w.total;
      expect([s.good, s.total]).toEqual([w.good, w.total]);
      expect(s.compliance).toBeCloseTo(compliance, 12);
      expect(s.errorBudgetRemaining).toBeCloseTo(1 - (1 - compliance) / 0.05, 10);
      expect(s.burnRateFast).toBeCloseTo(burn(windowCounts(upTo, now, HOUR), 0.95), 10);
      expect(s.burnRateSlow).toBeCloseTo(burn(windowCounts(upTo, now, 6 * HOUR), 0.95), 10);
      expect(s.violated).toBe(compliance < 0.95);
      expect(s).toMatchObject({ slaId: 'lat', source: 'svc', metric: 'm', windowMs: 2 * HOUR, objective: 0.95 });
      violatedSeen ||= s.violated;
    }
    // the generated series does cross the objective, so the check above saw both cases
    expect(violatedSeen).toBe(true);
    expect(snapshots.some((s) => !s.violated)).toBe(true);
    // and the 2 h window really drops old points: the last total is 2 h worth, not 5 h
    expect(snapshots[snapshots.length - 1].total).toBeLessThan(500);
  });

  it('late points count in their own minute while it is inside the window', () => {
    const m = new SeriesMonitor('svc', 'm', DefinitionSet.of([], [def]));
    m.observe(pt(T0 + 10 * MIN, 50), null);
    m.observe(pt(T0 + 9 * MIN, 500), null); // late, bad
    const r = m.observe(pt(T0 + 11 * MIN, 50), null);
    expect(r.slaSnapshots[0]).toMatchObject({ good: 2, total: 3 });
    m.observe(pt(T0 + 5 * HOUR, 50), null);
    const stale = m.observe(pt(T0, 500), null); // far outside the 2 h window: not counted
    expect(stale.slaSnapshots).toEqual([]);
    expect(m.observe(pt(T0 + 5 * HOUR + MIN, 50), null).slaSnapshots[0]).toMatchObject({ good: 2, total: 2 });
  });

  it('the default SLAs apply to the standard metrics', () => {
    const m = new SeriesMonitor('api', 'availability', new DefinitionSet());
    const r = m.observe(pt(T0, 99.95), null);
    expect(r.slaSnapshots).toHaveLength(1);
    expect(r.slaSnapshots[0]).toMatchObject({ slaId: 'default.availability', good: 1, total: 1, compliance: 1, objective: 0.99 });
    expect(m.observe(pt(T0 + MIN, 99.8), null).slaSnapshots[0]).toMatchObject({ good: 1, total: 2 });
  });
});

/** What the documented alert rule says, evaluated on the reference counts at every point. */
function expectedBurnTransitions(pts: P[], objective: number, longMs: number, shortMs: number, factor: number): Array<{ kind: 'open' | 'resolve'; index: number }> {
  const out: Array<{ kind: 'open' | 'resolve'; index: number }> = [];
  let open = false;
  let clearSince: number | null = null;
  let clearPoints = 0;
  for (let i = 0; i < pts.length; i++) {
    const now = pts[i].t;
    const upTo = pts.slice(Math.max(0, i - 3000), i + 1); // 3000 points > 6 h at 10 s
    const long = windowCounts(upTo, now, longMs);
    const short = windowCounts(upTo, now, shortMs);
    const burning = short.total >= 10 && burn(long, objective) > factor && burn(short, objective) > factor;
    if (burning) {
      clearSince = null;
      clearPoints = 0;
      if (!open) {
        open = true;
        out.push({ kind: 'open', index: i });
      }
    } else if (open) {
      clearSince ??= now;
      clearPoints++;
      if (now - clearSince >= shortMs && clearPoints >= 3) {
        open = false;
        clearSince = null;
        clearPoints = 0;
        out.push({ kind: 'resolve', index: i });
      }
    }
  }
  return out;
}

describe('SLA burn-rate alerts', () => {
  const def = sla({ id: 'err', metric: 'm', comparator: 'lt', threshold: 100, objective: 0.99, windowMs: 24 * HOUR });
  const STEP = 10 * SEC;

  it('a total outage fires the fast (critical) and slow (high) burn alerts and both auto-resolve', () => {
    // 2 h good, 20 min all bad, 3 h good
    const pts = series(6 * 360 + 120, STEP, (_i, t) => t - T0 >= 2 * HOUR && t - T0 < 2 * HOUR + 20 * MIN);
    const m = new SeriesMonitor('svc', 'm', DefinitionSet.of([], [def]));
    const { alerts } = run(m, pts);
    const fast = alerts.filter((a) => a.ruleId === 'sla:err:fast');
    const slow = alerts.filter((a) => a.ruleId === 'sla:err:slow');

    const expFast = expectedBurnTransitions(pts, 0.99, HOUR, 5 * MIN, 14.4);
    const expSlow = expectedBurnTransitions(pts, 0.99, 6 * HOUR, 30 * MIN, 6);
    expect(fast.map((a) => [a.status === 'resolved' ? 'resolve' : 'open', a.index])).toEqual(expFast.map((e) => [e.kind, e.index]));
    expect(slow.map((a) => [a.status === 'resolved' ? 'resolve' : 'open', a.index])).toEqual(expSlow.map((e) => [e.kind, e.index]));

    // Sanity anchors from the closed form: the 1 h window passes 14.4× once the outage is
    // 0.144 h ≈ 8.6 min old; the 6 h window (2 h of history) passes 6× at ≈ 7.7 min.
    const outageMin = (a: AlertEvent) => (a.timestamp - (T0 + 2 * HOUR)) / MIN;
    expect(fast[0]).toMatchObject({ kind: 'sla', severity: 'critical', status: 'firing', threshold: 14.4, fingerprint: 'svc|m|sla:err:fast' });
    expect(outageMin(fast[0])).toBeGreaterThanOrEqual(8); // 1-minute buckets: the 1 h window is 59 min + the current partial minute
    expect(outageMin(fast[0])).toBeLessThan(9.5);
    expect(slow[0]).toMatchObject({ severity: 'high', threshold: 6 });
    expect(outageMin(slow[0])).toBeGreaterThanOrEqual(7);
    expect(outageMin(slow[0])).toBeLessThan(8.5);
    expect(fast[0].value).toBeGreaterThan(14.4);
    expect(fast.map((a) => a.status)).toEqual(['firing', 'resolved']);
    expect(slow.map((a) => a.status)).toEqual(['firing', 'resolved']);
    expect(fast[1].reason).toBe('auto-resolved');
    expect(m.openAlerts()).toEqual([]);
  });

  it('a steady 10× burn opens only the slow alert, once, and keeps it open', () => {
    const pts = series(3 * 360, STEP, (i) => i % 10 === 9); // 10 % bad = 10× a 1 % budget
    const m = new SeriesMonitor('svc', 'm', DefinitionSet.of([], [def]));
    const { alerts } = run(m, pts);
    expect(alerts.map((a) => [a.ruleId, a.reason, a.index])).toEqual([['sla:err:slow', 'opened', 9]]);
    expect(alerts[0].value).toBeCloseTo(10, 10);
    expect(m.openAlerts().map((a) => a.ruleId)).toEqual(['sla:err:slow']);
  });

  it('needs 10 points in the short window: one bad first point is not a burn', () => {
    const m = new SeriesMonitor('svc', 'm', DefinitionSet.of([], [def]));
    const { alerts } = run(m, series(9, STEP, () => true));
    expect(alerts).toEqual([]);
  });

  it('an operator-resolved burn alert stays quiet until the burn has stopped once', () => {
    const m = new SeriesMonitor('svc', 'm', DefinitionSet.of([], [def]));
    const burning = series(60, STEP, (i) => i % 10 === 9);
    const { alerts } = run(m, burning);
    expect(alerts).toHaveLength(1);
    const r = m.applyCommand(command({ commandId: 'c', type: 'resolve', alertId: alerts[0].alertId }), T0 + 10 * MIN);
    expect(r.applied).toBe(true);
    // still burning: no re-open
    expect(run(m, series(60, STEP, (i) => i % 10 === 9, T0 + 10 * MIN)).alerts).toEqual([]);
    // the burn stops (long enough for the 30 min window to clear), then starts again: a new alert
    expect(run(m, series(400, STEP, () => false, T0 + 20 * MIN)).alerts).toEqual([]);
    const again = run(m, series(30, STEP, () => true, T0 + 20 * MIN + 400 * STEP)).alerts;
    expect(again.map((a) => [a.ruleId, a.reason])).toContainEqual(['sla:err:slow', 'opened']);
    expect(again.find((a) => a.ruleId === 'sla:err:slow')!.alertId).not.toBe(alerts[0].alertId);
  });
});
