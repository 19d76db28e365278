import { describe, expect, it } from 'vitest';
import { alertIdOf, eventIdOf } from '../../../pipeline/alerts/ids.ts';
import { SeriesMonitor, thresholdTarget } from '../../../pipeline/alerts/series-monitor.ts';
import { DefinitionSet } from '../../../pipeline/alerts/definitions.ts';
import type { ThresholdRule } from '../../../schemas/records.ts';
import { aboveRule, command, feed, monitorWith, pt, rule, SEC, T0 } from './support.ts';

const STEP = 10 * SEC;

describe('threshold rules: for-duration', () => {
  it('fires only once the breach has held forMs of event time, then at the breaching point', () => {
    const m = monitorWith([aboveRule()]);
    const values = [50, 50, 150, 150, 150, 150, 150, 150, 150, 150];
    // breach starts at index 2 (t = 20 s); forMs 60 s is reached at index 8 (t = 80 s)
    const out: ReturnType<typeof feed>['alerts'] = [];
    values.forEach((v, i) => {
      const r = m.observe(pt(T0 + i * STEP, v), null);
      if (i < 8) expect(r.alerts).toEqual([]);
      out.push(...r.alerts);
    });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      status: 'firing',
      severity: 'high',
      kind: 'threshold',
      ruleId: 'r1',
      fingerprint: 'svc|m|r1',
      version: 1,
      timestamp: T0 + 8 * STEP,
      openedAt: T0 + 8 * STEP,
      value: 150,
      threshold: 100,
      reason: 'opened',
      actor: 'pipeline',
    });
    expect(out[0].message).toContain('above the high bound 100');
  });

  it('restarts the pending timer when a point is not breaching', () => {
    const m = monitorWith([aboveRule()]);
    // 50 s of breach, one normal point, 50 s of breach: never 60 s in a row
    const values = [150, 150, 150, 150, 150, 150, 90, 150, 150, 150, 150, 150, 150];
    expect(feed(m, T0, STEP, values).alerts).toEqual([]);
    // one more breaching point completes 60 s since index 7
    expect(m.observe(pt(T0 + 13 * STEP, 150), null).alerts).toHaveLength(1);
  });

  it('treats a value exactly at the bound as not crossed (strict comparison)', () => {
    const m = monitorWith([aboveRule({ forMs: 0 })]);
    expect(feed(m, T0, STEP, [100, 100, 100]).alerts).toEqual([]);
    expect(feed(m, T0 + 3 * STEP, STEP, [100.0001]).alerts).toHaveLength(1);
  });

  it('opens at the most severe crossed level', () => {
    const m = monitorWith([aboveRule({ forMs: 0 })]);
    const { alerts } = feed(m, T0, STEP, [250]);
    expect(alerts.map((a) => [a.severity, a.threshold])).toEqual([['critical', 200]]);
  });

  it('works for `below` rules (floors)', () => {
    const floor = rule({
      id: 'floor',
      kind: 'threshold',
      metric: 'm',
      direction: 'below',
      levels: [
        { severity: 'critical', value: 1 },
        { severity: 'medium', value: 10 },
      ],
      forMs: 20_000,
      hysteresis: 2,
    });
    const m = monitorWith([floor]);
    const { alerts } = feed(m, T0, STEP, [20, 9, 9, 9, 0.5, 0.5, 0.5, 11, 11, 11, 12.5, 12.5, 12.5]);
    expect(alerts.map((a) => [a.reason, a.severity, a.version])).toEqual([
      ['opened', 'medium', 1], // 9 held 20 s (index 1 → 3)
      ['escalated', 'critical', 2], // 0.5 held 20 s (index 4 → 6)
      // 11 clears critical (≥ 1 + 2) but sits in medium's hysteresis band (< 10 + 2): back to medium
      ['deescalated', 'medium', 3], // index 7 → 9
      ['auto-resolved', 'medium', 4], // 12.5 ≥ 10 + 2 for 20 s and 3 points (index 10 → 12)
    ]);
    expect(alerts[3]).toMatchObject({ status: 'resolved', reason: 'auto-resolved', value: 12.5 });
  });
});

