/**
 * Loads a NAB-layout corpus: data/<category>/<file>.csv + labels/combined_windows.json. Rows are
 * parsed strictly (pipeline/loadgen/csv.ts: a bad row fails with its file and line), and every
 * label window must match rows of its file, so a damaged corpus is an error, not a lower score.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { VigilError } from '../core/errors.ts';
import { readNabCsv } from '../pipeline/loadgen/csv.ts';

export interface NabSeries {
  /** e.g. realKnownCause/nyc_taxi.csv */
  name: string;
  timestamps: Float64Array;
  values: Float64Array;
  /** Label windows as inclusive row ranges, in time order. */
  windows: Array<[number, number]>;
}

const LAYOUT_ACTION = 'point --data at a NAB-layout folder: data/<category>/<file>.csv and labels/combined_windows.json';

function parseLabelTimestamp(text: unknown, where: string): number {
  // "2014-04-01 00:05:00.000000" (UTC, as NAB writes them)
  const ms = typeof text === 'string' ? Date.parse(`${text.trim().replace(' ', 'T').replace(/\.0+$/, '')}Z`) : NaN;
  if (!Number.isFinite(ms)) throw new VigilError(`${where}: bad label timestamp ${JSON.stringify(text)}`, { action: 'use the corpus labels unchanged' });
  return ms;
}

function readLabels(root: string): Record<string, unknown> {
  const labelsFile = path.join(root, 'labels', 'combined_windows.json');
  let labels: unknown;
  try {
    labels = JSON.parse(readFileSync(labelsFile, 'utf8'));
  } catch (cause) {
    throw new VigilError(`cannot read NAB labels ${labelsFile}`, { cause, action: LAYOUT_ACTION });
  }
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw new VigilError(`${labelsFile}: expected an object of file name → windows`, { action: LAYOUT_ACTION });
  }
  return labels as Record<string, unknown>;
}

function windowRows(name: string, entry: unknown, rowOf: Map<number, number>): Array<[number, number]> {
  const where = `labels/combined_windows.json["${name}"]`;
  if (entry === undefined) throw new VigilError(`${where}: no label entry for this data file`, { action: 'add the file to the labels (an empty list if it has no anomaly)' });
  if (!Array.isArray(entry)) throw new VigilError(`${where}: expected a list of [start, end] windows`, { action: LAYOUT_ACTION });
  let prevEnd = -1;
  return entry.map((w: unknown, k): [number, number] => {
    if (!Array.isArray(w) || w.length !== 2) throw new VigilError(`${where}[${k}]: expected [start, end]`, { action: LAYOUT_ACTION });
    const a = rowOf.get(parseLabelTimestamp(w[0], where));
    const b = rowOf.get(parseLabelTimestamp(w[1], where));
    if (a === undefined || b === undefined) throw new VigilError(`${where}[${k}]: window ${w[0]}..${w[1]} matches no row`, { action: 'use the corpus labels unchanged' });
    if (b < a || a <= prevEnd) throw new VigilError(`${where}[${k}]: windows must be in time order and not overlap`, { action: 'use the corpus labels unchanged' });
    prevEnd = b;
    return [a, b];
  });
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (cause) {
    throw new VigilError(`cannot list ${dir}`, { cause, action: LAYOUT_ACTION });
  }
}

export function loadNabCorpus(root: string): NabSeries[] {
  const labels = readLabels(root);
  const out: NabSeries[] = [];
  const dataDir = path.join(root, 'data');
  for (const category of listDir(dataDir)) {
    if (!statSync(path.join(dataDir, category)).isDirectory()) continue;
    for (const file of listDir(path.join(dataDir, category))) {
      if (!file.endsWith('.csv')) continue;
      const name = `${category}/${file}`;
      const { points } = readNabCsv(path.join(dataDir, category, file));
      const timestamps = new Float64Array(points.length);
      const values = new Float64Array(points.length);
      const rowOf = new Map<number, number>();
      points.forEach((p, i) => {
        // Rows stay in file order, as NAB streams them: the corpus repeats timestamps (clock
        // changes) and machine_temperature_system_failure.csv steps back 55 minutes once.
        timestamps[i] = p.timestamp;
        values[i] = p.value;
        // a repeated timestamp names its first row, as NAB's timestamps.index() does
        if (!rowOf.has(p.timestamp)) rowOf.set(p.timestamp, i);
      });
      out.push({ name, timestamps, values, windows: windowRows(name, labels[name], rowOf) });
    }
  }
  if (out.length === 0) throw new VigilError(`no CSV files under ${dataDir}/<category>/`, { action: LAYOUT_ACTION });
  return out;
}
