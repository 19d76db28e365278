/** What the points-row tests share: a scored point with the awkward cases, and the DDL's column list. */
import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { ScoredPoint } from '../../../schemas/records.ts';

/** Column names of a CREATE TABLE in the DDL, in order, so a row mapping cannot drift from it. */
export function ddlColumns(table: string): string[] {
  const ddl = readFileSync(new URL('../../../schemas/clickhouse/001_core_tables.sql', import.meta.url), 'utf8');
  const start = ddl.indexOf(`CREATE TABLE IF NOT EXISTS {db}.${table} (`);
  expect(start).toBeGreaterThanOrEqual(0);
  const body = ddl.slice(ddl.indexOf('(', start) + 1, ddl.indexOf(') ENGINE', start));
  const created = body
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('--'))
    .map((l) => l.split(/\s+/)[0]);
  return [...created, ...addedColumns(table)];
}

/** Columns later migrations add with `ALTER TABLE {db}.<table> ADD COLUMN <name> …`. */
function addedColumns(table: string): string[] {
  const dir = new URL('../../../schemas/clickhouse/', import.meta.url);
  const added: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()) {
    const sql = readFileSync(new URL(file, dir), 'utf8').replace(/^\s*--.*$/gm, '');
    for (const statement of sql.split(';')) {
      if (!new RegExp(`ALTER\\s+TABLE\\s+\\{db\\}\\.${table}\\s`).test(statement)) continue;
      for (const m of statement.matchAll(/ADD\s+COLUMN\s+([A-Za-z_][A-Za-z0-9_]*)/g)) added.push(m[1]);
    }
  }
  return added;
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
