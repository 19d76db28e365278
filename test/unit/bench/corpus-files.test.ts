import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCorpus } from '../../../bench/corpus/generate.ts';
import { writeCorpus } from '../../../bench/corpus/write.ts';
import { detectCsvFiles } from '../../../pipeline/offline/detect-csv.ts';
import { offlineDetectorParams, runSeries } from '../../../pipeline/offline/run-series.ts';
import { readSeriesCsv } from '../../../pipeline/offline/series-csv.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'vigil-corpus-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the corpus on disk', () => {
  const corpus = generateCorpus({ seed: 5, perType: 3, normal: 6 });
  const files = writeCorpus(tmp, corpus);

  it('round-trips every series exactly through its CSV file, with the labels beside it', () => {
    expect(files).toHaveLength(corpus.length);
    const labels = JSON.parse(readFileSync(path.join(tmp, 'labels.json'), 'utf8'));
    corpus.forEach((s, k) => {
      const csv = readSeriesCsv(files[k]);
      expect(csv.values, s.name).toEqual(s.values);
      expect(csv.timestamps, s.name).toEqual(s.timestamps);
      expect(labels[`${s.name}.csv`].anomaly).toEqual(s.anomaly);
    });
  });

  it('gives vigil detect the same reports the corpus report judges', () => {
    const params = offlineDetectorParams();
    const k = corpus.findIndex((s) => s.anomaly?.type === 'spike');
    const out = path.join(tmp, 'scored.csv');
    detectCsvFiles([{ input: files[k], output: out }], params);
    const typed = readFileSync(out, 'utf8').trimEnd().split('\n').slice(1).flatMap((l, row) => (l.split(',')[3] ? [row] : []));
    const reported = runSeries(corpus[k].values, corpus[k].timestamps, params).findings.map((f) => f.pointIndex);
    expect(typed).toEqual([...new Set(reported)]);
  });
});

describe('bench/corpus-report.ts', () => {
  it('prints the headline, the confusion matrix and the feature table per seed', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench/corpus-report.ts'), '--seeds', '1,2', '--per-type', '2', '--normal', '3', '--list', 'all'], { encoding: 'utf8', cwd: root });
    for (const seed of [1, 2]) expect(out).toMatch(new RegExp(`### seed ${seed}: detected [\\d.]+ % \\(\\d+/10;`));
    expect(out).toMatch(/\| pattern_change \| \d+ \| \d+ \| \d+ \| \d+ \| \d+ \| \d+ \|/);
    expect(out).toMatch(/normal series with a false report [\d.]+ % \(\d+\/3;/);
    expect(out).toContain('| series with feature | anomalous | detected |');
    expect(out.match(/^ {2}seed1\//gm)).toHaveLength(13); // --list all: every series of seed 1
    expect(out).toMatch(/### All seeds\n\n\| seed \| detected in time[^\n]*\n[^\n]*\n\| 1 \| [^\n]*\n\| 2 \| [^\n]*\n\| worst \| [\d.]+ % \| [\d.]+ % \| [\d.]+ % \|/);
  });
});
