import { describe, expect, it } from 'vitest';
import { encodeEvent } from '../../../pipeline/codec/events.ts';
import { frameConfluent, frameSingleObject } from '../../../pipeline/codec/framing.ts';
import { decodeMetricRecord, toDlqMessage, DLQ_HEADERS } from '../../../pipeline/ingest/decode-record.ts';
import { DLQ_REASON_CODES } from '../../../pipeline/ingest/reasons.ts';
import { getSchemaRegistry } from '../../../schemas/avro/registry.ts';
import type { MetricPoint } from '../../../schemas/records.ts';
import { varint } from '../../support/avro-bytes.ts';

const NOW = Date.UTC(2024, 5, 1);
const limits = { maxTagCount: 4, maxTagBytes: 64, maxFutureSkewMs: 60_000, nowMs: NOW };
const entry = getSchemaRegistry().latest('io.vigil.MetricPoint');
const good: MetricPoint = { source: 'checkout', metric: 'response_time', value: 212.5, timestamp: NOW - 1000, tags: { region: 'eu' } };

/** Encode with avsc directly so tests can write points our encoder would refuse. */
function raw(point: Partial<MetricPoint> & Record<string, unknown>): Buffer {
  return frameSingleObject(entry.fingerprint, entry.type.toBuffer({ ...good, ...point }));
}
function msg(value: Buffer | null, key: string | Buffer | null = 'checkout/response_time') {
  return { key: typeof key === 'string' ? Buffer.from(key) : key, value };
}
const str = (s: string) => Buffer.concat([varint(Buffer.byteLength(s)), Buffer.from(s)]);
const dbl = (d: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(d);
  return b;
};
/** Hand-built MetricPoint body: source, metric, value, timestamp, then raw tag bytes. */
function body(source: Buffer, metric: Buffer, tagBytes: Buffer, value = dbl(1), ts = varint(NOW)): Buffer {
  return frameSingleObject(entry.fingerprint, Buffer.concat([source, metric, value, ts, tagBytes]));
}

describe('decodeMetricRecord: accepted records', () => {
  it('decodes a single-object record with its series id', () => {
    const result = decodeMetricRecord(msg(encodeEvent('metric', good)), limits);
    expect(result).toEqual({ ok: true, point: { ...good }, seriesId: 'checkout/response_time' });
  });
  it('decodes a Confluent-framed record', () => {
    const result = decodeMetricRecord(msg(frameConfluent(entry.id, entry.type.toBuffer(good))), limits);
    expect(result.ok).toBe(true);
  });
  it('accepts the boundary values', () => {
    const edge = { source: 's'.repeat(256), metric: 'é'.repeat(128), timestamp: NOW + 60_000, value: -Number.MAX_VALUE };
    const result = decodeMetricRecord(msg(raw(edge), `${edge.source}/${edge.metric}`), limits);
    expect(result.ok).toBe(true);
    expect(decodeMetricRecord(msg(raw({ timestamp: Date.UTC(2000, 0, 1) })), limits).ok).toBe(true);
    // Exactly 64 bytes of tags (the limit), ASCII and two-byte UTF-8.
    expect(decodeMetricRecord(msg(raw({ tags: { a: 'x'.repeat(62), b: '' } })), limits).ok).toBe(true);
    expect(decodeMetricRecord(msg(raw({ tags: { é: 'é'.repeat(31) } })), limits).ok).toBe(true);
  });
});

