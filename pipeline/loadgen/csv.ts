/**
 * NAB-format CSV replay (`timestamp,value` rows, timestamps like `2013-12-02 21:15:00` in UTC)
 * into metric points. Any malformed row fails the whole file with its line number: a replay
 * that silently skips rows would not be the data set it claims to be.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { VigilError } from '../../core/errors.ts';
import type { MetricPoint } from '../../schemas/records.ts';

export interface CsvReplayOptions {
  /** Metric name for the values (default `value`). */
  metric?: string;
  /** Source name (default the file's base name without extension). */
  source?: string;
  tags?: Record<string, string>;
}

export interface CsvSeries {
  file: string;
  source: string;
  metric: string;
  points: MetricPoint[];
}

const MAX_FILE_BYTES = 256 * 1024 * 1024;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]00:?00)?$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A UTC timestamp as NAB writes it (also ISO-8601 with T and Z / +00:00) → epoch ms, or null. */
export function parseUtcTimestamp(text: string): number | null {
  const m = TIMESTAMP.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number);
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const d = new Date(t);
  // Date.UTC rolls 2013-02-30 over into March; a real calendar date survives the round trip.
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return null;
  return t;
}

export function parseNabCsv(text: string, file: string, options: CsvReplayOptions = {}): CsvSeries {
  const source = options.source ?? path.basename(file).replace(/\.[^.]*$/, '');
  const metric = options.metric ?? 'value';
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const bad = (line: number, what: string): never => {
    throw new VigilError(`${file}:${line}: ${what}`, { action: 'fix the file; NAB CSV is a "timestamp,value" header then one "YYYY-MM-DD HH:MM:SS,<number>" row per point' });
  };
  if (lines[0]?.trim().toLowerCase().replace(/\s+/g, '') !== 'timestamp,value') bad(1, `header must be "timestamp,value", got ${JSON.stringify(lines[0]?.slice(0, 80))}`);
  const points: MetricPoint[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const cells = line.split(',');
    if (cells.length !== 2) bad(i + 1, `expected 2 columns, got ${cells.length}`);
    const timestamp = parseUtcTimestamp(cells[0].trim());
    if (timestamp === null) bad(i + 1, `bad timestamp ${JSON.stringify(cells[0].slice(0, 40))}`);
    const valueText = cells[1].trim();
    const value = Number(valueText);
    if (!NUMBER.test(valueText) || !Number.isFinite(value)) bad(i + 1, `bad value ${JSON.stringify(valueText.slice(0, 40))}`);
    points.push({ source, metric, value, timestamp: timestamp as number, tags: { ...options.tags } });
  }
  if (points.length === 0) bad(lines.length, 'no data rows');
  return { file, source, metric, points };
}

export function readNabCsv(file: string, options: CsvReplayOptions = {}): CsvSeries {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_FILE_BYTES) throw new Error(`${size} bytes is more than ${MAX_FILE_BYTES}`);
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new VigilError(`cannot read CSV ${file}`, { cause, action: 'check the path (NAB files live under data/<category>/<name>.csv)' });
  }
  return parseNabCsv(text, file, options);
}

/**
 * Several series merged into one replay order by timestamp (stable: equal timestamps keep
 * file order). `shiftMs` moves every timestamp (e.g. so the last point lands at now).
 */
export function mergeByTime(series: CsvSeries[], shiftMs = 0): MetricPoint[] {
  const all = series.flatMap((s) => s.points);
  const order = all.map((_, i) => i).sort((a, b) => all[a].timestamp - all[b].timestamp || a - b);
  return order.map((i) => (shiftMs === 0 ? all[i] : { ...all[i], timestamp: all[i].timestamp + shiftMs }));
}
