import { describe, expect, it } from 'vitest';
import { MATCHER_OPS as SERVER_OPS } from '../../../oncall/silences/matchers.ts';
import { WEEKDAYS as SERVER_DAYS } from '../../../oncall/silences/recurrence.ts';
import { validateSilenceRequest } from '../../../oncall/silences/silence.ts';
import { alertLabels } from '../../../oncall/silences/labels.ts';
import { compileMatcher, matchesAll } from '../../../oncall/silences/matchers.ts';
import { MATCHER_OPS, WEEKDAYS, describeMatchers, describeSchedule, matchersForAlert, silenceBody, sortSilences } from '../../../api/dashboard/static/lib/silences.js';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const alert = { alertId: 'a1', source: 'web-1', metric: 'cpu_usage', ruleId: 'browser.cpu_hot', kind: 'threshold', severity: 'high', status: 'firing' } as const;

describe('dashboard silences helpers', () => {
  it('mirror the server contract', () => {
    expect(MATCHER_OPS).toEqual([...SERVER_OPS]);
    expect(WEEKDAYS).toEqual([...SERVER_DAYS]);
  });

  it('the matchers prefilled from an alert row select that alert (and not its neighbours)', () => {
    const compiled = matchersForAlert(alert).map((m) => {
      const r = compileMatcher(m);
      if (!r.ok) throw new Error(r.error);
      return r.matcher;
    });
    expect(matchesAll(compiled, alertLabels(alert))).toBe(true);
    expect(matchesAll(compiled, alertLabels({ ...alert, metric: 'memory_usage' }))).toBe(false);
    expect(matchesAll(compiled, alertLabels({ ...alert, ruleId: 'default.cpu_usage' }))).toBe(false);
  });

  it('builds a body the server accepts, with a schedule when recurring', () => {
    const plain = silenceBody({ matchers: matchersForAlert(alert), duration: '2h', comment: ' deploy ' }, NOW);
    expect(plain.body).toEqual({ matchers: matchersForAlert(alert), startsAt: new Date(NOW).toISOString(), endsAt: new Date(NOW + 2 * 3_600_000).toISOString(), comment: 'deploy' });
    expect(validateSilenceRequest(plain.body, NOW).ok).toBe(true);
    const weekly = silenceBody({ matchers: matchersForAlert(alert), duration: '30d', comment: 'db', recurring: true, frequency: 'weekly', days: ['sun', 'bogus'], windowStart: '02:00', windowEnd: '04:00', timeZone: '' }, NOW);
    expect(weekly.body?.schedule).toEqual({ frequency: 'weekly', days: ['sun'], start: '02:00', end: '04:00', timeZone: 'UTC' });
    expect(validateSilenceRequest(weekly.body, NOW).ok).toBe(true);
  });

  it('says what is missing before asking the server', () => {
    expect(silenceBody({ matchers: [{ name: ' ', op: '=', value: 'x' }], duration: '1h', comment: 'c' }, NOW)).toEqual({ error: 'add at least one matcher' });
    expect(silenceBody({ matchers: matchersForAlert(alert), duration: '1h', comment: '  ' }, NOW)).toEqual({ error: 'say why (comment)' });
    expect(silenceBody({ matchers: matchersForAlert(alert), duration: '3y', comment: 'c' }, NOW)).toEqual({ error: 'choose how long' });
  });

  it('describes and sorts', () => {
    expect(describeMatchers([{ name: 'source', op: '=~', value: 'web-.*' }, { name: 'severity', op: '!=', value: 'info' }])).toBe('source=~"web-.*", severity!="info"');
    expect(describeSchedule({ frequency: 'weekly', days: ['sun'], start: '02:00', end: '04:00', timeZone: 'UTC' })).toBe('weekly sun 02:00–04:00 UTC');
    expect(describeSchedule(null)).toBe('');
    const list = [
      { id: 'e', state: 'expired', startsAt: 5 },
      { id: 'a1', state: 'active', startsAt: 1 },
      { id: 'p', state: 'pending', startsAt: 9 },
      { id: 'a2', state: 'active', startsAt: 2 },
    ];
    expect(sortSilences(list).map((s) => s.id)).toEqual(['a2', 'a1', 'p', 'e']);
  });
});
