/**
 * Scoring throughput, three ways over the same synthetic partitions, in one run:
 *   1. scoreBatch in-process (one thread, no pool);
 *   2. the Piscina pool, one task per partition batch, typed arrays transferred, states shared;
 *   3. the peer the architecture forbids: the same pool, one task per point;
 * and, in-process again, the repeat check off (dropRepeats false: the detector without the
 * duplicate check the pipeline runs, docs/reliability.md) — timed in CPU seconds too, as the
 * in-process rows are, since wall time on a loaded machine swings between identical runs.
 * Partitions run as serial lanes (a series' state is only ever touched by one task at a time),
 * all lanes concurrently, as the pipeline does.
 *
 *   node --import tsx bench/scoring.ts [--threads 2] [--partitions 4] [--series 1000]
 *                                      [--points 2000000] [--batch 5000] [--per-point 20000]
 *                                      [--likelihood-gate 0] [--season-period -1|0|SECONDS]
 *                                      [--late 0]   (share of points sent after their series' next
 *                                                    one: out of order, so the repeat check scans)
 *                                      [--cpu-rounds 4] (in-process rounds, check on/off alternating)
 */
import { parseArgs } from 'node:util';
import { emitResult, markdownTable, type BenchTable } from './support/result.ts';
import { createLogger } from '../core/logger.ts';
import { DETECTOR_DEFAULTS, detectorParams } from '../workers/detector-params.ts';
import { createScoringPool } from '../workers/pool.ts';
import { scoreBatch, type ScoreTask } from '../workers/score-batch.ts';
import { createSeriesState, seriesStateBytes } from '../workers/series-state.ts';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '2' },
    partitions: { type: 'string', default: '4' },
    series: { type: 'string', default: '1000' },
    points: { type: 'string', default: '2000000' },
    batch: { type: 'string', default: '5000' },
    'per-point': { type: 'string', default: '20000' },
    // the anomaly likelihood gate (off by default, as in the pipeline): what turning it on costs
    'likelihood-gate': { type: 'string', default: '0' },
    // the seasonal baseline: -1 auto (the pipeline's default), 0 none, or a period in seconds
    'season-period': { type: 'string', default: String(DETECTOR_DEFAULTS.seasonPeriod) },
    late: { type: 'string', default: '0' },
    'cpu-rounds': { type: 'string', default: '4' },
    // the burst model's memory in points (default: the detector's, 2 × windowSize; 0: off)
    'burst-memory': { type: 'string' },
  },
});
const threads = Number(args.threads);
const partitions = Number(args.partitions);
const seriesCount = Number(args.series);
const totalPoints = Number(args.points);
const batchSize = Number(args.batch);
const perPointCount = Number(args['per-point']);
const late = Number(args.late);
const params = detectorParams({
  windowMs: 3_600_000,
  likelihoodGate: Number(args['likelihood-gate']),
  seasonPeriod: Number(args['season-period']),
  ...(args['burst-memory'] === undefined ? {} : { burstMemory: Number(args['burst-memory']) }),
});

interface Batch {
  partition: number;
  /** Global series ids of the batch's states, in state-index order. */
  seriesIds: number[];
  series: Uint32Array;
  values: Float64Array;
  timestamps: Float64Array;
}

