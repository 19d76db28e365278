import { describe, expect, it } from 'vitest';
import { legalLabelName, mirroredSilence, planMirror, postableAlert, vanishedMirror, type ForwardedAlert, type GettableSilence } from '../../../oncall/alertmanager/mapping.ts';
import { compileSilence } from '../../../oncall/silences/silence.ts';

const T = Date.UTC(2026, 11, 6, 12, 0, 0);
const alert: ForwardedAlert = {
  alertId: 'a1',
  source: 'api',
  metric: 'error_rate',
  ruleId: 'default.error_rate',
  kind: 'threshold',
  severity: 'high',
  status: 'firing',
  message: 'error rate 12%',
  openedAt: T - 60_000,
  version: 1,
  updatedAt: T - 60_000,
  tags: {},
};
const opts = { dashboardUrl: 'http://vigil.local:8080/', resendIntervalMs: 60_000 };

const amSilence = (over: Partial<GettableSilence> = {}): GettableSilence => ({
  id: '5f1c',
  matchers: [{ name: 'source', value: 'api', isRegex: false, isEqual: true }, { name: 'severity', value: 'low|info', isRegex: true, isEqual: false }],
  startsAt: new Date(T - 1000).toISOString(),
  endsAt: new Date(T + 3_600_000).toISOString(),
  createdBy: 'anna',
  comment: 'db failover',
  updatedAt: new Date(T - 1000).toISOString(),
  status: { state: 'active' },
  ...over,
});

describe('Vigil alert → Alertmanager', () => {
  it('firing: labels, annotations, endsAt four resend intervals ahead', () => {
    expect(postableAlert(alert, T, opts)).toEqual({
      labels: { alertname: 'default.error_rate', source: 'api', metric: 'error_rate', severity: 'high', kind: 'threshold' },
      annotations: { summary: 'high error_rate on api', description: 'error rate 12%', dashboard: 'http://vigil.local:8080/#alerts', vigil_alert_id: 'a1', vigil_status: 'firing' },
      startsAt: new Date(T - 60_000).toISOString(),
      endsAt: new Date(T + 240_000).toISOString(),
      generatorURL: 'http://vigil.local:8080/#alerts',
    });
  });

  it('resolved: endsAt is the resolve time', () => {
    expect(postableAlert({ ...alert, status: 'resolved', updatedAt: T - 5000 }, T, opts).endsAt).toBe(new Date(T - 5000).toISOString());
  });

  it('tags become tag_<key> labels, cleaned to Alertmanager 0.25 names, and never override a built-in label', () => {
    const tagged = { ...alert, tags: { team: 'payments', 'k8s.io/ns': 'shop', severity: 'info', source: 'fake', empty: '', 'a.b': 'first', 'a-b': 'second' } };
    expect(postableAlert(tagged, T, opts).labels).toEqual({
      alertname: 'default.error_rate', source: 'api', metric: 'error_rate', severity: 'high', kind: 'threshold',
      tag_team: 'payments', tag_k8s_io_ns: 'shop', tag_severity: 'info', tag_source: 'fake',
      tag_a_b: 'second', // 'a-b' sorts before 'a.b': the first in key order wins, every time
    });
    for (const name of Object.keys(postableAlert(tagged, T, opts).labels)) expect(name).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
  });

  it('label names are made legal for Alertmanager 0.25', () => {
    expect(legalLabelName('team.name')).toBe('team_name');
    expect(legalLabelName('9lives')).toBe('_9lives');
    expect(legalLabelName('ok_name')).toBe('ok_name');
  });
});

