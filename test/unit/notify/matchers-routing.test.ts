/** Label matchers and the routing tree (first match, continue, nesting, inheritance). */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config.ts';
import { matches, parseMatcher } from '../../../oncall/notify/matchers.ts';
import { compileRoutes, matchRoutes } from '../../../oncall/notify/routing.ts';
import { incidentLabels } from '../../../oncall/notify/labels.ts';
import { alert, incident } from './fixtures.ts';

function matcher(text: string) {
  const p = parseMatcher(text);
  if (!p.ok) throw new Error(p.reason);
  return p.matcher;
}

describe('matchers', () => {
  it.each([
    ['severity="critical"', { severity: 'critical' }, true],
    ['severity="critical"', { severity: 'high' }, false],
    ['severity!=info', { severity: 'high' }, true],
    ['severity=~"critical|high"', { severity: 'high' }, true],
    // anchored: a partial match is no match, as in Alertmanager
    ['source=~"check"', { source: 'checkout' }, false],
    ['source!~"test-.*"', { source: 'test-1' }, false],
    ['team=""', {}, true], // a missing label matches as ''
    ['team!=""', {}, false],
    ['tag:team="payments"', { 'tag:team': 'payments' }, true],
    ['tag:team=payments', { team: 'payments' }, false], // tags are tag:<key>, never bare
    ['tag:k8s.io/ns=~"sh.*"', { 'tag:k8s.io/ns': 'shop' }, true],
    ['tag:team!~"pay.*"', { 'tag:team': 'ops' }, true],
    ['tag:team=""', { source: 'x' }, true],
  ])('%s against %j → %s', (text, labels, expected) => {
    expect(matches(matcher(text), labels)).toBe(expected);
  });

  it.each([
    ['no operator', 'severity'],
    ['bad label', '1abc="x"'],
    ['bad regex', 'source=~"("'],
    ['catastrophic backtracking shape', 'source=~"(a+)+"'],
    ['regex too long', `source=~"${'a'.repeat(300)}"`],
    ['broken quoting', 'source="a\\"'],
    ['empty tag key', 'tag:="x"'],
    ['bad tag regex', 'tag:team=~"(a|b)*"'],
  ])('refuses %s with a reason', (_what, text) => {
    const p = parseMatcher(text);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.reason.length).toBeGreaterThan(10);
  });
});

const receivers = ['default', 'pager', 'slack', 'db-team'].map((name) => ({ type: 'webhook', name, url: `http://127.0.0.1:1/${name}`, secret: 'x'.repeat(16) }));

function tree(route: unknown) {
  const config = loadConfig({ env: {}, overrides: { notify: { receivers, route, groupWaitMs: 1000, groupIntervalMs: 5000, repeatIntervalMs: 60_000 } } });
  return compileRoutes(config.notify);
}

describe('routing on tags', () => {
  it('routes by tag:<key> on the incident labels (group labels and tags all its alerts share)', () => {
    const root = tree({ receiver: 'default', routes: [{ matchers: ['tag:team="payments"', 'severity=~"critical|high"'], receiver: 'pager' }, { matchers: ['tag:team=~".+"'], receiver: 'slack' }] });
    const labels = incidentLabels(incident({ groupKey: 'tag:team=payments', groupLabels: { 'tag:team': 'payments' }, alerts: [alert({ tags: { team: 'payments' } }), alert({ alertId: 'b', source: 'billing', tags: { team: 'payments', zone: 'a' } })] }));
    expect(labels).toMatchObject({ 'tag:team': 'payments', metric: 'error_rate', severity: 'high' });
    expect(labels['tag:zone']).toBeUndefined(); // not shared by every alert
    expect(labels.source).toBeUndefined(); // two sources
    expect(matchRoutes(root, labels).map((m) => m.receiver)).toEqual(['pager']);
    expect(matchRoutes(root, { ...labels, severity: 'low' }).map((m) => m.receiver)).toEqual(['slack']);
    expect(matchRoutes(root, { severity: 'high' }).map((m) => m.receiver)).toEqual(['default']);
  });
});

