/**
 * A cardinality explosion on the real pipeline (issue #12): memory at a series limit, against the
 * same pipeline without one, on the local stack (npm run stack:up first).
 *
 *   npx tsx bench/cardinality.ts [--series 1000000] [--max-series 10000] [--peer-series 20000]
 *
 * Produces --series records of as many distinct series (one point each) into a fresh topic set,
 * then runs, each in a child process of its own so RSS figures do not mix:
 *  - vigil: a pipeline with pipeline.maxSeries = --max-series consuming all of them: the first
 *    series of each partition are scored and stored, the rest dead-lettered as `series-limit`;
 *    RSS sampled every second against the records done;
 *  - peer: the same pipeline without a limit on --peer-series and a quarter as many distinct
 *    series (all of them kept): the RSS slope between the two, over --series, is what the
 *    explosion would cost without the limit.
 * Default window (windowSize 1000), 12 partitions, one worker thread. Loopback only; topics and
 * databases are deleted afterwards.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { loadConfig, topicNames, type VigilConfig } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { createKafka } from '../pipeline/kafka/client.ts';
import { deleteTopicsWithPrefix, ensureTopics } from '../pipeline/kafka/topics.ts';
import { createClickHouse } from '../pipeline/storage/clickhouse.ts';
import { migrate } from '../pipeline/storage/migrate.ts';
import { encodeEvent } from '../pipeline/codec/events.ts';
import { startPipeline } from '../pipeline/runtime/pipeline.ts';
import { seriesLimitPerPartition } from '../pipeline/state/series-limit.ts';
import { seriesId, type MetricPoint } from '../schemas/records.ts';
import { emitResult, markdownTable, type BenchTable } from './support/result.ts';

const MiB = 1024 * 1024;
const PARTITIONS = 12;
const UNLIMITED = 100_000_000;

const { values: args } = parseArgs({
  options: {
    series: { type: 'string', default: '1000000' },
    'max-series': { type: 'string', default: '10000' },
    'peer-series': { type: 'string', default: '20000' },
    child: { type: 'string' },
  },
});
const clamp = (v: unknown, lo: number, hi: number, dflt: number) => Math.min(Math.max(lo, Math.floor(Number(v)) || dflt), hi);
const SERIES = clamp(args.series, 1000, 2_000_000, 1_000_000);
const MAX_SERIES = clamp(args['max-series'], 12, 1_000_000, 10_000);
const PEER_SERIES = clamp(args['peer-series'], 1000, 100_000, 20_000);
const logger = createLogger('warn', { bench: 'cardinality' });

interface RunSpec {
  id: string;
  records: number;
  maxSeries: number;
}

const configOf = (spec: RunSpec): VigilConfig =>
  loadConfig({
    overrides: {
      logLevel: 'warn',
      kafka: { topicPrefix: `bench.${spec.id}.`, groupId: `bench.${spec.id}.pipeline`, partitions: PARTITIONS },
      clickhouse: { database: `bench_${spec.id}` },
      pipeline: { workerThreads: 1, maxSeries: spec.maxSeries, httpPort: -1 },
    },
  });

interface Sample {
  records: number;
  rssMiB: number;
}

interface ChildFigures {
  baseRssMiB: number;
  peakRssMiB: number;
  endRssMiB: number;
  heapUsedMiB: number;
  seconds: number;
  series: number;
  seriesLimit: number;
  points: number;
  refused: number;
  windowBytes: number;
  samples: Sample[];
}

/** In the child: one pipeline over the topic until every record is committed, RSS sampled each second. */
async function child(spec: RunSpec): Promise<ChildFigures> {
  const config = configOf(spec);
  globalThis.gc?.();
  const baseRss = process.memoryUsage().rss;
  let peak = baseRss;
  const t0 = performance.now();
  const pipeline = await startPipeline(config, logger);
  const samples: Sample[] = [];
  const done = () => pipeline.stats().points + pipeline.stats().dlq;
  let lastProgress = { records: 0, at: performance.now() };
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      const rss = process.memoryUsage().rss;
      peak = Math.max(peak, rss);
      const records = done();
      samples.push({ records, rssMiB: Math.round(rss / MiB) });
      if (records > lastProgress.records) lastProgress = { records, at: performance.now() };
      if (records >= spec.records) {
        clearInterval(timer);
        resolve();
      } else if (performance.now() - lastProgress.at > 120_000) {
        clearInterval(timer);
        reject(new Error(`no record done for 120 s (${records} of ${spec.records}); pipeline health: ${JSON.stringify(pipeline.health())}`));
      }
    }, 1000);
  });
  const seconds = (performance.now() - t0) / 1000;
  const stats = pipeline.stats();
  globalThis.gc?.();
  const end = process.memoryUsage();
  await pipeline.stop();
  return {
    baseRssMiB: Math.round(baseRss / MiB),
    peakRssMiB: Math.round(Math.max(peak, end.rss) / MiB),
    endRssMiB: Math.round(end.rss / MiB),
    heapUsedMiB: Math.round(end.heapUsed / MiB),
    seconds: Number(seconds.toFixed(1)),
    series: stats.series,
    seriesLimit: stats.seriesLimit,
    points: stats.points,
    refused: stats.seriesRefused,
    windowBytes: stats.windowBytes,
    samples,
  };
}

