import { describe, expect, it } from 'vitest';
import { toGatewayEvent } from '../../../gateway/events.ts';

const alert = { eventId: 'e1', alertId: 'a1', fingerprint: 'api|cpu|r', source: 'api', metric: 'cpu', ruleId: 'r', kind: 'threshold', severity: 'high', status: 'firing', version: 1, timestamp: 1, openedAt: 1, value: 95, threshold: 90, message: 'm', actor: 'pipeline', reason: 'breach' };
const anomaly = { id: 'n1', source: 'api', metric: 'cpu', type: 'spike', version: 1, startTimestamp: 1, detectedTimestamp: 2, value: 9, expected: 1, zscore: 8, score: 0.8, confidence: 0.9, pointCount: 1 };
const live = { source: 'api', metric: 'cpu', timestamp: 5, value: 1, mean: 1, std: 0, zscore: 0, anomalyScore: 0 };

describe('toGatewayEvent', () => {
  it('routes alerts by their severity, anomalies by score band, live at info', () => {
    expect(toGatewayEvent('alerts', { kind: 'alert', record: alert })).toEqual({ ok: true, event: { routing: { channel: 'alerts', severity: 'high', source: 'api', series: 'api/cpu' }, data: alert } });
    const a = toGatewayEvent('anomalies', { kind: 'anomaly', record: anomaly });
    expect(a.ok && a.event.routing).toEqual({ channel: 'anomalies', severity: 'high', source: 'api', series: 'api/cpu' });
    const l = toGatewayEvent('live', { kind: 'live', record: live });
    expect(l.ok && l.event.routing.severity).toBe('info');
  });

  it('turns Date and bigint fields into epoch-millisecond numbers', () => {
    const r = toGatewayEvent('live', { kind: 'live', record: { ...live, timestamp: new Date(1700000000000), value: 3n } });
    expect(r.ok && r.event.data).toMatchObject({ timestamp: 1700000000000, value: 3 });
  });

  it('refuses records that do not belong or cannot be routed', () => {
    const bad: Array<[Parameters<typeof toGatewayEvent>[0], unknown, unknown, RegExp]> = [
      ['alerts', 'anomaly', anomaly, /anomaly record on the alerts topic/],
      ['live', 'metric', live, /expected live/],
      ['alerts', 'alert', null, /not an object/],
      ['alerts', 'alert', [alert], /not an object/],
      ['alerts', 'alert', { ...alert, severity: 'urgent' }, /unknown severity/],
      ['alerts', 'alert', { ...alert, severity: undefined }, /unknown severity/],
      ['alerts', 'alert', { ...alert, source: '' }, /no source/],
      ['live', 'live', { ...live, metric: 7 }, /no metric/],
      ['anomalies', 'anomaly', { ...anomaly, score: 'high' }, /numeric score/],
      ['anomalies', 'anomaly', { ...anomaly, score: Number.NaN }, /numeric score/],
    ];
    for (const [channel, kind, record, reason] of bad) {
      const r = toGatewayEvent(channel, { kind: kind as string, record });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    }
  });
});
