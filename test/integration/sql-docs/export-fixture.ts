/**
 * Prints the sql-docs fixture as JSON (DDL statements, JSONEachRow inserts, documented queries)
 * for current-clickhouse.py, which replays it on a current ClickHouse (chDB) and on the local
 * 18.16 and compares the answers. Usage: npx tsx test/integration/sql-docs/export-fixture.ts <db>
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { alertEventRow, anomalyRow, pointRow, slaSnapshotRow } from '../../../pipeline/storage/rows.ts';
import { defaultMigrationsDir, loadMigrations } from '../../../pipeline/storage/migrate.ts';
import { buildDataset } from './dataset.ts';
import { extractSqlQueries, retargetDatabase } from './markdown.ts';

const database = process.argv[2] ?? 'vigil_sql_docs_check';
const data = buildDataset(Date.now());
const jsonLines = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n');
const inserts = [
  ...data.pointBatches.map((b) => ({ table: 'points', rows: jsonLines(b.map((p) => pointRow(p, data.nowMs))) })),
  ...data.anomalyBatches.map((b) => ({ table: 'anomalies', rows: jsonLines(b.map(anomalyRow)) })),
  ...data.alertEventBatches.map((b) => ({ table: 'alert_events', rows: jsonLines(b.map(alertEventRow)) })),
  ...data.slaSnapshotBatches.map((b) => ({ table: 'sla_snapshots', rows: jsonLines(b.map(slaSnapshotRow)) })),
];
const doc = readFileSync(fileURLToPath(new URL('../../../docs/sql.md', import.meta.url)), 'utf8');
process.stdout.write(
  JSON.stringify({
    database,
    ddl: loadMigrations(defaultMigrationsDir, database).flatMap((m) => m.statements),
    inserts,
    queries: extractSqlQueries(doc).map((q) => ({ title: `${q.number}. ${q.title}`, sql: retargetDatabase(q.sql, database) })),
  }),
);