function runChild(spec: RunSpec): Promise<ChildFigures> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(spec)], {
      // Node's default heap limit, as `vigil pipeline` runs: a larger one only lets garbage pile up.
      execArgv: ['--import', 'tsx', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    proc.once('message', (m) => resolve(m as ChildFigures));
    proc.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`cardinality child ${spec.id} exited ${code}`))));
  });
}

/** `records` distinct series, one point each, keyed as producers key them. */
async function produce(config: VigilConfig, records: number): Promise<number> {
  const t0 = performance.now();
  const kafka = createKafka(config, logger);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  await producer.connect();
  const ts = Date.now() - 60_000;
  const batch: { key: string; value: Buffer }[] = [];
  for (let i = 0; i < records; i++) {
    const point: MetricPoint = { source: `host-${i}`, metric: 'requests', value: i % 100, timestamp: ts, tags: {} };
    batch.push({ key: seriesId(point.source, point.metric), value: encodeEvent('metric', point) });
    if (batch.length === 10_000) await producer.send({ topic: topicNames(config).metrics, acks: -1, messages: batch.splice(0) });
  }
  if (batch.length) await producer.send({ topic: topicNames(config).metrics, acks: -1, messages: batch.splice(0) });
  await producer.disconnect();
  return (performance.now() - t0) / 1000;
}

async function withTopics<T>(spec: RunSpec, fn: (config: VigilConfig) => Promise<T>): Promise<T> {
  const config = configOf(spec);
  await ensureTopics(config, logger);
  await migrate(config, { logger });
  try {
    return await fn(config);
  } finally {
    await deleteTopicsWithPrefix(config, config.kafka.topicPrefix, logger).catch(() => undefined);
    const ch = createClickHouse(config, { database: null });
    await ch.command({ query: `DROP DATABASE IF EXISTS bench_${spec.id}` }).finally(() => ch.close());
  }
}

/** RSS at the sample nearest to each share of the records done. */
function progressRows(f: ChildFigures, total: number): Array<[string, number, number]> {
  return [0.1, 0.25, 0.5, 0.75, 1].map((share) => {
    const want = share * total;
    const s = f.samples.find((x) => x.records >= want) ?? f.samples[f.samples.length - 1];
    return [`${Math.round(share * 100)} %`, s.records, s.rssMiB];
  });
}

