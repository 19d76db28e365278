/**
 * `vigil detect`'s work: the pipeline's detector over CSV files, each written back with its own
 * columns plus anomaly_score, anomaly_type, confidence and zscore per row. Every input is read
 * and checked before the first output is written, and each output appears whole (temp + rename).
 */
import type { AnomalyType } from '../../schemas/records.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { runSeries, type DetectorParams, type SeriesRun } from './run-series.ts';
import { readSeriesCsv, type SeriesCsv } from './series-csv.ts';
import { VigilError } from '../../core/errors.ts';

export const OUTPUT_COLUMNS = ['anomaly_score', 'anomaly_type', 'confidence', 'zscore'] as const;

/** Six significant digits: enough to rank and threshold, short enough to read. */
const num = (x: number): string => String(Number(x.toPrecision(6)));

/**
 * The annotated file. anomaly_type and confidence are set on the rows where the detector reports
 * an anomaly or refines one (the last report at that row), empty elsewhere; anomaly_score (in
 * [0, 1], ≥ 0.5 exactly where a new anomaly is reported) and zscore are set on every row.
 */
export function annotatedCsv(input: SeriesCsv, run: SeriesRun): string {
  const reported: Array<{ type: AnomalyType; confidence: number } | undefined> = new Array(input.lines.length);
  for (const f of run.findings) reported[f.pointIndex] = { type: f.type, confidence: f.confidence };
  const out: string[] = [`${input.headerLine},${OUTPUT_COLUMNS.join(',')}`];
  for (let i = 0; i < input.lines.length; i++) {
    const r = reported[i];
    out.push(`${input.lines[i]},${num(run.score[i])},${r ? r.type : ''},${r ? num(r.confidence) : ''},${num(run.zscore[i])}`);
  }
  return `${out.join('\n')}\n`;
}

export interface DetectJob {
  input: string;
  output: string;
}

export interface DetectSummary {
  input: string;
  output: string;
  rows: number;
  /** New anomalies (first reports) by type. */
  reports: Partial<Record<AnomalyType, number>>;
}

/** Reads and checks every input, then scores and writes each; nothing is written if any input is bad. */
export function detectCsvFiles(jobs: DetectJob[], params: DetectorParams): DetectSummary[] {
  const inputs = jobs.map((job) => {
    const csv = readSeriesCsv(job.input);
    const clash = csv.columns.find((c) => (OUTPUT_COLUMNS as readonly string[]).includes(c.toLowerCase()));
    if (clash) {
      throw new VigilError(`${job.input}:${csv.headerLineNumber}: the input already has a column ${JSON.stringify(clash)}`, {
        action: 'run detect on the original timestamp,value file, not on an output of detect',
      });
    }
    return csv;
  });
  return jobs.map((job, k) => {
    const csv = inputs[k];
    const run = runSeries(csv.values, csv.timestamps, params);
    writeFileAtomic(job.output, annotatedCsv(csv, run));
    const reports: DetectSummary['reports'] = {};
    for (const f of run.findings) if (f.version === 1) reports[f.type] = (reports[f.type] ?? 0) + 1;
    return { input: job.input, output: job.output, rows: csv.values.length, reports };
  });
}
