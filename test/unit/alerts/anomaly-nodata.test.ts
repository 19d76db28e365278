import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../../schemas/records.ts';
import { alertIdOf } from '../../../pipeline/alerts/ids.ts';
import { DEFAULT_ANOMALY_RULE } from '../../../pipeline/alerts/default-rules.ts';
import { command, finding, monitorWith, MIN, pt, rule, SEC, T0 } from './support.ts';

const STEP = 10 * SEC;
const anomalyRule = () => DEFAULT_ANOMALY_RULE; // minScore 0.7, minConfidence 0.5; ≥0.85 medium, ≥0.95 high, else low

describe('anomaly rules', () => {
  it('ignores findings under minScore or minConfidence', () => {
    const m = monitorWith([anomalyRule()]);
    expect(m.observe(pt(T0, 50, 0.69), finding({ score: 0.69 })).alerts).toEqual([]);
    expect(m.observe(pt(T0 + STEP, 50, 0.9), finding({ score: 0.9, confidence: 0.49 })).alerts).toEqual([]);
    expect(m.openAlerts()).toEqual([]);
  });

  it.each([
    [0.7, 'low'],
    [0.84, 'low'],
    [0.85, 'medium'],
    [0.94, 'medium'],
    [0.95, 'high'],
    [1, 'high'],
  ])('a finding with score %s opens a %s alert', (score, severity) => {
    const m = monitorWith([anomalyRule()]);
    const { alerts } = m.observe(pt(T0, 50, score), finding({ score }));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      kind: 'anomaly',
      ruleId: 'default.anomaly',
      fingerprint: 'svc|m|default.anomaly',
      severity,
      status: 'firing',
      version: 1,
      value: 50,
      threshold: 0.7,
      alertId: alertIdOf('svc|m|default.anomaly', T0),
    });
    expect(alerts[0].message).toContain('spike on m on svc: 50 vs expected 10');
  });

  it('identical repeats emit nothing; a refinement updates; a higher score escalates; a lower one does not de-escalate', () => {
    const m = monitorWith([anomalyRule()]);
    const events: AlertEvent[] = [];
    const step = (i: number, f: ReturnType<typeof finding> | null, score = f?.score ?? 0) => events.push(...m.observe(pt(T0 + i * STEP, 50, score), f).alerts);
    step(0, finding({ score: 0.75 }));
    step(1, finding({ score: 0.75 })); // same anomaly, same version
    step(2, finding({ score: 0.75 }));
    step(3, finding({ score: 0.8, version: 2, type: 'pattern_change', pointCount: 4 })); // refinement
    step(4, finding({ score: 0.97, version: 3, type: 'pattern_change', pointCount: 5 })); // worse
    step(5, finding({ score: 0.75, version: 4, type: 'pattern_change', pointCount: 6 })); // milder refinement
    expect(events.map((e) => [e.reason, e.severity, e.version, e.status])).toEqual([
      ['opened', 'low', 1, 'firing'],
      ['updated', 'low', 2, 'firing'],
      ['escalated', 'high', 3, 'firing'],
      ['updated', 'high', 4, 'firing'],
    ]);
    expect(new Set(events.map((e) => e.alertId)).size).toBe(1);
    expect(events[1].message).toContain('pattern change');
    expect(m.openAlerts()).toHaveLength(1);
  });

  it('auto-resolves after 10 consecutive normal points; a relapse restarts the count', () => {
    const m = monitorWith([anomalyRule()]);
    const events: AlertEvent[] = [];
    let i = 0;
    const observe = (score: number, f: ReturnType<typeof finding> | null = null) => events.push(...m.observe(pt(T0 + i++ * STEP, 50, score), f).alerts);
    observe(0.9, finding({ score: 0.9 }));
    for (let k = 0; k < 9; k++) observe(0.1);
    observe(0.4); // not normal: ≥ 0.7 / 2 — restarts the count
    for (let k = 0; k < 9; k++) observe(0.34);
    expect(events.map((e) => e.reason)).toEqual(['opened']);
    observe(0.2); // the 10th normal point in a row
    expect(events.map((e) => [e.reason, e.status, e.version])).toEqual([
      ['opened', 'firing', 1],
      ['auto-resolved', 'resolved', 2],
    ]);
    expect(events[1].timestamp).toBe(T0 + 20 * STEP);
    // a later anomaly is a new alert
    observe(0.9, finding({ score: 0.9, startTimestamp: T0 + 21 * STEP }));
    expect(events[2]).toMatchObject({ reason: 'opened', version: 1, alertId: alertIdOf('svc|m|default.anomaly', T0 + 21 * STEP) });
  });

  it('a rule scoped to a metric and source only applies there', () => {
    const scoped = rule({ id: 'only-cpu', kind: 'anomaly', metric: 'cpu', source: 'db', minScore: 0.5, severity: 'medium' });
    const elsewhere = monitorWith([scoped], [], 'db', 'mem');
    expect(elsewhere.observe(pt(T0, 1, 0.9), finding({ score: 0.9 })).alerts).toEqual([]);
    const here = monitorWith([scoped], [], 'db', 'cpu');
    expect(here.observe(pt(T0, 1, 0.9), finding({ score: 0.9 })).alerts.map((a) => a.ruleId)).toEqual(['only-cpu']);
  });
});