async function main() {
  const limited: RunSpec = { id: `card${randomBytes(3).toString('hex')}`, records: SERIES, maxSeries: MAX_SERIES };
  const peer: RunSpec = { id: `cardpeer${randomBytes(3).toString('hex')}`, records: PEER_SERIES, maxSeries: UNLIMITED };
  const v = await withTopics(limited, async (config) => {
    const produceSeconds = await produce(config, SERIES);
    return { produceSeconds, figures: await runChild(limited) };
  });
  const peerRun = (spec: RunSpec) =>
    withTopics(spec, async (config) => {
      await produce(config, spec.records);
      return runChild(spec);
    });
  // Two sizes: the slope between them leaves out what any pipeline process holds (pool, clients).
  const small = await peerRun({ ...peer, id: `${peer.id}s`, records: Math.round(PEER_SERIES / 4) });
  const p = await peerRun(peer);
  const extra = PEER_SERIES - Math.round(PEER_SERIES / 4);
  const perSeriesPeer = ((p.peakRssMiB - small.peakRssMiB) * MiB) / extra;
  const unlimitedMiB = Math.round(p.peakRssMiB + (perSeriesPeer * (SERIES - PEER_SERIES)) / MiB);
  // What stays after GC: the series' state itself, a floor of what an unlimited run holds.
  const retainedPerSeriesPeer = ((p.endRssMiB - small.endRssMiB) * MiB) / extra;
  const unlimitedRetainedMiB = Math.round(p.endRssMiB + (retainedPerSeriesPeer * (SERIES - PEER_SERIES)) / MiB);
  const perPartition = seriesLimitPerPartition(MAX_SERIES, PARTITIONS);
  const table: BenchTable = {
    title: `cardinality: ${SERIES.toLocaleString('en')} distinct series, 1 point each, ${PARTITIONS} partitions, default window, 1 worker thread; node ${process.version}`,
    columns: ['run', 'distinct series sent', 'series held', 'points stored', 'refused (series-limit)', 'seconds', 'records/s', 'RSS MiB base → peak → after GC', 'RSS growth (peak / after GC)'],
    rows: [
      [
        `vigil, pipeline.maxSeries ${MAX_SERIES} (${perPartition}/partition)`,
        SERIES,
        v.figures.series,
        v.figures.points,
        v.figures.refused,
        v.figures.seconds,
        Math.round(SERIES / v.figures.seconds),
        `${v.figures.baseRssMiB} → ${v.figures.peakRssMiB} → ${v.figures.endRssMiB}`,
        `${v.figures.peakRssMiB - v.figures.baseRssMiB} / ${v.figures.endRssMiB - v.figures.baseRssMiB} MiB`,
      ],
      [
        `peer: no limit, ${small.series} distinct series`,
        small.series,
        small.series,
        small.points,
        small.refused,
        small.seconds,
        Math.round(small.series / small.seconds),
        `${small.baseRssMiB} → ${small.peakRssMiB} → ${small.endRssMiB}`,
        '',
      ],
      [
        `peer: no limit, ${PEER_SERIES} distinct series`,
        PEER_SERIES,
        p.series,
        p.points,
        p.refused,
        p.seconds,
        Math.round(PEER_SERIES / p.seconds),
        `${p.baseRssMiB} → ${p.peakRssMiB} → ${p.endRssMiB}`,
        `${Math.round(perSeriesPeer)} / ${Math.round(retainedPerSeriesPeer)} B/series more than the smaller run`,
      ],
      [
        `peer extrapolated to ${SERIES} series (+ slope × the rest)`,
        SERIES,
        SERIES,
        SERIES,
        0,
        '',
        '',
        `${p.baseRssMiB} → ${unlimitedMiB} → ${unlimitedRetainedMiB}`,
        `${unlimitedMiB - p.baseRssMiB} / ${unlimitedRetainedMiB - p.baseRssMiB} MiB`,
      ],
    ],
  };
  const progress: BenchTable = {
    title: 'vigil run: RSS as the records are done (sampled each second)',
    columns: ['share of records', 'records done', 'RSS MiB'],
    rows: progressRows(v.figures, SERIES),
  };
  const notes = [
    `produced ${SERIES} records in ${v.produceSeconds.toFixed(1)} s; vigil window state ${(v.figures.windowBytes / MiB).toFixed(0)} MiB for ${v.figures.series} series, heap used ${v.figures.heapUsedMiB} MiB after GC, RSS ${v.figures.endRssMiB} MiB after GC`,
  ];
  console.log(`${markdownTable(table)}\n\n${markdownTable(progress)}\n${notes.join('\n')}`);
  emitResult({
    tables: [table, progress],
    headlines: [
      {
        figure: `RSS after GC, ${SERIES} distinct series at maxSeries ${MAX_SERIES}`,
        value: v.figures.endRssMiB,
        unit: 'MiB',
        reference: { kind: 'peer', label: `no limit, extrapolated from ${Math.round(PEER_SERIES / 4)} and ${PEER_SERIES} series`, value: unlimitedRetainedMiB },
        higherIsBetter: false,
      },
      {
        figure: `RSS peak, ${SERIES} distinct series at maxSeries ${MAX_SERIES}`,
        value: v.figures.peakRssMiB,
        unit: 'MiB',
        reference: { kind: 'peer', label: `no limit, extrapolated from ${Math.round(PEER_SERIES / 4)} and ${PEER_SERIES} series`, value: unlimitedMiB },
        higherIsBetter: false,
      },
    ],
    notes,
  });
}

if (args.child !== undefined) {
  const figures = await child(JSON.parse(args.child) as RunSpec);
  process.send!(figures, () => process.exit(0));
} else {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
