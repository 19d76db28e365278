import { describe, expect, it } from 'vitest';
import type { AlertEvent, CommandResult, SlaSnapshot } from '../../../schemas/records.ts';
import { VigilError } from '../../../core/errors.ts';
import { DefinitionSet } from '../../../pipeline/alerts/definitions.ts';
import { DEFAULT_ANOMALY_RULE } from '../../../pipeline/alerts/default-rules.ts';
import { SeriesMonitor, type SeriesMonitorState } from '../../../pipeline/alerts/series-monitor.ts';
import { aboveRule, command, feed, finding, MIN, monitorWith, pt, SEC, sla, T0 } from './support.ts';

const STEP = 10 * SEC;
const errSla = sla({ id: 'err', metric: 'm', comparator: 'lt', threshold: 100, objective: 0.99, windowMs: 6 * 3_600_000 });

describe('definition changes', () => {
  it('deleting a rule resolves its open alert with reason "rule deleted" and drops its state', () => {
    const defs = DefinitionSet.of([DEFAULT_ANOMALY_RULE], []);
    defs.apply({ kind: 'rule', id: 'r1', rule: aboveRule({ forMs: 0 }) }); // a config record, not a base definition
    const m = new SeriesMonitor('svc', 'm', defs);
    m.observe(pt(T0, 150, 0.9), finding({ score: 0.9 }));
    expect(m.openAlerts().map((a) => a.ruleId)).toEqual(['default.anomaly', 'r1']);

    defs.apply({ kind: 'rule', id: 'r1', rule: null }); // tombstone: r1 has no base definition, so it is gone
    const events = m.setDefinitions(defs, T0 + 5 * SEC);
    expect(events.map((e) => [e.ruleId, e.status, e.reason, e.actor, e.timestamp, e.version])).toEqual([['r1', 'resolved', 'rule deleted', 'pipeline', T0 + 5 * SEC, 2]]);
    expect(m.openAlerts().map((a) => a.ruleId)).toEqual(['default.anomaly']);
    expect(m.toJSON().thresholds).toEqual([]);
    // and nothing more happens for r1 on later breaching points
    expect(feed(m, T0 + STEP, STEP, [300, 300]).alerts.filter((a) => a.ruleId === 'r1')).toEqual([]);
  });

  it('a tombstone for a base (default) definition brings the default back instead of deleting it', () => {
    const defs = DefinitionSet.of([aboveRule({ forMs: 0 })], []);
    defs.apply({ kind: 'rule', id: 'r1', rule: aboveRule({ forMs: 0, levels: [{ severity: 'low', value: 500 }] }) });
    const m = new SeriesMonitor('svc', 'm', defs);
    expect(feed(m, T0, STEP, [150]).alerts).toEqual([]);
    defs.apply({ kind: 'rule', id: 'r1', rule: null });
    expect(m.setDefinitions(defs)).toEqual([]);
    expect(feed(m, T0 + STEP, STEP, [150]).alerts.map((a) => [a.ruleId, a.severity])).toEqual([['r1', 'high']]);
  });

  it('disabling a rule resolves with "rule disabled"; re-scoping with "rule no longer applies"', () => {
    const defs = DefinitionSet.of([aboveRule({ forMs: 0 }), DEFAULT_ANOMALY_RULE], []);
    const m = new SeriesMonitor('svc', 'm', defs);
    m.observe(pt(T0, 150, 0.9), finding({ score: 0.9 }));
    const disabled = defs.withChange({ kind: 'rule', id: 'r1', rule: { ...(aboveRule({ forMs: 0 }) as object), enabled: false } as never });
    expect(m.setDefinitions(disabled).map((e) => [e.ruleId, e.reason, e.timestamp])).toEqual([['r1', 'rule disabled', T0]]);
    const rescoped = defs.withChange({ kind: 'rule', id: 'default.anomaly', rule: { ...DEFAULT_ANOMALY_RULE, source: 'elsewhere' } });
    expect(m.setDefinitions(rescoped).map((e) => [e.ruleId, e.reason])).toEqual([['default.anomaly', 'rule no longer applies to this series']]);
  });

  it('a changed rule keeps its open alert and applies the new levels from the next point', () => {
    const defs = DefinitionSet.of([aboveRule({ forMs: 0 })], []);
    const m = new SeriesMonitor('svc', 'm', defs);
    const [opened] = feed(m, T0, STEP, [150]).alerts;
    const stricter = defs.withChange({ kind: 'rule', id: 'r1', rule: aboveRule({ forMs: 0, levels: [{ severity: 'critical', value: 120 }] }) });
    expect(m.setDefinitions(stricter)).toEqual([]);
    const { alerts } = feed(m, T0 + STEP, STEP, [150]);
    expect(alerts.map((a) => [a.alertId, a.reason, a.severity])).toEqual([[opened.alertId, 'escalated', 'critical']]);
  });

  it('deleting an SLA resolves its burn alerts with "sla deleted"', () => {
    const defs = DefinitionSet.of([], []).withChange({ kind: 'sla', id: 'err', sla: errSla });
    const m = new SeriesMonitor('svc', 'm', defs);
    feed(m, T0, STEP, Array(30).fill(500));
    expect(m.openAlerts().map((a) => a.ruleId)).toEqual(['sla:err:fast', 'sla:err:slow']);
    const events = m.setDefinitions(defs.withChange({ kind: 'sla', id: 'err', sla: null }));
    expect(events.map((e) => [e.ruleId, e.reason])).toEqual([
      ['sla:err:fast', 'sla deleted'],
      ['sla:err:slow', 'sla deleted'],
    ]);
    expect(m.toJSON().slas).toEqual([]);
    expect(m.toJSON().burns).toEqual([]);
  });

  it('an SLA whose threshold changes restarts its counters', () => {
    const defs = DefinitionSet.of([], [errSla]);
    const m = new SeriesMonitor('svc', 'm', defs);
    feed(m, T0, STEP, [50, 50, 500]);
    m.setDefinitions(defs.withChange({ kind: 'sla', id: 'err', sla: { ...errSla, threshold: 1000 } }));
    const r = m.observe(pt(T0 + 10 * MIN, 500), null);
    expect(r.slaSnapshots[0]).toMatchObject({ good: 1, total: 1 });
  });
});

