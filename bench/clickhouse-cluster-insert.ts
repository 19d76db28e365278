/**
 * The points insert on a ClickHouse cluster against the single server, in one run: a private
 * cluster of 2 shards × 2 replicas and a ZooKeeper (test/support/clickhouse-cluster.ts, all on
 * this machine's cores) and the local stack's server (npm run stack:up first).
 *
 *   npx tsx bench/clickhouse-cluster-insert.ts [--rows 8000] [--lanes 8] [--rounds 3]
 *
 * Cases, interleaved in rounds, each into a migrated database (rollup views firing), lanes at
 * once through ClickHouseSink.writePoints, median of the rounds, rows/s of the whole round:
 *  - single server, lanes combined (what the pipeline does there; the peer);
 *  - cluster through the Distributed table, lanes NOT combined (what the pipeline does there:
 *    a retry must repeat its block), insert_distributed_sync=1, load_balancing in_order;
 *  - cluster, lanes combined (what the not-combining costs).
 * The cluster's servers share the machine with the single server: the figure is what the
 * cluster's write path costs, not what four machines would do.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfig, type VigilConfig } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { createClickHouse } from '../pipeline/storage/clickhouse.ts';
import { migrate } from '../pipeline/storage/migrate.ts';
import { ClickHouseSink } from '../pipeline/storage/writer.ts';
import { startClickHouseCluster } from '../test/support/clickhouse-cluster.ts';
import { lanePointsOf } from './support/lane-points.ts';
import { emitResult, markdownTable, type BenchTable } from './support/result.ts';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '8000' }, lanes: { type: 'string', default: '8' }, rounds: { type: 'string', default: '3' } } });
const ROWS = Math.min(Math.max(10, Number(args.rows) || 8000), 100_000);
const LANES = Math.min(Math.max(1, Number(args.lanes) || 8), 16);
const ROUNDS = Math.min(Math.max(1, Number(args.rounds) || 3), 10);

const id = randomBytes(3).toString('hex');
const logger = createLogger('warn', { bench: 'clickhouse-cluster-insert' });

const lanePoints = lanePointsOf(ROWS);

async function main() {
  const t0 = Date.now();
  const cluster = await startClickHouseCluster();
  const clusterStartMs = Date.now() - t0;
  const single: VigilConfig = loadConfig({ overrides: { logLevel: 'warn', clickhouse: { database: `bench_${id}` } } });
  const onCluster: VigilConfig = loadConfig({ overrides: { logLevel: 'warn', clickhouse: { database: `bench_${id}`, url: cluster.server(1, 1).httpUrl, cluster: cluster.name } } });
  const clients = [createClickHouse(single, { logger }), createClickHouse(onCluster, { logger })];
  try {
    await migrate(single, { logger });
    await migrate(onCluster, { logger });
    const [singleClient, clusterClient] = clients;
    const cases: Array<[string, ClickHouseSink]> = [
      ['single server, lanes combined (peer)', new ClickHouseSink(singleClient, single.clickhouse.database)],
      ['cluster 2×2, Distributed, lanes not combined (the pipeline there)', new ClickHouseSink(clusterClient, onCluster.clickhouse.database, { combinePoints: false })],
      ['cluster 2×2, Distributed, lanes combined', new ClickHouseSink(clusterClient, onCluster.clickhouse.database)],
    ];
    const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, sink] of cases) {
        const lanes = Array.from({ length: LANES }, (_, l) => lanePoints(l));
        const t = performance.now();
        await Promise.all(lanes.map((pts) => sink.writePoints(pts)));
        samples.get(name)!.push((LANES * ROWS) / ((performance.now() - t) / 1000));
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const base = median(samples.get(cases[0][0])!);
    const table: BenchTable = {
      title: `points insert: ${LANES} lanes × ${ROWS} rows at once, median of ${ROUNDS} rounds; single server ${single.clickhouse.url}, private cluster (2 shards × 2 replicas, started in ${clusterStartMs} ms) on the same machine, node ${process.version}`,
      columns: ['case', 'rows/s', 'vs single server'],
      rows: cases.map(([name]) => [name, Math.round(median(samples.get(name)!)), `${(median(samples.get(name)!) / base).toFixed(2)}×`]),
    };
    console.log(markdownTable(table));
    emitResult({
      tables: [table],
      headlines: [
        {
          figure: 'points insert rows/s through the cluster (not combined)',
          value: Math.round(median(samples.get(cases[1][0])!)),
          unit: 'rows/s',
          reference: { kind: 'peer', label: 'single server, combined', value: Math.round(base) },
          higherIsBetter: true,
        },
      ],
    });
  } finally {
    await clients[0].command({ query: `DROP DATABASE IF EXISTS ${single.clickhouse.database}` }).catch(() => undefined);
    await Promise.all(clients.map((c) => c.close()));
    await cluster.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
