/**
 * Where the false reports of the labelled corpus come from: every false episode (bench/corpus/
 * evaluate.ts's definition — any episode on a normal series; on an anomalous one, before the
 * anomaly or well after a transient one) broken down by cause: the series' features, the day of
 * the series it starts on, its first and final type, |z| of its first report, and what the
 * detector's models were doing at that row (burst model engaged on that side, daily / weekly
 * component on).
 *
 *   npx tsx bench/corpus-false.ts --seeds 1,2,3,4,5 [--season-period auto|none|SECONDS] [--z-threshold 4]
 *          [--list]
 *
 * How: each series runs once as in bench/corpus-report.ts; a series with a false episode runs
 * again with the batches cut right after each false episode's first report (the state is a pure
 * function of the points, so where batches end changes nothing), and the state is read there.
 */
import { parseArgs } from 'node:util';
import { offlineDetectorParams, runSeries, type AnomalyFinding, type DetectorParams } from '../pipeline/offline/run-series.ts';
import { burstConfig, burstThreshold } from '../workers/burst.ts';
import { seasonPeriodParam } from '../workers/detector-params.ts';
import { inspectSeason } from '../workers/seasonal.ts';
import { createSeriesState, S, stateLayout } from '../workers/series-state.ts';
import { scoreBatch } from '../workers/score-batch.ts';
import { generateCorpus, type CorpusSeries } from './corpus/generate.ts';
import { episodes, LATE_GRACE_ROWS } from './corpus/evaluate.ts';

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3,4,5' },
    'season-period': { type: 'string' },
    'z-threshold': { type: 'string' },
    list: { type: 'boolean', default: false },
  },
});

const DAY_MS = 86_400_000;
const TRANSIENT = new Set(['outlier', 'spike', 'drop']);

export interface FalseEpisode {
  series: string;
  normal: boolean;
  features: string[];
  stepMin: number;
  row: number;
  day: number;
  firstType: string;
  finalType: string;
  cause: string;
  /** |z| at the episode's start row (outliers: the point that opened it). */
  absZ: number;
  /** The burst model's bar on the report's side was above zThreshold at the report. */
  burstEngaged: boolean;
  daily: boolean;
  weekly: boolean;
}

function isFalse(s: CorpusSeries, row: number): boolean {
  const a = s.anomaly;
  if (!a) return true;
  if (row >= a.start && row <= a.deadline) return false;
  return row < a.start || (TRANSIENT.has(a.type) && row > a.deadline + LATE_GRACE_ROWS);
}

/**
 * Row of the episode's start (a report confirmed by the next point, zConfirm, is made one row
 * after its start; a start moved past an earlier one is not a row: the reporting row then).
 */
function startRow(s: CorpusSeries, f: AnomalyFinding): number {
  const row = s.timestamps.lastIndexOf(f.startTimestamp, f.pointIndex);
  return row >= 0 ? row : f.pointIndex;
}

/** The series' false episodes with the detector's state read right after each first report. */
export function falseEpisodes(s: CorpusSeries, params: DetectorParams): FalseEpisode[] {
  const run = runSeries(s.values, s.timestamps, params);
  const eps = episodes(run.findings).filter((e) => isFalse(s, e.first.pointIndex));
  if (eps.length === 0) return [];
  const layout = stateLayout(params);
  const bc = burstConfig(params.burstMemory > 0 ? params.burstMemory : 2, params.zThreshold);
  const state = createSeriesState(params);
  const f = new Float64Array(state);
  const out: FalseEpisode[] = [];
  let from = 0;
  for (const e of eps) {
    const to = e.first.pointIndex + 1;
    if (to > from) {
      scoreBatch({ params, states: [state], series: new Uint32Array(to - from), values: s.values.slice(from, to), timestamps: s.timestamps.slice(from, to) });
      from = to;
    }
    const copy = new Float64Array(f); // burstThreshold decays its sums: ask a copy
    const bar = params.burstMemory > 0 ? burstThreshold(copy, S.burst, f[S.pointsSeen], e.first.zscore, bc) : params.zThreshold;
    const season = inspectSeason(f, layout.season);
    out.push({
      series: s.name,
      normal: s.anomaly === null,
      features: s.features,
      stepMin: s.stepMs / 60_000,
      row: e.first.pointIndex,
      day: (s.timestamps[e.first.pointIndex] - s.timestamps[0]) / DAY_MS,
      firstType: e.first.type,
      finalType: e.finalType,
      cause: e.first.cause,
      absZ: Math.abs(run.zscore[startRow(s, e.first)]),
      burstEngaged: bar > params.zThreshold,
      daily: season.on,
      weekly: season.weeklyOn,
    });
  }
  return out;
}

