import { describe, expect, it } from 'vitest';
import { SEVERITIES as RECORD_SEVERITIES, severityRank as recordRank, ALERT_STATUSES as RECORD_STATUSES, ANOMALY_TYPES as RECORD_TYPES } from '../../../schemas/records.ts';
import {
  ALERT_STATUSES,
  ANOMALY_TYPES,
  SEVERITIES,
  allowedActions,
  anomalyTypeLabel,
  compareAlerts,
  compareSeverity,
  severityAtLeast,
  severityClass,
  severityRank,
  statusClass,
} from '../../../api/dashboard/static/lib/severity.js';

describe('severity ordering', () => {
  it('mirrors the shared record contract', () => {
    expect(SEVERITIES).toEqual([...RECORD_SEVERITIES]);
    expect(ALERT_STATUSES).toEqual([...RECORD_STATUSES]);
    expect(ANOMALY_TYPES).toEqual([...RECORD_TYPES]);
    for (const s of RECORD_SEVERITIES) expect(severityRank(s)).toBe(recordRank[s]);
  });
  it('sorts most severe first and unknown values last', () => {
    expect(['info', 'bogus', 'critical', 'medium'].sort(compareSeverity)).toEqual(['critical', 'medium', 'info', 'bogus']);
  });
  it('compares against a minimum', () => {
    expect(severityAtLeast('high', 'medium')).toBe(true);
    expect(severityAtLeast('medium', 'medium')).toBe(true);
    expect(severityAtLeast('low', 'medium')).toBe(false);
    expect(severityAtLeast('__proto__', 'info')).toBe(false);
  });
  it('only lets known names into class attributes', () => {
    expect(severityClass('critical')).toBe('sev-critical');
    expect(severityClass('x" onclick="y')).toBe('sev-unknown');
    expect(severityClass('constructor')).toBe('sev-unknown');
    expect(statusClass('acknowledged')).toBe('status-acknowledged');
    expect(statusClass('toString')).toBe('status-unknown');
  });
});

describe('alert table order', () => {
  const base = { alertId: 'a', status: 'firing', severity: 'low', updatedAt: 100 };
  it('puts open alerts before resolved ones, then severity, then recency, then id', () => {
    const rows = [
      { ...base, alertId: 'resolved-critical', status: 'resolved', severity: 'critical', updatedAt: 999 },
      { ...base, alertId: 'low-new', updatedAt: 500 },
      { ...base, alertId: 'ack-high', status: 'acknowledged', severity: 'high' },
      { ...base, alertId: 'low-old-b', updatedAt: 50 },
      { ...base, alertId: 'low-old-a', updatedAt: 50 },
    ];
    expect(rows.sort(compareAlerts).map((r) => r.alertId)).toEqual(['ack-high', 'low-new', 'low-old-a', 'low-old-b', 'resolved-critical']);
  });
});

describe('actions and labels', () => {
  it('offers only valid transitions', () => {
    expect(allowedActions('firing')).toEqual(['acknowledge', 'resolve']);
    expect(allowedActions('acknowledged')).toEqual(['resolve']);
    expect(allowedActions('resolved')).toEqual([]);
    expect(allowedActions(undefined)).toEqual([]);
  });
  it('labels anomaly types for people', () => {
    expect(anomalyTypeLabel('trend_change')).toBe('trend change');
    expect(anomalyTypeLabel(3)).toBe('—');
  });
});
