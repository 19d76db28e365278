/**
 * What a bench hands to the runner (bench/run.ts): its tables and its headline figures, each
 * with the ceiling or peer measured in the same run. A bench run on its own only prints; under
 * the runner (VIGIL_BENCH_RESULT names a file) it also writes this JSON there, so the runner
 * never has to parse a printed table.
 */
import { writeFileSync } from 'node:fs';

export type Cell = string | number;

export interface BenchTable {
  title?: string;
  columns: string[];
  rows: Cell[][];
}

export interface Headline {
  /** What Vigil did, e.g. "vigil pipeline records/s". */
  figure: string;
  value: number;
  unit: string;
  /** Measured in the same run: the ceiling / floor (the best anything can do here: a rate, a latency, a size) or a peer (another implementation). */
  reference: { kind: 'ceiling' | 'floor' | 'peer'; label: string; value: number };
  /** true when a larger value is better (rates); false for latencies and bytes. */
  higherIsBetter: boolean;
}

export interface BenchResult {
  tables: BenchTable[];
  headlines: Headline[];
  notes?: string[];
}

export const RESULT_ENV = 'VIGIL_BENCH_RESULT';

/** value / reference; for "lower is better" figures, > 1 means Vigil is that many times the reference's cost. */
export function ratioOf(h: Pick<Headline, 'value' | 'reference'>): number {
  return h.reference.value === 0 ? Number.NaN : h.value / h.reference.value;
}

function cell(c: Cell): string {
  return String(c).replaceAll('|', '\\|').replaceAll('\n', ' ');
}

export function markdownTable(t: BenchTable): string {
  const right = t.columns.map((_, i) => t.rows.length > 0 && t.rows.every((r) => typeof r[i] === 'number'));
  const lines = [
    `| ${t.columns.map(cell).join(' | ')} |`,
    `| ${right.map((r) => (r ? '---:' : '---')).join(' | ')} |`,
    ...t.rows.map((r) => `| ${t.columns.map((_, i) => cell(r[i] ?? '')).join(' | ')} |`),
  ];
  return (t.title ? [`${t.title}`, '', ...lines] : lines).join('\n');
}

/** Writes the result for the runner when one is listening; a no-op otherwise. */
export function emitResult(result: BenchResult, env: NodeJS.ProcessEnv = process.env): void {
  const file = env[RESULT_ENV];
  if (!file) return;
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
}
