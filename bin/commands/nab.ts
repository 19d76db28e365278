/**
 * `vigil nab`: the pipeline's detector over the NAB corpus, NAB's results layout written out, and
 * the three profile scores beside the published scoreboard.
 */
import { fileURLToPath } from 'node:url';
import { readPublishedScores, type ProfileScores } from '../../bench/nab-published.ts';
import { runNab, type NabRun } from '../../bench/nab-run.ts';
import { NAB_PROFILE_NAMES } from '../../bench/nab-scoring.ts';
import { offlineDetectorParams } from '../../pipeline/offline/run-series.ts';
import { UsageError, type Command } from '../command.ts';
import { seasonPeriodOption, windowSizeOption } from './detector-options.ts';

const DEFAULT_DATA = fileURLToPath(new URL('../../data/nab', import.meta.url));
const DEFAULT_OUT = fileURLToPath(new URL('../../bench/results/nab', import.meta.url));

export const usage = `usage: vigil nab [--data DIR] [--out DIR] [--window-size N] [--season-period P]

Runs the pipeline's detector (workers/score-batch.ts, as the worker pool does) over every file
of a NAB-layout corpus: one fresh series state per file, each row streamed once in file order,
one parameter set for the whole corpus. Writes NAB's results layout
<out>/vigil/<category>/vigil_<file>.csv (timestamp,value,anomaly_score,label) and prints the
standard, reward_low_FP_rate and reward_low_FN_rate scores (bench/nab-scoring.ts; each profile
at its best corpus-wide threshold, as NAB's optimiser chooses it) beside the published detectors.

  --data DIR         NAB-layout folder: data/<category>/<file>.csv, labels/combined_windows.json
                     and optionally results/final_results.json          (default data/nab)
  --out DIR          results folder                                    (default bench/results/nab)
  --window-size N    detector window (rows)                (default the config's pipeline.windowSize)
  --season-period P  seasonal baseline: auto (find a daily cycle), none, or a period in seconds
                                                           (default the config's pipeline.seasonPeriod)
  -h, --help         this help

The window is bounded by count only (NAB files span months). Exit status: 0 scored, 1 bad
corpus or unwritable output, 2 bad options.`;

const fmt = (x: number) => x.toFixed(1).padStart(8);

export function formatNabReport(run: NabRun, published: { source: string; detectors: Array<{ name: string; scores: ProfileScores }> }, windowRows: number): string {
  const vigil: ProfileScores = Object.fromEntries(NAB_PROFILE_NAMES.map((p) => [p, run.scores[p].normalized])) as ProfileScores;
  const rows = [...published.detectors.filter((d) => d.name !== 'null'), { name: `Vigil (windowSize ${windowRows})`, scores: vigil }].sort((a, b) => b.scores.standard - a.scores.standard);
  const lines = [
    `NAB: ${run.files} files, ${run.rows} rows, ${run.windows} windows; scored in ${run.seconds.toFixed(1)} s${run.written.length ? `; results in NAB layout: ${run.written.length} files` : ''}`,
    '',
    `| detector | standard | reward_low_FP_rate | reward_low_FN_rate |`,
    `| --- | ---: | ---: | ---: |`,
    ...rows.map((r) => `| ${r.scores === vigil ? `**${r.name}**` : r.name} | ${NAB_PROFILE_NAMES.map((p) => fmt(r.scores[p])).join(' | ')} |`),
    '',
    ...NAB_PROFILE_NAMES.map((p) => {
      const s = run.scores[p];
      return `Vigil ${p}: threshold ${s.threshold.toPrecision(6)}, ${s.detectedWindows}/${s.windows} windows detected, ${s.falsePositives} false positives`;
    }),
    `Published scores: ${published.source}`,
  ];
  return lines.join('\n');
}

export const command: Command = {
  name: 'nab',
  summary: 'score the detector on the NAB benchmark (all three profiles) beside the published detectors',
  usage,
  options: {
    data: { type: 'string' },
    out: { type: 'string' },
    'window-size': { type: 'string' },
    'season-period': { type: 'string' },
  },
  async run(values, positionals) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\n\n${usage}`);
    const data = (values.data as string | undefined) ?? DEFAULT_DATA;
    const out = (values.out as string | undefined) ?? DEFAULT_OUT;
    const rows = windowSizeOption(values['window-size'] as string | undefined);
    const published = readPublishedScores(data);
    const run = runNab({ data, out, params: offlineDetectorParams({ windowSize: rows, seasonPeriod: seasonPeriodOption(values['season-period'] as string | undefined) }) });
    process.stdout.write(`${formatNabReport(run, published, rows)}\nResults: ${out}/vigil/\n`);
    return 0;
  },
};