describe('Alertmanager silence → Vigil silence', () => {
  it('a matcher on tag_<key> (what Vigil sends for a tag) mirrors as tag:<key>', () => {
    const s = mirroredSilence(amSilence({ matchers: [{ name: 'tag_team', value: 'payments', isRegex: false, isEqual: true }, { name: 'source', value: 'api', isRegex: false, isEqual: true }] }), { now: T })!;
    expect(s.matchers).toEqual([{ name: 'tag:team', op: '=', value: 'payments' }, { name: 'source', op: '=', value: 'api' }]);
    expect(compileSilence(s).ok).toBe(true);
  });

  it('maps matchers and metadata, and the result is a valid Vigil silence', () => {
    const s = mirroredSilence(amSilence(), { now: T });
    expect(s).toMatchObject({
      id: 'am-5f1c',
      matchers: [{ name: 'source', op: '=', value: 'api' }, { name: 'severity', op: '!~', value: 'low|info' }],
      createdBy: 'alertmanager:anna',
      comment: 'db failover',
      version: 1,
      endsAt: T + 3_600_000,
    });
    expect(compileSilence(s).ok).toBe(true);
  });

  it('an unchanged silence writes nothing; a changed one bumps the version; an expired one ends now', () => {
    const first = mirroredSilence(amSilence(), { now: T })!;
    expect(mirroredSilence(amSilence(), { now: T + 1000, previous: first })).toBeNull();
    expect(mirroredSilence(amSilence({ comment: 'longer' }), { now: T, previous: first })).toMatchObject({ version: 2, comment: 'longer' });
    expect(mirroredSilence(amSilence({ status: { state: 'expired' } }), { now: T + 5000, previous: first })).toMatchObject({ version: 2, endsAt: T + 5000 });
  });

  it('a mirror whose silence vanished is expired once', () => {
    const first = mirroredSilence(amSilence(), { now: T })!;
    const gone = vanishedMirror(first, T + 10);
    expect(gone).toMatchObject({ endsAt: T + 10, version: 2 });
    expect(vanishedMirror(gone!, T + 20)).toBeNull();
  });

  it('unparseable times give no silence; a regex Vigil refuses fails validation', () => {
    expect(mirroredSilence(amSilence({ endsAt: 'never' }), { now: T })).toBeNull();
    const bomb = mirroredSilence(amSilence({ matchers: [{ name: 'source', value: '(a+)+', isRegex: true }] }), { now: T });
    expect(compileSilence(bomb).ok).toBe(false);
  });
});

describe('planMirror (Alertmanager\'s answer is untrusted input)', () => {
  it('writes new silences, nothing for unchanged ones, and expires mirrors Alertmanager no longer lists', () => {
    const first = planMirror([amSilence()], [], T);
    expect(first.writes.map((s) => [s.id, s.version])).toEqual([['am-5f1c', 1]]);
    expect(first.refused).toEqual([]);
    const held = first.writes;
    expect(planMirror([amSilence()], held, T + 1000)).toEqual({ writes: [], refused: [] });
    const gone = planMirror([], held, T + 2000);
    expect(gone.writes).toMatchObject([{ id: 'am-5f1c', version: 2, endsAt: T + 2000 }]);
  });

  it('ignores Vigil\'s own silences and expires nothing on an unusable answer', () => {
    const own = { ...mirroredSilence(amSilence(), { now: T })!, id: 'vigil-made' };
    expect(planMirror([], [own], T).writes).toEqual([]);
    const mirror = mirroredSilence(amSilence(), { now: T })!;
    for (const answer of [null, {}, 'text', 42]) {
      const plan = planMirror(answer, [mirror], T);
      expect(plan.writes).toEqual([]);
      expect(plan.refused[0].reasons[0]).toMatch(/JSON array/);
    }
  });

  it.each([
    [null, /id must be/],
    [{ id: 7 }, /id must be/],
    [{ ...amSilence(), id: '../../x' }, /id must be/],
    [{ ...amSilence(), id: 'x'.repeat(62) }, /id must be/],
    [{ ...amSilence(), matchers: 'source=api' }, /matchers, startsAt and endsAt are required/],
    [{ ...amSilence(), endsAt: 5 }, /required/],
    [{ ...amSilence(), matchers: [null] }, /matchers\[0\]/],
    [{ ...amSilence(), matchers: [{ name: 'source', value: { $gt: '' }, isRegex: false }] }, /value must be a string/],
    [{ ...amSilence(), matchers: [{ name: '__proto__', value: '.*', isRegex: true }] }, /silence every alert/],
    [{ ...amSilence(), matchers: [{ name: 'source', value: '(a|aa)+', isRegex: true }] }, /exponential/],
    [{ ...amSilence(), comment: 'x'.repeat(5000) }, null],
  ])('refuses or bounds %j', (item, reason) => {
    const plan = planMirror([item], [], T);
    if (reason === null) {
      expect(plan.writes[0].comment).toHaveLength(2000); // cut to Vigil's limit, still mirrored
      return;
    }
    expect(plan.writes).toEqual([]);
    expect(plan.refused[0].reasons.join('; ')).toMatch(reason);
  });
});