type Op =
  | { op: 'point'; t: number; v: number; score: number; finding: ReturnType<typeof finding> | null }
  | { op: 'silence'; now: number }
  | { op: 'ack' | 'resolve'; now: number; id: string; kind?: AlertEvent['kind'] };

/** A busy, deterministic script: thresholds crossing every level, anomalies, SLA burns, silences and commands. */
function script(): Op[] {
  const ops: Op[] = [];
  let t = T0;
  for (let i = 0; i < 1500; i++) {
    t += i === 700 ? 20 * MIN : STEP; // one long silence in the middle
    const phase = Math.floor(i / 100) % 5;
    const v = [50, 150, 250, 95, 500][phase] + 15 * Math.sin(i / 3);
    const spike = i % 137 === 5;
    ops.push({ op: 'point', t, v, score: spike ? 0.96 : 0.05, finding: spike ? finding({ score: 0.96, startTimestamp: t, version: 1 }) : null });
    if (i % 30 === 0) ops.push({ op: 'silence', now: t + 2 * SEC });
    if (i === 699) {
      ops.push({ op: 'silence', now: t + 6 * MIN }, { op: 'silence', now: t + 12 * MIN });
      ops.push({ op: 'resolve', now: t + 13 * MIN, id: 'res-nodata', kind: 'nodata' }, { op: 'silence', now: t + 19 * MIN });
    }
    if (i % 97 === 13) ops.push({ op: 'ack', now: t + SEC, id: `ack-${i}` });
    if (i % 211 === 17) ops.push({ op: 'resolve', now: t + SEC, id: `res-${i}` });
    if (i % 411 === 7) ops.push({ op: 'resolve', now: t + SEC, id: `res-anomaly-${i}`, kind: 'anomaly' });
  }
  return ops;
}