describe('threshold rules: escalation, de-escalation, auto-resolve', () => {
  it('escalates and de-escalates the same alert, then resolves it, each once', () => {
    const m = monitorWith([aboveRule()]);
    const values = [
      ...Array(7).fill(150), // open high at index 6 (60 s)
      ...Array(7).fill(250), // escalate to critical after 60 s (index 13)
      ...Array(7).fill(150), // step down to high after 60 s and 3 points (index 20)
      ...Array(7).fill(50), // resolve after 60 s and 3 points (index 27)
      ...Array(5).fill(50),
    ];
    const { alerts } = feed(m, T0, STEP, values);
    expect(alerts.map((a) => [a.reason, a.severity, a.status, a.version, (a.timestamp - T0) / STEP])).toEqual([
      ['opened', 'high', 'firing', 1, 6],
      ['escalated', 'critical', 'firing', 2, 13],
      ['deescalated', 'high', 'firing', 3, 20],
      ['auto-resolved', 'high', 'resolved', 4, 27],
    ]);
    const alertId = alerts[0].alertId;
    expect(new Set(alerts.map((a) => a.alertId))).toEqual(new Set([alertId]));
    expect(alerts.map((a) => a.eventId)).toEqual([1, 2, 3, 4].map((v) => eventIdOf(alertId, v)));
    expect(alertId).toBe(alertIdOf('svc|m|r1', T0 + 6 * STEP));
    expect(alerts[1].threshold).toBe(200);
    expect(m.openAlerts()).toEqual([]);
  });

  it('a resolved alert re-opens as a new alert with a new id', () => {
    const m = monitorWith([aboveRule({ forMs: 0 })]);
    const { alerts } = feed(m, T0, STEP, [150, 50, 50, 50, 150]);
    expect(alerts.map((a) => [a.reason, a.version])).toEqual([
      ['opened', 1],
      ['auto-resolved', 2],
      ['opened', 1],
    ]);
    expect(alerts[2].alertId).not.toBe(alerts[0].alertId);
    expect(alerts[2].alertId).toBe(alertIdOf('svc|m|r1', T0 + 4 * STEP));
  });

  it('does not resolve while the value is inside the hysteresis band', () => {
    const m = monitorWith([aboveRule({ forMs: 0 })]);
    const { alerts } = feed(m, T0, STEP, [150, ...Array(50).fill(95), ...Array(3).fill(90)]);
    expect(alerts.map((a) => [a.reason, (a.timestamp - T0) / STEP])).toEqual([
      ['opened', 0],
      ['auto-resolved', 53], // 90 ≤ 100 - 10: the third clear point resolves
    ]);
  });

  it('one open alert per fingerprint however long the breach repeats', () => {
    const m = monitorWith([aboveRule()]);
    const { alerts } = feed(m, T0, STEP, Array(2000).fill(150));
    expect(alerts).toHaveLength(1);
    expect(m.openAlerts()).toHaveLength(1);
    expect(m.openAlerts()[0]).toEqual(alerts[0]);
  });
});

describe('threshold rules: flapping does not storm', () => {
  it('a value oscillating inside the hysteresis band opens one alert and nothing more', () => {
    const m = monitorWith([aboveRule({ forMs: 0 })]);
    const values = Array.from({ length: 500 }, (_, i) => (i % 2 === 0 ? 105 : 95));
    expect(feed(m, T0, STEP, values).alerts.map((a) => a.reason)).toEqual(['opened']);
  });

  it('a wide oscillation across the bound with forMs = 0 opens one alert, never resolve/re-open per swing', () => {
    const m = monitorWith([aboveRule({ forMs: 0 })]);
    const values = Array.from({ length: 500 }, (_, i) => (i % 2 === 0 ? 150 : 20));
    expect(feed(m, T0, STEP, values).alerts.map((a) => a.reason)).toEqual(['opened']);
  });

  it('oscillation across a higher level does not escalate/de-escalate on each swing', () => {
    const m = monitorWith([aboveRule({ forMs: 0 })]);
    const values = Array.from({ length: 500 }, (_, i) => (i % 2 === 0 ? 250 : 150));
    expect(feed(m, T0, STEP, values).alerts.map((a) => `${a.reason}:${a.severity}`)).toEqual(['opened:critical']);
  });

  it('with forMs > 0, flicker above the bound never fires', () => {
    const m = monitorWith([aboveRule()]);
    const values = Array.from({ length: 500 }, (_, i) => (i % 3 === 0 ? 20 : 150));
    expect(feed(m, T0, STEP, values).alerts).toEqual([]);
  });
});

