/**
 * Where `vigil nab`'s score goes, per file: at each profile's chosen threshold (the same sweep as
 * `vigil nab`), the windows detected, the false positives and where they fall (NAB's probation
 * period, where they are not scored; before the first window; within one window width after a
 * window, where NAB charges little; farther), their anomaly type and |z|, and each file's share
 * of the normalised score. Then, for the reports above the threshold, how many reports at least
 * as large the same file had made over the preceding `--horizon` rows (their rank in the
 * series' own history), for true and false positives apart: whether a per-series rarity of
 * the report would separate them.
 *
 *   npx tsx bench/nab-diagnostic.ts [--data data/nab] [--profile standard] [--files 15] [--season-period auto] [--rarity-memory N]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { offlineDetectorParams, runSeries, type AnomalyFinding } from '../pipeline/offline/run-series.ts';
import { seasonPeriodOption } from '../bin/commands/detector-options.ts';
import { loadNabCorpus } from './nab-corpus.ts';
import { NAB_PROFILES, NAB_PROFILE_NAMES, nabScore, rowWeights, type LabelledFile, type NabProfileName } from './nab-scoring.ts';

export type Place = 'probation' | 'before any window' | 'just after a window' | 'far from windows';
const PLACES: Place[] = ['probation', 'before any window', 'just after a window', 'far from windows'];

export interface ReportRow {
  file: string;
  row: number;
  type: string;
  absZ: number;
  pointScore: number;
  /** -1: a false positive (or a report in probation); else the window's index in the file. */
  window: number;
  place: Place | 'in a window';
  /** Earlier first reports of this file within the horizon whose |z| is at least this one's. */
  rank: number;
  /** Rows since the file's previous first report (any score; Infinity for its first). */
  gap: number;
}

/** Where a row outside every window lies, by its distance from the window before it. */
export function placeOf(row: number, probation: number, windows: Array<[number, number]>): Place | 'in a window' {
  if (row < probation) return 'probation';
  let before: [number, number] | null = null;
  for (const w of windows) {
    if (row >= w[0] && row <= w[1]) return 'in a window';
    if (w[1] < row) before = w;
  }
  if (before === null) return 'before any window';
  return row - before[1] <= before[1] - before[0] + 1 ? 'just after a window' : 'far from windows';
}

/** Per first report: how many earlier first reports within `horizon` rows were at least as large (|z|). */
export function ranks(reports: Array<{ row: number; absZ: number }>, horizon: number): number[] {
  return reports.map((r, k) => {
    let n = 0;
    for (let j = k - 1; j >= 0 && r.row - reports[j].row <= horizon; j--) if (reports[j].absZ >= r.absZ) n++;
    return n;
  });
}

const quartiles = (xs: number[]): string => {
  if (xs.length === 0) return '–';
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
  return `${q(0.25).toFixed(1)} / ${q(0.5).toFixed(1)} / ${q(0.75).toFixed(1)}`;
};

