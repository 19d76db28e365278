import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config.ts';
import { eventIdOf } from '../../../pipeline/alerts/ids.ts';
import type { AlertEvent, IncidentEvent } from '../../../schemas/records.ts';
import { groupKeyOf, groupOf, type OncallPolicy } from '../../../oncall/incidents/grouping.ts';
import { compileInhibitRules } from '../../../oncall/incidents/inhibition.ts';
import { applyAlertEvent, incidentIdOf, splitComment, type IncidentPolicy } from '../../../oncall/incidents/incident-state.ts';

const T0 = 1_700_000_000_000;

function policyOf(oncall: Record<string, unknown> = {}): IncidentPolicy {
  const policy: OncallPolicy = loadConfig({ env: {}, overrides: { oncall } }).oncall;
  return { policy, inhibitRules: compileInhibitRules(policy) };
}

function alertEvent(over: Partial<AlertEvent> & Pick<AlertEvent, 'alertId'>): AlertEvent {
  const base: AlertEvent = {
    eventId: '',
    alertId: over.alertId,
    fingerprint: `${over.source ?? 'checkout'}|${over.metric ?? 'error_rate'}|${over.ruleId ?? 'default.error_rate'}`,
    source: 'checkout',
    metric: 'error_rate',
    ruleId: 'default.error_rate',
    kind: 'threshold',
    severity: 'high',
    status: 'firing',
    version: 1,
    timestamp: T0,
    openedAt: T0,
    value: 7,
    threshold: 5,
    message: 'error_rate 7 above 5',
    actor: 'pipeline',
    reason: 'opened',
    tags: {},
  };
  const e = { ...base, ...over };
  return { ...e, eventId: eventIdOf(e.alertId, e.version) };
}

/** Feeds events through the state machine like the processor does: one latest incident per group key. */
function run(events: AlertEvent[], rules = policyOf()): IncidentEvent[] {
  const latest = new Map<string, IncidentEvent>();
  const out: IncidentEvent[] = [];
  for (const e of events) {
    const group = groupOf(e, rules.policy);
    if (!group) continue;
    const next = applyAlertEvent(latest.get(group.groupKey) ?? null, group, e, rules);
    if (next) {
      latest.set(group.groupKey, next);
      out.push(next);
    }
  }
  return out;
}

