import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { alertEventRow, anomalyRow, pointRow, slaSnapshotRow } from '../../../pipeline/storage/rows.ts';
import type { AlertEvent, AnomalyEvent, ScoredPoint, SlaSnapshot } from '../../../schemas/records.ts';

/** Column names of a CREATE TABLE in the DDL, so the row mapping cannot drift from it. */
function ddlColumns(table: string): string[] {
  const ddl = readFileSync(new URL('../../../schemas/clickhouse/001_core_tables.sql', import.meta.url), 'utf8');
  const start = ddl.indexOf(`CREATE TABLE IF NOT EXISTS {db}.${table} (`);
  expect(start).toBeGreaterThanOrEqual(0);
  const body = ddl.slice(ddl.indexOf('(', start) + 1, ddl.indexOf(') ENGINE', start));
  return body
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('--'))
    .map((l) => l.split(/\s+/)[0]);
}

const point: ScoredPoint = {
  source: 'api-1',
  metric: 'cpu_usage',
  value: 42.5,
  timestamp: 1_764_000_000_123,
  tags: { zone: 'b', az: 'a' },
  partition: 3,
  offset: '9007199254740993',
  mean: 40,
  std: 2,
  zscore: Number.NaN,
  anomalyScore: 0.1,
};

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
    const alert: AlertEvent = { eventId: 'e', alertId: 'a', fingerprint: 's|m|r', source: 's', metric: 'm', ruleId: 'r', kind: 'threshold', severity: 'high', status: 'firing', version: 1, timestamp: 5000, openedAt: 4000, value: 1, threshold: 0.5, message: 'x', actor: 'pipeline', reason: 'opened' };
    const sla: SlaSnapshot = { id: 'i', slaId: 'rt', source: 's', metric: 'm', timestamp: 60_000, windowMs: 1000, objective: 0.95, compliance: 0.9, good: 9, total: 10, errorBudgetRemaining: -1, burnRateFast: 2, burnRateSlow: 1, violated: true };
    expect(Object.keys(anomalyRow(anomaly)).sort()).toEqual(ddlColumns('anomalies').sort());
    expect(Object.keys(alertEventRow(alert)).sort()).toEqual(ddlColumns('alert_events').sort());
    expect(Object.keys(slaSnapshotRow(sla)).sort()).toEqual(ddlColumns('sla_snapshots').sort());
    expect(slaSnapshotRow(sla).violated).toBe(1);
    expect(alertEventRow(alert).opened_at).toBe(4);
  });
});
