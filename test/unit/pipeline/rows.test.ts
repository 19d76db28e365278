import { describe, expect, it } from 'vitest';
import { alertEventRow, anomalyRow, pointRow, slaSnapshotRow } from '../../../pipeline/storage/rows.ts';
import type { AlertEvent, AnomalyEvent, SlaSnapshot } from '../../../schemas/records.ts';
import { ddlColumns, point } from './points-fixture.ts';

describe('ClickHouse row mapping', () => {
  it('points rows carry exactly the DDL columns, seconds + millis, sorted tags, int64 offsets as strings', () => {
    const row = pointRow(point, 1_764_000_001_999);
    expect(Object.keys(row).sort()).toEqual(ddlColumns('points').sort());
    expect(row.timestamp).toBe(1_764_000_000);
    expect(row.timestamp_ms).toBe(1_764_000_000_123);
    expect(row.tag_keys).toEqual(['az', 'zone']);
    expect(row.tag_values).toEqual(['a', 'b']);
    expect(row.kafka_offset).toBe('9007199254740993');
    expect(row.zscore).toBe(0); // NaN cannot travel in JSON
    expect(row.ingested_at).toBe(1_764_000_001);
  });

  it('anomaly, alert and SLA rows carry exactly their DDL columns', () => {
    const anomaly: AnomalyEvent = { id: 'a', source: 's', metric: 'm', type: 'spike', version: 2, startTimestamp: 1000, detectedTimestamp: 2000, value: 1, expected: 0, zscore: 5, score: 0.9, confidence: 0.8, pointCount: 3 };
    const alert: AlertEvent = { eventId: 'e', alertId: 'a', fingerprint: 's|m|r', source: 's', metric: 'm', ruleId: 'r', kind: 'threshold', severity: 'high', status: 'firing', version: 1, timestamp: 5000, openedAt: 4000, value: 1, threshold: 0.5, message: 'x', actor: 'pipeline', reason: 'opened', tags: {} };
    const sla: SlaSnapshot = { id: 'i', slaId: 'rt', source: 's', metric: 'm', timestamp: 60_000, windowMs: 1000, objective: 0.95, compliance: 0.9, good: 9, total: 10, errorBudgetRemaining: -1, burnRateFast: 2, burnRateSlow: 1, violated: true };
    expect(Object.keys(anomalyRow(anomaly)).sort()).toEqual(ddlColumns('anomalies').sort());
    expect(Object.keys(alertEventRow(alert)).sort()).toEqual(ddlColumns('alert_events').sort());
    expect(Object.keys(slaSnapshotRow(sla)).sort()).toEqual(ddlColumns('sla_snapshots').sort());
    expect(slaSnapshotRow(sla).violated).toBe(1);
    expect(alertEventRow(alert).opened_at).toBe(4);
    expect(ddlColumns('alert_events')).toEqual(expect.arrayContaining(['tag_keys', 'tag_values']));
    expect(alertEventRow({ ...alert, tags: { zone: 'b', az: 'a' } })).toMatchObject({ tag_keys: ['az', 'zone'], tag_values: ['a', 'b'] });
    expect(alertEventRow(alert)).toMatchObject({ tag_keys: [], tag_values: [] });
  });
});
