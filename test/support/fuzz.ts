/**
 * Property-based hostile inputs (fast-check): one budget table for every input path, a seed
 * that changes per run (printed, and replayable with VIGIL_FUZZ_SEED=<n>), and a counter per
 * path so each test can prove it tried what the table promises.
 *
 * The budget is split so the whole set stays around a minute of CPU on a 2-core machine
 * while trying at least 100,000 generated inputs per `npm test` (issue #12).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';

/** Generated inputs per path and run. docs/reliability.md "Hostile inputs" lists the same table. */
export const FUZZ_BUDGET = {
  'avro-metrics': 36_000,
  'avro-events': 8_000,
  'http-bodies': 4_000,
  'http-queries': 3_000,
  'ws-messages': 30_000,
  'csv-import': 15_000,
  'config-files': 5_000,
} as const;

export type FuzzPath = keyof typeof FUZZ_BUDGET;

/**
 * Per-test timeout of the fuzz files: a property runs thousands of inputs, and on a loaded
 * 2-core machine (load average 20+) one took over vitest's default 60 s of wall time.
 */
export const FUZZ_TEST_TIMEOUT_MS = 600_000;

export const FUZZ_TOTAL = Object.values(FUZZ_BUDGET).reduce((a, b) => a + b, 0);

function seedFromEnv(): number {
  const raw = process.env.VIGIL_FUZZ_SEED;
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isSafeInteger(n)) throw new Error(`VIGIL_FUZZ_SEED=${JSON.stringify(raw)} must be an integer`);
    return n;
  }
  return (Date.now() ^ (process.pid << 8)) | 0;
}

/** One seed per test process: every path of the run is replayable from the printed value. */
export const FUZZ_SEED = seedFromEnv();

const counts = new Map<FuzzPath, number>();
const started = new Map<FuzzPath, { wall: number; cpu: NodeJS.CpuUsage }>();

/** Count one generated input tried on `path` (call inside the property). */
export function tried(path: FuzzPath, n = 1): void {
  if (!started.has(path)) started.set(path, { wall: performance.now(), cpu: process.cpuUsage() });
  counts.set(path, (counts.get(path) ?? 0) + n);
}

export function triedOn(path: FuzzPath): number {
  return counts.get(path) ?? 0;
}

/** The last test of each fuzz file: the properties together tried the path's whole budget. */
export function expectBudgetTried(path: FuzzPath): void {
  const n = triedOn(path);
  if (n < FUZZ_BUDGET[path]) throw new Error(`fuzz ${path}: ${n} inputs tried, the budget is ${FUZZ_BUDGET[path]} (a property stopped early or was skipped)`);
}

/**
 * fast-check parameters for a property that gets `share` of the path's budget; every
 * failure report names the seed (fast-check prints it with the counterexample and its path).
 */
export function runs(path: FuzzPath, share: number): fc.Parameters<unknown> {
  return { numRuns: Math.max(1, Math.round(FUZZ_BUDGET[path] * share)), seed: FUZZ_SEED, endOnFailure: true };
}

/**
 * Prints `fuzz <path>: <n> inputs in <ms> ms (seed <s>)` and writes it to
 * test/artifacts/fuzz/<path>.json (git-ignored) so a run can be summed up afterwards.
 */
export function reportFuzz(which: FuzzPath): { path: FuzzPath; inputs: number; wallMs: number; cpuMs: number; seed: number } {
  const inputs = triedOn(which);
  const start = started.get(which) ?? { wall: performance.now(), cpu: process.cpuUsage() };
  const wallMs = Math.round(performance.now() - start.wall);
  // CPU of this process since the first input (user + system): comparable on a busy machine.
  const cpu = process.cpuUsage(start.cpu);
  const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
  const summary = { path: which, inputs, wallMs, cpuMs, seed: FUZZ_SEED };
  console.log(`fuzz ${which}: ${inputs} inputs, ${cpuMs} ms CPU, ${wallMs} ms wall (seed ${FUZZ_SEED}; replay with VIGIL_FUZZ_SEED=${FUZZ_SEED})`);
  const dir = artifactsDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${which}.json`), `${JSON.stringify(summary)}\n`);
  return summary;
}

function artifactsDir(): string {
  return path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'artifacts', 'fuzz');
}
