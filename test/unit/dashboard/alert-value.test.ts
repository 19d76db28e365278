import { describe, expect, it } from 'vitest';
import { anomalyScoreOf, describeAlertValue } from '../../../api/dashboard/static/lib/alert-value.js';
import { METRIC_UNITS } from '../../../pipeline/alerts/default-rules.ts';
import { DEFAULT_ANOMALY_RULE } from '../../../pipeline/alerts/default-rules.ts';
import { aboveRule, finding, MIN, monitorWith, pt, rule, SEC, T0 } from '../alerts/support.ts';

const units = (m: string | undefined) => (m ? METRIC_UNITS[m] : '');
const base = { source: 'web-1', metric: 'cpu_usage', severity: 'high', status: 'firing', message: '' };

describe('the alert Value cell says what it compares, per kind', () => {
  it('threshold: value and bound with the rule operator and the unit', () => {
    const a = { ...base, kind: 'threshold', value: 93.2, threshold: 90, message: 'cpu_usage on web-1 is 93.2 %, above the high bound 90 %' };
    expect(describeAlertValue(a, units)).toEqual({ text: '93.2 % > 90 %', title: 'value 93.2 %; the high bound alerts when the value is above 90 %' });
    const below = { ...base, metric: 'availability', kind: 'threshold', value: 97.5, threshold: 99, message: 'availability on web-1 is 97.5 %, below the high bound 99 %' };
    expect(describeAlertValue(below, units).text).toBe('97.5 % < 99 %');
  });
  it('threshold: a value no longer past the bound keeps the operator on the bound; no message, the direction from a firing value', () => {
    const back = { ...base, kind: 'threshold', value: 85, threshold: 90, status: 'resolved', message: 'cpu_usage on web-1 is 93 %, above the high bound 90 %' };
    expect(describeAlertValue(back, units).text).toBe('85 %, bound > 90 %');
    expect(describeAlertValue({ ...base, kind: 'threshold', value: 1500, threshold: 1000, metric: 'response_time', message: 'custom text' }, units).text).toBe('1.5k ms > 1k ms');
    // Resolved with a message that names no direction: say only what the numbers are.
    expect(describeAlertValue({ ...base, kind: 'threshold', value: 85, threshold: 90, status: 'resolved', message: 'back to normal at 85 %' }, units).text).toBe('85 % vs 90 % bound');
  });
  it('anomaly: the score from the message against the rule minimum, not the metric value', () => {
    const a = { ...base, kind: 'anomaly', value: 58.53, threshold: 0.7, message: 'spike on cpu_usage on web-1: 58.53 % vs expected 40 % (score 0.934, confidence 0.8, z 4252.11, 3 points)' };
    expect(describeAlertValue(a, units)).toEqual({ text: 'score 0.93 ≥ 0.70', title: "anomaly score 0.93 against the rule's minimum 0.70; value 58.5 %" });
    expect(describeAlertValue({ ...a, message: 'cpu_usage on web-1 has been normal for 10 points' }, units).text).toBe('58.5 % (min score 0.70)');
  });
  it('SLA: burn rate against the window factor', () => {
    const a = { ...base, kind: 'sla', value: 14.89, threshold: 14.4, message: 'availability: fast error-budget burn …' };
    expect(describeAlertValue(a, units).text).toBe('14.9× vs 14.4× burn');
  });
  it('no-data: how long silent against the limit', () => {
    const a = { ...base, kind: 'nodata', value: 300_000, threshold: 300_000 };
    expect(describeAlertValue(a, units)).toEqual({ text: 'silent 5 m 00 s (limit 5 m)', title: 'no data for 5 m 00 s when the alert opened; the limit is 5 m' });
    expect(describeAlertValue({ ...a, value: 452_500, threshold: 90_000 }, units).text).toBe('silent 7 m 32 s (limit 1 m 30 s)');
  });
  it('hostile or unknown input still gives text, never a throw', () => {
    expect(describeAlertValue({ kind: 'other', value: 1, threshold: 2 }).text).toBe('1 vs 2');
    expect(describeAlertValue({ kind: 'threshold', value: NaN, threshold: null as unknown as number, message: 42 as unknown as string }).text).toBe('— vs — bound');
    expect(describeAlertValue({ kind: 'anomaly', value: 1, threshold: 0.7, message: '(score <img>)' }).text).toBe('1 (min score 0.70)');
    expect(describeAlertValue({ ...base, kind: 'threshold', value: 5, threshold: 1, metric: '__proto__' }, units).text).toBe('5 > 1');
    expect(anomalyScoreOf(undefined)).toBeNull();
  });
});

describe('reads the messages the pipeline writes (pipeline/alerts/series-monitor.ts)', () => {
  const unitsFor = (metric: string) => () => METRIC_UNITS[metric] ?? '';

  it('threshold alerts, above and below', () => {
    const m = monitorWith([aboveRule({ forMs: 0, metric: 'cpu_usage' })], [], 'svc', 'cpu_usage');
    const [opened] = m.observe(pt(T0, 250), null).alerts;
    expect(opened.kind).toBe('threshold');
    expect(describeAlertValue(opened, unitsFor('cpu_usage')).text).toBe('250 % > 200 %');
    const below = rule({ id: 'low-avail', kind: 'threshold', metric: 'availability', direction: 'below', levels: [{ severity: 'high', value: 99 }], forMs: 0, hysteresis: 0.1 });
    const [low] = monitorWith([below], [], 'svc', 'availability').observe(pt(T0, 97.25), null).alerts;
    expect(describeAlertValue(low, unitsFor('availability')).text).toBe('97.3 % < 99 %');
  });

  it('anomaly alerts carry their score in the message', () => {
    const m = monitorWith([DEFAULT_ANOMALY_RULE], [], 'svc', 'response_time');
    const [opened] = m.observe(pt(T0, 500, 0.91), finding({ score: 0.91 })).alerts;
    expect(opened.kind).toBe('anomaly');
    expect(describeAlertValue(opened, unitsFor('response_time')).text).toBe('score 0.91 ≥ 0.70');
  });

  it('no-data alerts carry the silence and the limit in ms', () => {
    const m = monitorWith([], [], 'svc', 'cpu_usage');
    m.observe(pt(T0, 1), null);
    m.checkSilence(T0 + SEC, 5 * MIN);
    const [fired] = m.checkSilence(T0 + SEC + 5 * MIN, 5 * MIN);
    expect(fired.kind).toBe('nodata');
    expect(describeAlertValue(fired).text).toBe('silent 5 m 00 s (limit 5 m)');
  });
});
