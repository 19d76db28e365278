/**
 * End-to-end pipeline throughput on the real local stack (npm run stack:up first).
 *
 *   npx tsx bench/pipeline-throughput.ts [--series 200] [--points 500] [--threads 1]
 *
 * Produces series × points metric records into a fresh topic set, then measures in the same run:
 *  - ceiling: a bare kafkajs consumer group reading every record with eachBatch and doing nothing
 *    (what the broker and client deliver on this machine);
 *  - vigil:   from `startPipeline` (group join included, as for the ceiling) until every offset is committed — decode,
 *    scoring on the worker pool, alert/SLA monitors, ClickHouse inserts, output produces,
 *    commits and state snapshots.
 * Also prints window state bytes per series and the process RSS. Bounded by the record count;
 * loopback only; the topics and database are deleted afterwards.
 */
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { loadConfig, topicNames, type VigilConfig } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { createKafka } from '../pipeline/kafka/client.ts';
import { ensureTopics } from '../pipeline/kafka/topics.ts';
import { migrate } from '../pipeline/storage/migrate.ts';
import { startPipeline } from '../pipeline/runtime/pipeline.ts';
import { emitResult, markdownTable, type BenchTable } from './support/result.ts';
import { produceSynthetic, removeBenchEnv, runBench, waitCommitted } from './support/stack-bench.ts';

const { values: args } = parseArgs({
  options: { series: { type: 'string', default: '200' }, points: { type: 'string', default: '500' }, threads: { type: 'string', default: '1' } },
});
const SERIES = Math.min(Math.max(1, Number(args.series) || 200), 5000);
const POINTS = Math.min(Math.max(10, Number(args.points) || 500), 10_000);
const THREADS = Math.min(Math.max(1, Number(args.threads) || 1), 8);
const TOTAL = SERIES * POINTS;
const logger = createLogger('warn', { bench: 'pipeline-throughput' });

const id = randomBytes(3).toString('hex');
const config: VigilConfig = loadConfig({
  overrides: {
    logLevel: 'warn',
    kafka: { topicPrefix: `bench.${id}.`, groupId: `bench.${id}.pipeline`, partitions: 12 },
    clickhouse: { database: `bench_${id}` },
    pipeline: { workerThreads: THREADS },
  },
});
const topics = topicNames(config);

async function produce(): Promise<void> {
  await produceSynthetic(config, logger, { series: SERIES, points: POINTS, startMs: Date.now() - POINTS * 1000 - 60_000 });
}

/** CPU time of this process (all threads: the pipeline's worker threads included), ms. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function ceiling(): Promise<number> {
  const t0 = performance.now(); // like the pipeline's figure: from connect (group join included)
  const kafka = createKafka(config, logger);
  const consumer = kafka.consumer({ groupId: `bench.${id}.ceiling`, maxBytesPerPartition: config.pipeline.maxBytesPerPartition });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.metrics, fromBeginning: true });
  let seen = 0;
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      partitionsConsumedConcurrently: 8,
      eachBatch: async ({ batch }) => {
        seen += batch.messages.length;
        if (seen >= TOTAL) resolve(performance.now() - t0);
      },
    });
  });
  const ms = await done;
  await consumer.disconnect();
  return ms;
}

async function vigil() {
  const t0 = performance.now();
  const pipeline = await startPipeline(config, logger);
  const startedMs = performance.now() - t0;
  await waitCommitted(config, logger, config.kafka.groupId);
  const ms = performance.now() - t0;
  const stats = pipeline.stats();
  const rss = process.memoryUsage().rss;
  await pipeline.stop();
  return { ms, startedMs, stats, rss };
}

async function main() {
  await ensureTopics(config, logger);
  await migrate(config, { logger });
  try {
    const tp = performance.now();
    let c0 = cpuMs();
    await produce();
    const produceMs = performance.now() - tp;
    const produceCpu = cpuMs() - c0;
    c0 = cpuMs();
    const ceilingMs = await ceiling();
    const ceilingCpu = cpuMs() - c0;
    c0 = cpuMs();
    const v = await vigil();
    const vigilCpu = cpuMs() - c0;
    // CPU per record moves less with the machine's load than wall time does.
    const perK = (ms: number) => Number(((ms / TOTAL) * 1000).toFixed(1));
    const rate = (ms: number) => Math.round(TOTAL / (ms / 1000));
    const table: BenchTable = {
      title: `pipeline throughput: ${SERIES} series × ${POINTS} points = ${TOTAL} records, 12 partitions, ${THREADS} worker thread(s), Node ${process.version}`,
      columns: ['path', 'seconds', 'records/s', 'process CPU ms per 1k records'],
      rows: [
        ['produce (idempotent, acks=all, 5000/send)', Number((produceMs / 1000).toFixed(2)), rate(produceMs), perK(produceCpu)],
        ['ceiling: bare consumer group, no work', Number((ceilingMs / 1000).toFixed(2)), rate(ceilingMs), perK(ceilingCpu)],
        ['vigil pipeline: decode → score → monitor → ClickHouse + Kafka → commit', Number((v.ms / 1000).toFixed(2)), rate(v.ms), perK(vigilCpu)],
      ],
    };
    const bytesPerSeries = Math.round(v.stats.windowBytes / Math.max(1, v.stats.series));
    const notes = [
      `startup (config topic, pool): ${(v.startedMs / 1000).toFixed(2)} s; batches ${v.stats.batches} (${Math.round(TOTAL / Math.max(1, v.stats.batches))} records each); anomalies ${v.stats.anomalies}; alert events ${v.stats.alertEvents}`,
      `window state: ${v.stats.windowBytes} bytes for ${v.stats.series} series = ${bytesPerSeries} bytes/series; process RSS ${(v.rss / 1048576).toFixed(0)} MiB`,
    ];
    console.log(`${markdownTable(table)}\n${notes.join('\n')}`);
    emitResult({
      tables: [table],
      headlines: [{ figure: 'vigil pipeline records/s', value: rate(v.ms), unit: 'records/s', reference: { kind: 'ceiling', label: 'bare kafkajs consumer group', value: rate(ceilingMs) }, higherIsBetter: true }],
      notes,
    });
  } finally {
    await removeBenchEnv(config, logger);
  }
}

runBench(main);
