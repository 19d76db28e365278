import { describe, expect, it } from 'vitest';
import { frameSingleObject } from '../../../pipeline/codec/framing.ts';
import { decodeMetricRecord } from '../../../pipeline/ingest/decode-record.ts';
import { validateMetricPoint } from '../../../pipeline/ingest/validate.ts';
import { getSchemaRegistry } from '../../../schemas/avro/registry.ts';

const NOW = Date.UTC(2024, 5, 1);
const limits = { maxTagCount: 32, maxTagBytes: 2048, maxFutureSkewMs: 86_400_000, nowMs: NOW };
const good = { source: 'api', metric: 'cpu_usage', value: 41.5, timestamp: NOW - 5000, tags: { host: 'h1' } };

describe('validateMetricPoint', () => {
  it('accepts a valid point and returns a fresh copy; tags default to {}', () => {
    const input = JSON.parse(JSON.stringify(good));
    const result = validateMetricPoint(input, limits);
    expect(result).toEqual({ ok: true, point: good });
    if (result.ok) {
      expect(result.point).not.toBe(input);
      expect(result.point.tags).not.toBe(input.tags);
    }
    const { tags: _t, ...noTags } = good;
    expect(validateMetricPoint(noTags, limits)).toEqual({ ok: true, point: { ...noTags, tags: {} } });
  });

  it('rejects strings for numbers instead of coercing them', () => {
    const result = validateMetricPoint({ ...good, value: '41.5', timestamp: '2024-06-01T00:00:00Z' }, limits);
    expect(result).toEqual({
      ok: false,
      errors: ['value: must be a number, got string', 'timestamp: must be epoch milliseconds (a number), got string'],
      reasons: ['invalid-value', 'invalid-timestamp'],
    });
  });

  it('rejects 1e309 (parsed as Infinity), NaN-ish and negative or fractional timestamps', () => {
    const parsed = JSON.parse(`{"source":"a","metric":"b","value":1e309,"timestamp":${NOW}}`);
    expect(validateMetricPoint(parsed, limits)).toMatchObject({ ok: false, reasons: ['invalid-value'] });
    expect(validateMetricPoint({ ...good, value: -1e309 }, limits)).toMatchObject({ ok: false, reasons: ['invalid-value'] });
    expect(validateMetricPoint({ ...good, timestamp: -1 }, limits)).toMatchObject({ ok: false, errors: [expect.stringMatching(/before 2000/)] });
    expect(validateMetricPoint({ ...good, timestamp: NOW + 0.5 }, limits)).toMatchObject({ ok: false, errors: [expect.stringMatching(/not an integer/)] });
    expect(validateMetricPoint({ ...good, timestamp: 1e300 }, limits)).toMatchObject({ ok: false, reasons: ['invalid-timestamp'] });
    expect(validateMetricPoint({ ...good, timestamp: NOW + 86_400_001 }, limits)).toMatchObject({ ok: false, errors: [expect.stringMatching(/future/)] });
  });

  it('rejects __proto__ / constructor tag keys without polluting any prototype', () => {
    const parsed = JSON.parse(`{"source":"a","metric":"b","value":1,"timestamp":${NOW},"tags":{"__proto__":{"polluted":"yes"},"x":"1"}}`);
    const result = validateMetricPoint(parsed, limits);
    expect(result).toMatchObject({ ok: false, reasons: ['invalid-tags'], errors: ['tags.__proto__: is a reserved key'] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    const top = JSON.parse(`{"__proto__":{"admin":true},"source":"a","metric":"b","value":1,"timestamp":${NOW}}`);
    expect(validateMetricPoint(top, limits)).toMatchObject({ ok: false, errors: ['__proto__: is not a MetricPoint field'] });
    expect(validateMetricPoint({ ...good, tags: { constructor: 'x' } }, limits)).toMatchObject({ ok: false, reasons: ['invalid-tags'] });
  });

  it('rejects 10k tags quickly with the limit in the message', () => {
    const tags: Record<string, string> = {};
    for (let i = 0; i < 10_000; i++) tags[`k${i}`] = 'v';
    expect(validateMetricPoint({ ...good, tags }, limits)).toEqual({ ok: false, errors: ['tags: more than 32 tags'], reasons: ['oversize-tags'] });
    expect(validateMetricPoint({ ...good, tags: { big: 'x'.repeat(3000) } }, limits)).toMatchObject({ ok: false, reasons: ['oversize-tags'] });
  });

  it('rejects non-string tag values and non-object tags', () => {
    expect(validateMetricPoint({ ...good, tags: { n: 5 } }, limits)).toMatchObject({ ok: false, errors: ['tags.n: must be a string, got number'] });
    expect(validateMetricPoint({ ...good, tags: { o: { nested: 'x' } } }, limits)).toMatchObject({ ok: false, reasons: ['invalid-tags'] });
    expect(validateMetricPoint({ ...good, tags: ['a'] }, limits)).toMatchObject({ ok: false, errors: ['tags: must be an object of strings, got array'] });
    expect(validateMetricPoint({ ...good, tags: null }, limits)).toMatchObject({ ok: false, reasons: ['invalid-tags'] });
  });

  it('rejects non-objects and lists every problem of an item', () => {
    for (const input of [null, undefined, 42, 'point', [good], true]) {
      expect(validateMetricPoint(input, limits)).toMatchObject({ ok: false, errors: [expect.stringMatching(/^\(item\): must be an object/)] });
    }
    const result = validateMetricPoint({ source: 'a/b', metric: '', value: Number.NaN, timestamp: 5, extra: 1 }, limits);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reasons.sort()).toEqual(['decode-error', 'invalid-metric', 'invalid-source', 'invalid-timestamp', 'invalid-value']);
      expect(result.errors).toContain("source: must not contain '/' (it separates source and metric in the series id)");
      expect(result.errors).toContain('extra: is not a MetricPoint field');
    }
    expect(validateMetricPoint({}, limits)).toMatchObject({ ok: false, reasons: ['invalid-source', 'invalid-metric', 'invalid-value', 'invalid-timestamp'] });
  });

  it('lists every semantic problem when the types are all right, with complete or partial limits', () => {
    const bad = { source: 'a/b', metric: '', value: Number.POSITIVE_INFINITY, timestamp: 1.5, tags: { __proto__x: 'ok', k: 'x'.repeat(3000) } };
    for (const l of [limits, {}, { maxTagBytes: 100 }]) {
      const result = validateMetricPoint(bad, l);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reasons.sort()).toEqual(['invalid-metric', 'invalid-source', 'invalid-timestamp', 'invalid-value', 'oversize-tags']);
    }
    // Partial limits take "now" from the clock: a point 2 days ahead is refused by the default skew.
    expect(validateMetricPoint({ ...good, timestamp: Date.now() + 2 * 86_400_000 }, {})).toMatchObject({ ok: false, reasons: ['invalid-timestamp'] });
    expect(validateMetricPoint({ ...good, timestamp: Date.now() + 2 * 86_400_000 }, { maxFutureSkewMs: 3 * 86_400_000 })).toMatchObject({ ok: true });
  });

  it('uses config defaults when no limits are given', () => {
    expect(validateMetricPoint({ ...good, timestamp: Date.now() }).ok).toBe(true);
    const tags = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']));
    expect(validateMetricPoint({ ...good, timestamp: Date.now(), tags })).toMatchObject({ ok: false, reasons: ['oversize-tags'] });
  });
});

describe('JSON and Avro paths agree', () => {
  const entry = getSchemaRegistry().latest('io.vigil.MetricPoint');
  const variants: Array<Record<string, unknown>> = [
    good,
    { ...good, source: '' },
    { ...good, source: 'a/b' },
    { ...good, metric: 'x'.repeat(300) },
    { ...good, value: Number.NaN },
    { ...good, value: Number.NEGATIVE_INFINITY },
    { ...good, timestamp: Date.UTC(1990, 0, 1) },
    { ...good, timestamp: NOW + 2 * 86_400_000 },
    { ...good, tags: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'])) },
    { ...good, tags: { prototype: 'p' } },
    { ...good, tags: { 'tab\tkey': 'v' } },
  ];
  it.each(variants.map((v, i) => [i, v] as const))('variant %i gets the same verdict', (_i, point) => {
    const json = validateMetricPoint(point, limits);
    const key = Buffer.from(`${point.source}/${point.metric}`);
    const avro = decodeMetricRecord({ key, value: frameSingleObject(entry.fingerprint, entry.type.toBuffer(point)) }, limits);
    expect(avro.ok).toBe(json.ok);
    if (!avro.ok && !json.ok) expect(json.reasons).toEqual([avro.reason]);
  });
});