describe('grouping', () => {
  const { policy } = policyOf();
  it('defaults to one incident per series; [source] groups across metrics; keys are canonical', () => {
    const a = groupOf(alertEvent({ alertId: 'a' }), policy)!;
    const b = groupOf(alertEvent({ alertId: 'b', ruleId: 'default.anomaly', kind: 'anomaly' }), policy)!;
    const c = groupOf(alertEvent({ alertId: 'c', metric: 'cpu_usage' }), policy)!;
    expect(a).toEqual({ groupKey: 'metric=error_rate,source=checkout', groupLabels: { source: 'checkout', metric: 'error_rate' } });
    expect(b.groupKey).toBe(a.groupKey);
    expect(c.groupKey).not.toBe(a.groupKey);
    const bySource = policyOf({ groupBy: ['source'] }).policy;
    expect(groupOf(alertEvent({ alertId: 'c', metric: 'cpu_usage' }), bySource)!.groupKey).toBe('source=checkout');
  });
  it('quotes values holding separators so different label sets never share a key', () => {
    expect(groupKeyOf({ source: 'a,metric=b' })).not.toBe(groupKeyOf({ source: 'a', metric: 'b' }));
    expect(groupKeyOf({ source: 'a,metric=b' })).toBe('source="a,metric=b"');
  });
  it('no-data alerts of one source form one incident apart from its other alerts; alert:false keeps them out', () => {
    const nd = (metric: string) => alertEvent({ alertId: `nd-${metric}`, metric, ruleId: 'nodata', kind: 'nodata' });
    expect(groupOf(nd('cpu_usage'), policy)!.groupKey).toBe('kind=nodata,source=checkout');
    expect(groupOf(nd('error_rate'), policy)!.groupKey).toBe('kind=nodata,source=checkout');
    const quiet = policyOf({ nodata: { rules: [{ source: 'batch-job', severity: 'info', alert: false }, { severity: 'medium' }] } }).policy;
    expect(groupOf({ ...nd('x'), source: 'batch-job' }, quiet)).toBeNull();
    expect(groupOf(nd('x'), quiet)).not.toBeNull();
  });
  it('groups by tag:<key> across sources and metrics; a missing tag groups as ""; same input, same incident id', () => {
    const byTeam = policyOf({ groupBy: ['tag:team'] }).policy;
    const pay1 = alertEvent({ alertId: 'p1', source: 'checkout', tags: { team: 'payments', region: 'eu' } });
    const pay2 = alertEvent({ alertId: 'p2', source: 'billing', metric: 'response_time', tags: { team: 'payments' } });
    const ops = alertEvent({ alertId: 'o1', source: 'checkout', tags: { team: 'ops' } });
    const none = alertEvent({ alertId: 'n1', source: 'legacy' });
    expect(groupOf(pay1, byTeam)).toEqual({ groupKey: 'tag:team=payments', groupLabels: { 'tag:team': 'payments' } });
    expect(groupOf(pay2, byTeam)!.groupKey).toBe('tag:team=payments');
    expect(groupOf(ops, byTeam)!.groupKey).toBe('tag:team=ops');
    expect(groupOf(none, byTeam)).toEqual({ groupKey: 'tag:team=', groupLabels: { 'tag:team': '' } });
    const mixed = policyOf({ groupBy: ['source', 'tag:k8s.io/ns'] }).policy;
    expect(groupOf({ ...pay1, tags: { 'k8s.io/ns': 'shop' } }, mixed)!.groupKey).toBe('source=checkout,tag:k8s.io/ns=shop');
    // The incident id is a pure function of the events: replaying gives the same incidents.
    const rules = policyOf({ groupBy: ['tag:team'] });
    const first = run([pay1, pay2, ops], rules);
    expect(run([pay1, pay2, ops], rules)).toEqual(first);
    expect(first.map((e) => [e.groupKey, e.alerts.map((a) => a.alertId)])).toEqual([
      ['tag:team=payments', ['p1']],
      ['tag:team=payments', ['p1', 'p2']],
      ['tag:team=ops', ['o1']],
    ]);
    expect(first[1].incidentId).toBe(first[0].incidentId);
    expect(first[1].alerts.map((a) => a.tags)).toEqual([{ team: 'payments', region: 'eu' }, { team: 'payments' }]);
    // A tag named like a fixed label stays a tag: it cannot regroup by a fake source.
    expect(groupOf({ ...pay1, tags: { source: 'fake' } }, policyOf({ groupBy: ['source', 'tag:source'] }).policy)!.groupLabels).toEqual({ source: 'checkout', 'tag:source': 'fake' });
  });
  it('quotes label names holding separators (a tag key may hold anything)', () => {
    expect(groupKeyOf({ 'tag:a,b': 'x' })).toBe('"tag:a,b"=x');
    expect(groupKeyOf({ 'tag:a': 'b,tag:c=d' })).not.toBe(groupKeyOf({ 'tag:a': 'b', 'tag:c': 'd' }));
    expect(groupKeyOf({ 'tag:a=b': 'c' })).not.toBe(groupKeyOf({ 'tag:a': 'b=c' }));
  });
  it('refuses bad groupBy entries with a message naming the allowed ones', () => {
    for (const bad of [['tenant'], ['tag:'], ['Tag:team'], ['tag:a\u0007b'], ['source', 'source'], [`tag:${'k'.repeat(300)}`]]) {
      expect(() => loadConfig({ env: {}, overrides: { oncall: { groupBy: bad } } }), JSON.stringify(bad)).toThrow(/oncall\.groupBy/);
    }
    expect(() => loadConfig({ env: {}, overrides: { oncall: { groupBy: ['tenant'] } } })).toThrow(/"tenant" is not a group label: use source, metric, kind, alertname or tag:<tag key>/);
    expect(() => loadConfig({ env: {}, overrides: { oncall: { nodata: { groupBy: ['team'] } } } })).toThrow(/oncall\.nodata\.groupBy\.0/);
    expect(loadConfig({ env: {}, overrides: { oncall: { groupBy: ['tag:team', 'source'], nodata: { groupBy: ['tag:team'] } } } }).oncall.groupBy).toEqual(['tag:team', 'source']);
    expect(() => loadConfig({ env: {}, overrides: { oncall: { inhibitRules: [{ sourceMatchers: ['severity="critical"'], targetMatchers: ['severity="low"'], equal: ['tag:'] }] } } })).toThrow(/oncall\.inhibitRules\.0\.equal\.0/);
  });
  it('refuses bad grouping and inhibition config with the field named', () => {
    expect(() => loadConfig({ env: {}, overrides: { oncall: { groupBy: ['tenant'] } } })).toThrow(/oncall\.groupBy\.0/);
    expect(() => loadConfig({ env: {}, overrides: { oncall: { groupBy: [] } } })).toThrow(/oncall\.groupBy/);
    expect(() => loadConfig({ env: {}, overrides: { oncall: { inhibitRules: [{ sourceMatchers: ['severity=~"(a+)+"'], targetMatchers: ['x="y"'] }] } } })).toThrow(
      /oncall\.inhibitRules\.0\.sourceMatchers\.0/,
    );
    expect(() => loadConfig({ env: {}, overrides: { oncall: { inhibitRules: [{ sourceMatchers: ['nonsense'], targetMatchers: ['x="y"'] }] } } })).toThrow(/inhibitRules/);
    expect(() => loadConfig({ env: {}, overrides: { oncall: { nodata: { rules: [{ severity: 'urgent' }] } } } })).toThrow(/oncall\.nodata\.rules\.0\.severity/);
  });
});

