import { describe, expect, it } from 'vitest';
import { legalLabelName, mirroredSilence, postableAlert, vanishedMirror, type ForwardedAlert, type GettableSilence } from '../../../oncall/alertmanager/mapping.ts';
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

  it('label names are made legal for Alertmanager 0.25', () => {
    expect(legalLabelName('team.name')).toBe('team_name');
    expect(legalLabelName('9lives')).toBe('_9lives');
    expect(legalLabelName('ok_name')).toBe('ok_name');
  });
});

describe('Alertmanager silence → Vigil silence', () => {
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
