/**
 * `vigil retention`: drops the monthly partitions of ClickHouse tables that are older than their
 * retention (pipeline/storage/retention.ts). Meant for a daily timer (deploy/production: the
 * vigil-retention timer and the Kubernetes CronJob); safe to run at any time and repeatedly.
 */
import { getConfig } from '../../core/config.ts';
import { VigilError } from '../../core/errors.ts';
import { createClickHouse } from '../../pipeline/storage/clickhouse.ts';
import { RETENTION_TABLES, applyRetention, defaultPolicy, parsePolicy } from '../../pipeline/storage/retention.ts';
import { UsageError, type Command } from '../command.ts';

const defaults = Object.entries(RETENTION_TABLES)
  .map(([t, s]) => `  ${t.padEnd(22)} ${String(s.months).padStart(3)}  ${s.why}`)
  .join('\n');

const usage = `usage: vigil retention [--keep <table>=<months>,...] [--dry-run] [--json]

Drops the monthly partitions (PARTITION BY toYYYYMM) of the ClickHouse database
VIGIL_CLICKHOUSE_DATABASE that are older than their table's retention, with
ALTER TABLE ... DROP PARTITION (ClickHouse 18.16 has no TTL). <months> full months before the
current one are kept: on 2026-12-07, points=3 keeps 202609-202612 and drops 202608 and older.
Connects as the writer user (VIGIL_CLICKHOUSE_USER).

options:
  --keep <list>   months per table over the defaults, e.g. points=6,alert_events=24 (1-1200)
  --dry-run       list what would be dropped, drop nothing
  --json          print the result as JSON
  -h, --help      this help

tables and default months:
${defaults}`;

export const command: Command = {
  name: 'retention',
  summary: 'drop ClickHouse partitions older than their retention (run daily)',
  usage,
  options: { keep: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } },
  async run(values, positionals) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\n\n${usage}`);
    let policy = defaultPolicy();
    if (typeof values.keep === 'string') {
      try {
        policy = parsePolicy(values.keep);
      } catch (err) {
        if (err instanceof VigilError) throw new UsageError(`--keep: ${err.message}`);
        throw err;
      }
    }
    const config = getConfig();
    // No default database: a missing one is reported by applyRetention, not refused by the connection.
    const client = createClickHouse(config, { database: null });
    const dryRun = values['dry-run'] === true;
    try {
      const result = await applyRetention(client, config.clickhouse.database, policy, new Date(), { dryRun, cluster: config.clickhouse.cluster });
      if (values.json === true) {
        process.stdout.write(`${JSON.stringify({ database: config.clickhouse.database, dryRun, policy, ...result })}\n`);
      } else {
        const verb = dryRun ? 'would drop' : 'dropped';
        for (const p of result.dropped) process.stdout.write(`${verb} ${config.clickhouse.database}.${p.table} partition ${p.partition} (${p.rows} rows, ${p.bytes} bytes)\n`);
        process.stdout.write(`${verb} ${result.dropped.length} partitions, kept ${result.kept}\n`);
      }
    } finally {
      await client.close();
    }
    return 0;
  },
};