describe('incident lifecycle', () => {
  it('groups a series storm into one incident whose severity is the highest alert, then resolves when all alerts do', () => {
    const out = run([
      alertEvent({ alertId: 'thr', severity: 'medium' }),
      alertEvent({ alertId: 'burn', ruleId: 'sla:err:fast', kind: 'sla', severity: 'high', timestamp: T0 + 1000, openedAt: T0 + 1000 }),
      alertEvent({ alertId: 'thr', status: 'resolved', version: 2, timestamp: T0 + 5000 }),
      alertEvent({ alertId: 'burn', ruleId: 'sla:err:fast', kind: 'sla', severity: 'high', status: 'resolved', version: 2, timestamp: T0 + 6000, openedAt: T0 + 1000 }),
    ]);
    expect(out.map((e) => [e.version, e.status, e.severity, e.alerts.length, e.causeAlertId])).toEqual([
      [1, 'firing', 'medium', 1, 'thr'],
      [2, 'firing', 'high', 2, 'burn'],
      [3, 'firing', 'high', 2, 'thr'],
      [4, 'resolved', 'high', 2, 'burn'],
    ]);
    const id = incidentIdOf('metric=error_rate,source=checkout', T0);
    expect(new Set(out.map((e) => e.incidentId))).toEqual(new Set([id]));
    expect(new Set(out.map((e) => e.eventId)).size).toBe(4);
    expect(out[0]).toMatchObject({ openedAt: T0, title: 'checkout/error_rate: 1 alert', reason: expect.stringContaining('incident opened') });
  });

  it('acknowledging every alert acknowledges the incident with the operator and comment; a new firing alert re-arms it', () => {
    const out = run([
      alertEvent({ alertId: 'a' }),
      alertEvent({ alertId: 'b', ruleId: 'default.anomaly', kind: 'anomaly', severity: 'low' }),
      alertEvent({ alertId: 'a', status: 'acknowledged', version: 2, timestamp: T0 + 10, actor: 'alice', reason: 'acknowledged: looking at the deploy' }),
      alertEvent({ alertId: 'b', ruleId: 'default.anomaly', kind: 'anomaly', severity: 'low', status: 'acknowledged', version: 2, timestamp: T0 + 11, actor: 'alice', reason: 'acknowledged: looking at the deploy' }),
      alertEvent({ alertId: 'c', ruleId: 'sla:err:slow', kind: 'sla', timestamp: T0 + 20, openedAt: T0 + 20 }),
    ]);
    expect(out.map((e) => e.status)).toEqual(['firing', 'firing', 'firing', 'acknowledged', 'firing']);
    expect(out[3]).toMatchObject({ actor: 'alice', comment: 'looking at the deploy', reason: expect.stringMatching(/^incident acknowledged: .*\(acknowledged\)$/) });
    expect(out[4].reason).toMatch(/^incident firing/);
  });

  it('drops re-delivered and stale events, and never re-opens a resolved incident from an old alert event', () => {
    const open = alertEvent({ alertId: 'a' });
    const resolved = alertEvent({ alertId: 'a', status: 'resolved', version: 2, timestamp: T0 + 5 });
    const out = run([open, open, resolved, resolved, open, alertEvent({ alertId: 'ghost', status: 'resolved', version: 3 })]);
    expect(out.map((e) => `${e.version}:${e.status}`)).toEqual(['1:firing', '2:resolved']);
    // A new alert of the same series after that is a new incident.
    const again = run([open, resolved, alertEvent({ alertId: 'a2', timestamp: T0 + 60_000, openedAt: T0 + 60_000 })]);
    expect(again[2]).toMatchObject({ version: 1, openedAt: T0 + 60_000, incidentId: incidentIdOf('metric=error_rate,source=checkout', T0 + 60_000) });
    expect(again[2].alerts.map((a) => a.alertId)).toEqual(['a2']);
  });

  it('is deterministic: the same alert events give byte-identical incident events', () => {
    const events = [
      alertEvent({ alertId: 'a', severity: 'critical' }),
      alertEvent({ alertId: 'b', severity: 'low', ruleId: 'default.anomaly', kind: 'anomaly', timestamp: T0 + 3 }),
      alertEvent({ alertId: 'a', status: 'resolved', severity: 'critical', version: 2, timestamp: T0 + 9 }),
    ];
    expect(run(events)).toEqual(run(events.map((e) => ({ ...e }))));
  });

  it('keeps the timeline monotonic when an alert event carries an older timestamp', () => {
    const out = run([alertEvent({ alertId: 'a', timestamp: T0 + 100, openedAt: T0 + 100 }), alertEvent({ alertId: 'b', ruleId: 'r2', timestamp: T0 + 50, openedAt: T0 + 50 })]);
    expect(out.map((e) => e.timestamp)).toEqual([T0 + 100, T0 + 100]);
  });

  it('splits operator comments out of alert reasons', () => {
    expect(splitComment('acknowledged: on it: really')).toEqual({ reason: 'acknowledged', comment: 'on it: really' });
    expect(splitComment('resolved by operator: fixed')).toEqual({ reason: 'resolved by operator', comment: 'fixed' });
    expect(splitComment('auto-resolved')).toEqual({ reason: 'auto-resolved', comment: '' });
  });
});

