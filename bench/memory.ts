/**
 * Memory per series: what one pipeline instance holds for N distinct series with the default
 * window, each series in a child process of its own so RSS figures do not mix.
 *
 *   npx tsx bench/memory.ts [--series 10000,100000] [--points 40]
 *
 * Per N: N series get their window state (createSeriesState, default DetectorParams) and their
 * alert/SLA monitor (SeriesMonitor, default definitions; the eight standard metrics in turn, so
 * an eighth of them carry the 24 h SLA), then `--points` points each are scored in batches
 * (scoreBatch in-process) and observed by the monitors, as the pipeline does. Reported: window
 * state bytes per series (the SharedArrayBuffers), monitor snapshot bytes per series (JSON of a
 * sample), and the process RSS growth per series. The floor in the same run: the raw window,
 * windowSize Float64 values per series (what any detector over that window keeps at least).
 * No I/O; N ≤ 200,000.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config.ts';
import { DefinitionSet } from '../pipeline/alerts/definitions.ts';
import { SeriesMonitor } from '../pipeline/alerts/series-monitor.ts';
import { defaultDetectorParams } from '../workers/detector-params.ts';
import { scoreBatch } from '../workers/score-batch.ts';
import { createSeriesState } from '../workers/series-state.ts';
import { STANDARD_METRICS } from '../schemas/records.ts';
import { emitResult, markdownTable, type BenchTable, type Headline } from './support/result.ts';

interface ChildFigures {
  series: number;
  points: number;
  windowBytesPerSeries: number;
  monitorJsonBytesPerSeries: number;
  rssBaseMiB: number;
  rssMiB: number;
  rssBytesPerSeries: number;
  heapUsedMiB: number;
  seconds: number;
}

const MiB = 1024 * 1024;

async function child(n: number, pointsPerSeries: number): Promise<ChildFigures> {
  const config = loadConfig({ overrides: { logLevel: 'warn' } });
  const params = defaultDetectorParams(config.pipeline);
  const defs = new DefinitionSet();
  globalThis.gc?.();
  const rssBase = process.memoryUsage().rss;
  const t0 = performance.now();
  const windows: SharedArrayBuffer[] = new Array(n);
  const monitors: SeriesMonitor[] = new Array(n);
  for (let s = 0; s < n; s++) {
    windows[s] = createSeriesState(params);
    monitors[s] = new SeriesMonitor(`svc-${Math.floor(s / STANDARD_METRICS.length)}`, STANDARD_METRICS[s % STANDARD_METRICS.length], defs);
  }
  // Batches of up to 5000 points over 1000 series at a time, one point per series per round.
  const T0 = Date.now() - pointsPerSeries * 1000;
  const group = 1000;
  for (let first = 0; first < n; first += group) {
    const count = Math.min(group, n - first);
    const states = windows.slice(first, first + count);
    for (let round = 0; round < pointsPerSeries; round += 5) {
      const rounds = Math.min(5, pointsPerSeries - round);
      const m = rounds * count;
      const series = new Uint32Array(m);
      const values = new Float64Array(m);
      const timestamps = new Float64Array(m);
      for (let r = 0; r < rounds; r++) {
        for (let k = 0; k < count; k++) {
          const i = r * count + k;
          series[i] = k;
          values[i] = 50 + 10 * Math.sin((round + r) / 7 + first + k) + ((round + r) % 13);
          timestamps[i] = T0 + (round + r) * 1000;
        }
      }
      const res = scoreBatch({ params, states, series, values, timestamps });
      for (let i = 0; i < m; i++) {
        monitors[first + series[i]].observe({ timestamp: timestamps[i], value: values[i], mean: res.mean[i], std: res.std[i], zscore: res.zscore[i], anomalyScore: res.score[i] }, null);
      }
    }
  }
  globalThis.gc?.();
  const mem = process.memoryUsage();
  let windowBytes = 0;
  for (const w of windows) windowBytes += w.byteLength;
  let json = 0;
  const sample = Math.min(n, 800);
  for (let s = 0; s < sample; s++) json += JSON.stringify(monitors[s].toJSON()).length;
  return {
    series: n,
    points: pointsPerSeries,
    windowBytesPerSeries: Math.round(windowBytes / n),
    monitorJsonBytesPerSeries: Math.round(json / sample),
    rssBaseMiB: Math.round(rssBase / MiB),
    rssMiB: Math.round(mem.rss / MiB),
    rssBytesPerSeries: Math.round((mem.rss - rssBase) / n),
    heapUsedMiB: Math.round(mem.heapUsed / MiB),
    seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
  };
}

function runChild(n: number, points: number): Promise<ChildFigures> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--child', String(n), '--points', String(points)], {
      execArgv: ['--import', 'tsx', '--expose-gc', `--max-old-space-size=${Math.max(2048, Math.ceil(n / 10))}`],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    proc.once('message', (m) => resolve(m as ChildFigures));
    proc.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`memory child for ${n} series exited ${code}`))));
  });
}

const { values: args } = parseArgs({ options: { series: { type: 'string', default: '10000,100000' }, points: { type: 'string', default: '40' }, child: { type: 'string' } } });
const points = Math.min(Math.max(1, Number(args.points) || 40), 1000);

if (args.child !== undefined) {
  const figures = await child(Number(args.child), points);
  process.send!(figures, () => process.exit(0));
} else {
  const counts = String(args.series)
    .split(',')
    .map((s) => Math.min(Math.max(100, Math.floor(Number(s)) || 10_000), 200_000));
  const config = loadConfig({ overrides: { logLevel: 'warn' } });
  const params = defaultDetectorParams(config.pipeline);
  const floor = params.windowSize * 8;
  const rows: ChildFigures[] = [];
  for (const n of counts) rows.push(await runChild(n, points));
  const title = `memory: default window (windowSize ${params.windowSize}, windowMs ${params.windowMs}), default alert definitions, ${points} points per series scored and observed; node ${process.version}`;
  const table: BenchTable = {
    title,
    columns: ['series', 'window state B/series', 'monitor JSON B/series', 'RSS growth B/series', 'RSS MiB (base)', 'heap used MiB', 'raw window floor B/series', 'window state / floor', 'seconds'],
    rows: rows.map((r) => [r.series, r.windowBytesPerSeries, r.monitorJsonBytesPerSeries, r.rssBytesPerSeries, `${r.rssMiB} (${r.rssBaseMiB})`, r.heapUsedMiB, floor, `${(r.windowBytesPerSeries / floor).toFixed(2)}×`, r.seconds]),
  };
  console.log(markdownTable(table));
  const headlines: Headline[] = [];
  for (const r of rows) {
    headlines.push({ figure: `RSS growth per series at ${r.series} series`, value: r.rssBytesPerSeries, unit: 'B', reference: { kind: 'floor', label: 'raw window floor', value: floor }, higherIsBetter: false });
  }
  emitResult({ tables: [table], headlines });
}