function main(): void {
  const { values: args } = parseArgs({
    options: {
      data: { type: 'string', default: fileURLToPath(new URL('../data/nab', import.meta.url)) },
      profile: { type: 'string', default: 'standard' },
      files: { type: 'string', default: '15' },
      horizon: { type: 'string', default: '2000' },
      'season-period': { type: 'string', default: 'auto' },
      // 0: the count discount the report rarity replaced (the "before" of docs/detection.md)
      'rarity-memory': { type: 'string' },
    },
  });
  const profileName = args.profile as NabProfileName;
  if (!NAB_PROFILE_NAMES.includes(profileName)) throw new Error(`--profile: one of ${NAB_PROFILE_NAMES.join(', ')}`);
  const profile = NAB_PROFILES[profileName];
  const horizon = Number(args.horizon);
  const rarity = args['rarity-memory'] === undefined ? {} : { rarityMemory: Number(args['rarity-memory']) };
  const params = offlineDetectorParams({ seasonPeriod: seasonPeriodOption(args['season-period']), ...rarity });
  const corpus = loadNabCorpus(args.data!);
  const runs = corpus.map((s) => ({ series: s, run: runSeries(s.values, s.timestamps, params) }));
  const files: LabelledFile[] = runs.map(({ series, run }) => ({ name: series.name, windows: series.windows, scores: run.score }));
  const sweep = nabScore(files, profile);
  const t = sweep.threshold;
  const scale = 100 / (sweep.perfectScore - sweep.nullScore);
  console.log(
    `NAB ${profileName}: ${sweep.normalized.toFixed(1)} at threshold ${t.toPrecision(6)}, ${sweep.detectedWindows}/${sweep.windows} windows, ${sweep.falsePositives} false positives; ` +
      `one normalised point = ${(1 / scale).toFixed(2)} raw (an FP far from windows costs ${(profile.fpWeight * scale).toFixed(3)} points)`,
  );

  const reports: ReportRow[] = [];
  const perFile: Array<{ name: string; rows: number; windows: number; detected: number; fps: number; fpCost: number; missedCost: number; tpGain: number; net: number }> = [];
  for (const { series, run } of runs) {
    const file = files.find((f) => f.name === series.name)!;
    const { weight, window, probation } = rowWeights(file, profile);
    const firsts = run.findings.filter((f: AnomalyFinding) => f.version === 1);
    const rk = ranks(firsts.map((f) => ({ row: f.pointIndex, absZ: Math.abs(f.zscore) })), horizon);
    firsts.forEach((f, k) => {
      const row = f.pointIndex;
      if (run.score[row] < t) return;
      const gap = k > 0 ? row - firsts[k - 1].pointIndex : Infinity;
      reports.push({ file: series.name, row, type: f.type, absZ: Math.abs(f.zscore), pointScore: run.score[row], window: window[row], place: placeOf(row, probation, series.windows), rank: rk[k], gap });
    });
    const best = new Map<number, number>();
    let fps = 0;
    let fpCost = 0;
    for (let i = probation; i < weight.length; i++) {
      if (run.score[i] < t) continue;
      if (window[i] < 0) {
        fps++;
        fpCost += weight[i];
      } else if (!best.has(window[i]) || weight[i] > best.get(window[i])!) best.set(window[i], weight[i]);
    }
    const counted = series.windows.filter(([, end]) => end >= probation).length;
    let tpGain = 0;
    for (const v of best.values()) tpGain += v + profile.fnWeight; // over a miss
    const missed = counted - best.size;
    perFile.push({ name: series.name, rows: weight.length, windows: counted, detected: best.size, fps, fpCost: fpCost * scale, missedCost: -missed * profile.fnWeight * scale, tpGain: tpGain * scale, net: (tpGain + fpCost) * scale });
  }

  console.log('\nFalse positives by where they fall (scored ones; probation: reports above the threshold NAB does not score):\n');
  console.log('| place | reports | outlier | spike/drop | trend_change | pattern_change | |z| quartiles | cost (points) |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |');
  const weightsOf = new Map(files.map((f) => [f.name, rowWeights(f, profile).weight]));
  const fpWeightOf = (r: ReportRow) => weightsOf.get(r.file)![r.row];
  for (const place of PLACES) {
    const rs = reports.filter((r) => r.place === place);
    const by = (types: string[]) => rs.filter((r) => types.includes(r.type)).length;
    const cost = place === 'probation' ? 0 : rs.reduce((s, r) => s + fpWeightOf(r), 0) * scale;
    console.log(`| ${place} | ${rs.length} | ${by(['outlier'])} | ${by(['spike', 'drop'])} | ${by(['trend_change'])} | ${by(['pattern_change'])} | ${quartiles(rs.map((r) => r.absZ))} | ${cost.toFixed(1)} |`);
  }

  const tp = reports.filter((r) => r.window >= 0);
  const fp = reports.filter((r) => r.window < 0 && r.place !== 'probation');
  console.log(`\nReports above the threshold inside windows: ${tp.length} (|z| ${quartiles(tp.map((r) => r.absZ))}), outside (scored): ${fp.length} (|z| ${quartiles(fp.map((r) => r.absZ))})`);
  console.log(`\nRank: earlier first reports of the same file within ${horizon} rows with |z| at least as large (share of each group):\n`);
  const bins: Array<[string, (n: number) => boolean]> = [['0', (n) => n === 0], ['1', (n) => n === 1], ['2–3', (n) => n >= 2 && n <= 3], ['4–9', (n) => n >= 4 && n <= 9], ['≥ 10', (n) => n >= 10]];
  console.log('| rank | in a window | false positive |');
  console.log('| --- | ---: | ---: |');
  const pct = (xs: ReportRow[], f: (n: number) => boolean) => `${xs.filter((r) => f(r.rank)).length} (${((100 * xs.filter((r) => f(r.rank)).length) / Math.max(1, xs.length)).toFixed(0)} %)`;
  for (const [label, f] of bins) console.log(`| ${label} | ${pct(tp, f)} | ${pct(fp, f)} |`);

  console.log('\nRows since the previous first report of the same file (re-reports of one excursion are the short gaps):\n');
  console.log('| gap (rows) | in a window | false positive |');
  console.log('| --- | ---: | ---: |');
  const gapBins: Array<[string, (g: number) => boolean]> = [['≤ 5', (g) => g <= 5], ['6–20', (g) => g > 5 && g <= 20], ['21–100', (g) => g > 20 && g <= 100], ['101–1000', (g) => g > 100 && g <= 1000], ['> 1000 or first', (g) => g > 1000]];
  const gpct = (xs: ReportRow[], f: (g: number) => boolean) => `${xs.filter((r) => f(r.gap)).length} (${((100 * xs.filter((r) => f(r.gap)).length) / Math.max(1, xs.length)).toFixed(0)} %)`;
  for (const [label, f] of gapBins) console.log(`| ${label} | ${gpct(tp, f)} | ${gpct(fp, f)} |`);

  const n = Number(args.files);
  console.log(`\nFiles by false-positive cost (the ${n} costliest; points of the normalised score):\n`);
  console.log('| file | rows | windows | detected | FPs | FP cost | missed cost | TP gain over a miss | net vs null |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of [...perFile].sort((a, b) => a.fpCost - b.fpCost).slice(0, n)) {
    console.log(`| ${r.name} | ${r.rows} | ${r.windows} | ${r.detected} | ${r.fps} | ${r.fpCost.toFixed(2)} | ${r.missedCost.toFixed(2)} | ${r.tpGain.toFixed(2)} | ${r.net.toFixed(2)} |`);
  }
  const tot = perFile.reduce((a, r) => ({ fps: a.fps + r.fps, fpCost: a.fpCost + r.fpCost, missedCost: a.missedCost + r.missedCost }), { fps: 0, fpCost: 0, missedCost: 0 });
  console.log(`| all ${perFile.length} files | | | | ${tot.fps} | ${tot.fpCost.toFixed(1)} | ${tot.missedCost.toFixed(1)} | | |`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
