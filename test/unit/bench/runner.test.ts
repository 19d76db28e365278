import { describe, expect, it } from 'vitest';
import { BENCHES, benchArgs, parseRunnerArgs, resultFileName, runRecord, summaryTable, type RunInput } from '../../../bench/runner.ts';
import { emitResult, markdownTable, ratioOf, RESULT_ENV, type BenchResult } from '../../../bench/support/result.ts';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

describe('bench runner arguments', () => {
  it('names every bench the issue asks for, and all', () => {
    expect(Object.keys(BENCHES).sort()).toEqual(['cardinality', 'cluster-insert', 'dashboard', 'decode', 'fanout', 'ingest', 'insert', 'latency', 'memory', 'producer', 'replay', 'throughput', 'workers']);
    expect(parseRunnerArgs(['all', '--quick'])).toEqual({ names: Object.keys(BENCHES), quick: true, extra: [], list: false });
  });

  it('takes aliases, drops repeats and passes arguments after -- to one bench', () => {
    expect(parseRunnerArgs(['scoring', 'workers'])).toMatchObject({ names: ['workers'], quick: false });
    expect(parseRunnerArgs(['throughput', '--', '--series', '10'])).toMatchObject({ names: ['throughput'], extra: ['--series', '10'] });
    expect(benchArgs(BENCHES.throughput, true, ['--threads', '2'])).toEqual([...BENCHES.throughput.quick, '--threads', '2']);
    expect(benchArgs(BENCHES.throughput, false, [])).toEqual(BENCHES.throughput.full);
  });

  it('refuses what it does not know, with the usage as the action', () => {
    expect(() => parseRunnerArgs([])).toThrow(/name a bench.*usage: npm run bench/s);
    expect(() => parseRunnerArgs(['nope'])).toThrow(/no bench named "nope"/);
    expect(() => parseRunnerArgs(['__proto__'])).toThrow(/no bench named/);
    expect(() => parseRunnerArgs(['decode', '--fast'])).toThrow(/unknown option --fast/);
    expect(() => parseRunnerArgs(['all', '--', '--x'])).toThrow(/one bench only/);
  });

  it('keeps every quick run bounded so all --quick fits in 5 minutes', () => {
    for (const spec of Object.values(BENCHES)) expect(spec.quick.length).toBeGreaterThan(0);
  });
});

const result: BenchResult = {
  tables: [{ columns: ['path', 'records/s'], rows: [['a | b', 10], ['c', 20]] }],
  headlines: [
    { figure: 'rate', value: 50, unit: 'records/s', reference: { kind: 'ceiling', label: 'bare', value: 200 }, higherIsBetter: true },
    { figure: 'p99', value: 30, unit: 'ms', reference: { kind: 'floor', label: 'hop', value: 10 }, higherIsBetter: false },
  ],
  notes: ['n'],
};

const input = (over: Partial<RunInput> = {}): RunInput => ({
  name: 'throughput',
  spec: BENCHES.throughput,
  args: ['--series', '5'],
  quick: true,
  commit: 'abc123',
  dirty: false,
  startedAt: '2026-12-07T01:02:03.456Z',
  seconds: 12.345,
  node: 'v20',
  cpus: 2,
  loadBefore: [1.234, 2, 3],
  loadAfter: [4.567, 5, 6],
  exitCode: 0,
  signal: null,
  result,
  ...over,
});

describe('bench run record and summary', () => {
  it('records the commit, the load average before and after, and each headline with its ratio', () => {
    const r = runRecord(input());
    expect(r).toMatchObject({
      bench: 'throughput',
      command: 'npx tsx bench/pipeline-throughput.ts --series 5',
      commit: 'abc123',
      ok: true,
      seconds: 12.3,
      loadAverage: { before: [1.23, 2, 3], after: [4.57, 5, 6] },
    });
    expect(r.headlines.map((h) => h.ratio)).toEqual([0.25, 3]);
    expect(r.tables).toEqual(result.tables);
  });

  it('a bench that failed or reported nothing is not ok and says so in the summary', () => {
    const failed = runRecord(input({ exitCode: 1 }));
    const silent = runRecord(input({ result: null }));
    expect(failed.ok).toBe(false);
    expect(silent.ok).toBe(false);
    const t = summaryTable([failed, runRecord(input({ name: 'decode', spec: BENCHES.decode }))]);
    expect(t.rows[0]).toEqual(['throughput', 'FAILED (exit 1)', '', '', '', '1.23 → 4.57', 12.3]);
    expect(t.rows[1]).toEqual(['decode', 'rate', '50 records/s', 'ceiling: bare 200 records/s', '25 %', '1.23 → 4.57', 12.3]);
    expect(t.rows[2][4]).toBe('3×');
  });

  it('ratios of a zero reference are NaN, not Infinity', () => {
    expect(ratioOf({ value: 1, reference: { kind: 'peer', label: 'x', value: 0 } })).toBeNaN();
  });

  it('prints a markdown table with numeric columns right-aligned and pipes escaped', () => {
    expect(markdownTable(result.tables[0]).split('\n')).toEqual(['| path | records/s |', '| --- | ---: |', '| a \\| b | 10 |', '| c | 20 |']);
  });

  it('result files are named by bench, UTC time and commit', () => {
    expect(resultFileName('latency', '2026-12-07T01:02:03.456Z', 'abc/123')).toBe('latency-20261207T010203Z-abc123.json');
  });

  it('a bench writes its result only when the runner listens', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-result-'));
    const file = path.join(dir, 'r.json');
    emitResult(result, {});
    expect(existsSync(file)).toBe(false);
    emitResult(result, { [RESULT_ENV]: file });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(result);
  });
});