type Output = AlertEvent | SlaSnapshot | CommandResult;

function apply(m: SeriesMonitor, ops: Op[]): Output[] {
  const out: Output[] = [];
  for (const o of ops) {
    if (o.op === 'point') {
      const r = m.observe(pt(o.t, o.v, o.score), o.finding);
      out.push(...r.alerts, ...r.slaSnapshots);
    } else if (o.op === 'silence') {
      out.push(...m.checkSilence(o.now, 5 * MIN));
    } else {
      // target whatever is open first: identical in both runs because the state is
      const target = m.openAlerts().find((a) => o.kind === undefined || a.kind === o.kind);
      out.push(m.applyCommand(command({ commandId: o.id, type: o.op === 'ack' ? 'acknowledge' : 'resolve', alertId: target?.alertId ?? 'none' }), o.now));
    }
  }
  return out;
}

function defsForScript(): DefinitionSet {
  return DefinitionSet.of([aboveRule({ forMs: 30_000 }), DEFAULT_ANOMALY_RULE], [errSla]);
}

describe('snapshot and restore', () => {
  const ops = script();
  const whole = new SeriesMonitor('svc', 'm', defsForScript());
  const expected = apply(whole, ops);
  const finalState = JSON.stringify(whole.toJSON());

  it('the script exercises every kind of transition', () => {
    const results = expected.filter((o): o is CommandResult => 'applied' in o);
    const alerts = [...expected.filter((o): o is AlertEvent => 'fingerprint' in o), ...results.flatMap((r) => (r.event ? [r.event] : []))];
    expect(results.filter((r) => !r.applied).length).toBeGreaterThan(0);
    const kinds = new Set(alerts.map((a) => `${a.kind}:${a.reason.split(':')[0]}`));
    for (const k of ['nodata:resolved by operator', 'threshold:opened', 'threshold:escalated', 'threshold:deescalated', 'threshold:auto-resolved', 'anomaly:opened', 'anomaly:auto-resolved', 'sla:opened', 'nodata:opened']) {
      expect(kinds).toContain(k);
    }
    expect(alerts.some((a) => a.reason.startsWith('acknowledged'))).toBe(true);
    expect(alerts.some((a) => a.reason.startsWith('resolved by operator'))).toBe(true);
    expect(expected.some((o) => 'slaId' in o)).toBe(true);
  });

  /** Split points where some timer or counter is mid-flight, so a field lost in the snapshot shows. */
  function interestingSplits(): number[] {
    const probe = new SeriesMonitor('svc', 'm', defsForScript());
    const wanted: Record<string, (s: SeriesMonitorState) => boolean> = {
      thresholdPendingUp: (s) => s.thresholds.some((t) => t.upSince !== null),
      thresholdPendingDown: (s) => s.thresholds.some((t) => t.downSince !== null && t.downPoints > 0),
      anomalyCounting: (s) => s.anomalies.some((a) => a.normalPoints > 0 && s.open.some((o) => o.kind === 'anomaly')),
      anomalySuppressed: (s) => s.anomalies.some((a) => a.suppressedStart !== null),
      burnClearing: (s) => s.burns.some((b) => b.clearSince !== null),
      burnNeedsClear: (s) => s.burns.some((b) => b.needsClear),
      silenceArmed: (s) => !s.sawPointSinceCheck && s.heardAt !== null,
      nodataOpen: (s) => s.open.some((o) => o.kind === 'nodata'),
      nodataSuppressed: (s) => s.nodataSuppressed,
      acknowledged: (s) => s.open.some((o) => o.status === 'acknowledged'),
    };
    const found = new Map<string, number>();
    ops.forEach((o, i) => {
      apply(probe, [o]);
      const state = probe.toJSON();
      for (const [name, test] of Object.entries(wanted)) if (!found.has(name) && test(state)) found.set(name, i + 1);
    });
    expect([...found.keys()].sort()).toEqual(Object.keys(wanted).sort());
    return [...new Set(found.values())];
  }

  it.each([1, 250, 699, 700, 701, 1234, ops.length - 1])('observe(A..Z) equals observe(A..M) → toJSON → JSON → fromJSON → observe(N..Z), split at op %i', (split) => {
    const first = new SeriesMonitor('svc', 'm', defsForScript());
    const head = apply(first, ops.slice(0, split));
    const saved = JSON.stringify(first.toJSON());
    const restored = SeriesMonitor.fromJSON(JSON.parse(saved) as SeriesMonitorState, 'svc', 'm', defsForScript());
    expect(JSON.stringify(restored.toJSON())).toBe(saved);
    const tail = apply(restored, ops.slice(split));
    expect(JSON.stringify([...head, ...tail])).toBe(JSON.stringify(expected));
    expect(JSON.stringify(restored.toJSON())).toBe(finalState);
  });

  it('restores mid-flight: pending timers, clearing counters, suppressions, silence, acknowledgements', () => {
    for (const split of interestingSplits()) {
      const first = new SeriesMonitor('svc', 'm', defsForScript());
      const head = apply(first, ops.slice(0, split));
      const saved = JSON.stringify(first.toJSON());
      const restored = SeriesMonitor.fromJSON(JSON.parse(saved), 'svc', 'm', defsForScript());
      expect(JSON.stringify(restored.toJSON()), `state at ${split}`).toBe(saved);
      const tail = apply(restored, ops.slice(split));
      expect(JSON.stringify([...head, ...tail]), `split at ${split}`).toBe(JSON.stringify(expected));
    }
  });

  it('the snapshot stays bounded after days of points', () => {
    const m = new SeriesMonitor('svc', 'm', DefinitionSet.of([aboveRule({ forMs: 0 }), DEFAULT_ANOMALY_RULE], [sla({ ...errSla, windowMs: 86_400_000 })]));
    const rand = (i: number) => (Math.sin(i * 12.9898) * 43758.5453) % 1;
    for (let i = 0; i < 3 * 24 * 360; i++) m.observe(pt(T0 + i * STEP, 150 * Math.abs(rand(i))), null); // 3 days at 10 s
    const state = m.toJSON();
    expect(state.slas[0].window.starts.length).toBeLessThanOrEqual(1440);
    expect(state.slas[0].fine.starts.length).toBeLessThanOrEqual(360);
    expect(state.recentResolved.length).toBeLessThanOrEqual(16);
    expect(JSON.stringify(state).length).toBeLessThan(200_000);
  });

  it('a restored monitor resolves alerts of rules the new definitions dropped, at its next point', () => {
    const m = new SeriesMonitor('svc', 'm', DefinitionSet.of([aboveRule({ forMs: 0 })], []));
    feed(m, T0, STEP, [150]);
    const restored = SeriesMonitor.fromJSON(JSON.parse(JSON.stringify(m.toJSON())), 'svc', 'm', DefinitionSet.of([], []));
    expect(restored.openAlerts()).toHaveLength(1);
    const r = restored.observe(pt(T0 + STEP, 150), null);
    expect(r.alerts.map((a) => [a.ruleId, a.reason])).toEqual([['r1', 'rule deleted']]);
  });

  it('refuses a snapshot of another series, another format, or garbage', () => {
    const state = monitorWith([]).toJSON();
    const defs = DefinitionSet.of([], []);
    expect(() => SeriesMonitor.fromJSON(state, 'other', 'm', defs)).toThrow(VigilError);
    expect(() => SeriesMonitor.fromJSON({ ...state, format: 99 }, 'svc', 'm', defs)).toThrow(/format 99, expected 1/);
    expect(() => SeriesMonitor.fromJSON({ ...state, open: 'x' } as never, 'svc', 'm', defs)).toThrow(/open is not an array/);
    expect(() => SeriesMonitor.fromJSON(null as never, 'svc', 'm', defs)).toThrow(/not an object/);
  });
});