/** Deterministic noisy series with the odd spike; series s lives on partition s % partitions. */
function makeBatches(points: number): Batch[] {
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const perPartition = Math.floor(points / partitions);
  const clock = new Float64Array(seriesCount).fill(1_700_000_000_000);
  const out: Batch[] = [];
  for (let p = 0; p < partitions; p++) {
    const own: number[] = [];
    for (let s = p; s < seriesCount; s += partitions) own.push(s);
    for (let start = 0; start < perPartition; start += batchSize) {
      const n = Math.min(batchSize, perPartition - start);
      const local = new Map<number, number>();
      const seriesIds: number[] = [];
      const idx = new Uint32Array(n);
      const values = new Float64Array(n);
      const timestamps = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const s = own[Math.floor(rand() * own.length)];
        let k = local.get(s);
        if (k === undefined) {
          k = seriesIds.push(s) - 1;
          local.set(s, k);
        }
        clock[s] += 1000;
        idx[i] = k;
        values[i] = 100 + (s % 7) * 10 + (rand() + rand() + rand() - 1.5) * 4 + (rand() < 0.0005 ? 60 : 0);
        timestamps[i] = clock[s];
      }
      if (late > 0) {
        // swap a point's time with its series' next point in the batch: it arrives late
        const pending = new Map<number, number>();
        for (let i = 0; i < n; i++) {
          const prev = pending.get(idx[i]);
          if (prev !== undefined) {
            const t = timestamps[prev];
            timestamps[prev] = timestamps[i];
            timestamps[i] = t;
            pending.delete(idx[i]);
          } else if (rand() < late) pending.set(idx[i], i);
        }
      }
      out.push({ partition: p, seriesIds, series: idx, values, timestamps });
    }
  }
  return out;
}

const clone = (batches: Batch[]) => batches.map((b) => ({ ...b, series: b.series.slice(), values: b.values.slice(), timestamps: b.timestamps.slice() }));
const task = (b: Batch, states: SharedArrayBuffer[], dropRepeats = true): ScoreTask => ({ params, states: b.seriesIds.map((s) => states[s]), series: b.series, values: b.values, timestamps: b.timestamps, dropRepeats });
const freshStates = () => Array.from({ length: seriesCount }, () => createSeriesState(params));
const pointsOf = (batches: Batch[]) => batches.reduce((s, b) => s + b.values.length, 0);

/** One serial lane per partition, all lanes at once. */
async function runLanes<T>(items: T[], partitionOf: (item: T) => number, run: (item: T) => Promise<unknown>): Promise<void> {
  const lanes = new Map<number, T[]>();
  for (const item of items) lanes.set(partitionOf(item), [...(lanes.get(partitionOf(item)) ?? []), item]);
  await Promise.all(
    [...lanes.values()].map(async (lane) => {
      for (const item of lane) await run(item);
    }),
  );
}

