/** What the points-row tests share: a scored point with the awkward cases, and the DDL's column list. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { ScoredPoint } from '../../../schemas/records.ts';

/** Column names of a CREATE TABLE in the DDL, in order, so a row mapping cannot drift from it. */
export function ddlColumns(table: string): string[] {
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

/** Unsorted tags, an offset past 2^53, a NaN z-score. */
export const point: ScoredPoint = {
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
