import { describe, expect, it } from 'vitest';
import { alertCounts, describeCounts, describeStep, incidentActions, sortIncidents, summarizeResults } from '../../../api/dashboard/static/lib/incidents.js';
import type { IncidentAlert } from '../../../schemas/records.ts';

const alert = (over: Partial<IncidentAlert>): IncidentAlert => ({
  alertId: 'a', fingerprint: 'f', source: 's', metric: 'm', ruleId: 'r', kind: 'threshold', severity: 'high', status: 'firing',
  inhibited: false, value: 1, threshold: 0, message: '', openedAt: 0, updatedAt: 0, version: 1, tags: {}, ...over,
});

describe('incidents view helpers', () => {
  it('offers acknowledge only while an alert fires, resolve until resolved, nothing for unknown states', () => {
    expect(incidentActions({ status: 'firing', alerts: [alert({})] })).toEqual(['acknowledge', 'resolve']);
    expect(incidentActions({ status: 'acknowledged', alerts: [alert({ status: 'acknowledged' })] })).toEqual(['resolve']);
    expect(incidentActions({ status: 'resolved', alerts: [alert({ status: 'resolved' })] })).toEqual([]);
    expect(incidentActions({ status: 'bogus' as 'firing', alerts: [alert({})] })).toEqual([]);
    expect(incidentActions(null)).toEqual([]);
  });

  it('counts open, muted and resolved alerts', () => {
    const c = alertCounts({ alerts: [alert({}), alert({ inhibited: true }), alert({ status: 'resolved', inhibited: true })] });
    expect(c).toEqual({ open: 2, inhibited: 1, resolved: 1, total: 3 });
    expect(describeCounts(c)).toBe('2 open, 1 muted, 1 resolved');
  });

  it('describes a timeline step by who did what to which alert', () => {
    const step = { version: 2, timestamp: 0, status: 'acknowledged' as const, severity: 'high' as const, alertId: 'a', actor: 'alice', reason: '', comment: 'on it', alert: alert({ status: 'acknowledged', inhibited: true }) };
    expect(describeStep(step)).toBe('alice: r on s/m acknowledged (muted)');
    expect(describeStep({ ...step, alert: null, actor: '' })).toBe('pipeline: alert a');
  });

  it('summarises command outcomes, flagging an all-refused answer', () => {
    expect(summarizeResults('acknowledge', { results: [{ outcome: 'applied', reason: '' }, { outcome: 'pending', reason: '' }] })).toEqual({ text: '1 alert acknowledged, 1 on the way', error: false });
    expect(summarizeResults('resolve', { results: [{ outcome: 'refused', reason: 'already resolved' }] })).toEqual({ text: '1 refused (already resolved)', error: true });
    expect(summarizeResults('resolve', null)).toEqual({ text: 'nothing to do', error: false });
  });

  it('lists open incidents first by severity, then resolved ones newest first', () => {
    const i = (incidentId: string, status: 'firing' | 'resolved', severity: 'critical' | 'low', openedAt: number) => ({ incidentId, status, severity, openedAt });
    const sorted = sortIncidents([i('r-old', 'resolved', 'critical', 1), i('low', 'firing', 'low', 9), i('crit', 'firing', 'critical', 2), i('r-new', 'resolved', 'low', 5)]);
    expect(sorted.map((x) => x.incidentId)).toEqual(['crit', 'low', 'r-new', 'r-old']);
  });
});
