/**
 * NAB benchmark: runs the Vigil detector (workers/score-batch.ts via pipeline/offline/run-series.ts)
 * over every NAB file as one streaming series, scores it with the NAB standard profile, and scores
 * the Windowed Gaussian peer (published 39.6) in the same run as a check of the scorer. All three
 * profiles beside the published scoreboard: `./bin/vigil nab`.
 *
 *   node --import tsx bench/nab.ts [--nab data/nab] [--windows 1000,4000]
 *
 * The first window size is the pipeline default; the others show how much the score depends on
 * it (the peer's window is 6400 points, i.e. most of each file).
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { offlineDetectorParams, runSeries, type DetectorParams } from '../pipeline/offline/run-series.ts';
import { loadNabCorpus, type NabSeries } from './nab-corpus.ts';
import { nabScore, type LabelledFile, type SweepResult } from './nab-scoring.ts';
import { windowedGaussianScores } from './windowed-gaussian.ts';

const { values: args } = parseArgs({
  options: {
    nab: { type: 'string', default: fileURLToPath(new URL('../data/nab', import.meta.url)) },
    windows: { type: 'string', default: '1000,4000' },
  },
});

/** NAB timestamps span months at 5-minute steps: only the count window applies here. */
function nabParams(windowSize: number): DetectorParams {
  return offlineDetectorParams({ windowSize });
}

function vigilScores(series: NabSeries, params: DetectorParams, typeCounts: Map<string, number>): Float64Array {
  const result = runSeries(series.values, series.timestamps, params);
  for (const f of result.findings) {
    const key = `${f.type}${f.version > 1 ? ' (refined)' : ''}`;
    typeCounts.set(key, (typeCounts.get(key) ?? 0) + 1);
  }
  return result.score;
}

function row(name: string, r: SweepResult, seconds: number, points: number): string {
  return `| ${name} | ${r.normalized.toFixed(1)} | ${r.threshold.toPrecision(6)} | ${r.detectedWindows}/${r.windows} | ${r.falsePositives} | ${(points / seconds / 1e6).toFixed(2)} |`;
}

function main(): void {
  const t0 = performance.now();
  const corpus = loadNabCorpus(args.nab!);
  const points = corpus.reduce((s, c) => s + c.values.length, 0);
  const loadS = (performance.now() - t0) / 1000;

  const runs = args.windows!.split(',').map((w) => {
    const params = nabParams(Number(w));
    const typeCounts = new Map<string, number>();
    const t1 = performance.now();
    const files: LabelledFile[] = corpus.map((c) => ({ name: c.name, windows: c.windows, scores: vigilScores(c, params, typeCounts) }));
    const seconds = (performance.now() - t1) / 1000;
    return { params, typeCounts, files, seconds, result: nabScore(files) };
  });

  const t = performance.now();
  const wgFiles: LabelledFile[] = corpus.map((c) => ({ name: c.name, windows: c.windows, scores: windowedGaussianScores(c.values) }));
  const wgS = (performance.now() - t) / 1000;
  const wg = nabScore(wgFiles);

  console.log(`NAB corpus: ${corpus.length} files, ${points} rows, ${wg.windows} windows (loaded in ${loadS.toFixed(2)} s); standard profile (A_TP 1, A_FP 0.11, A_FN 1)`);
  for (const { params: p } of runs) {
    console.log(
      `Vigil params: windowSize ${p.windowSize}, windowMs ∞ (NAB spans months), minPoints ${p.minPoints}, zThreshold ${p.zThreshold}, ` +
        `spikeMaxPoints ${p.spikeMaxPoints}, trendWindow ${p.trendWindow}, varianceWindow ${p.varianceWindow} (detectorParams defaults otherwise)`,
    );
  }
  console.log('');
  console.log('| detector | NAB standard score | best threshold | windows detected | false positives | scoring Mpts/s |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const run of runs) console.log(row(`Vigil per-point score, windowSize ${run.params.windowSize}${run === runs[0] ? ' (default)' : ''}`, run.result, run.seconds, points));
  console.log(row('Windowed Gaussian peer (published 39.6)', wg, wgS, points));
  console.log('');
  for (const run of runs) {
    console.log(`Vigil findings, windowSize ${run.params.windowSize}: ${[...run.typeCounts.entries()].sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  console.log(`total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

main();
