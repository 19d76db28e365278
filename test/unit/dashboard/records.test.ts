import { describe, expect, it } from 'vitest';
import type { AlertEvent, AnomalyEvent } from '../../../schemas/records.ts';
import type { Alert } from '../../../schemas/http/alerts.ts';
import {
  VersionedStore,
  alertFromEvent,
  openAlertSummary,
  isAlertLike,
  isLiveSnapshotLike,
  recentAlerts,
  selectAlerts,
  selectAnomalies,
} from '../../../api/dashboard/static/lib/records.js';

function alertEvent(over: Partial<AlertEvent> = {}): AlertEvent {
  return {
    eventId: 'e1',
    alertId: 'a1',
    fingerprint: 'web-1|cpu_usage|cpu-default',
    source: 'web-1',
    metric: 'cpu_usage',
    ruleId: 'cpu-default',
    kind: 'threshold',
    severity: 'critical',
    status: 'firing',
    version: 1,
    timestamp: 2000,
    openedAt: 1000,
    value: 99,
    threshold: 95,
    message: 'cpu_usage above 95',
    actor: 'pipeline',
    reason: 'threshold breached',
    tags: {},
    ...over,
  };
}

function alert(over: Partial<Alert> = {}): Alert {
  return { ...alertFromEvent(alertEvent()), ...over };
}

describe('alertFromEvent', () => {
  it('maps a lifecycle event onto the API alert shape, with the event time as updatedAt', () => {
    const a = alertFromEvent(alertEvent({ version: 3, status: 'acknowledged', timestamp: 5000, actor: 'ops' }));
    expect(a).toEqual({
      alertId: 'a1',
      fingerprint: 'web-1|cpu_usage|cpu-default',
      source: 'web-1',
      metric: 'cpu_usage',
      ruleId: 'cpu-default',
      kind: 'threshold',
      severity: 'critical',
      status: 'acknowledged',
      version: 3,
      openedAt: 1000,
      updatedAt: 5000,
      value: 99,
      threshold: 95,
      message: 'cpu_usage above 95',
      actor: 'ops',
      reason: 'threshold breached',
    });
    expect(a).not.toHaveProperty('eventId');
  });
});

describe('VersionedStore merging alerts by alertId + version', () => {
  it('keeps the newest version whatever the arrival order', () => {
    const store = new VersionedStore<Alert>((a) => a.alertId);
    expect(store.upsert(alert({ version: 2, status: 'acknowledged' }))).toBe(true);
    // A late REST page or a replayed frame carries an older version: ignored.
    expect(store.upsert(alert({ version: 1, status: 'firing' }))).toBe(false);
    expect(store.get('a1')?.status).toBe('acknowledged');
    expect(store.upsert(alert({ version: 3, status: 'resolved' }))).toBe(true);
    expect(store.get('a1')?.status).toBe('resolved');
    expect(store.size).toBe(1);
  });
  it('treats an equal version as a duplicate', () => {
    const store = new VersionedStore<Alert>((a) => a.alertId);
    store.upsert(alert({ version: 2, message: 'first' }));
    expect(store.upsert(alert({ version: 2, message: 'replayed' }))).toBe(false);
    expect(store.get('a1')?.message).toBe('first');
  });
  it('ignores versions that are not numbers rather than replacing good state', () => {
    const store = new VersionedStore<Alert>((a) => a.alertId);
    store.upsert(alert({ version: 2 }));
    expect(store.upsert(alert({ version: NaN }))).toBe(false);
    expect(store.upsert({ ...alert(), version: '9' as unknown as number })).toBe(false);
    expect(store.get('a1')?.version).toBe(2);
  });
  it('evicts the least recently changed record past its bound', () => {
    const store = new VersionedStore<Alert>((a) => a.alertId, 2);
    store.upsert(alert({ alertId: 'x' }));
    store.upsert(alert({ alertId: 'y' }));
    store.upsert(alert({ alertId: 'x', version: 2 })); // x is now the most recent
    store.upsert(alert({ alertId: 'z' }));
    expect(store.values().map((a) => a.alertId).sort()).toEqual(['x', 'z']);
  });
});