function count<T>(xs: T[], key: (x: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return new Map([...m.entries()].sort((a, b) => b[1] - a[1]));
}

function table(title: string, rows: Map<string, number>, total: number): string {
  const lines = [`| ${title} | episodes | share |`, '| --- | ---: | ---: |'];
  for (const [k, v] of rows) lines.push(`| ${k} | ${v} | ${((100 * v) / total).toFixed(1)} % |`);
  return lines.join('\n');
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** The one feature that best explains a report (the first present of these, in this order). */
function mainFeature(e: FalseEpisode): string {
  for (const f of ['bursty', 'weekly', 'daily', 'irregular', 'integer', 'gaps', 'drift']) if (e.features.includes(f)) return f;
  return 'plain';
}

function dayBucket(day: number): string {
  if (day < 1.5) return 'day < 1.5';
  if (day < 4.5) return 'day 1.5 – 4.5';
  if (day < 7) return 'day 4.5 – 7 (first weekend)';
  if (day < 14) return 'day 7 – 14';
  return 'day ≥ 14';
}

function main(): void {
  const seeds = args.seeds!.split(',').map(Number);
  const season = args['season-period'];
  const params = offlineDetectorParams({
    ...(season === undefined ? {} : { seasonPeriod: season === 'auto' || season === 'none' ? seasonPeriodParam(season) : Number(season) }),
    ...(args['z-threshold'] === undefined ? {} : { zThreshold: Number(args['z-threshold']) }),
  });
  const all: FalseEpisode[] = [];
  let normalSeries = 0;
  let normalRows = 0;
  for (const seed of seeds) {
    for (const s of generateCorpus({ seed })) {
      if (!s.anomaly) {
        normalSeries++;
        normalRows += s.values.length;
      }
      all.push(...falseEpisodes(s, params));
    }
  }
  const normal = all.filter((e) => e.normal);
  const withFalse = new Set(normal.map((e) => e.series)).size;
  console.log(`seeds ${seeds.join(',')}, zThreshold ${params.zThreshold}, seasonPeriod ${params.seasonPeriod}`);
  console.log(`normal series: ${normalSeries} (${normalRows} rows), ${withFalse} with a false report, ${normal.length} false episodes; on anomalous series ${all.length - normal.length}\n`);
  const firstPerSeries = new Map<string, FalseEpisode>();
  for (const e of normal) if (!firstPerSeries.has(e.series)) firstPerSeries.set(e.series, e);
  const firsts = [...firstPerSeries.values()];
  const model = (e: FalseEpisode) =>
    `${e.burstEngaged ? 'burst bar up' : 'burst bar at zThreshold'}, ${e.weekly ? 'daily+weekly on' : e.daily ? 'daily on' : 'no season on'}`;
  for (const [name, xs] of [
    ['normal series, first false episode of each', firsts],
    ['all false episodes on normal series', normal],
    ['false episodes on anomalous series', all.filter((e) => !e.normal)],
  ] as const) {
    console.log(`## ${name} (${xs.length})\n`);
    console.log(table('main feature', count(xs, mainFeature), xs.length) + '\n');
    console.log(table('day of the series', count(xs, (e) => dayBucket(e.day)), xs.length) + '\n');
    console.log(table('first type → final type', count(xs, (e) => `${e.firstType} → ${e.finalType} (${e.cause})`), xs.length) + '\n');
    console.log(table('models at the report', count(xs, model), xs.length) + '\n');
    console.log(table('step', count(xs, (e) => `${e.stepMin} min`), xs.length) + '\n');
    const point = xs.filter((e) => e.firstType === 'outlier');
    const zs = point.map((e) => e.absZ);
    console.log(`first reports as outlier: ${point.length}; |z| quartiles ${[0.25, 0.5, 0.75].map((q) => quantile(zs, q).toFixed(2)).join(' / ')}, ` +
      `share below 4.5: ${((100 * zs.filter((z) => z < 4.5).length) / Math.max(1, zs.length)).toFixed(0)} %, below 5: ${((100 * zs.filter((z) => z < 5).length) / Math.max(1, zs.length)).toFixed(0)} %\n`);
    console.log(table('main feature × model (outlier first reports)', count(point, (e) => `${mainFeature(e)}: ${model(e)}`), point.length) + '\n');
  }
  if (args.list) for (const e of all) console.log(`${e.series} row ${e.row} day ${e.day.toFixed(2)} ${e.firstType}→${e.finalType} (${e.cause}) |z| ${e.absZ.toFixed(2)} ${model(e)}`);
}

main();