async function main(): Promise<void> {
  const logger = createLogger('warn');
  const batches = makeBatches(totalPoints);
  const points = pointsOf(batches);
  const rows: Array<{ mode: string; points: number; seconds: number; cpuSeconds?: number }> = [];
  const cpuSince = (c: NodeJS.CpuUsage) => {
    const d = process.cpuUsage(c);
    return (d.user + d.system) / 1e6;
  };

  // 1. in-process, with the repeat check (as the pipeline runs) and without it (what it costs):
  // alternate rounds on fresh states, the best of each kept — whichever runs first pays more
  // (JIT, fresh pages), and on a loaded machine one round is not a measurement
  const rounds = Number(args['cpu-rounds']);
  const best = { on: { seconds: Infinity, cpu: Infinity }, off: { seconds: Infinity, cpu: Infinity } };
  let inStates: SharedArrayBuffer[] = [];
  let repeats = 0;
  for (let round = 0; round < rounds; round++) {
    for (const drop of round % 2 === 0 ? [true, false] : [false, true]) {
      const states = freshStates();
      const copy = clone(batches);
      const t0 = performance.now();
      const cpu = process.cpuUsage();
      for (const b of copy) repeats += scoreBatch(task(b, states, drop)).repeats.length;
      const cpuSeconds = cpuSince(cpu);
      const seconds = (performance.now() - t0) / 1000;
      const slot = drop ? best.on : best.off;
      if (cpuSeconds < slot.cpu) slot.cpu = cpuSeconds;
      if (seconds < slot.seconds) slot.seconds = seconds;
      if (drop) inStates = states;
    }
  }
  rows.push({ mode: 'scoreBatch in-process (1 thread)', points, seconds: best.on.seconds, cpuSeconds: best.on.cpu });
  rows.push({ mode: 'scoreBatch in-process, repeat check off (peer)', points, seconds: best.off.seconds, cpuSeconds: best.off.cpu });
  let t: number;

  // 2. pool, one task per batch
  const pool = createScoringPool({ threads, logger });
  await pool.run(task(makeBatches(batchSize)[0], freshStates())); // thread start-up outside the timing
  const poolStates = freshStates();
  const poolBatches = clone(batches);
  t = performance.now();
  await runLanes(poolBatches, (b) => b.partition, (b) => pool.run(task(b, poolStates)));
  rows.push({ mode: `Piscina pool, ${threads} threads, 1 task per batch (transferred arrays)`, points, seconds: (performance.now() - t) / 1000 });
  const same = inStates.every((s, k) => Buffer.from(new Uint8Array(s)).equals(Buffer.from(new Uint8Array(poolStates[k]))));
  const detached = poolBatches.every((b) => b.values.byteLength === 0);

  // 3. the forbidden peer: one task per point, same pool, same lanes
  const perPoint: Batch[] = [];
  for (const b of clone(batches)) {
    for (let i = 0; i < b.values.length && perPoint.length < perPointCount; i++) {
      perPoint.push({ partition: b.partition, seriesIds: [b.seriesIds[b.series[i]]], series: new Uint32Array(1), values: b.values.slice(i, i + 1), timestamps: b.timestamps.slice(i, i + 1) });
    }
  }
  const ppStates = freshStates();
  t = performance.now();
  await runLanes(perPoint, (b) => b.partition, (b) => pool.run(task(b, ppStates)));
  rows.push({ mode: `Piscina pool, ${threads} threads, 1 task per point (forbidden peer)`, points: perPoint.length, seconds: (performance.now() - t) / 1000 });
  await pool.close();

  const title =
    `scoring: ${seriesCount} series on ${partitions} partitions, batches of ${batchSize} points, windowSize ${params.windowSize} ` +
    `(${(seriesStateBytes(params) / 1024).toFixed(1)} KiB state per series), node ${process.version}`;
  const rate = (r: (typeof rows)[number]) => r.points / r.seconds;
  const base = rate(rows[0]);
  const table: BenchTable = {
    columns: ['mode', 'points', 'seconds', 'points/s', 'vs in-process', 'points per CPU-second'],
    rows: rows.map((r) => [r.mode, r.points, Number(r.seconds.toFixed(2)), Math.round(rate(r)), `${(rate(r) / base).toPrecision(2)}×`, r.cpuSeconds ? Math.round(r.points / r.cpuSeconds) : '—']),
  };
  const cpuRatio = rows[1].cpuSeconds! / rows[0].cpuSeconds!;
  const check =
    `pool states identical to in-process states: ${same}; input arrays transferred (detached after run): ${detached}; ` +
    `repeat check: ${repeats} repeats found (the data has none), CPU time with it / without it ${(1 / cpuRatio).toFixed(3)}`;
  console.log(`${title}\n\n${markdownTable(table)}\n\n${check}`);
  emitResult({
    tables: [{ title, ...table }],
    headlines: [
      { figure: `pool, ${threads} threads, 1 task per batch, points/s`, value: Math.round(rate(rows[2])), unit: 'points/s', reference: { kind: 'ceiling', label: 'scoreBatch in-process', value: Math.round(base) }, higherIsBetter: true },
      { figure: 'pool, 1 task per batch, points/s', value: Math.round(rate(rows[2])), unit: 'points/s', reference: { kind: 'peer', label: '1 task per point', value: Math.round(rate(rows[3])) }, higherIsBetter: true },
      {
        figure: 'in-process with the repeat check, points per CPU-second',
        value: Math.round(points / rows[0].cpuSeconds!),
        unit: 'points/s',
        reference: { kind: 'peer', label: 'repeat check off', value: Math.round(points / rows[1].cpuSeconds!) },
        higherIsBetter: true,
      },
    ],
    notes: [check],
  });
  if (!same || !detached || repeats !== 0) process.exitCode = 1;
}

await main();
