/**
 * `vigil nab`'s work: the pipeline's detector over every file of a NAB-layout corpus (one fresh
 * state per file, rows streamed once in file order, one parameter set for the whole corpus),
 * NAB's results layout written out, and the three profile scores.
 */
import path from 'node:path';
import { runSeries, type DetectorParams } from '../pipeline/offline/run-series.ts';
import { writeFileAtomic } from '../pipeline/offline/atomic-write.ts';
import { loadNabCorpus, type NabSeries } from './nab-corpus.ts';
import { nabScoreAllProfiles, type LabelledFile, type NabProfileName, type SweepResult } from './nab-scoring.ts';

export const DETECTOR_NAME = 'vigil';

export interface NabRun {
  files: number;
  rows: number;
  windows: number;
  /** Output files written (empty without an out folder). */
  written: string[];
  scores: Record<NabProfileName, SweepResult>;
  seconds: number;
}

const nabTimestamp = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

/** NAB's results file: timestamp,value,anomaly_score,label (label 1 inside a window). */
export function resultsCsv(series: NabSeries, scores: ArrayLike<number>): string {
  const inWindow = new Uint8Array(series.values.length);
  for (const [a, b] of series.windows) inWindow.fill(1, a, b + 1);
  const lines = ['timestamp,value,anomaly_score,label'];
  for (let i = 0; i < series.values.length; i++) lines.push(`${nabTimestamp(series.timestamps[i])},${series.values[i]},${scores[i]},${inWindow[i]}`);
  return `${lines.join('\n')}\n`;
}

/** Where NAB expects a detector's results: <out>/<detector>/<category>/<detector>_<file>. */
export function resultsPath(outDir: string, seriesName: string): string {
  const [category, file] = seriesName.split('/');
  return path.join(outDir, DETECTOR_NAME, category, `${DETECTOR_NAME}_${file}`);
}

export function runNab(options: { data: string; out?: string; params: DetectorParams }): NabRun {
  const t0 = performance.now();
  const corpus = loadNabCorpus(options.data);
  const files: LabelledFile[] = [];
  const written: string[] = [];
  for (const series of corpus) {
    const { score } = runSeries(series.values, series.timestamps, options.params);
    files.push({ name: series.name, windows: series.windows, scores: score });
    if (options.out) {
      const file = resultsPath(options.out, series.name);
      writeFileAtomic(file, resultsCsv(series, score));
      written.push(file);
    }
  }
  return {
    files: corpus.length,
    rows: corpus.reduce((n, s) => n + s.values.length, 0),
    windows: corpus.reduce((n, s) => n + s.windows.length, 0),
    written,
    scores: nabScoreAllProfiles(files),
    seconds: (performance.now() - t0) / 1000,
  };
}
