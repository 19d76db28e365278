/**
 * How far a seasonal series' stored recent values drift from the raw values they were (the
 * bound SEASON_REPEAT_SD of the repeat check, workers/series-detector.ts, must cover it).
 *
 * A seasonal series stores residuals (value − seasonal offset at insertion); the knots learn
 * after every interval and the stored points are converted when the cycle is declared, so a
 * stored copy's raw value is only recoverable as residual + today's offset. Over a sine cycle
 * under Gaussian noise, for several periods and sampling steps, this measures
 * |residual + offset now − raw| over every point of the recent ring after every point of the
 * second half of the run, in baseline sd.
 *
 *   node --import tsx bench/seasonal-repeat-drift.ts [--points 20000]
 */
import { parseArgs } from 'node:util';
import { emitResult, markdownTable, type BenchTable } from './support/result.ts';
import { detectorParams } from '../workers/detector-params.ts';
import { scoreBatch } from '../workers/score-batch.ts';
import { SEASON_REPEAT_SD } from '../workers/series-detector.ts';
import { createSeriesState, S, stateLayout } from '../workers/series-state.ts';
import { seasonOffset, Z } from '../workers/seasonal.ts';

const { values: args } = parseArgs({ options: { points: { type: 'string', default: '20000' } } });
const N = Number(args.points);
const CASES: Array<[periodS: number, stepS: number, windowSize: number]> = [
  [3600, 10, 1000],
  [3600, 60, 1000],
  [3600, 10, 100],
  [86400, 60, 1000],
  [86400, 300, 1000],
];

const rows: Array<Array<string | number>> = [];
let worstOverall = 0;
for (const [period, step, windowSize] of CASES) {
  const params = detectorParams({ windowSize, windowMs: Infinity });
  const state = createSeriesState(params, period);
  const L = stateLayout(params);
  const f = new Float64Array(state);
  const f32 = new Float32Array(state);
  let seed = 7;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const raw = new Map<number, number>();
  let worst = 0;
  let checked = 0;
  for (let i = 0; i < N; i++) {
    const ts = 1_700_000_000_000 + i * step * 1000;
    const v = 100 + 10 * Math.sin((2 * Math.PI * ts) / (period * 1000)) + (rand() + rand() + rand() - 1.5) * 2;
    raw.set(ts, v);
    scoreBatch({ params, states: [state], series: new Uint32Array(1), values: Float64Array.of(v), timestamps: Float64Array.of(ts), dropRepeats: true });
    if (i < N / 2 || f[L.season + Z.on] === 0) continue;
    const n = f[S.baseCount];
    const sd = Math.sqrt(f[S.baseM2] / (n - 1));
    const head = f[S.recentHead] | 0;
    const count = f[S.recentCount] | 0;
    for (let k = 0; k < count; k++) {
      const pos = (head + k) % L.recentCapacity;
      const t = f[L.recentTimes + pos];
      const d = Math.abs(f[L.recentValues + pos] + seasonOffset(f, f32, L.season, t) - raw.get(t)!) / sd;
      if (d > worst) worst = d;
      checked++;
    }
  }
  worstOverall = Math.max(worstOverall, worst);
  rows.push([`${period} s`, `${step} s`, windowSize, L.recentCapacity, checked, Number(worst.toFixed(3))]);
}

const table: BenchTable = { columns: ['period', 'step', 'windowSize', 'ring', 'stored points checked', 'worst drift (baseline sd)'], rows };
const title = `seasonal residual drift over the recent ring, ${N} points per case (tolerance SEASON_REPEAT_SD = ${SEASON_REPEAT_SD} sd)`;
console.log(`${title}\n\n${markdownTable(table)}`);
emitResult({
  tables: [{ title, ...table }],
  headlines: [{ figure: 'worst seasonal residual drift', value: Number(worstOverall.toFixed(3)), unit: 'sd', reference: { kind: 'ceiling', label: 'SEASON_REPEAT_SD', value: SEASON_REPEAT_SD }, higherIsBetter: false }],
  notes: [],
});
if (worstOverall > SEASON_REPEAT_SD) process.exitCode = 1;
