import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mergeByTime, pace, parseNabCsv, parseUtcTimestamp, readNabCsv } from '../../../pipeline/loadgen/index.ts';

const excerpt = fileURLToPath(new URL('../../fixtures/nab/machine_temperature_head40.csv', import.meta.url));
const fullNab = fileURLToPath(new URL('../../../data/nab/data/realKnownCause/machine_temperature_system_failure.csv', import.meta.url));

describe('NAB CSV replay', () => {
  it('reads the NAB file format: source = base name, metric = value, timestamps in UTC', () => {
    const series = readNabCsv(excerpt);
    expect(series.source).toBe('machine_temperature_head40');
    expect(series.metric).toBe('value');
    expect(series.points).toHaveLength(40);
    expect(series.points[0]).toEqual({ source: 'machine_temperature_head40', metric: 'value', value: 73.96732207, timestamp: Date.UTC(2013, 11, 2, 21, 15), tags: {} });
    expect(series.points[1].timestamp - series.points[0].timestamp).toBe(300_000);
    expect(readNabCsv(excerpt, { metric: 'temperature', source: 'machine-7' }).points[0]).toMatchObject({ source: 'machine-7', metric: 'temperature' });
  });

  // The NAB corpus is vendored in the checkout (data/nab): no skip, no path outside the repo.
  it('reads the whole machine_temperature_system_failure.csv from data/nab', () => {
    expect(existsSync(fullNab), `NAB corpus expected at ${fullNab} (vendored under data/nab)`).toBe(true);
    const series = readNabCsv(fullNab);
    expect(series.points).toHaveLength(22695);
    expect(series.points.at(-1)!.timestamp).toBe(Date.UTC(2014, 1, 19, 15, 25));
  });

  it('parses UTC timestamps strictly', () => {
    expect(parseUtcTimestamp('2014-02-19 15:25:00')).toBe(Date.UTC(2014, 1, 19, 15, 25));
    expect(parseUtcTimestamp('2014-02-19T15:25:00.5Z')).toBe(Date.UTC(2014, 1, 19, 15, 25, 0, 500));
    expect(parseUtcTimestamp('2014-02-19 15:25')).toBe(Date.UTC(2014, 1, 19, 15, 25));
    for (const bad of ['2013-02-30 00:00:00', '2014-13-01 00:00:00', '2014-01-01 24:00:00', '2014-01-01 10:61:00', '2014-01-01 10:00:00+02:00', '1389000000', '']) {
      expect(parseUtcTimestamp(bad), bad).toBeNull();
    }
  });

  it('accepts a BOM, CRLF line ends and a trailing blank line', () => {
    const series = parseNabCsv('\uFEFFtimestamp,value\r\n2014-01-01 00:00:00,1.5\r\n2014-01-01 00:05:00,-2e3\r\n\r\n', 'x.csv');
    expect(series.points.map((p) => p.value)).toEqual([1.5, -2000]);
  });

  it.each([
    ['no header', '2014-01-01 00:00:00,1\n', /x\.csv:1: header must be "timestamp,value"/],
    ['wrong header', 'time,val\n2014-01-01 00:00:00,1\n', /header/],
    ['three columns', 'timestamp,value\n2014-01-01 00:00:00,1,2\n', /x\.csv:2: expected 2 columns, got 3/],
    ['impossible date', 'timestamp,value\n2014-01-01 00:00:00,1\n2013-02-30 00:00:00,1\n', /x\.csv:3: bad timestamp/],
    ['NaN value', 'timestamp,value\n2014-01-01 00:00:00,NaN\n', /bad value "NaN"/],
    ['empty value', 'timestamp,value\n2014-01-01 00:00:00,\n', /bad value ""/],
    ['overflowing value', 'timestamp,value\n2014-01-01 00:00:00,1e999\n', /bad value/],
    ['hex value', 'timestamp,value\n2014-01-01 00:00:00,0x10\n', /bad value/],
    ['no rows', 'timestamp,value\n', /no data rows/],
    ['empty file', '', /header/],
  ])('rejects %s with the line number', (_name, text, error) => {
    expect(() => parseNabCsv(text, 'x.csv')).toThrow(error);
  });

  it('names a missing file', () => {
    expect(() => readNabCsv('/nonexistent/file.csv')).toThrow(/cannot read CSV \/nonexistent\/file\.csv/);
  });

  it('merges several files by time, stably, with an optional shift', () => {
    const a = parseNabCsv('timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:10:00,3\n', 'a.csv');
    const b = parseNabCsv('timestamp,value\n2014-01-01 00:00:00,10\n2014-01-01 00:05:00,20\n', 'b.csv');
    expect(mergeByTime([a, b]).map((p) => `${p.source}:${p.value}`)).toEqual(['a:1', 'b:10', 'b:20', 'a:3']);
    expect(mergeByTime([a], 1000)[0].timestamp).toBe(Date.UTC(2014, 0, 1) + 1000);
    expect(a.points[0].timestamp).toBe(Date.UTC(2014, 0, 1)); // inputs untouched
  });
});

describe('real-time pacing', () => {
  it('waits until each item is due, handles late items at once and reports the lag', async () => {
    let clock = 1000;
    const sleeps: number[] = [];
    const handled: Array<[number, number]> = [];
    const result = await pace(
      [1000, 1500, 1500, 2500, 2600],
      (due) => due,
      async (due) => {
        handled.push([due, clock]);
        if (due === 2500) clock += 300; // a slow send
      },
      { now: () => clock, sleep: async (ms) => { sleeps.push(ms); clock += ms; } },
    );
    expect(result).toEqual({ handled: 5, aborted: false, maxLagMs: 200 });
    expect(sleeps).toEqual([500, 1000]);
    expect(handled).toEqual([[1000, 1000], [1500, 1500], [1500, 1500], [2500, 2500], [2600, 2800]]);
  });

  it('stops when aborted, mid-sleep or between items', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const result = await pace([0, 50, 60_000], (d) => Date.now() + d, async (d) => {
      seen.push(d);
      if (d === 50) setTimeout(() => controller.abort(), 10);
    }, { signal: controller.signal });
    expect(result.aborted).toBe(true);
    expect(seen).toEqual([0, 50]);
  });
});
