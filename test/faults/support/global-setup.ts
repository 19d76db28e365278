/**
 * Vitest global setup of the fault suite: clears the rows of the previous run before any test,
 * and after the last one writes the rows this run recorded into docs/reliability.md, but only
 * when asked (VIGIL_WRITE_FAULT_TABLE=1: `npm run test:faults` / `test:cluster`). Otherwise
 * (a plain vitest run, CI on a fresh clone) the rows are printed, leaving the checkout clean.
 */
import { rmSync } from 'node:fs';
import { HEADER, RESULTS_DIR, formatRow, recordedRows, writeTable } from './table.ts';

export function setup() {
  rmSync(RESULTS_DIR, { recursive: true, force: true });
}

export function teardown() {
  const rows = recordedRows().sort((a, b) => a.order - b.order);
  if (process.env.VIGIL_WRITE_FAULT_TABLE === '1') {
    writeTable(rows);
    return;
  }
  if (rows.length === 0) return;
  console.info(['', 'Fault table of this run (docs/reliability.md not rewritten: set VIGIL_WRITE_FAULT_TABLE=1, as npm run test:faults does):', ...HEADER, ...rows.map(formatRow), ''].join('\n'));
}
