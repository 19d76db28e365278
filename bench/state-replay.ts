/**
 * What a state-layout change costs at start-up (docs/operations.md "Upgrades"), on the real
 * local stack (npm run stack:up first).
 *
 *   npx tsx bench/state-replay.ts [--series 200] [--points 1000] [--window 1000]
 *
 * A pipeline scores series × points records and stops (its stop path snapshots every
 * partition). Then, in the same run, two restarts that each rebuild all 12 partitions:
 *  - peer:  the same window size, so the snapshots load and only the points after them replay;
 *  - vigil: another window size, so every snapshot is refused (STATE_LAYOUT) and each partition
 *           replays its whole point history from ClickHouse — what an upgrade that changes
 *           LAYOUT_VERSION, or a new VIGIL_WINDOW_SIZE, does.
 * Each restart's time is from startPipeline until the last of the 12 partitions logged
 * "partition state rebuilt" (with its replayed count); RSS is sampled every 100 ms. Bounded by
 * the record count; loopback only; topics and database are deleted afterwards.
 */
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { loadConfig, type VigilConfig } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { ensureTopics } from '../pipeline/kafka/topics.ts';
import { migrate } from '../pipeline/storage/migrate.ts';
import { startPipeline } from '../pipeline/runtime/pipeline.ts';
import { emitResult, markdownTable, type BenchTable } from './support/result.ts';
import { produceSynthetic, removeBenchEnv, runBench, waitCommitted } from './support/stack-bench.ts';

const { values: args } = parseArgs({
  options: { series: { type: 'string', default: '200' }, points: { type: 'string', default: '1000' }, window: { type: 'string', default: '1000' } },
});
const SERIES = Math.min(Math.max(1, Number(args.series) || 200), 5000);
const POINTS = Math.min(Math.max(10, Number(args.points) || 1000), 20_000);
const WINDOW = Math.min(Math.max(20, Number(args.window) || 1000), 100_000);
const TOTAL = SERIES * POINTS;
const PARTITIONS = 12;
const quiet = createLogger('warn', { bench: 'state-replay' });

const id = randomBytes(3).toString('hex');
const base = {
  logLevel: 'info',
  kafka: { topicPrefix: `bench.${id}.`, groupId: `bench.${id}.pipeline`, partitions: PARTITIONS },
  clickhouse: { database: `bench_${id}` },
};
const configWith = (windowSize: number): VigilConfig => loadConfig({ overrides: { ...base, pipeline: { workerThreads: 1, windowSize } } });
const config = configWith(WINDOW);

interface Rebuilt {
  partition: number;
  replayed: number;
  ms: number;
}

/** A pipeline whose log lines are read: the "partition state rebuilt" records are collected. */
async function run(windowSize: number, until: 'committed' | 'rebuilt') {
  const rebuilt: Rebuilt[] = [];
  let refused = 0;
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) {
        if (!line) continue;
        const rec = JSON.parse(line) as { msg?: string; partition?: number; replayed?: number; ms?: number; level?: number };
        if (rec.msg === 'partition state rebuilt') rebuilt.push({ partition: rec.partition!, replayed: rec.replayed!, ms: rec.ms! });
        if (rec.msg?.startsWith('snapshots unreadable by this version')) refused++;
        else if ((rec.level ?? 0) >= 50) process.stderr.write(`${line}\n`);
      }
      done();
    },
  });
  const logger = createLogger('info', { bench: 'state-replay' }, sink);
  let rssMax = process.memoryUsage().rss;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 100);
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const pipeline = await startPipeline(configWith(windowSize), logger);
  let ms: number;
  if (until === 'committed') {
    await waitCommitted(config, quiet, config.kafka.groupId);
    ms = performance.now() - t0;
  } else {
    while (new Set(rebuilt.map((r) => r.partition)).size < PARTITIONS) await new Promise((r) => setTimeout(r, 50));
    ms = performance.now() - t0;
  }
  clearInterval(sampler);
  const stats = pipeline.stats();
  await pipeline.stop();
  return { ms, rebuilt, refused, stats, rssBefore, rssMax };
}

async function main() {
  await ensureTopics(config, quiet);
  await migrate(config, { logger: quiet });
  try {
    await produceSynthetic(config, quiet, { series: SERIES, points: POINTS, startMs: Date.now() - POINTS * 1000 - 60_000 });
    const first = await run(WINDOW, 'committed');
    const peer = await run(WINDOW, 'rebuilt');
    const other = WINDOW - 10;
    const vigil = await run(other, 'rebuilt');
    const replayed = (r: typeof peer) => r.rebuilt.reduce((a, b) => a + b.replayed, 0);
    const slowest = (r: typeof peer) => Math.max(...r.rebuilt.map((b) => b.ms));
    const mib = (b: number) => Math.round(b / 1048576);
    const row = (label: string, r: typeof peer): (string | number)[] => [
      label,
      Number((r.ms / 1000).toFixed(2)),
      r.refused,
      replayed(r),
      Number((slowest(r) / 1000).toFixed(2)),
      replayed(r) > 0 ? Math.round(replayed(r) / (r.ms / 1000)) : 0,
      mib(r.rssMax - r.rssBefore),
    ];
    const table: BenchTable = {
      title: `state rebuild at start-up: ${SERIES} series × ${POINTS} points = ${TOTAL} records in ClickHouse, ${PARTITIONS} partitions, 1 worker thread, Node ${process.version}`,
      columns: ['restart', 'seconds to all partitions rebuilt', 'partitions refusing snapshots', 'points replayed', 'slowest partition s', 'replayed points/s', 'RSS growth MiB (peak)'],
      rows: [row(`peer: same window size (${WINDOW}), snapshots load`, peer), row(`vigil: window size ${other}, every snapshot refused, full replay`, vigil)],
    };
    const notes = [
      `first run (scoring everything): ${(first.ms / 1000).toFixed(2)} s, ${Math.round(TOTAL / (first.ms / 1000))} records/s, ${first.stats.series} series`,
    ];
    console.log(`${markdownTable(table)}\n${notes.join('\n')}`);
    emitResult({
      tables: [table],
      headlines: [
        {
          figure: 'restart after a layout change, seconds to rebuild',
          value: Number((vigil.ms / 1000).toFixed(2)),
          unit: 's',
          reference: { kind: 'peer', label: 'restart from snapshots', value: Number((peer.ms / 1000).toFixed(2)) },
          higherIsBetter: false,
        },
      ],
      notes,
    });
  } finally {
    await removeBenchEnv(config, quiet);
  }
}

runBench(main);
