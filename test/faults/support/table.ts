/**
 * The fault table in docs/reliability.md, written by the suite itself: each fault test records
 * its row (test/artifacts/faults/<id>.json), and the suite's teardown rewrites the table between
 * the markers. Rows of faults not run this time are kept as they were, so running one file
 * updates one row.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const RESULTS_DIR = path.join(repoRoot, 'test', 'artifacts', 'faults');
export const RELIABILITY_DOC = path.join(repoRoot, 'docs', 'reliability.md');
export const TABLE_START = '<!-- fault-table:start (written by npm run test:faults; do not edit by hand) -->';
export const TABLE_END = '<!-- fault-table:end -->';

export interface FaultRow {
  /** Orders the rows: the fault's number in issue #12 (1 kill -9, 2 rebalance, …). */
  order: number;
  fault: string;
  load: string;
  /** How long the fault lasted (e.g. "20 s down"). */
  duration: string;
  produced: number;
  stored: number;
  duplicated: number;
  lost: number;
  anomaliesExpected: number;
  anomaliesSeen: number;
  transitionsExpected: number;
  transitionsSeen: number;
  /** ms from the fault's end until every point produced by then was committed. */
  recoveryMs: number;
  notes: string;
}

export function recordFault(id: string, row: FaultRow): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(path.join(RESULTS_DIR, `${id}.json`), `${JSON.stringify({ ...row, at: new Date().toISOString() }, null, 2)}\n`);
}

const n = (x: number) => x.toLocaleString('en-US');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export const HEADER = [
  '| # | fault | load | fault lasted | points produced | stored | duplicated | lost | anomalies expected / seen | transitions expected / seen | recovery | notes |',
  '| ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
];

export function formatRow(r: FaultRow): string {
  const cells = [
    String(r.order),
    r.fault,
    r.load,
    r.duration,
    n(r.produced),
    n(r.stored),
    n(r.duplicated),
    n(r.lost),
    `${n(r.anomaliesExpected)} / ${n(r.anomaliesSeen)}`,
    `${n(r.transitionsExpected)} / ${n(r.transitionsSeen)}`,
    seconds(r.recoveryMs),
    r.notes,
  ];
  return `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
}

/** The doc with its table section replaced: new rows by order, old rows of other faults kept. Pure. */
export function withTable(doc: string, rows: FaultRow[], when: string): string {
  const start = doc.indexOf(TABLE_START);
  const end = doc.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`docs/reliability.md lacks the fault table markers (${TABLE_START} … ${TABLE_END})`);
  const old = doc.slice(start + TABLE_START.length, end);
  const lines = new Map<number, string>();
  for (const line of old.split('\n')) {
    const m = /^\| (\d+) \|/.exec(line);
    if (m) lines.set(Number(m[1]), line);
  }
  for (const r of rows) lines.set(r.order, formatRow(r));
  const body = [...lines].sort((a, b) => a[0] - b[0]).map(([, l]) => l);
  const section = ['', `Last written ${when} by \`npm run test:faults\`.`, '', ...HEADER, ...body, ''].join('\n');
  return doc.slice(0, start + TABLE_START.length) + section + doc.slice(end);
}

/** Rows this run recorded (test/artifacts/faults/*.json). */
export function recordedRows(): FaultRow[] {
  if (!existsSync(RESULTS_DIR)) return [];
  return readdirSync(RESULTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(RESULTS_DIR, f), 'utf8')) as FaultRow);
}

export function writeTable(rows: FaultRow[], when = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC'): void {
  if (rows.length === 0) return;
  writeFileSync(RELIABILITY_DOC, withTable(readFileSync(RELIABILITY_DOC, 'utf8'), rows, when));
}
