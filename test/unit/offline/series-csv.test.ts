import { describe, expect, it } from 'vitest';
import { VigilError } from '../../../core/errors.ts';
import { createPrng } from '../../../pipeline/loadgen/prng.ts';
import { parseSeriesCsv, parseTimestampCell, splitCsvLine } from '../../../pipeline/offline/series-csv.ts';

const T0 = Date.UTC(2024, 2, 1);

describe('series CSV: good input', () => {
  it('reads timestamp,value with other columns carried through, in any column order', () => {
    const csv = parseSeriesCsv('host,Value,TIMESTAMP,note\nweb-1,1.5,2024-03-01 00:00:00,"a, quoted ""note"""\nweb-1,-2e3,2024-03-01 00:05:00,\n', 'x.csv');
    expect(csv.columns).toEqual(['host', 'Value', 'TIMESTAMP', 'note']);
    expect(Array.from(csv.values)).toEqual([1.5, -2000]);
    expect(Array.from(csv.timestamps)).toEqual([T0, T0 + 300_000]);
    expect(csv.lines).toEqual(['web-1,1.5,2024-03-01 00:00:00,"a, quoted ""note"""', 'web-1,-2e3,2024-03-01 00:05:00,']);
    expect(csv.headerLine).toBe('host,Value,TIMESTAMP,note');
    expect(Array.from(csv.lineNumbers)).toEqual([2, 3]);
  });

  it('accepts a BOM, CRLF, blank lines, equal timestamps, and keeps line numbers true', () => {
    const csv = parseSeriesCsv('\uFEFF\r\ntimestamp,value\r\n2024-03-01 00:00:00,1\r\n\r\n2024-03-01 00:00:00,2\r\n', 'x.csv');
    expect(Array.from(csv.values)).toEqual([1, 2]);
    expect(Array.from(csv.lineNumbers)).toEqual([3, 5]);
    expect(csv.headerLineNumber).toBe(2);
    expect(csv.lines[0]).toBe('2024-03-01 00:00:00,1');
  });

  it('parses the timestamp forms it documents', () => {
    expect(parseTimestampCell('2024-03-01 00:00:00')).toBe(T0);
    expect(parseTimestampCell('2024-03-01T00:00:00.250Z')).toBe(T0 + 250);
    expect(parseTimestampCell('2024-03-01T02:00:00+02:00')).toBe(T0);
    expect(parseTimestampCell('2024-02-29 19:00:00-0500')).toBe(T0);
    expect(parseTimestampCell(String(T0 / 1000))).toBe(T0);
    expect(parseTimestampCell(`${T0 / 1000}.5`)).toBe(T0 + 500);
    expect(parseTimestampCell(String(T0))).toBe(T0);
    for (const bad of ['2024-02-30 00:00:00', '2024-03-01 25:00:00', '2024-03-01T00:00:00+24:00', '2024-03-01', 'yesterday', '12345', '1e12', '0x10', '', '2024-03-01 00:00:00 UTC']) {
      expect(parseTimestampCell(bad), bad).toBeNull();
    }
  });

  it('splits quoted cells per RFC 4180 and flags an open quote', () => {
    expect(splitCsvLine('a,"b,c","d""e",')).toEqual(['a', 'b,c', 'd"e', '']);
    expect(splitCsvLine('"x"')).toEqual(['x']);
    expect(splitCsvLine('a,"b')).toBeNull();
    expect(splitCsvLine('"a"b,c')).toBeNull();
  });
});