describe('routing tree', () => {
  const root = tree({
    receiver: 'default',
    routes: [
      { matchers: ['severity="critical"'], receiver: 'pager', groupWaitMs: 0, continue: true },
      { matchers: ['source=~"db-.*"'], receiver: 'db-team', repeatIntervalMs: 3_600_000, routes: [{ matchers: ['metric="cpu_usage"'], receiver: 'slack' }] },
      { matchers: ['severity=~"critical|high"'], receiver: 'slack' },
    ],
  });

  it('no child matches: the root is the match, with the global timers', () => {
    expect(matchRoutes(root, { severity: 'low', source: 'web' })).toEqual([
      { routeId: 'root', receiver: 'default', groupWaitMs: 1000, groupIntervalMs: 5000, repeatIntervalMs: 60_000 },
    ]);
  });

  it('first match wins: a high checkout incident goes to slack only', () => {
    expect(matchRoutes(root, { severity: 'high', source: 'checkout' }).map((m) => m.receiver)).toEqual(['slack']);
  });

  it('continue: a critical incident pages and still reaches the next matching sibling', () => {
    const got = matchRoutes(root, { severity: 'critical', source: 'checkout' });
    expect(got.map((m) => [m.routeId, m.receiver, m.groupWaitMs])).toEqual([
      ['root.0', 'pager', 0],
      ['root.2', 'slack', 1000],
    ]);
  });

  it('nested routes inherit timers; a nested match replaces its parent', () => {
    expect(matchRoutes(root, { severity: 'low', source: 'db-main', metric: 'cpu_usage' })).toEqual([
      { routeId: 'root.1.0', receiver: 'slack', groupWaitMs: 1000, groupIntervalMs: 5000, repeatIntervalMs: 3_600_000 },
    ]);
    expect(matchRoutes(root, { severity: 'low', source: 'db-main', metric: 'memory_usage' }).map((m) => m.receiver)).toEqual(['db-team']);
  });

  it('without a route nothing is notified', () => {
    expect(matchRoutes(compileRoutes(loadConfig({ env: {} }).notify), { severity: 'critical' })).toEqual([]);
  });
});

describe('notify config refusals', () => {
  const refuse = (notify: unknown) => () => loadConfig({ env: {}, overrides: { notify } });
  it('a route may name a receiver defined only through the API (the notifier warns if it never appears)', () => {
    expect(refuse({ receivers, route: { receiver: 'nobody' } })).not.toThrow();
  });
  it('a root route without receiver', () => {
    expect(refuse({ receivers, route: { routes: [] } })).toThrow(/root route must name a receiver/);
  });
  it('a bad matcher names it', () => {
    expect(refuse({ receivers, route: { receiver: 'default', routes: [{ matchers: ['severity=~"("'] }] } })).toThrow(/route\.routes\.0\.matchers\.0: severity: value/);
  });
  it('a short webhook secret, a non-http URL, duplicate names, unknown keys', () => {
    expect(refuse({ receivers: [{ type: 'webhook', name: 'w', url: 'http://127.0.0.1/', secret: 'short' }] })).toThrow(/at least 16 characters/);
    expect(refuse({ receivers: [{ type: 'slack', name: 's', url: 'file:///etc/passwd' }] })).toThrow(/http:\/\/ or https:\/\//);
    expect(refuse({ receivers: [receivers[0], receivers[0]] })).toThrow(/defined twice/);
    expect(refuse({ receivers: [{ ...receivers[0], extra: 1 }] })).toThrow(/extra/);
    expect(refuse({ receivers: [{ type: 'pagerduty', name: 'p', url: 'http://127.0.0.1/' }] })).toThrow(/notify\.receivers\.0/);
  });
});
