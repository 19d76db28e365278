/**
 * Labelled-corpus report: generates the seeded corpus (bench/corpus/generate.ts) for each seed,
 * runs the pipeline's detector over every series (pipeline/offline/run-series.ts → scoreBatch,
 * the worker pool's entry), and prints detection rate within the type's delay, type accuracy
 * with its confusion matrix, and the share of normal series with any false report.
 *
 *   npx tsx bench/corpus-report.ts --seeds 1,2,3 [--per-type 40] [--normal 100]
 *          [--window-size 1000] [--window-ms MS] [--season-period auto|none|SECONDS] [--json out.json] [--list misses|false|all] [--write DIR]
 *
 * --window-ms bounds the window by time too, as the pipeline's config does (pipeline.windowMs,
 * default one hour); without it the window is bounded by count only, as in `vigil nab`.
 *
 * Report the figures at several seeds; a change that helps one seed only is noise.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { offlineDetectorParams, runSeries } from '../pipeline/offline/run-series.ts';
import { seasonPeriodParam } from '../workers/detector-params.ts';
import { generateCorpus, type CorpusSeries } from './corpus/generate.ts';
import { judgeSeries, summarize, type CorpusSummary, type SeriesOutcome } from './corpus/evaluate.ts';
import { confusionTable, featureTable, headlineLine, seedsTable } from './corpus/format.ts';
import { writeCorpus } from './corpus/write.ts';

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3' },
    'per-type': { type: 'string', default: '40' },
    normal: { type: 'string', default: '100' },
    'window-size': { type: 'string', default: '1000' },
    'window-ms': { type: 'string' },
    // default: the detector's default (detectorParams)
    'season-period': { type: 'string' },
    json: { type: 'string' },
    list: { type: 'string' },
    write: { type: 'string' },
  },
});

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return n;
}

function listLine(o: SeriesOutcome, s: CorpusSeries): string {
  const a = s.anomaly;
  const what = a ? `${a.type} at row ${a.start} (${a.detail}, deadline row ${a.deadline})` : 'normal';
  const got = o.detected ? `reported ${o.reportedType} after ${o.delayRows} rows` : a ? 'MISSED' : '';
  const falses = o.falseReports.length ? ` false: ${o.falseReports.join(', ')}` : '';
  return `  ${s.name} step ${s.stepMs / 60_000} min, level ${s.level.toPrecision(3)}, noise ${(100 * s.noise).toFixed(1)} %: ${what}; ${got}${falses}`;
}

function main(): void {
  const seeds = args.seeds!.split(',').map((x) => positiveInt('seeds', x.trim()));
  const perType = positiveInt('per-type', args['per-type']!);
  const normal = positiveInt('normal', args.normal!);
  const windowMs = args['window-ms'] === undefined ? Infinity : positiveInt('window-ms', args['window-ms']);
  const season = args['season-period'];
  const seasonPeriod = season === undefined ? undefined : season === 'auto' || season === 'none' ? seasonPeriodParam(season) : positiveInt('season-period', season);
  const params = offlineDetectorParams({ windowSize: positiveInt('window-size', args['window-size']!), windowMs, ...(seasonPeriod === undefined ? {} : { seasonPeriod }) });
  console.log(
    `Corpus: ${perType} series per anomaly type + ${normal} normal per seed; detector: scoreBatch (the worker pool's entry), ` +
      `windowSize ${params.windowSize}, seasonPeriod ${params.seasonPeriod}, ${windowMs === Infinity ? 'count window only (windowMs ∞)' : `windowMs ${windowMs}`}, detectorParams defaults otherwise.`,
  );
  const json: Record<string, unknown> = { params, perType, normal, seeds: {} };
  const bySeed: Array<[number, CorpusSummary]> = [];
  for (const seed of seeds) {
    const t0 = performance.now();
    const corpus = generateCorpus({ seed, perType, normal });
    if (args.write) writeCorpus(args.write, corpus);
    const outcomes = corpus.map((s) => judgeSeries(s, runSeries(s.values, s.timestamps, params).findings));
    const summary = summarize(outcomes);
    const rows = corpus.reduce((n, s) => n + s.values.length, 0);
    console.log('');
    console.log(`### ${headlineLine(seed, summary)}`);
    console.log(`(${corpus.length} series, ${rows} rows, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    console.log('');
    console.log(confusionTable(summary));
    console.log('');
    console.log(featureTable(summary));
    console.log(`\nanomalous series with a false report outside their anomaly: ${summary.anomalousWithFalse}/${summary.injected}`);
    if (args.list) {
      console.log('');
      const mistyped = (o: SeriesOutcome) => o.injected !== null && (!o.detected || o.reportedType !== o.injected);
      const pick = { all: () => true, misses: mistyped, false: (o: SeriesOutcome) => o.falseReports.length > 0 }[args.list];
      if (!pick) throw new Error(`--list must be misses, false or all, got ${JSON.stringify(args.list)}`);
      outcomes.forEach((o, i) => pick(o) && console.log(listLine(o, corpus[i])));
    }
    (json.seeds as Record<string, unknown>)[seed] = { summary, outcomes };
    bySeed.push([seed, summary]);
  }
  console.log('');
  console.log('### All seeds');
  console.log('');
  console.log(seedsTable(bySeed));
  if (args.json) writeFileSync(args.json, `${JSON.stringify(json, null, 1)}\n`);
}

main();