describe('wire shape checks', () => {
  it('accepts a real alert event and rejects malformed ones', () => {
    expect(isAlertLike(alertEvent())).toBe(true);
    expect(isAlertLike(alertFromEvent(alertEvent()))).toBe(true);
    expect(isAlertLike(null)).toBe(false);
    expect(isAlertLike({ ...alertEvent(), version: '2' })).toBe(false);
    expect(isAlertLike({ ...alertEvent(), severity: '<img src=x onerror=alert(1)>' })).toBe(false);
    expect(isAlertLike({ ...alertEvent(), status: 'hasOwnProperty' })).toBe(false);
    expect(isAlertLike({ ...alertEvent(), alertId: '' })).toBe(false);
  });
  it('checks live snapshots', () => {
    expect(isLiveSnapshotLike({ source: 's', metric: 'm', timestamp: 1, value: 2 })).toBe(true);
    expect(isLiveSnapshotLike({ source: 's', metric: 'm', timestamp: '1', value: 2 })).toBe(false);
    expect(isLiveSnapshotLike([1, 2])).toBe(false);
  });
});

describe('selecting rows', () => {
  const rows = [
    alert({ alertId: 'a', severity: 'low', updatedAt: 10 }),
    alert({ alertId: 'b', severity: 'critical', status: 'acknowledged', updatedAt: 20 }),
    alert({ alertId: 'c', severity: 'high', status: 'resolved', updatedAt: 30, source: 'db-1' }),
    alert({ alertId: 'd', severity: 'high', updatedAt: 5, source: 'db-1' }),
  ];
  it('filters by status, severity and source and sorts for the table', () => {
    expect(selectAlerts(rows).map((a) => a.alertId)).toEqual(['b', 'd', 'a', 'c']);
    expect(selectAlerts(rows, { statuses: ['firing'] }).map((a) => a.alertId)).toEqual(['d', 'a']);
    expect(selectAlerts(rows, { severities: ['high'], source: 'db-1' }).map((a) => a.alertId)).toEqual(['d', 'c']);
    expect(selectAlerts(rows, {}, 1).map((a) => a.alertId)).toEqual(['b']);
  });
  it('lists recent changes newest first', () => {
    expect(recentAlerts(rows, 2).map((a) => a.alertId)).toEqual(['c', 'b']);
  });
  it('counts open alerts (firing + acknowledged) per severity and per status', () => {
    expect(openAlertSummary(rows)).toEqual({ open: 3, firing: 2, acknowledged: 1, bySeverity: { critical: 1, high: 1, medium: 0, low: 1, info: 0 } });
    // The badge and the Overview use this one figure: it is also the Alerts tab's default rows.
    expect(openAlertSummary(rows).open).toBe(selectAlerts(rows, { statuses: ['firing', 'acknowledged'] }).length);
  });
});

describe('selecting anomalies', () => {
  const an = (over: Partial<AnomalyEvent>): AnomalyEvent => ({
    id: 'n',
    source: 'web-1',
    metric: 'response_time',
    type: 'spike',
    version: 1,
    startTimestamp: 0,
    detectedTimestamp: 0,
    value: 10,
    expected: 1,
    zscore: 9,
    score: 0.9,
    confidence: 0.8,
    pointCount: 3,
    ...over,
  });
  const rows = [
    an({ id: 'p', confidence: 0.3, detectedTimestamp: 30 }),
    an({ id: 'q', confidence: 0.9, detectedTimestamp: 10, type: 'drop' }),
    an({ id: 'r', confidence: NaN, detectedTimestamp: 20 }),
  ];
  it('filters by minimum confidence and type, newest first', () => {
    expect(selectAnomalies(rows).map((a) => a.id)).toEqual(['p', 'r', 'q']);
    expect(selectAnomalies(rows, { minConfidence: 0.5 }).map((a) => a.id)).toEqual(['q']);
    expect(selectAnomalies(rows, { types: ['spike'] }).map((a) => a.id)).toEqual(['p', 'r']);
  });
});