describe('threshold rules: details', () => {
  it('thresholdTarget applies hysteresis only to the current level and milder ones', () => {
    const r = aboveRule() as ThresholdRule;
    expect(thresholdTarget(r, 95, null).severity).toBeNull(); // not crossed, nothing held
    expect(thresholdTarget(r, 95, 'high').severity).toBe('high'); // inside band: held
    expect(thresholdTarget(r, 90, 'high').severity).toBeNull(); // cleared at bound - hysteresis
    expect(thresholdTarget(r, 195, 'high').severity).toBe('high'); // critical needs a real crossing
    expect(thresholdTarget(r, 195, 'critical').severity).toBe('critical');
    expect(thresholdTarget(r, 185, 'critical').severity).toBe('high');
  });

  it('escalating an acknowledged alert makes it fire again; de-escalating keeps it acknowledged', () => {
    const m = monitorWith([aboveRule({ forMs: 0 })]);
    const [opened] = feed(m, T0, STEP, [150]).alerts;
    const ack = m.applyCommand(command({ commandId: 'c1', alertId: opened.alertId }), T0 + 5 * SEC);
    expect(ack.applied).toBe(true);
    const { alerts } = feed(m, T0 + STEP, STEP, [250, 150, 150, 150]);
    expect(alerts.map((a) => [a.reason, a.severity, a.status])).toEqual([
      ['escalated', 'critical', 'firing'],
      ['deescalated', 'high', 'firing'],
    ]);
    const m2 = monitorWith([aboveRule({ forMs: 0 })]);
    const [o2] = feed(m2, T0, STEP, [250]).alerts;
    m2.applyCommand(command({ commandId: 'c1', alertId: o2.alertId }), T0 + 5 * SEC);
    const down = feed(m2, T0 + STEP, STEP, [150, 150, 150]).alerts;
    expect(down.map((a) => [a.reason, a.severity, a.status])).toEqual([['deescalated', 'high', 'acknowledged']]);
  });

  it('judges a late point at the newest event time seen', () => {
    const m = monitorWith([aboveRule()]);
    m.observe(pt(T0, 150), null);
    m.observe(pt(T0 + 5 * STEP, 150), null);
    // late point, still breaching: the 60 s are measured at T0 + 50 s, not yet fired
    expect(m.observe(pt(T0 + STEP, 150), null).alerts).toEqual([]);
    const r = m.observe(pt(T0 + 6 * STEP, 150), null);
    expect(r.alerts.map((a) => a.timestamp)).toEqual([T0 + 6 * STEP]);
  });

  it('ignores non-finite values and timestamps without touching state', () => {
    const m = monitorWith([aboveRule({ forMs: 0 })]);
    const before = JSON.stringify(m.toJSON());
    expect(m.observe(pt(T0, NaN), null)).toEqual({ alerts: [], slaSnapshots: [] });
    expect(m.observe(pt(Infinity, 150), null)).toEqual({ alerts: [], slaSnapshots: [] });
    expect(JSON.stringify(m.toJSON())).toBe(before);
  });

  it('two monitors fed the same points emit identical events (deterministic ids)', () => {
    const values = Array.from({ length: 300 }, (_, i) => 100 + 120 * Math.sin(i / 9));
    const a = feed(monitorWith([aboveRule()]), T0, STEP, values).alerts;
    const b = feed(monitorWith([aboveRule()]), T0, STEP, values).alerts;
    expect(a.length).toBeGreaterThan(3);
    expect(b).toEqual(a);
    expect(new Set(a.map((e) => e.eventId)).size).toBe(a.length);
  });

  it('uses the default rules for a standard metric, with units in the message', () => {
    const m = new SeriesMonitor('api', 'response_time', new DefinitionSet());
    const { alerts } = feed(m, T0, STEP, Array(8).fill(2600));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ ruleId: 'default.response_time', severity: 'high', threshold: 2000 });
    expect(alerts[0].message).toBe('response_time on api is 2600 ms, above the high bound 2000 ms');
  });
});
