/**
 * The points insert alone, on the real local ClickHouse (npm run stack:up first): what one
 * batch's INSERT costs by row format, and what eight lanes' concurrent inserts cost one by one
 * against the same rows combined (the pipeline's insert-coalescer).
 *
 *   npx tsx bench/clickhouse-insert.ts [--rows 8000] [--lanes 8] [--rounds 3]
 *
 * Cases, interleaved in rounds of the same run into a fresh database (migrations applied, so
 * the rollup views fire as in production), median of the rounds:
 *  - JSONEachRow, one INSERT per lane, lanes at once (what the pipeline did);
 *  - RowBinary, one INSERT per lane, lanes at once;
 *  - RowBinary through ClickHouseSink.writePoints, lanes at once (combined by the coalescer).
 * Rows per second of the whole round (lanes × rows), client encode time included.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { loadConfig, type VigilConfig } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { createClickHouse } from '../pipeline/storage/clickhouse.ts';
import { migrate } from '../pipeline/storage/migrate.ts';
import { pointRow } from '../pipeline/storage/rows.ts';
import { POINT_COLUMNS, pointsRowBinary } from '../pipeline/storage/row-binary.ts';
import { ClickHouseSink } from '../pipeline/storage/writer.ts';
import type { ScoredPoint } from '../schemas/records.ts';
import { lanePointsOf } from './support/lane-points.ts';
import { emitResult, markdownTable, type BenchTable } from './support/result.ts';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '8000' }, lanes: { type: 'string', default: '8' }, rounds: { type: 'string', default: '3' } } });
const ROWS = Math.min(Math.max(10, Number(args.rows) || 8000), 100_000);
const LANES = Math.min(Math.max(1, Number(args.lanes) || 8), 16);
const ROUNDS = Math.min(Math.max(1, Number(args.rounds) || 3), 10);

const id = randomBytes(3).toString('hex');
const config: VigilConfig = loadConfig({ overrides: { logLevel: 'warn', clickhouse: { database: `bench_${id}` } } });
const logger = createLogger('warn', { bench: 'clickhouse-insert' });

const lanePoints = lanePointsOf(ROWS);

async function main() {
  await migrate(config, { logger });
  const client = createClickHouse(config, { logger });
  const sink = new ClickHouseSink(client, config.clickhouse.database);
  const table = `${config.clickhouse.database}.points`;
  const rowBinaryQuery = `INSERT INTO ${table} (${POINT_COLUMNS.join(', ')}) FORMAT RowBinary`;
  const cases: Array<[string, (lanes: ScoredPoint[][]) => Promise<unknown>]> = [
    ['JSONEachRow, one INSERT per lane (before)', (lanes) => Promise.all(lanes.map((pts) => client.insert({ table, values: pts.map((p) => pointRow(p, Date.now())), format: 'JSONEachRow' })))],
    [
      'RowBinary, one INSERT per lane',
      (lanes) =>
        Promise.all(
          lanes.map(async (pts) => {
            const { stream } = await client.exec({ query: rowBinaryQuery, values: Readable.from([pointsRowBinary(pts, Date.now())]) });
            for await (const _ of stream);
          }),
        ),
    ],
    ['RowBinary, lanes combined (ClickHouseSink.writePoints)', (lanes) => Promise.all(lanes.map((pts) => sink.writePoints(pts)))],
  ];
  const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, run] of cases) {
        const lanes = Array.from({ length: LANES }, (_, l) => lanePoints(l));
        const t = performance.now();
        await run(lanes);
        samples.get(name)!.push((LANES * ROWS) / ((performance.now() - t) / 1000));
      }
    }
  } finally {
    await client.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouse.database}` }).catch(() => undefined);
    await client.close();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = median(samples.get(cases[0][0])!);
  const table_: BenchTable = {
    title: `points insert: ${LANES} lanes × ${ROWS} rows at once, median of ${ROUNDS} rounds, ClickHouse ${config.clickhouse.url}, node ${process.version}`,
    columns: ['case', 'rows/s', 'vs JSONEachRow per lane'],
    rows: cases.map(([name]) => [name, Math.round(median(samples.get(name)!)), `${(median(samples.get(name)!) / base).toFixed(2)}×`]),
  };
  console.log(markdownTable(table_));
  emitResult({
    tables: [table_],
    headlines: [{ figure: 'points insert rows/s, combined RowBinary', value: Math.round(median(samples.get(cases[2][0])!)), unit: 'rows/s', reference: { kind: 'peer', label: 'JSONEachRow per lane', value: Math.round(base) }, higherIsBetter: true }],
  });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
