/**
 * RowBinary encoding of `points` rows (ClickHouse's native row format over HTTP, read by 18.16):
 * what the pipeline inserts most of, written straight into one Buffer per batch instead of a
 * row object and a JSON line per point. Pure; the column list is POINT_COLUMNS, in the order
 * of the bytes, and the JSONEachRow mapping in rows.ts stays the reference (a unit test decodes
 * these bytes back and compares them with pointRow).
 *
 * Types: String = LEB128 byte length + UTF-8; DateTime = UInt32 LE epoch seconds; UInt32/UInt64
 * little-endian; Float64 IEEE-754 LE; Array(String) = LEB128 count + strings.
 */
import { VigilError } from '../../core/errors.ts';
import type { ScoredPoint } from '../../schemas/records.ts';

export const POINT_COLUMNS = [
  'source',
  'metric',
  'timestamp',
  'timestamp_ms',
  'value',
  'mean',
  'std',
  'zscore',
  'anomaly_score',
  'tag_keys',
  'tag_values',
  'kafka_partition',
  'kafka_offset',
  'ingested_at',
] as const;

const finite = (n: number) => (Number.isFinite(n) ? n : 0);
const TWO_32 = 2 ** 32;

function unencodable(what: string, value: unknown): never {
  throw new VigilError(`point cannot be stored: ${what} ${JSON.stringify(String(value))}`, {
    code: 'UNENCODABLE_POINT',
    action: 'points reach storage only after validation (integer epoch-ms timestamps, decimal offsets); this is a bug in the caller',
  });
}

class Writer {
  buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  ensure(n: number) {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  varint(n: number) {
    this.ensure(5);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.pos++] = n;
  }
  string(s: string) {
    const len = Buffer.byteLength(s, 'utf8');
    this.varint(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, len, 'utf8');
  }
  u32(n: number) {
    this.ensure(4);
    this.pos = this.buf.writeUInt32LE(n, this.pos);
  }
  /** A non-negative safe integer as UInt64 (two 32-bit halves: no BigInt per value). */
  u64(n: number) {
    this.ensure(8);
    this.buf.writeUInt32LE(n % TWO_32, this.pos);
    this.pos = this.buf.writeUInt32LE(Math.floor(n / TWO_32), this.pos + 4);
  }
  f64(n: number) {
    this.ensure(8);
    this.pos = this.buf.writeDoubleLE(n, this.pos);
  }
}

const seconds = (ms: number) => Math.floor(ms / 1000);

function u64Decimal(w: Writer, s: string) {
  // Kafka offsets are int64 decimal strings; below 2^53 they are exact as numbers.
  const n = Number(s);
  if (Number.isSafeInteger(n) && n >= 0 && /^\d+$/.test(s)) return w.u64(n);
  if (!/^\d+$/.test(s)) unencodable('offset', s);
  const big = BigInt(s);
  if (big >= 1n << 64n) unencodable('offset', s);
  w.ensure(8);
  w.pos = w.buf.writeBigUInt64LE(big, w.pos);
}

/** The points of one batch as RowBinary rows in POINT_COLUMNS order. */
export function pointsRowBinary(points: readonly ScoredPoint[], ingestedAtMs: number): Buffer {
  const w = new Writer(points.length * 128 + 64);
  const ingested = seconds(ingestedAtMs);
  for (const p of points) {
    if (!Number.isSafeInteger(p.timestamp) || p.timestamp < 0 || p.timestamp / 1000 >= TWO_32) unencodable('timestamp', p.timestamp);
    w.string(p.source);
    w.string(p.metric);
    w.u32(seconds(p.timestamp));
    w.u64(p.timestamp);
    w.f64(p.value);
    w.f64(finite(p.mean));
    w.f64(finite(p.std));
    w.f64(finite(p.zscore));
    w.f64(finite(p.anomalyScore));
    const keys = Object.keys(p.tags);
    if (keys.length > 1) keys.sort();
    w.varint(keys.length);
    for (const k of keys) w.string(k);
    w.varint(keys.length);
    for (const k of keys) w.string(p.tags[k]);
    w.u32(p.partition);
    u64Decimal(w, p.offset);
    w.u32(ingested);
  }
  return w.buf.subarray(0, w.pos);
}