describe('no-data alerts', () => {
  const NODATA = 5 * MIN;

  it('opens once after noDataMs of silence and resolves on the next point', () => {
    const m = monitorWith([]);
    m.observe(pt(T0, 1), null);
    const wall = T0 + 1000;
    expect(m.checkSilence(wall, NODATA)).toEqual([]); // first check that saw data: silence starts here
    expect(m.checkSilence(wall + NODATA - 1, NODATA)).toEqual([]);
    const fired = m.checkSilence(wall + NODATA, NODATA);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({
      kind: 'nodata',
      ruleId: 'nodata',
      fingerprint: 'svc|m|nodata',
      status: 'firing',
      severity: 'high',
      value: NODATA,
      threshold: NODATA,
      timestamp: wall + NODATA,
      openedAt: wall + NODATA,
    });
    expect(m.checkSilence(wall + 2 * NODATA, NODATA)).toEqual([]); // still one open alert
    expect(m.openAlerts().map((a) => a.ruleId)).toEqual(['nodata']);

    const { alerts } = m.observe(pt(T0 + 11 * MIN, 1), null);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ alertId: fired[0].alertId, status: 'resolved', reason: 'data resumed', version: 2 });
    expect(alerts[0].timestamp).toBeGreaterThanOrEqual(fired[0].timestamp);
    expect(m.openAlerts()).toEqual([]);
  });

  it('measures silence in the caller clock, so producer clock skew neither fakes nor hides it', () => {
    const m = monitorWith([]);
    const skewedBehind = T0 - 3_600_000; // producer clock an hour slow
    let wall = T0;
    for (let i = 0; i < 60; i++) {
      m.observe(pt(skewedBehind + i * 10_000, 1), null);
      wall += 10_000;
      expect(m.checkSilence(wall, NODATA)).toEqual([]);
    }
    // then it really stops: fires one interval after noDataMs at most
    const fired: AlertEvent[] = [];
    for (let k = 1; k <= 40 && fired.length === 0; k++) fired.push(...m.checkSilence(wall + k * 10_000, NODATA));
    expect(fired).toHaveLength(1);
    expect(fired[0].timestamp - wall).toBe(NODATA);
  });

  it('an operator-resolved no-data alert stays quiet until data came back and stopped again', () => {
    const m = monitorWith([]);
    m.observe(pt(T0, 1), null);
    m.checkSilence(T0, NODATA);
    const [opened] = m.checkSilence(T0 + NODATA, NODATA);
    const r = m.applyCommand(command({ type: 'resolve', alertId: opened.alertId }), T0 + NODATA + 1000);
    expect(r.applied).toBe(true);
    expect(m.checkSilence(T0 + 3 * NODATA, NODATA)).toEqual([]);
    m.observe(pt(T0 + 3 * NODATA, 1), null); // no open alert: nothing to resolve
    m.checkSilence(T0 + 3 * NODATA + 1, NODATA);
    const again = m.checkSilence(T0 + 4 * NODATA + 1, NODATA);
    expect(again).toHaveLength(1);
    expect(again[0].alertId).not.toBe(opened.alertId);
  });

  it('refuses nonsense arguments loudly', () => {
    const m = monitorWith([]);
    expect(() => m.checkSilence(NaN, NODATA)).toThrow(/invalid arguments/);
    expect(() => m.checkSilence(T0, 0)).toThrow(/positive noDataMs/);
  });
});
