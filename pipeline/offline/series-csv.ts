/**
 * A `timestamp,value` CSV file read strictly for `vigil detect`: a header naming the columns
 * (any others are carried through untouched), one row per point in time order. Anything else
 * fails the whole file with its name and line, before anything is scored or written.
 *
 * Cells may be quoted ("a,b" and "" inside quotes, RFC 4180); a quoted cell cannot span lines.
 * Timestamps: `YYYY-MM-DD HH:MM[:SS[.fff]]` (UTC, or with `T`, `Z` or a ±HH:MM offset), or epoch
 * seconds (9–10 digits, optionally with decimals) or milliseconds (12–13 digits).
 */
import { readFileSync, statSync } from 'node:fs';
import { VigilError } from '../../core/errors.ts';
import { parseUtcTimestamp } from '../loadgen/csv.ts';

export const MAX_CSV_BYTES = 256 * 1024 * 1024;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const OFFSET = /^(.*\d)([+-])(\d{2}):?(\d{2})$/;
const EPOCH_S = /^\d{9,10}(\.\d{1,6})?$/;
const EPOCH_MS = /^\d{12,13}$/;

export interface SeriesCsv {
  file: string;
  /** The header line as written (BOM and line end removed), and its 1-based line number. */
  headerLine: string;
  headerLineNumber: number;
  columns: string[];
  /** Per data row: the line as written, its 1-based line number, timestamp (ms) and value. */
  lines: string[];
  lineNumbers: Uint32Array;
  timestamps: Float64Array;
  values: Float64Array;
}

/** Epoch ms of a timestamp cell, or null when it is none of the accepted forms. */
export function parseTimestampCell(text: string): number | null {
  if (EPOCH_MS.test(text)) return Number(text);
  if (EPOCH_S.test(text)) return Math.round(Number(text) * 1000);
  const utc = parseUtcTimestamp(text);
  if (utc !== null) return utc;
  const m = OFFSET.exec(text);
  if (!m) return null;
  const hours = Number(m[3]);
  const minutes = Number(m[4]);
  if (hours > 23 || minutes > 59) return null;
  const local = parseUtcTimestamp(m[1]);
  if (local === null) return null;
  return local - (m[2] === '+' ? 1 : -1) * (hours * 60 + minutes) * 60_000;
}

/** Splits one CSV line into cells; null when a quote is not closed on this line. */
export function splitCsvLine(line: string): string[] | null {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let cell = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return null;
        cell += line.slice(i, q);
        if (line[q + 1] === '"') {
          cell += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      // text after a closing quote up to the comma belongs to the cell ("a"b → a"b is not RFC 4180; keep it visible)
      const comma = line.indexOf(',', i);
      const rest = comma < 0 ? line.slice(i) : line.slice(i, comma);
      if (rest.trim() !== '') return null;
      cells.push(cell);
      if (comma < 0) return cells;
      i = comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        cells.push(line.slice(i));
        return cells;
      }
      cells.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
}

const ACTION = 'fix the file: a header naming a "timestamp" and a "value" column, then one row per point in time order (timestamps as YYYY-MM-DD HH:MM:SS in UTC, ISO-8601, or epoch seconds/milliseconds; plain decimal numbers)';

export function parseSeriesCsv(text: string, file: string): SeriesCsv {
  const bad = (line: number, what: string): never => {
    throw new VigilError(`${file}:${line}: ${what}`, { code: 'BAD_CSV', action: ACTION });
  };
  const raw = text.replace(/^\uFEFF/, '').split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const headerAt = raw.findIndex((l) => l.trim() !== '');
  if (headerAt < 0) bad(1, 'empty file');
  const headerLine = raw[headerAt];
  const columns = splitCsvLine(headerLine)?.map((c) => c.trim()) ?? bad(headerAt + 1, 'unterminated quote in the header');
  const lower = columns.map((c) => c.toLowerCase());
  const tCol = lower.indexOf('timestamp');
  const vCol = lower.indexOf('value');
  if (tCol < 0 || vCol < 0) {
    const looksLikeData = columns.some((c) => parseTimestampCell(c) !== null);
    bad(headerAt + 1, looksLikeData ? `no header: the first line is data (${JSON.stringify(headerLine.slice(0, 60))}); add a header line such as "timestamp,value"` : `header must name a "timestamp" and a "value" column, got ${JSON.stringify(headerLine.slice(0, 80))}`);
  }
  for (const [k, c] of lower.entries()) if (lower.indexOf(c) !== k) bad(headerAt + 1, `column ${JSON.stringify(columns[k])} appears twice`);
  const lines: string[] = [];
  const lineNumbers: number[] = [];
  const timestamps: number[] = [];
  const values: number[] = [];
  for (let i = headerAt + 1; i < raw.length; i++) {
    const line = raw[i];
    if (line.trim() === '') continue;
    const n = i + 1;
    const cells = splitCsvLine(line) ?? bad(n, 'unterminated quote (a quoted cell must end on its line)');
    if (cells.length !== columns.length) bad(n, `expected ${columns.length} columns as in the header, got ${cells.length}`);
    const tText = cells[tCol].trim();
    const t = parseTimestampCell(tText);
    if (t === null) bad(n, `bad timestamp ${JSON.stringify(tText.slice(0, 40))}`);
    const vText = cells[vCol].trim();
    const v = Number(vText);
    if (!NUMBER.test(vText) || !Number.isFinite(v)) bad(n, `bad value ${JSON.stringify(vText.slice(0, 40))} (a finite decimal number)`);
    if (timestamps.length > 0 && (t as number) < timestamps[timestamps.length - 1]) {
      bad(n, `timestamp ${tText} is earlier than the previous row's (line ${lineNumbers[lineNumbers.length - 1]}); sort the rows by time`);
    }
    lines.push(line);
    lineNumbers.push(n);
    timestamps.push(t as number);
    values.push(v);
  }
  if (lines.length === 0) bad(headerAt + 2, 'no data rows after the header');
  return { file, headerLine, headerLineNumber: headerAt + 1, columns, lines, lineNumbers: Uint32Array.from(lineNumbers), timestamps: Float64Array.from(timestamps), values: Float64Array.from(values) };
}

export function readSeriesCsv(file: string): SeriesCsv {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_CSV_BYTES) throw new Error(`${size} bytes is more than the limit of ${MAX_CSV_BYTES}`);
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new VigilError(`cannot read CSV ${file}`, { cause, action: 'check the path and that the file is under 256 MiB' });
  }
  return parseSeriesCsv(text, file);
}