describe('decodeMetricRecord: every DLQ reason', () => {
  const cases: Array<[string, ReturnType<typeof msg>, string, RegExp?]> = [
    ['null value (tombstone)', msg(null), 'tombstone'],
    ['null key', msg(raw({}), null), 'missing-key'],
    ['empty key', msg(raw({}), Buffer.alloc(0)), 'missing-key'],
    ['empty value', msg(Buffer.alloc(0)), 'bad-framing', /empty/],
    ['JSON instead of Avro', msg(Buffer.from('{"source":"a"}')), 'bad-framing', /magic byte 7B/],
    ['C3 02', msg(Buffer.from('c302000000000000000000', 'hex')), 'bad-framing', /C3 01/],
    ['header cut short', msg(raw({}).subarray(0, 6)), 'bad-framing', /10 bytes/],
    ['Confluent header cut short', msg(Buffer.from([0, 0, 1])), 'bad-framing'],
    ['unknown fingerprint', msg(Buffer.concat([Buffer.from('c3010102030405060708', 'hex'), raw({}).subarray(10)])), 'unknown-schema', /0102030405060708/],
    ['unknown Confluent id', msg(frameConfluent(4242, entry.type.toBuffer(good))), 'unknown-schema', /4242/],
    ['an AlertEvent on the metrics topic', msg(encodeEvent('live', { source: 's', metric: 'm', timestamp: 1, value: 1, mean: 1, std: 1, zscore: 0, anomalyScore: 0 })), 'incompatible-schema'],
    ['truncated body', msg(raw({}).subarray(0, raw({}).length - 2)), 'decode-error'],
    ['trailing bytes', msg(Buffer.concat([raw({}), Buffer.from([1, 2])])), 'decode-error', /2 bytes after/],
    ['header only', msg(raw({}).subarray(0, 10)), 'decode-error'],
    ['string length 2^40 in an 80-byte record', msg(body(Buffer.concat([varint(2 ** 40), Buffer.from('ab')]), str('m'), varint(0))), 'decode-error', /declares 1099511627776 bytes/],
    ['negative string length', msg(body(varint(-5), str('m'), varint(0))), 'decode-error', /negative length/],
    ['map block of 2^50 entries', msg(body(str('checkout'), str('response_time'), Buffer.concat([varint(2 ** 50), str('k'), str('v'), varint(0)]))), 'decode-error', /items/],
    ['negative map block with a huge byte size', msg(body(str('checkout'), str('response_time'), Buffer.concat([varint(-1), varint(2 ** 45), str('k'), str('v'), varint(0)]))), 'decode-error'],
    ['11-byte varint', msg(body(str('checkout'), str('response_time'), varint(0), dbl(1), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))), 'decode-error', /longer than 10/],
    ['timestamp beyond 2^53', msg(body(str('checkout'), str('response_time'), varint(0), dbl(1), Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))), 'decode-error'],
    ['invalid UTF-8 in source', msg(body(Buffer.concat([varint(2), Buffer.from([0xc3, 0x28])]), str('m'), varint(0))), 'decode-error', /UTF-8/],
    ['__proto__ tag in the Avro map', msg(body(str('checkout'), str('response_time'), Buffer.concat([varint(1), str('__proto__'), str('x'), varint(0)]))), 'invalid-tags', /__proto__/],
    ['key of another series', msg(raw({}), 'checkout/error_rate'), 'key-mismatch', /checkout\/response_time/],
    ['key with a trailing space', msg(raw({}), 'checkout/response_time '), 'key-mismatch'],
    ['empty source', msg(raw({ source: '' }), '/response_time'), 'invalid-source', /empty/],
    ['source with a slash', msg(raw({ source: 'a/b' }), 'a/b/response_time'), 'invalid-source', /'\/'/],
    ['source with a NUL', msg(raw({ source: 'a\u0000b' }), 'a\u0000b/response_time'), 'invalid-source', /control/],
    ['source of 257 bytes', msg(raw({ source: 'x'.repeat(257) })), 'invalid-source', /256/],
    ['empty metric', msg(raw({ metric: '' }), 'checkout/'), 'invalid-metric'],
    ['metric of 86 three-byte chars', msg(raw({ metric: '€'.repeat(86) })), 'invalid-metric', /256/],
    ['NaN value', msg(raw({ value: Number.NaN })), 'invalid-value', /NaN/],
    ['+Infinity value', msg(raw({ value: Number.POSITIVE_INFINITY })), 'invalid-value'],
    ['-Infinity value', msg(raw({ value: Number.NEGATIVE_INFINITY })), 'invalid-value'],
    ['timestamp in 1999', msg(raw({ timestamp: Date.UTC(1999, 11, 31, 23, 59, 59, 999) })), 'invalid-timestamp', /before 2000/],
    ['negative timestamp', msg(raw({ timestamp: -1 })), 'invalid-timestamp'],
    ['timestamp past the skew', msg(raw({ timestamp: NOW + 60_001 })), 'invalid-timestamp', /future/],
    ['five tags (max 4)', msg(raw({ tags: { a: '1', b: '2', c: '3', d: '4', e: '5' } })), 'oversize-tags', /more than 4 tags/],
    ['tags over 64 bytes', msg(raw({ tags: { a: 'x'.repeat(64) } })), 'oversize-tags', /64 UTF-8 bytes/],
    ['tags one byte over 64', msg(raw({ tags: { a: 'x'.repeat(63), b: '' } })), 'oversize-tags', /64 UTF-8 bytes/],
    ['tags over 64 bytes in two-byte characters', msg(raw({ tags: { é: 'é'.repeat(32) } })), 'oversize-tags'],
    ['empty tag key', msg(raw({ tags: { '': 'x' } })), 'invalid-tags', /empty/],
    ['constructor tag key', msg(raw({ tags: { constructor: 'x' } })), 'invalid-tags', /reserved/],
  ];

  it.each(cases.map(([name, , reason], i) => [name, reason, i] as const))('%s → %s', (_name, reason, i) => {
    const [, message, , detail] = cases[i];
    const result = decodeMetricRecord(message, limits);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toBe(reason);
      if (detail) expect(result.detail).toMatch(detail);
    }
  });

  it('covers every documented reason', () => {
    expect(new Set(cases.map((c) => c[2]))).toEqual(new Set(DLQ_REASON_CODES));
  });
});

