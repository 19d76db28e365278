/**
 * Vitest global setup of the fault suite: clears the rows of the previous run before any test,
 * and after the last one writes the rows this run recorded into docs/reliability.md.
 */
import { rmSync } from 'node:fs';
import { RESULTS_DIR, recordedRows, writeTable } from './table.ts';

export function setup() {
  rmSync(RESULTS_DIR, { recursive: true, force: true });
}

export function teardown() {
  writeTable(recordedRows());
}
