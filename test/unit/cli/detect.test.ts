import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { command, planJobs } from '../../../bin/commands/detect.ts';
import { UsageError } from '../../../bin/command.ts';
import { OUTPUT_COLUMNS, detectCsvFiles } from '../../../pipeline/offline/detect-csv.ts';
import { offlineDetectorParams, runSeries } from '../../../pipeline/offline/run-series.ts';
import { readSeriesCsv } from '../../../pipeline/offline/series-csv.ts';
import { ANOMALY_TYPES } from '../../../schemas/records.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const miniA = path.join(root, 'test/fixtures/nab-mini/data/catA');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'vigil-detect-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const params = offlineDetectorParams({ windowSize: 100 });
const vigil = (...args: string[]) => spawnSync(path.join(root, 'bin/vigil'), ['detect', ...args], { encoding: 'utf8' });

describe('vigil detect: output', () => {
  it('writes the input columns plus score, type, confidence and z per row — the detector\'s own figures', () => {
    const out = path.join(tmp, 'one.csv');
    const input = path.join(miniA, 'spike.csv');
    const [summary] = detectCsvFiles([{ input, output: out }], params);
    expect(summary.rows).toBe(600);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe(`timestamp,value,${OUTPUT_COLUMNS.join(',')}`);
    const inputLines = readFileSync(input, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(inputLines.length);
    const csv = readSeriesCsv(input);
    const run = runSeries(csv.values, csv.timestamps, params);
    const reportedAt = new Map(run.findings.map((f) => [f.pointIndex, f]));
    lines.slice(1).forEach((line, i) => {
      const cells = line.split(',');
      expect(cells.slice(0, 2).join(','), `row ${i}`).toBe(inputLines[i + 1]);
      expect(Number(cells[2])).toBeCloseTo(run.score[i], 5);
      expect(Math.abs(Number(cells[5]) - run.zscore[i])).toBeLessThanOrEqual(Math.abs(run.zscore[i]) * 1e-5 + 1e-9);
      const f = reportedAt.get(i);
      expect(cells[3]).toBe(f ? f.type : '');
      expect(cells[4] === '' ? null : Number(cells[4])).toBe(f ? Number(f.confidence.toPrecision(6)) : null);
    });
    // the injected spike at rows 400-402 is reported there, with a type of the contract
    const types = lines.slice(401, 404).map((l) => l.split(',')[3]).filter(Boolean);
    expect(types.length).toBeGreaterThan(0);
    for (const t of types) expect(ANOMALY_TYPES).toContain(t);
  });

  it('keeps extra and quoted columns and the header as written', () => {
    const input = path.join(tmp, 'extra.csv');
    const rows = Array.from({ length: 80 }, (_, i) => `"h,${i}",${new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString()},${i % 7}`);
    writeFileSync(input, `Host,Timestamp,Value\r\n${rows.join('\r\n')}\r\n`);
    const out = path.join(tmp, 'extra-out.csv');
    detectCsvFiles([{ input, output: out }], params);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('Host,Timestamp,Value,anomaly_score,anomaly_type,confidence,zscore');
    expect(lines[1].startsWith(`${rows[0]},`)).toBe(true);
    expect(lines).toHaveLength(81);
  });

  it('refuses to annotate its own output again', () => {
    const out = path.join(tmp, 'again.csv');
    detectCsvFiles([{ input: path.join(miniA, 'flat.csv'), output: out }], params);
    expect(() => detectCsvFiles([{ input: out, output: path.join(tmp, 'again2.csv') }], params)).toThrow(/again\.csv:1: the input already has a column "anomaly_score"/);
  });
});

describe('vigil detect: files and folders', () => {
  it('a folder gives one output per CSV with the same name; a file goes to a file or into a folder', () => {
    const outDir = path.join(tmp, 'folder-out');
    const r = vigil('--csv', miniA, '--out', outDir, '--window-size', '100');
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(outDir).sort()).toEqual(['flat.csv', 'spike.csv']);
    expect(r.stdout).toMatch(/spike\.csv: 600 rows, anomalies reported: .*(outlier|spike)/);
    expect(planJobs(path.join(miniA, 'flat.csv'), outDir)).toEqual([{ input: path.join(miniA, 'flat.csv'), output: path.join(outDir, 'flat.csv') }]);
    expect(planJobs(path.join(miniA, 'flat.csv'), path.join(tmp, 'f.csv'))).toEqual([{ input: path.join(miniA, 'flat.csv'), output: path.join(tmp, 'f.csv') }]);
  });

  it('writes nothing at all when any input of a folder is bad, and names its file and line', () => {
    const inDir = path.join(tmp, 'mixed');
    mkdirSync(inDir);
    cpSync(path.join(miniA, 'flat.csv'), path.join(inDir, 'a-good.csv'));
    writeFileSync(path.join(inDir, 'b-bad.csv'), 'timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:01:00,oops\n');
    cpSync(path.join(miniA, 'spike.csv'), path.join(inDir, 'c-good.csv'));
    const outDir = path.join(tmp, 'mixed-out');
    const r = vigil('--csv', inDir, '--out', outDir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${path.join(inDir, 'b-bad.csv')}:3: bad value "oops"`);
    expect(() => readdirSync(outDir)).toThrow(/ENOENT/);
  });

  it('refuses to overwrite its input and other impossible plans', () => {
    const input = path.join(tmp, 'self.csv');
    cpSync(path.join(miniA, 'flat.csv'), input);
    expect(() => planJobs(input, input)).toThrow(UsageError);
    expect(() => planJobs(input, tmp)).toThrow(/would overwrite the input/);
    expect(() => planJobs(miniA, miniA)).toThrow(/would overwrite the input/);
    expect(() => planJobs(miniA, input)).toThrow(/--out .* is a file/);
    expect(() => planJobs(path.join(tmp, 'missing.csv'), path.join(tmp, 'x.csv'))).toThrow(/no such file or folder/);
    const empty = path.join(tmp, 'empty-dir');
    mkdirSync(empty);
    expect(() => planJobs(empty, path.join(tmp, 'o'))).toThrow(/no \*\.csv files/);
    expect(readFileSync(input, 'utf8')).toBe(readFileSync(path.join(miniA, 'flat.csv'), 'utf8'));
  });

  it('--help documents every option', () => {
    const help = vigil('--help');
    expect(help.status).toBe(0);
    for (const name of Object.keys(command.options)) expect(help.stdout, name).toContain(`--${name}`);
  });

  it('answers bad options with usage errors (exit 2)', async () => {
    expect(vigil('--csv', miniA).status).toBe(2);
    const r = vigil('--csv', miniA, '--out', path.join(tmp, 'w'), '--window-size', 'ten');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--window-size must be an integer/);
    for (const bad of ['weekly', '60', '86400.5', '1e12', '']) {
      const s = vigil('--csv', miniA, '--out', path.join(tmp, 'w'), '--season-period', bad);
      expect(s.status, bad).toBe(2);
      expect(s.stderr).toMatch(/--season-period must be auto, none or whole seconds in \[480, 31622400\]/);
    }
    await expect(command.run({ csv: miniA, out: path.join(tmp, 'p') }, ['stray'])).rejects.toThrow(UsageError);
  });
});
