/**
 * `vigil detect --csv PATH --out PATH`: the pipeline's detector over a timestamp,value CSV file or
 * every CSV file of a folder, one annotated output per input under the same file name.
 */
import { readdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { VigilError } from '../../core/errors.ts';
import { detectCsvFiles, type DetectJob, type DetectSummary } from '../../pipeline/offline/detect-csv.ts';
import { offlineDetectorParams } from '../../pipeline/offline/run-series.ts';
import { UsageError, type Command } from '../command.ts';
import { seasonPeriodOption, windowSizeOption } from './detector-options.ts';

export const usage = `usage: vigil detect --csv PATH --out PATH [--window-size N] [--season-period P]

Runs the pipeline's detector (workers/score-batch.ts, as the worker pool does) over one CSV file,
or over every *.csv file directly in a folder, each file as one series in row order. Writes one
output per input with the same file name: the input's columns, then per row
  anomaly_score   [0, 1]; >= 0.5 exactly at rows that report a new anomaly
  anomaly_type    outlier | spike | drop | trend_change | pattern_change where an anomaly is
                  reported or refined at that row, empty elsewhere
  confidence      [0, 1] of that report, empty elsewhere
  zscore          the row's z against the baseline before it

  --csv PATH         input file, or folder of *.csv files
  --out PATH         output file (or an existing folder) for a file; output folder for a folder
  --window-size N    detector window (rows)                (default the config's pipeline.windowSize)
  --season-period P  seasonal baseline: auto (find a daily cycle), none, or a period in seconds
                                                           (default the config's pipeline.seasonPeriod)
  -h, --help         this help

Input: a header naming a "timestamp" and a "value" column (other columns are carried through),
rows in time order; timestamps as YYYY-MM-DD HH:MM[:SS] (UTC), ISO-8601 (Z or ±HH:MM), or epoch
seconds / milliseconds; values plain decimal numbers. A bad file (no header, bad timestamp or
value, unsorted rows, empty) is an error naming the file and line, and then no output at all is
written; each output is written to a temporary file and renamed into place. The window is
bounded by count only (recorded files span longer than the pipeline's time window).

Exit status: 0 written, 1 bad input or unwritable output, 2 bad options.`;

function stat(p: string): Stats | null {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

/** Input → output pairs; refuses anything that would overwrite an input. */
export function planJobs(csv: string, out: string): DetectJob[] {
  const input = stat(csv);
  if (!input) throw new VigilError(`cannot read ${csv}: no such file or folder`, { action: 'pass --csv a CSV file or a folder of CSV files' });
  const outStat = stat(out);
  let jobs: DetectJob[];
  if (input.isDirectory()) {
    if (outStat && !outStat.isDirectory()) throw new UsageError(`--out ${out} is a file; with a folder as --csv, --out must be a folder`);
    const names = readdirSync(csv).filter((n) => n.toLowerCase().endsWith('.csv') && stat(path.join(csv, n))?.isFile()).sort();
    if (names.length === 0) throw new VigilError(`no *.csv files in ${csv}`, { action: 'pass a folder that holds CSV files, or one file' });
    jobs = names.map((n) => ({ input: path.join(csv, n), output: path.join(out, n) }));
  } else {
    jobs = [{ input: csv, output: outStat?.isDirectory() ? path.join(out, path.basename(csv)) : out }];
  }
  for (const job of jobs) {
    const outputStat = stat(job.output);
    if (path.resolve(job.output) === path.resolve(job.input) || (outputStat && outputStat.ino === stat(job.input)!.ino && outputStat.dev === stat(job.input)!.dev)) {
      throw new UsageError(`--out would overwrite the input ${job.input}; choose another output path`);
    }
  }
  return jobs;
}

function summaryLine(s: DetectSummary): string {
  const reports = Object.entries(s.reports).map(([t, n]) => `${t} ${n}`).join(', ') || 'none';
  return `${s.input} → ${s.output}: ${s.rows} rows, anomalies reported: ${reports}`;
}

export const command: Command = {
  name: 'detect',
  summary: 'run the detector over CSV files (timestamp,value) and write them back with scores and anomaly types',
  usage,
  options: {
    csv: { type: 'string' },
    out: { type: 'string' },
    'window-size': { type: 'string' },
    'season-period': { type: 'string' },
  },
  async run(values, positionals) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\n\n${usage}`);
    const csv = values.csv as string | undefined;
    const out = values.out as string | undefined;
    if (!csv || !out) throw new UsageError(`--csv and --out are both required\n\n${usage}`);
    const params = offlineDetectorParams({
      windowSize: windowSizeOption(values['window-size'] as string | undefined),
      seasonPeriod: seasonPeriodOption(values['season-period'] as string | undefined),
    });
    const summaries = detectCsvFiles(planJobs(csv, out), params);
    for (const s of summaries) process.stdout.write(`${summaryLine(s)}\n`);
    return 0;
  },
};
