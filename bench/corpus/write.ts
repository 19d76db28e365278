/**
 * The corpus on disk: one `timestamp,value` CSV per series (UTC timestamps, full-precision
 * values) plus labels.json, so `vigil detect` or any other detector can run on exactly the
 * series the report judges.
 */
import path from 'node:path';
import { writeFileAtomic } from '../../pipeline/offline/atomic-write.ts';
import type { CorpusSeries } from './generate.ts';

const utc = (t: number): string => new Date(t).toISOString().replace('T', ' ').slice(0, 19);

export function seriesCsv(s: CorpusSeries): string {
  const rows = Array.from(s.values, (v, i) => `${utc(s.timestamps[i])},${v}`);
  return `timestamp,value\n${rows.join('\n')}\n`;
}

/** Writes <dir>/<series name>.csv for each series and <dir>/labels.json; returns the CSV paths. */
export function writeCorpus(dir: string, corpus: CorpusSeries[]): string[] {
  const labels: Record<string, unknown> = {};
  const files = corpus.map((s) => {
    const file = path.join(dir, `${s.name}.csv`);
    writeFileAtomic(file, seriesCsv(s));
    labels[`${s.name}.csv`] = { stepMs: s.stepMs, level: s.level, noise: s.noise, features: s.features, anomaly: s.anomaly };
    return file;
  });
  writeFileAtomic(path.join(dir, 'labels.json'), `${JSON.stringify(labels, null, 1)}\n`);
  return files;
}
