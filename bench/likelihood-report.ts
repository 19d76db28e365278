/**
 * What the anomaly likelihood (workers/likelihood.ts) does for detection, in one table: the
 * pipeline's detector with `likelihoodGate` at each given value, over NAB (all three profiles,
 * the project's scorer) and the labelled corpus at each seed; then two ways of turning the
 * likelihood into NAB's per-point score instead (computed beside the gate-0 run, same raw score
 * as the gate sees):
 *   - `likelihood`: the score is the log likelihood alone (as Numenta's detector reports it);
 *   - `max`: max(detector score, log likelihood) — would break "≥ 0.5 exactly where a new
 *     anomaly is reported", so it would need a figure worth that.
 *
 *   npx tsx bench/likelihood-report.ts [--gates 0,0.1,0.2,0.3] [--seeds 1,2,3] [--nab data/nab]
 *
 * Columns per corpus seed: detected in time / typed right / normal series with any false report
 * / normal series with a false report other than trend_change (the likelihood gates point
 * episodes; trend reports come from the slope test) / bursty normal series with a false report.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { offlineDetectorParams, runSeries, type DetectorParams } from '../pipeline/offline/run-series.ts';
import { HISTORY_BLOCKS, LIKELIHOOD_SLOTS, resetLikelihood, updateLikelihood } from '../workers/likelihood.ts';
import { generateCorpus } from './corpus/generate.ts';
import { judgeSeries, summarize } from './corpus/evaluate.ts';
import { loadNabCorpus } from './nab-corpus.ts';
import { nabScoreAllProfiles, type LabelledFile, type NabProfileName, type SweepResult } from './nab-scoring.ts';

const { values: args } = parseArgs({
  options: {
    gates: { type: 'string', default: '0,0.1,0.2,0.3' },
    seeds: { type: 'string', default: '1,2,3' },
    nab: { type: 'string', default: fileURLToPath(new URL('../data/nab', import.meta.url)) },
  },
});

const nabCell = (scores: Record<NabProfileName, SweepResult>) =>
  Object.values(scores)
    .map((s) => s.normalized.toFixed(1))
    .join(' / ');

/** The gate's raw score (series-detector.ts), rebuilt from a run's z: |z|/zThreshold to the 4th. */
function likelihoodTrack(zscore: Float64Array, params: DetectorParams): Float64Array {
  const f = new Float64Array(LIKELIHOOD_SLOTS);
  resetLikelihood(f, 0);
  const block = Math.max(1, Math.round(params.likelihoodHistory / HISTORY_BLOCKS));
  const out = new Float64Array(zscore.length);
  for (let i = 0; i < zscore.length; i++) {
    const r = Math.abs(zscore[i]) / params.zThreshold;
    const a = r * r * r * r;
    out[i] = updateLikelihood(f, 0, a / (1 + a), block);
  }
  return out;
}

function main(): void {
  const gates = args.gates!.split(',').map(Number);
  const seeds = args.seeds!.split(',').map(Number);
  const nab = loadNabCorpus(args.nab!);
  const corpora = seeds.map((seed) => ({ seed, series: generateCorpus({ seed, perType: 40, normal: 100 }) }));
  console.log(`likelihood gate over NAB (${nab.length} files; standard / reward_low_FP_rate / reward_low_FN_rate) and the corpus (seeds ${seeds.join(', ')})`);
  console.log('');
  console.log(`| likelihoodGate | NAB | ${seeds.map((s) => `seed ${s}: det / typed / normal false / non-trend / bursty`).join(' | ')} |`);
  console.log(`| --- | --- | ${seeds.map(() => '---').join(' | ')} |`);
  const variants: Record<string, LabelledFile[]> = { likelihood: [], max: [] };
  for (const gate of gates) {
    const params = offlineDetectorParams({ likelihoodGate: gate });
    const files: LabelledFile[] = nab.map((s) => {
      const run = runSeries(s.values, s.timestamps, params);
      if (gate === 0) {
        const ll = likelihoodTrack(run.zscore, params);
        variants.likelihood.push({ name: s.name, windows: s.windows, scores: ll });
        variants.max.push({ name: s.name, windows: s.windows, scores: ll.map((x, i) => Math.max(x, run.score[i])) });
      }
      return { name: s.name, windows: s.windows, scores: run.score };
    });
    const cells = corpora.map(({ series }) => {
      const outcomes = series.map((s) => judgeSeries(s, runSeries(s.values, s.timestamps, params).findings));
      const sm = summarize(outcomes);
      const nonTrend = outcomes.filter((o) => o.injected === null && o.falseReports.some((t) => t !== 'trend_change')).length;
      const b = sm.normalByFeature.bursty;
      return `${sm.detected}/${sm.injected} / ${sm.typedRight} / ${sm.normalWithFalse}/${sm.normal} / ${nonTrend} / ${b.withFalse}/${b.series}`;
    });
    console.log(`| ${gate} | ${nabCell(nabScoreAllProfiles(files))} | ${cells.join(' | ')} |`);
  }
  if (variants.likelihood.length) {
    console.log('');
    console.log('NAB per-point score from the likelihood instead (gate 0):');
    for (const [name, files] of Object.entries(variants)) console.log(`- ${name}: ${nabCell(nabScoreAllProfiles(files))}`);
  }
}

main();
