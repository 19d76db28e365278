/**
 * Cost of the alert/SLA monitor per point, and of its snapshot, on one core.
 *
 *   npx tsx bench/alerts-monitor.ts [--points 200000]
 *
 * Cases, measured in the same run so they compare:
 *  - empty:      a monitor with no rules (bookkeeping floor)
 *  - threshold:  one threshold rule (cpu_usage defaults)
 *  - defaults:   response_time with its defaults: threshold + anomaly + 24 h SLA with burn alerts
 *  - naive SLA:  the peer for the SLA part — recounting the 1 h / 5 min / 6 h / 30 min windows
 *                from the raw points at every point, what the bucket rings avoid (fewer points:
 *                it is quadratic)
 * Bounded: a fixed number of points per case, no I/O.
 */
import { parseArgs } from 'node:util';
import { DefinitionSet } from '../pipeline/alerts/definitions.ts';
import { SeriesMonitor } from '../pipeline/alerts/series-monitor.ts';

const { values: args } = parseArgs({ options: { points: { type: 'string', default: '200000' } } });
const N = Math.min(Math.max(1000, Number(args.points) || 200_000), 2_000_000);
const T0 = Date.UTC(2026, 0, 1);
const STEP = 1000;

function value(i: number): number {
  return 300 + 200 * Math.sin(i / 50) + (i % 997 === 0 ? 3000 : 0);
}

function runMonitor(name: string, metric: string, defs: DefinitionSet): void {
  // Warm-up on a separate monitor so the JIT has compiled the path before timing.
  const warm = new SeriesMonitor('warm', metric, defs);
  for (let i = 0; i < 20_000; i++) warm.observe({ timestamp: T0 + i * STEP, value: value(i), mean: 300, std: 100, zscore: 0, anomalyScore: 0.1 }, null);
  const m = new SeriesMonitor('bench', metric, defs);
  let events = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const r = m.observe({ timestamp: T0 + i * STEP, value: value(i), mean: 300, std: 100, zscore: 0, anomalyScore: 0.1 }, null);
    events += r.alerts.length + r.slaSnapshots.length;
  }
  const ns = Number(process.hrtime.bigint() - start);
  const json = JSON.stringify(m.toJSON());
  const rounds = 200;
  const s = process.hrtime.bigint();
  for (let k = 0; k < rounds; k++) SeriesMonitor.fromJSON(JSON.parse(JSON.stringify(m.toJSON())), 'bench', metric, defs);
  const snapNs = Number(process.hrtime.bigint() - s) / rounds;
  console.log(
    `${name.padEnd(10)} ${(N / (ns / 1e9)).toFixed(0).padStart(9)} points/s  ${(ns / N).toFixed(0).padStart(6)} ns/point  ` +
      `state ${String(json.length).padStart(6)} B  snapshot round trip ${(snapNs / 1000).toFixed(0)} µs  (outputs: ${events})`,
  );
}

function runNaiveSla(): void {
  const n = Math.min(N, 30_000);
  const ts: number[] = [];
  const good: boolean[] = [];
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const t = T0 + i * STEP;
    ts.push(t);
    good.push(value(i) < 2000);
    for (const w of [3_600_000, 300_000, 21_600_000, 1_800_000]) {
      let g = 0;
      let total = 0;
      for (let j = ts.length - 1; j >= 0 && ts[j] > t - w; j--) {
        total++;
        if (good[j]) g++;
      }
      sink += total - g;
    }
  }
  const ns = Number(process.hrtime.bigint() - start);
  console.log(`${'naive SLA'.padEnd(10)} ${(n / (ns / 1e9)).toFixed(0).padStart(9)} points/s  ${(ns / n).toFixed(0).padStart(6)} ns/point  (recount over ${n} points, checksum ${sink})`);
}

const defaults = new DefinitionSet();
console.log(`alerts monitor bench: ${N} points per case, node ${process.version}`);
runMonitor('empty', 'no_rules_metric', DefinitionSet.of([], []));
runMonitor('threshold', 'cpu_usage', DefinitionSet.of(defaults.rules().filter((r) => r.id === 'default.cpu_usage'), []));
runMonitor('defaults', 'response_time', defaults);
runNaiveSla();
