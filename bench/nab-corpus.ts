/** Loads the NAB corpus (data/<category>/<file>.csv + labels/combined_windows.json). */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { VigilError } from '../core/errors.ts';

export interface NabSeries {
  /** e.g. realKnownCause/nyc_taxi.csv */
  name: string;
  timestamps: Float64Array;
  values: Float64Array;
  windows: Array<[number, number]>;
}

function parseTimestamp(text: string): number {
  // "2014-04-01 00:05:00" (UTC, as NAB treats it)
  const ms = Date.parse(`${text.trim().replace(' ', 'T')}Z`);
  if (!Number.isFinite(ms)) throw new VigilError(`bad NAB timestamp ${JSON.stringify(text)}`, { action: 'check the corpus files' });
  return ms;
}

export function loadNabCorpus(root: string): NabSeries[] {
  const labelsFile = path.join(root, 'labels', 'combined_windows.json');
  let labels: Record<string, Array<[string, string]>>;
  try {
    labels = JSON.parse(readFileSync(labelsFile, 'utf8'));
  } catch (cause) {
    throw new VigilError(`cannot read NAB labels ${labelsFile}`, { cause, action: 'point --nab at the NAB folder (data/, labels/)' });
  }
  const out: NabSeries[] = [];
  const dataDir = path.join(root, 'data');
  for (const category of readdirSync(dataDir).sort()) {
    for (const file of readdirSync(path.join(dataDir, category)).sort()) {
      if (!file.endsWith('.csv')) continue;
      const name = `${category}/${file}`;
      const lines = readFileSync(path.join(dataDir, category, file), 'utf8').trim().split('\n').slice(1);
      const timestamps = new Float64Array(lines.length);
      const values = new Float64Array(lines.length);
      const rowOf = new Map<number, number>();
      lines.forEach((line, i) => {
        const comma = line.indexOf(',');
        timestamps[i] = parseTimestamp(line.slice(0, comma));
        values[i] = Number(line.slice(comma + 1));
        rowOf.set(timestamps[i], i);
      });
      const windows = (labels[name] ?? []).map(([start, end]): [number, number] => {
        const a = rowOf.get(parseTimestamp(start.replace(/\.0+$/, '')));
        const b = rowOf.get(parseTimestamp(end.replace(/\.0+$/, '')));
        if (a === undefined || b === undefined) throw new VigilError(`NAB window ${start}..${end} of ${name} matches no row`, { action: 'use the corpus labels unchanged' });
        return [a, b];
      });
      out.push({ name, timestamps, values, windows });
    }
  }
  return out;
}
