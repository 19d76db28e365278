/**
 * Hostile CSV at scale (issue #12): generated `vigil detect` series files (pipeline/offline)
 * and NAB replay files (`vigil produce --csv`, pipeline/loadgen), valid and mutated. A valid
 * file is read exactly; anything else fails the whole file with a VigilError naming the file
 * and line and saying what to do — never another exception, never a silently skipped row.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { VigilError } from '../../../core/errors.ts';
import { parseNabCsv } from '../../../pipeline/loadgen/csv.ts';
import { parseSeriesCsv } from '../../../pipeline/offline/series-csv.ts';
import { FUZZ_TEST_TIMEOUT_MS, expectBudgetTried, reportFuzz, runs, tried } from '../../support/fuzz.ts';

vi.setConfig({ testTimeout: FUZZ_TEST_TIMEOUT_MS });

afterAll(() => {
  reportFuzz('csv-import');
});

const FILE = 'fuzz.csv';
const T0 = Date.UTC(2014, 3, 1);

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
function utcText(ms: number, style: number): string {
  const d = new Date(ms);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  switch (style) {
    case 0:
      return `${date} ${time}`;
    case 1:
      return `${date}T${time}Z`;
    case 2:
      return `${date}T${time}.${pad(d.getUTCMilliseconds(), 3)}+00:00`;
    case 3:
      return String(Math.floor(ms / 1000)); // epoch seconds
    default:
      return String(ms); // epoch ms
  }
}
/** Whole seconds unless the style carries milliseconds. */
const exactMs = (ms: number, style: number) => (style === 2 || style === 4 ? ms : Math.floor(ms / 1000) * 1000);

const valueTextArb = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }).map((v) => String(v)),
  fc.constantFrom('0', '-0', '+1', '.5', '5.', '1e3', '-2.5E-3'),
);

interface GeneratedCsv {
  text: string;
  timestamps: number[];
  values: number[];
}

/** A valid series file: extra columns, any column order, quoting, BOM, CRLF, blank lines. */
const seriesCsvArb: fc.Arbitrary<GeneratedCsv> = fc
  .record({
    steps: fc.array(fc.integer({ min: 0, max: 3_600_000 }), { minLength: 1, maxLength: 30 }),
    values: fc.array(valueTextArb, { minLength: 30, maxLength: 30 }),
    style: fc.nat(4),
    order: fc.constantFrom(['timestamp', 'value'], ['value', 'timestamp'], ['timestamp', 'label', 'value'], ['Value', 'note', 'TIMESTAMP']),
    crlf: fc.boolean(),
    bom: fc.boolean(),
    quote: fc.boolean(),
    blank: fc.boolean(),
  })
  .map(({ steps, values, style, order, crlf, bom, quote, blank }) => {
    let t = T0;
    const timestamps: number[] = [];
    const rows: string[] = [];
    const nums: number[] = [];
    steps.forEach((step, i) => {
      t += step;
      timestamps.push(exactMs(t, style));
      nums.push(Number(values[i]));
      const cells = order.map((c) => {
        const lower = c.toLowerCase();
        if (lower === 'timestamp') return quote ? `"${utcText(t, style)}"` : utcText(t, style);
        if (lower === 'value') return values[i];
        return quote ? `"a, ""b"""` : `x${i}`;
      });
      rows.push(cells.join(','));
      if (blank && i % 7 === 3) rows.push('');
    });
    const eol = crlf ? '\r\n' : '\n';
    return { text: `${bom ? '\uFEFF' : ''}${order.join(',')}${eol}${rows.join(eol)}${eol}`, timestamps, values: nums };
  });

/** A valid file with one edit somewhere (which may or may not break it). */
const mutatedCsvArb = fc.tuple(seriesCsvArb, fc.nat(), fc.nat(7), fc.string({ unit: 'binary', maxLength: 6 })).map(([csv, at, how, junk]) => {
  const text = csv.text;
  const i = at % (text.length + 1);
  switch (how) {
    case 0:
      return text.slice(0, i) + text.slice(i + 1);
    case 1:
      return text.slice(0, i) + junk + text.slice(i);
    case 2:
      return text.slice(0, i) + '"' + text.slice(i);
    case 3:
      return text.slice(0, i) + ',' + text.slice(i);
    case 4:
      return text.slice(0, i) + '\n' + text.slice(i);
    case 5: {
      const lines = text.split('\n');
      const a = 1 + (at % Math.max(1, lines.length - 1));
      [lines[a], lines[1]] = [lines[1], lines[a]];
      return lines.join('\n');
    }
    case 6:
      return text.slice(0, i);
    default:
      return text.replace(/\d/, (d) => String((Number(d) + 5) % 10));
  }
});

const noiseArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.array(fc.constantFrom('timestamp', 'value', ',', '"', '\n', '\r\n', '2014-01-01 00:00:00', '1', 'NaN', 'Infinity', '1e999', '2014-02-30 00:00:00', '2014-01-01 24:00:00', '0099-01-01 00:00:00', '123456789', '\uFEFF', ' '), { maxLength: 24 }).map((p) => p.join('')),
);

/** Either a result, or a VigilError naming the file and a line, with an action. Nothing else. */
function readOrExplain<T>(read: () => T, lineCount: number): T | null {
  try {
    return read();
  } catch (err) {
    expect(err, String(err)).toBeInstanceOf(VigilError);
    const e = err as VigilError;
    const m = /^fuzz\.csv:(\d+): \S/.exec(e.message);
    expect(m, e.message).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(1);
    expect(Number(m![1])).toBeLessThanOrEqual(lineCount + 1);
    expect(e.action?.length ?? 0).toBeGreaterThan(0);
    return null;
  }
}

function expectSane(read: { timestamps: ArrayLike<number>; values: ArrayLike<number> }): void {
  expect(read.timestamps.length).toBeGreaterThan(0);
  expect(read.values.length).toBe(read.timestamps.length);
  for (let i = 0; i < read.values.length; i++) {
    expect(Number.isFinite(read.values[i])).toBe(true);
    expect(Number.isFinite(read.timestamps[i])).toBe(true);
    if (i > 0) expect(read.timestamps[i]).toBeGreaterThanOrEqual(read.timestamps[i - 1]);
  }
}

describe('vigil detect CSV (series files), generated', () => {
  it('reads every valid file exactly', () => {
    fc.assert(
      fc.property(seriesCsvArb, (csv) => {
        tried('csv-import');
        const read = parseSeriesCsv(csv.text, FILE);
        expect(Array.from(read.timestamps)).toEqual(csv.timestamps);
        expect(Array.from(read.values)).toEqual(csv.values);
      }),
      runs('csv-import', 0.25),
    );
  });

  it('reads a mutated or random file sanely, or refuses it with file, line and action', () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 3, arbitrary: mutatedCsvArb }, { weight: 1, arbitrary: noiseArb }), (text) => {
        tried('csv-import');
        const read = readOrExplain(() => parseSeriesCsv(text, FILE), text.split('\n').length);
        if (read) expectSane(read);
      }),
      runs('csv-import', 0.45),
    );
  });
});

describe('NAB replay CSV (vigil produce --csv), generated', () => {
  const nabArb = seriesCsvArb.filter((c) => !c.text.includes('"')).map((c) => c.text.replace(/^\uFEFF?[^\n]*/, 'timestamp,value').replace(/,x\d+|,note|,label/g, ''));

  it('refuses what it cannot read with file, line and action, and agrees with the series reader on sorted files', () => {
    fc.assert(
      fc.property(fc.oneof(nabArb, mutatedCsvArb, noiseArb), (text) => {
        tried('csv-import');
        const nab = readOrExplain(() => parseNabCsv(text, FILE), text.split(/\r?\n/).length);
        if (!nab) return;
        const timestamps = nab.points.map((p) => p.timestamp);
        const values = nab.points.map((p) => p.value);
        for (const v of values) expect(Number.isFinite(v)).toBe(true);
        const sorted = timestamps.every((t, i) => i === 0 || t >= timestamps[i - 1]);
        if (!sorted) return;
        const series = parseSeriesCsv(text, FILE);
        expect(Array.from(series.timestamps)).toEqual(timestamps);
        expect(Array.from(series.values)).toEqual(values);
      }),
      runs('csv-import', 0.3),
    );
  });
});

it('tried every input of the budget', () => {
  expectBudgetTried('csv-import');
});
