import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNabCorpus } from '../../../bench/nab-corpus.ts';
import { readPublishedScores } from '../../../bench/nab-published.ts';
import { resultsPath, runNab } from '../../../bench/nab-run.ts';
import { nabScoreAllProfiles } from '../../../bench/nab-scoring.ts';
import { offlineDetectorParams, runSeries } from '../../../pipeline/offline/run-series.ts';
import { command } from '../../../bin/commands/nab.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const mini = path.join(root, 'test/fixtures/nab-mini');
const vendored = path.join(root, 'data/nab');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'vigil-nab-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the mini corpus with one file replaced or the labels changed. */
function brokenCopy(name: string, edit: (dir: string) => void): string {
  const dir = path.join(tmp, name);
  cpSync(mini, dir, { recursive: true });
  edit(dir);
  return dir;
}

describe('NAB corpus loading', () => {
  it('reads the NAB layout with label windows as row ranges', () => {
    const corpus = loadNabCorpus(mini);
    expect(corpus.map((c) => c.name)).toEqual(['catA/flat.csv', 'catA/spike.csv', 'catB/step.csv']);
    expect(corpus[1].windows).toEqual([[390, 420]]);
    expect(corpus[2].windows).toEqual([[440, 470], [600, 620]]);
    expect(corpus[1].values[400]).toBeGreaterThan(85);
  });

  it('reads the vendored NAB v1.1 corpus whole: 58 files, 116 windows', () => {
    const corpus = loadNabCorpus(vendored);
    expect(corpus).toHaveLength(58);
    expect(corpus.reduce((n, c) => n + c.windows.length, 0)).toBe(116);
    expect(corpus.reduce((n, c) => n + c.values.length, 0)).toBe(365_558);
  });

  it.each([
    ['a bad row, with its file and line', (d: string) => writeFileSync(path.join(d, 'data/catA/flat.csv'), 'timestamp,value\n2015-03-01 00:00:00,1\n2015-03-01 00:05:00,abc\n'), /flat\.csv:3: bad value "abc"/],
    ['a missing label entry', (d: string) => writeFileSync(path.join(d, 'data/catB/extra.csv'), 'timestamp,value\n2015-03-01 00:00:00,1\n'), /catB\/extra\.csv"\]: no label entry/],
    ['a window matching no row', (d: string) => writeFileSync(path.join(d, 'labels/combined_windows.json'), JSON.stringify({ 'catA/flat.csv': [], 'catA/spike.csv': [['2099-01-01 00:00:00.000000', '2099-01-02 00:00:00.000000']], 'catB/step.csv': [] })), /matches no row/],
    ['overlapping windows', (d: string) => writeFileSync(path.join(d, 'labels/combined_windows.json'), JSON.stringify({ 'catA/flat.csv': [['2015-03-01 00:10:00', '2015-03-01 01:00:00'], ['2015-03-01 00:50:00', '2015-03-01 02:00:00']], 'catA/spike.csv': [], 'catB/step.csv': [] })), /time order and not overlap/],
    ['labels that are not JSON', (d: string) => writeFileSync(path.join(d, 'labels/combined_windows.json'), '{"catA'), /cannot read NAB labels/],
    ['labels of the wrong shape', (d: string) => writeFileSync(path.join(d, 'labels/combined_windows.json'), '[1,2]'), /expected an object/],
    ['a window that is not a pair', (d: string) => writeFileSync(path.join(d, 'labels/combined_windows.json'), JSON.stringify({ 'catA/flat.csv': [['2015-03-01 00:10:00']], 'catA/spike.csv': [], 'catB/step.csv': [] })), /expected \[start, end\]/],
    ['no data folder', (d: string) => rmSync(path.join(d, 'data'), { recursive: true }), /cannot list .*data/],
  ])('refuses %s', (name, edit, error) => {
    expect(() => loadNabCorpus(brokenCopy(name.replace(/\W+/g, '-'), edit))).toThrow(error);
  });
});

describe('published NAB scores', () => {
  it('come from the corpus\' results/final_results.json', () => {
    const { detectors } = readPublishedScores(vendored);
    const art = detectors.find((d) => d.key === 'ARTime')!;
    expect(art.name).toBe('ARTime');
    expect(art.scores.standard).toBeCloseTo(74.8538, 3);
    expect(art.scores.reward_low_FP_rate).toBeCloseTo(65.154, 3);
    expect(art.scores.reward_low_FN_rate).toBeCloseTo(80.3623, 3);
    expect(detectors.find((d) => d.key === 'windowedGaussian')!.scores.standard).toBeCloseTo(39.6495, 3);
    expect(detectors[0].key).toBe('ARTime'); // sorted by the standard score
  });

  it('fall back to the built-in leaders without that file, and refuse a damaged one', () => {
    const { source, detectors } = readPublishedScores(mini);
    expect(source).toMatch(/built in/);
    expect(detectors.map((d) => d.name)).toEqual(['ARTime', 'Numenta HTM', 'CAD OSE', 'earthgecko Skyline', 'Random Cut Forest', 'Windowed Gaussian']);
    const bad = brokenCopy('bad-results', (d) => {
      cpSync(path.join(vendored, 'results'), path.join(d, 'results'), { recursive: true });
      writeFileSync(path.join(d, 'results/final_results.json'), JSON.stringify({ x: { standard: 1, reward_low_FP_rate: 'a', reward_low_FN_rate: 2 } }));
    });
    expect(() => readPublishedScores(bad)).toThrow(/detector "x" lacks a number/);
  });
});

describe('vigil nab', () => {
  const params = offlineDetectorParams({ windowSize: 100 });

  it('writes NAB\'s results layout with the detector\'s own scores and the labels', () => {
    const out = path.join(tmp, 'run');
    const run = runNab({ data: mini, out, params });
    expect(run).toMatchObject({ files: 3, rows: 1800, windows: 3 });
    expect(run.written.map((f) => path.relative(out, f)).sort()).toEqual(['vigil/catA/vigil_flat.csv', 'vigil/catA/vigil_spike.csv', 'vigil/catB/vigil_step.csv']);
    expect(readdirSync(path.join(out, 'vigil/catA')).sort()).toEqual(['vigil_flat.csv', 'vigil_spike.csv']); // no temp files left
    const series = loadNabCorpus(mini)[1];
    const lines = readFileSync(resultsPath(out, 'catA/spike.csv'), 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('timestamp,value,anomaly_score,label');
    expect(lines).toHaveLength(601);
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows[0][0]).toBe('2015-03-01 00:00:00');
    expect(rows.map((r) => Number(r[1]))).toEqual(Array.from(series.values));
    expect(rows.map((r) => Number(r[2]))).toEqual(Array.from(runSeries(series.values, series.timestamps, params).score));
    expect(rows.map((r, i) => (r[3] === '1' ? i : -1)).filter((i) => i >= 0)).toEqual(Array.from({ length: 31 }, (_, k) => 390 + k));
  });

  it('prints scores the written results reproduce, and the spike and the step are found', () => {
    const out = path.join(tmp, 'run-cli');
    const stdout = execFileSync(path.join(root, 'bin/vigil'), ['nab', '--data', mini, '--out', out, '--window-size', '100'], { encoding: 'utf8' });
    // re-score the files NAB would read: the printed figures must follow from them
    const files = loadNabCorpus(mini).map((s) => {
      const lines = readFileSync(resultsPath(out, s.name), 'utf8').trimEnd().split('\n').slice(1);
      return { name: s.name, windows: s.windows, scores: lines.map((l) => Number(l.split(',')[2])) };
    });
    const scores = nabScoreAllProfiles(files);
    const vigilRow = stdout.split('\n').find((l) => l.startsWith('| **Vigil'))!;
    expect(vigilRow).toContain('Vigil (windowSize 100)');
    expect(vigilRow.split('|').slice(2, 5).map((c) => c.trim())).toEqual([scores.standard.normalized.toFixed(1), scores.reward_low_FP_rate.normalized.toFixed(1), scores.reward_low_FN_rate.normalized.toFixed(1)]);
    expect(scores.standard.detectedWindows).toBeGreaterThanOrEqual(2);
    expect(stdout).toMatch(/\| ARTime \| +74\.9 \| +65\.2 \| +80\.4 \|/);
  });

  it('--help documents every option', () => {
    const help = execFileSync(path.join(root, 'bin/vigil'), ['nab', '--help'], { encoding: 'utf8' });
    for (const name of Object.keys(command.options)) expect(help, name).toContain(`--${name}`);
  });

  it('refuses bad options and a bad corpus with a clear message', () => {
    const r = spawnSync(path.join(root, 'bin/vigil'), ['nab', '--window-size', '5'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--window-size must be an integer in \[10, 100000\]/);
    const missing = spawnSync(path.join(root, 'bin/vigil'), ['nab', '--data', path.join(tmp, 'nowhere'), '--out', path.join(tmp, 'x')], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/cannot read NAB labels .*nowhere/);
  });
});