describe('inhibition and no-data severity', () => {
  it('a firing critical alert mutes the lower ones of its incident (still listed); they count again once it resolves', () => {
    const out = run([
      alertEvent({ alertId: 'hi', severity: 'high' }),
      alertEvent({ alertId: 'crit', ruleId: 'sla:err:fast', kind: 'sla', severity: 'critical', timestamp: T0 + 1 }),
      alertEvent({ alertId: 'crit', ruleId: 'sla:err:fast', kind: 'sla', severity: 'critical', status: 'resolved', version: 2, timestamp: T0 + 2 }),
    ]);
    expect(out[1].alerts.map((a) => [a.alertId, a.inhibited])).toEqual([
      ['hi', true],
      ['crit', false],
    ]);
    expect(out[1].severity).toBe('critical');
    expect(out[2].alerts.map((a) => [a.alertId, a.inhibited])).toEqual([
      ['hi', false],
      ['crit', false],
    ]);
    expect(out[2]).toMatchObject({ severity: 'high', status: 'firing' });
  });

  it('an acknowledged critical still mutes; the incident is acknowledged while only muted alerts fire', () => {
    const out = run([
      alertEvent({ alertId: 'hi', severity: 'high' }),
      alertEvent({ alertId: 'crit', ruleId: 'r.crit', severity: 'critical' }),
      alertEvent({ alertId: 'crit', ruleId: 'r.crit', severity: 'critical', status: 'acknowledged', version: 2, actor: 'bob', reason: 'acknowledged' }),
    ]);
    expect(out[2]).toMatchObject({ status: 'acknowledged', severity: 'critical', actor: 'bob' });
  });

  it('honours custom rules with equal labels, and no rules means no muting', () => {
    const custom = policyOf({ groupBy: ['source'], inhibitRules: [{ sourceMatchers: ['metric="availability"'], targetMatchers: ['metric!="availability"'], equal: ['source'] }] });
    const out = run(
      [alertEvent({ alertId: 'lat', metric: 'response_time' }), alertEvent({ alertId: 'av', metric: 'availability', severity: 'medium' })],
      custom,
    );
    expect(out[1].alerts.find((a) => a.alertId === 'lat')!.inhibited).toBe(true);
    expect(out[1].severity).toBe('medium');
    const none = run([alertEvent({ alertId: 'hi' }), alertEvent({ alertId: 'crit', ruleId: 'r.crit', severity: 'critical' })], policyOf({ inhibitRules: [] }));
    expect(none[1].alerts.every((a) => !a.inhibited)).toBe(true);
  });

  it('inhibition matches and compares tag:<key> labels (sourceMatchers, targetMatchers, equal)', () => {
    const rules = policyOf({
      groupBy: ['source'],
      inhibitRules: [{ sourceMatchers: ['tag:role="primary"', 'severity="critical"'], targetMatchers: ['tag:role=~"replica|cache"'], equal: ['tag:zone'] }],
    });
    const out = run(
      [
        alertEvent({ alertId: 'rep-a', tags: { role: 'replica', zone: 'a' } }),
        alertEvent({ alertId: 'rep-b', metric: 'cpu_usage', tags: { role: 'replica', zone: 'b' } }),
        alertEvent({ alertId: 'pri-a', metric: 'availability', ruleId: 'r.pri', severity: 'critical', tags: { role: 'primary', zone: 'a' } }),
      ],
      rules,
    );
    const last = out[out.length - 1];
    expect(last.alerts.map((a) => [a.alertId, a.inhibited])).toEqual([['rep-a', true], ['rep-b', false], ['pri-a', false]]);
  });

  it('twenty series of one source that stop are one low-severity no-data incident by default', () => {
    const events = Array.from({ length: 20 }, (_, i) =>
      alertEvent({ alertId: `nd${i}`, metric: `m${i}`, ruleId: 'nodata', kind: 'nodata', severity: 'high', timestamp: T0 + i, openedAt: T0 + i }),
    );
    const out = run(events);
    expect(new Set(out.map((e) => e.incidentId)).size).toBe(1);
    expect(out.at(-1)).toMatchObject({ severity: 'low', title: 'checkout: no data', groupLabels: { source: 'checkout', kind: 'nodata' } });
    expect(out.at(-1)!.alerts).toHaveLength(20);
    const configured = run(events, policyOf({ nodata: { rules: [{ metric: 'm3', severity: 'critical' }, { severity: 'info' }] } }));
    expect(configured.at(-1)!.severity).toBe('critical');
    expect(run(events, policyOf({ nodata: { rules: [{ severity: 'low', alert: false }] } }))).toEqual([]);
  });
});
