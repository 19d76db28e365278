/**
 * End-to-end pipeline throughput on the real local stack (npm run stack:up first).
 *
 *   npx tsx bench/pipeline-throughput.ts [--series 200] [--points 500] [--threads 1] [--rounds 1] [--instances 1,2,3] [--partition-mib 1]
 *
 * Produces series × points metric records into a fresh topic set, then measures in the same run:
 *  - ceiling: a bare kafkajs consumer group reading every record with eachBatch and doing nothing
 *    (what the broker and client deliver on this machine), with the pipeline's fetch sizes;
 *  - vigil:   from `startPipeline` (group join included, as for the ceiling) until every offset is committed — decode,
 *    scoring on the worker pool, alert/SLA monitors, ClickHouse inserts, output produces,
 *    commits and state snapshots.
 * With --rounds N the records are produced once and ceiling and vigil alternate N times (a fresh
 * group each, and a fresh database for each vigil run, so no run finds another's points): on a
 * shared machine the load moves between runs, and a pair measured back to back says more than
 * runs minutes apart; the headline is the median round.
 * With --instances 1,2,3 (each 1–4) vigil is, in turn within every round, that many
 * `./bin/vigil pipeline` processes in one consumer group sharing the 12 partitions (issue #11
 * point 2: what a second or third instance on the same machine buys), each on a fresh group and
 * database; timed from spawn (process start-up included, the same for every count), their CPU
 * read from /proc; the window-state figures are not available then. The headline is the first count's.
 * Also prints window state bytes per series and the process RSS. Bounded by the record count;
 * loopback only; the topics and database are deleted afterwards.
 */
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { loadConfig, topicNames, type VigilConfig } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { createKafka } from '../pipeline/kafka/client.ts';
import { fetchOptions } from '../pipeline/kafka/fetch-options.ts';
import { ensureTopics } from '../pipeline/kafka/topics.ts';
import { migrate } from '../pipeline/storage/migrate.ts';
import { spawnPipeline } from '../test/support/pipeline-process.ts';
import { startPipeline } from '../pipeline/runtime/pipeline.ts';
import { emitResult, markdownTable, type BenchTable } from './support/result.ts';
import { dropDatabase, produceSynthetic, removeBenchEnv, runBench, waitCommitted } from './support/stack-bench.ts';

const { values: args } = parseArgs({
  options: { series: { type: 'string', default: '200' }, points: { type: 'string', default: '500' }, threads: { type: 'string', default: '1' }, rounds: { type: 'string', default: '1' }, instances: { type: 'string', default: '0' }, 'partition-mib': { type: 'string', default: '' } },
});
const SERIES = Math.min(Math.max(1, Number(args.series) || 200), 5000);
const POINTS = Math.min(Math.max(10, Number(args.points) || 500), 10_000);
const THREADS = Math.min(Math.max(1, Number(args.threads) || 1), 8);
const ROUNDS = Math.min(Math.max(1, Number(args.rounds) || 1), 10);
/** Empty: the pipeline in this process (window state and RSS reported); else process counts to run in turn. */
const INSTANCES = args.instances === '0' ? [] : [...new Set(args.instances.split(',').map((x) => Math.min(Math.max(1, Math.floor(Number(x)) || 1), 4)))];
const TOTAL = SERIES * POINTS;
/** --partition-mib N: pipeline.maxBytesPerPartition for this run (both the ceiling and vigil fetch with it); default the config's. */
const PARTITION_BYTES = args['partition-mib'] ? Math.round(Math.min(Math.max(0.0625, Number(args['partition-mib']) || 1), 64) * 1_048_576) : undefined;
const logger = createLogger('warn', { bench: 'pipeline-throughput' });

const id = randomBytes(3).toString('hex');
const config: VigilConfig = loadConfig({
  overrides: {
    logLevel: 'warn',
    kafka: { topicPrefix: `bench.${id}.`, groupId: `bench.${id}.pipeline`, partitions: 12 },
    clickhouse: { database: `bench_${id}` },
    pipeline: { workerThreads: THREADS, ...(PARTITION_BYTES ? { maxBytesPerPartition: PARTITION_BYTES } : {}) },
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

async function ceiling(round: number): Promise<number> {
  const t0 = performance.now(); // like the pipeline's figure: from connect (group join included)
  const kafka = createKafka(config, logger);
  const consumer = kafka.consumer({ groupId: `bench.${id}.ceiling.${round}`, ...fetchOptions(config) });
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

/** Round r's pipeline: its own group and database (round 0 uses the bench's own). */
function roundConfig(round: number): VigilConfig {
  if (round === 0) return config;
  return { ...config, kafka: { ...config.kafka, groupId: `${config.kafka.groupId}.${round}` }, clickhouse: { ...config.clickhouse, database: `${config.clickhouse.database}_r${round}` } };
}

const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
  } catch {
    return 100;
  }
})();
/** CPU ms (all threads) of a live process, from /proc; NaN where there is no /proc. */
function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return Number.NaN;
  }
}

/** N `vigil pipeline` processes in one group, from spawn until every offset is committed. */
async function vigilProcesses(round: number, count: number) {
  const cfg = roundConfig(round);
  await migrate(cfg, { logger });
  const t0 = performance.now();
  const children = Array.from({ length: count }, () => spawnPipeline(cfg));
  const early = Promise.race(children.map((c) => c.exited.then((how) => Promise.reject(new Error(`a pipeline process exited early (${how})`)))));
  await Promise.race([waitCommitted(cfg, logger, cfg.kafka.groupId), early]);
  const ms = performance.now() - t0;
  const cpu = children.reduce((sum, c) => sum + processCpuMs(c.child.pid!), 0);
  early.catch(() => undefined);
  for (const c of children) c.child.kill('SIGTERM');
  await Promise.all(children.map((c) => c.exited));
  return { ms, cpu };
}