describe('series CSV: hostile input fails with file and line', () => {
  it.each([
    ['an empty file', '', /x\.csv:1: empty file/],
    ['only blank lines', '\n\r\n  \n', /x\.csv:1: empty file/],
    ['no header', '2024-03-01 00:00:00,1\n2024-03-01 00:05:00,2\n', /x\.csv:1: no header: the first line is data/],
    ['a header without value', 'timestamp,amount\n2024-03-01 00:00:00,1\n', /x\.csv:1: header must name a "timestamp" and a "value" column/],
    ['a duplicated column', 'timestamp,value,VALUE\n2024-03-01 00:00:00,1,2\n', /x\.csv:1: column "VALUE" appears twice/],
    ['a header only', 'timestamp,value\n', /x\.csv:2: no data rows/],
    ['an unparsable timestamp', 'timestamp,value\n2024-03-01 00:00:00,1\n03/01/2024 00:05,2\n', /x\.csv:3: bad timestamp "03\/01\/2024 00:05"/],
    ['an impossible date', 'timestamp,value\n2024-02-30 00:00:00,1\n', /x\.csv:2: bad timestamp/],
    ['a non-numeric value', 'timestamp,value\n2024-03-01 00:00:00,abc\n', /x\.csv:2: bad value "abc"/],
    ['NaN', 'timestamp,value\n2024-03-01 00:00:00,NaN\n', /bad value "NaN"/],
    ['Infinity', 'timestamp,value\n2024-03-01 00:00:00,Infinity\n', /bad value "Infinity"/],
    ['an overflowing value', 'timestamp,value\n2024-03-01 00:00:00,1e400\n', /bad value "1e400"/],
    ['an empty value', 'timestamp,value\n2024-03-01 00:00:00,\n', /x\.csv:2: bad value ""/],
    ['a thousands separator', 'timestamp,value\n2024-03-01 00:00:00,"1,000"\n', /bad value "1,000"/],
    ['unsorted rows', 'timestamp,value\n2024-03-01 00:05:00,1\n2024-03-01 00:00:00,2\n', /x\.csv:3: timestamp 2024-03-01 00:00:00 is earlier than the previous row's \(line 2\)/],
    ['too many cells', 'timestamp,value\n2024-03-01 00:00:00,1,2\n', /x\.csv:2: expected 2 columns as in the header, got 3/],
    ['too few cells', 'timestamp,value\n2024-03-01 00:00:00\n', /x\.csv:2: expected 2 columns/],
    ['an open quote', 'timestamp,value\n"2024-03-01 00:00:00,1\n', /x\.csv:2: unterminated quote/],
  ])('refuses %s', (_name, text, error) => {
    expect(() => parseSeriesCsv(text, 'x.csv')).toThrow(error);
  });

  it('never fails any other way on randomly damaged files (seeded)', () => {
    const good = ['timestamp,value,host', ...Array.from({ length: 30 }, (_, i) => `${new Date(T0 + i * 60_000).toISOString()},${(i * 1.25).toFixed(2)},h${i}`)].join('\n');
    const junk = ['', ',', '"', '\r', '\n', '-', 'e', '9', ':', 'T', ' ', '\u0000', '\uFEFF', 'é', '1e999', 'NaN'];
    const rng = createPrng(42);
    let refused = 0;
    for (let k = 0; k < 2000; k++) {
      let text = good;
      for (let m = 0; m <= Math.floor(rng.next() * 3); m++) {
        const at = Math.floor(rng.next() * text.length);
        const op = rng.next();
        if (op < 0.4) text = text.slice(0, at) + junk[Math.floor(rng.next() * junk.length)] + text.slice(at);
        else if (op < 0.7) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(rng.next() * 20));
        else {
          const lines = text.split('\n');
          const a = Math.floor(rng.next() * lines.length);
          const b = Math.floor(rng.next() * lines.length);
          [lines[a], lines[b]] = [lines[b], lines[a]];
          text = lines.join('\n');
        }
      }
      try {
        const csv = parseSeriesCsv(text, 'fuzz.csv');
        // what it accepts is consistent: finite values, time order, one line per row
        expect(csv.values.every(Number.isFinite)).toBe(true);
        for (let i = 1; i < csv.timestamps.length; i++) expect(csv.timestamps[i]).toBeGreaterThanOrEqual(csv.timestamps[i - 1]);
        expect(csv.lines).toHaveLength(csv.values.length);
      } catch (err) {
        refused++;
        expect(err).toBeInstanceOf(VigilError);
        expect((err as Error).message).toMatch(/^fuzz\.csv:\d+: /);
      }
    }
    expect(refused).toBeGreaterThan(500); // the damage is real: most files are refused
  });
});