describe('decodeMetricRecord on random and mutated bytes', () => {
  // Deterministic PRNG so a failure is reproducible.
  let seed = 12345;
  const rand = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
  const valid = raw({ tags: { a: '1', b: '2' } });
  const header = valid.subarray(0, 10);

  it('never throws, always answers with a known reason, and stays small in memory', () => {
    const reasons = new Set<string>([...DLQ_REASON_CODES]);
    const seen = new Map<string, number>();
    const before = process.memoryUsage();
    for (let i = 0; i < 4000; i++) {
      let value: Buffer;
      switch (i % 4) {
        case 0: // pure noise
          value = randomBytes(Math.floor(rand() * 64));
          break;
        case 1: // a valid header, random body
          value = Buffer.concat([header, randomBytes(Math.floor(rand() * 80))]);
          break;
        case 2: { // a valid record with a few bytes flipped
          value = Buffer.from(valid);
          for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) value[10 + Math.floor(rand() * (value.length - 10))] = Math.floor(rand() * 256);
          break;
        }
        default: // a valid record cut anywhere
          value = valid.subarray(0, Math.floor(rand() * valid.length));
      }
      const key = rand() < 0.9 ? Buffer.from('checkout/response_time') : rand() < 0.5 ? null : randomBytes(8);
      let result;
      expect(() => (result = decodeMetricRecord({ key, value }, limits))).not.toThrow();
      const r = result as unknown as { ok: boolean; reason?: string };
      const label = r.ok ? 'ok' : r.reason!;
      if (!r.ok) expect(reasons.has(label), label).toBe(true);
      seen.set(label, (seen.get(label) ?? 0) + 1);
    }
    const after = process.memoryUsage();
    expect(after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers)).toBeLessThan(64 * 1024 * 1024);
    // The corpus exercised the decoder, not just the framing check.
    expect(seen.get('decode-error') ?? 0).toBeGreaterThan(100);
    expect(seen.get('bad-framing') ?? 0).toBeGreaterThan(100);
  });
});

describe('toDlqMessage', () => {
  it('keeps key and value byte for byte and adds the reason and origin headers', () => {
    const key = Buffer.from([0xff, 0x00, 0x01]);
    const value = Buffer.from([0xc3, 0x01, 0x99]);
    const original = { key, value, headers: { trace: Buffer.from('t-1'), multi: ['a', 'b'] }, timestamp: '1700000000000', offset: '41' };
    const dead = toDlqMessage(original, 'unknown-schema', 'x'.repeat(5000), { topic: 'vigil.metrics', partition: 3, offset: '41' });
    expect(dead.key).toBe(key);
    expect(dead.value).toBe(value);
    expect(Buffer.compare(dead.value as Buffer, Buffer.from([0xc3, 0x01, 0x99]))).toBe(0);
    expect(dead.timestamp).toBeUndefined();
    expect({ ...dead.headers }).toEqual({
      trace: Buffer.from('t-1'),
      multi: ['a', 'b'],
      [DLQ_HEADERS.reason]: 'unknown-schema',
      [DLQ_HEADERS.detail]: `${'x'.repeat(1000)}…`,
      [DLQ_HEADERS.topic]: 'vigil.metrics',
      [DLQ_HEADERS.partition]: '3',
      [DLQ_HEADERS.offset]: '41',
      [DLQ_HEADERS.timestamp]: '1700000000000',
    });
  });
  it('keeps a header named __proto__ as an ordinary header and handles null key/value', () => {
    const headers = JSON.parse('{"__proto__": "evil", "ok": "1"}');
    const dead = toDlqMessage({ key: null, value: null, headers }, 'tombstone', 'null value', { topic: 't', partition: 0, offset: '0' });
    expect(dead.key).toBeNull();
    expect(dead.value).toBeNull();
    expect(Object.keys(dead.headers!)).toContain('__proto__');
    expect(dead.headers!['__proto__' as string]).toBe('evil');
    expect(({} as Record<string, unknown>).evil).toBeUndefined();
  });
});