async function vigil(round: number) {
  const cfg = roundConfig(round);
  if (round > 0) await migrate(cfg, { logger });
  const t0 = performance.now();
  const pipeline = await startPipeline(cfg, logger);
  const startedMs = performance.now() - t0;
  await waitCommitted(cfg, logger, cfg.kafka.groupId);
  const ms = performance.now() - t0;
  const stats = pipeline.stats();
  const rss = process.memoryUsage().rss;
  await pipeline.stop();
  return { ms, startedMs, stats, rss };
}

const loadavg = () => os.loadavg()[0].toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function main() {
  await ensureTopics(config, logger);
  await migrate(config, { logger });
  try {
    const tp = performance.now();
    let c0 = cpuMs();
    await produce();
    const produceMs = performance.now() - tp;
    const produceCpu = cpuMs() - c0;
    // CPU per record moves less with the machine's load than wall time does.
    const perK = (ms: number) => Number(((ms / TOTAL) * 1000).toFixed(1));
    const rate = (ms: number) => Math.round(TOTAL / (ms / 1000));
    const rows: BenchTable['rows'] = [['produce (idempotent, acks=all, 5000/send)', '', Number((produceMs / 1000).toFixed(2)), rate(produceMs), perK(produceCpu), '', '']];
    const rounds: Array<{ ceiling: number; vigil: number }> = [];
    const notes: string[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const label = ROUNDS > 1 ? String(r + 1) : '';
      let load = loadavg();
      c0 = cpuMs();
      const ceilingMs = await ceiling(r);
      const ceilingCpu = cpuMs() - c0;
      rows.push(['ceiling: bare consumer group, no work', label, Number((ceilingMs / 1000).toFixed(2)), rate(ceilingMs), perK(ceilingCpu), '', `${load} → ${loadavg()}`]);
      load = loadavg();
      if (INSTANCES.length > 0) {
        for (const [i, count] of INSTANCES.entries()) {
          load = loadavg();
          const v = await vigilProcesses(r * INSTANCES.length + i, count);
          rows.push([`vigil: ${count} pipeline process(es), one group`, label, Number((v.ms / 1000).toFixed(2)), rate(v.ms), perK(v.cpu), `${((100 * ceilingMs) / v.ms).toFixed(1)} %`, `${load} → ${loadavg()}`]);
          if (i === 0) rounds.push({ ceiling: rate(ceilingMs), vigil: rate(v.ms) });
        }
        continue;
      }
      c0 = cpuMs();
      const v = await vigil(r);
      const vigilCpu = cpuMs() - c0;
      rows.push(['vigil pipeline: decode → score → monitor → ClickHouse + Kafka → commit', label, Number((v.ms / 1000).toFixed(2)), rate(v.ms), perK(vigilCpu), `${((100 * ceilingMs) / v.ms).toFixed(1)} %`, `${load} → ${loadavg()}`]);
      rounds.push({ ceiling: rate(ceilingMs), vigil: rate(v.ms) });
      const bytesPerSeries = Math.round(v.stats.windowBytes / Math.max(1, v.stats.series));
      if (r === 0) {
        notes.push(
          `startup (config topic, pool): ${(v.startedMs / 1000).toFixed(2)} s; batches ${v.stats.batches} (${Math.round(TOTAL / Math.max(1, v.stats.batches))} records each); anomalies ${v.stats.anomalies}; alert events ${v.stats.alertEvents}`,
          `window state: ${v.stats.windowBytes} bytes for ${v.stats.series} series = ${bytesPerSeries} bytes/series; process RSS ${(v.rss / 1048576).toFixed(0)} MiB`,
        );
      }
    }
    const table: BenchTable = {
      title: `pipeline throughput: ${SERIES} series × ${POINTS} points = ${TOTAL} records, 12 partitions, ${THREADS} worker thread(s)${INSTANCES.length > 0 ? ' per process' : ''}, Node ${process.version}`,
      columns: ['path', 'round', 'seconds', 'records/s', 'process CPU ms per 1k records', 'of ceiling', 'load before → after'],
      rows,
    };
    // The median round by its ratio, so the headline's figure and ceiling come from the same round.
    const ratios = rounds.map((x) => x.vigil / x.ceiling);
    const mid = rounds[ratios.indexOf(median(ratios))];
    if (ROUNDS > 1) notes.push(`median round: vigil ${mid.vigil} records/s against a ceiling of ${mid.ceiling} (${((100 * mid.vigil) / mid.ceiling).toFixed(1)} %)`);
    console.log(`${markdownTable(table)}\n${notes.join('\n')}`);
    emitResult({
      tables: [table],
      headlines: [{ figure: 'vigil pipeline records/s', value: mid.vigil, unit: 'records/s', reference: { kind: 'ceiling', label: 'bare kafkajs consumer group', value: mid.ceiling }, higherIsBetter: true }],
      notes,
    });
  } finally {
    for (let r = 1; r < ROUNDS * Math.max(1, INSTANCES.length); r++) await dropDatabase(roundConfig(r)).catch(() => undefined);
    await removeBenchEnv(config, logger);
  }
}

runBench(main);
