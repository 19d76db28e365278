import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pointRow, type PointRow } from '../../../pipeline/storage/rows.ts';
import { POINT_COLUMNS, pointsRowBinary } from '../../../pipeline/storage/row-binary.ts';
import { ddlColumns, point } from './points-fixture.ts';
import type { ScoredPoint } from '../../../schemas/records.ts';

/** A RowBinary reader for the points columns: the test's own, written from the format's spec. */
function decodePoints(buf: Buffer): PointRow[] {
  let pos = 0;
  const varint = () => {
    let n = 0;
    let shift = 0;
    for (;;) {
      const b = buf[pos++];
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return n;
      shift += 7;
    }
  };
  const str = () => {
    const len = varint();
    const s = buf.toString('utf8', pos, pos + len);
    pos += len;
    return s;
  };
  const u32 = () => {
    const v = buf.readUInt32LE(pos);
    pos += 4;
    return v;
  };
  const u64 = () => {
    const v = buf.readBigUInt64LE(pos);
    pos += 8;
    return v;
  };
  const f64 = () => {
    const v = buf.readDoubleLE(pos);
    pos += 8;
    return v;
  };
  const strings = () => Array.from({ length: varint() }, str);
  const rows: PointRow[] = [];
  while (pos < buf.length) {
    rows.push({
      source: str(),
      metric: str(),
      timestamp: u32(),
      timestamp_ms: Number(u64()),
      value: f64(),
      mean: f64(),
      std: f64(),
      zscore: f64(),
      anomaly_score: f64(),
      tag_keys: strings(),
      tag_values: strings(),
      kafka_partition: u32(),
      kafka_offset: String(u64()),
      ingested_at: u32(),
    });
  }
  expect(pos).toBe(buf.length);
  return rows;
}

describe('points as RowBinary', () => {
  it('names exactly the DDL columns of points, in DDL order', () => {
    expect([...POINT_COLUMNS]).toEqual(ddlColumns('points'));
  });

  it('decodes to the same row as the JSONEachRow mapping (int64 offsets past 2^53, NaN stored as 0, sorted tags)', () => {
    const [row] = decodePoints(pointsRowBinary([point], 1_764_000_001_999));
    expect(row).toEqual(pointRow(point, 1_764_000_001_999));
    expect(row.kafka_offset).toBe('9007199254740993');
    expect(row.zscore).toBe(0);
  });

  it('any valid point round-trips like pointRow (property)', () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    const arb = fc.record({
      source: text,
      metric: text,
      value: fc.double({ noNaN: true, noDefaultInfinity: true }),
      timestamp: fc.integer({ min: 946_684_800_000, max: 4_102_444_800_000 }),
      tags: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }).filter((k) => k !== '__proto__'), text, { maxKeys: 5 }),
      partition: fc.nat({ max: 2 ** 32 - 1 }),
      offset: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String),
      mean: fc.double(),
      std: fc.double(),
      zscore: fc.double(),
      anomalyScore: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(arb, { maxLength: 20 }), (points) => {
        const rows = decodePoints(pointsRowBinary(points, 1_800_000_000_000));
        expect(rows).toEqual(points.map((p) => pointRow(p, 1_800_000_000_000)));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses what validation never lets through instead of storing a wrong value', () => {
    expect(() => pointsRowBinary([{ ...point, timestamp: 1.5 }], 0)).toThrow(/timestamp/);
    expect(() => pointsRowBinary([{ ...point, timestamp: -1 }], 0)).toThrow(/timestamp/);
    expect(() => pointsRowBinary([{ ...point, offset: '-1' }], 0)).toThrow(/offset/);
    expect(() => pointsRowBinary([{ ...point, offset: '1e3' }], 0)).toThrow(/offset/);
    expect(() => pointsRowBinary([{ ...point, offset: String(2n ** 64n) }], 0)).toThrow(/offset/);
  });

  it('grows past its first guess for long strings', () => {
    const long = { ...point, source: 'x'.repeat(10_000), tags: { k: 'é'.repeat(3000) } };
    expect(decodePoints(pointsRowBinary([long, point], 0))).toEqual([pointRow(long, 0), pointRow(point, 0)]);
  });
});
