/**
 * Hostile Avro records at scale (issue #12): generated points, and truncated, bit-flipped,
 * length-lying and random bodies of valid records, in both framings (single-object and
 * Confluent). The decoder must never throw, must explain every refusal with a DLQ reason and
 * a detail, must never let through a point the HTTP validator would refuse, and must agree
 * with the HTTP validator on every well-formed point (both paths share one set of checks).
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { frameConfluent, frameSingleObject } from '../../../pipeline/codec/framing.ts';
import { createEventCodec, EVENT_SCHEMA_NAMES, type EventKind } from '../../../pipeline/codec/events.ts';
import { decodeMetricRecord, DLQ_HEADERS, toDlqMessage, type DecodeMetricResult } from '../../../pipeline/ingest/decode-record.ts';
import { DLQ_REASON_CODES } from '../../../pipeline/ingest/reasons.ts';
import { commandFromRecord } from '../../../pipeline/runtime/commands.ts';
import { validateMetricPoint } from '../../../pipeline/ingest/validate.ts';
import { getSchemaRegistry, type SchemaEntry } from '../../../schemas/avro/registry.ts';
import type { MetricPoint } from '../../../schemas/records.ts';
import { isWellFormedText } from '../../../schemas/text.ts';
import { varint } from '../../support/avro-bytes.ts';
import { FUZZ_TEST_TIMEOUT_MS, expectBudgetTried, reportFuzz, runs, tried } from '../../support/fuzz.ts';

vi.setConfig({ testTimeout: FUZZ_TEST_TIMEOUT_MS });

const NOW = Date.UTC(2025, 5, 1, 12);
const limits = { maxTagCount: 8, maxTagBytes: 256, maxFutureSkewMs: 60_000, nowMs: NOW };
const registry = getSchemaRegistry();
const METRIC = registry.latest('io.vigil.MetricPoint');
const REASONS = new Set<string>(DLQ_REASON_CODES);

afterAll(() => {
  reportFuzz('avro-metrics');
  reportFuzz('avro-events');
});

// ---------------------------------------------------------------------------------------------
// Generators

/** Names as producers really send them, plus every way one can be wrong. */
/** Cheap realistic names (fc.stringMatching costs ~10× more per value). */
const wordArb = fc.tuple(fc.constantFrom('checkout', 'api', 'db-1', 'web.eu', 'cpu_usage', 'p99', 'x', 'queue.depth'), fc.nat(999)).map(([w, n]) => `${w}${n}`);
const nameArb = fc.oneof(
  { weight: 6, arbitrary: wordArb },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 90 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.integer({ min: 250, max: 262 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 84, max: 88 }).map((n) => '€'.repeat(n)) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 5 }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string({ maxLength: 5 })).map(([a, c, b]) => a + String.fromCharCode(c) + b) },
  { weight: 1, arbitrary: fc.constantFrom('', '/', 'a/b', 'a\u0000b', '\u007f', ' ', '\ufeff', '\ud83d\ude00') },
);

const tagKeyArb = fc.oneof(
  { weight: 6, arbitrary: wordArb },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '__proto__', 'constructor', 'prototype', 'toString', 'a\nb', '\udc00') },
);
const tagValueArb = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 120 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '\ud800', 'é'.repeat(130)) },
);
/** Own-property maps built with defineProperty semantics, so "__proto__" is a key, not a prototype. */
const tagsArb = fc.array(fc.tuple(tagKeyArb, tagValueArb), { maxLength: 10 }).map((pairs) => Object.fromEntries(pairs) as Record<string, string>);

const timestampArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: NOW - 30 * 86_400_000, max: NOW + 60_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(Date.UTC(2000, 0, 1), Date.UTC(2000, 0, 1) - 1, NOW + 60_000, NOW + 60_001, 0, -1) },
  { weight: 1, arbitrary: fc.maxSafeInteger().filter((n) => Math.abs(n) < 2 ** 53 - 1) },
);
const valueArb = fc.oneof({ weight: 5, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) }, { weight: 1, arbitrary: fc.double() });

const pointArb: fc.Arbitrary<MetricPoint> = fc.record({ source: nameArb, metric: nameArb, value: valueArb, timestamp: timestampArb, tags: tagsArb });

type FramingName = 'single-object' | 'confluent';
const framingArb = fc.constantFrom<FramingName>('single-object', 'confluent');

function frame(framing: FramingName, entry: SchemaEntry, body: Buffer): Buffer {
  return framing === 'confluent' ? frameConfluent(entry.id, body) : frameSingleObject(entry.fingerprint, body);
}

function keyOf(p: MetricPoint): Buffer {
  return Buffer.from(`${p.source}/${p.metric}`, 'utf8');
}

function wellFormed(p: MetricPoint): boolean {
  return [p.source, p.metric, ...Object.keys(p.tags), ...Object.values(p.tags)].every(isWellFormedText);
}

/** A point the decoder may accept without any check being weakened. */
function validPoint(p: MetricPoint): boolean {
  return wellFormed(p) && validateMetricPoint(p, limits).ok;
}

/** Valid by construction (filtering pointArb would throw most of them away). */
const validPointArb: fc.Arbitrary<MetricPoint> = fc
  .record({
    source: fc.oneof({ weight: 4, arbitrary: wordArb }, { weight: 1, arbitrary: fc.constantFrom('ü', 'サービス', 's'.repeat(256), '\ud83d\ude00') }),
    metric: fc.oneof({ weight: 4, arbitrary: wordArb }, { weight: 1, arbitrary: fc.constantFrom('é'.repeat(128), 'a b', 'm/n') }),
    value: fc.double({ noNaN: true, noDefaultInfinity: true }),
    timestamp: fc.integer({ min: Date.UTC(2000, 0, 1), max: NOW + 60_000 }),
    tags: fc.array(fc.tuple(wordArb, fc.string({ maxLength: 12 })), { maxLength: 4 }).map((pairs) => Object.fromEntries(pairs) as Record<string, string>),
  })
  .filter(validPoint);

// ---------------------------------------------------------------------------------------------
// Assertions shared by every property

/** Every answer is either a point the JSON path accepts too, or a refusal with a known reason. */
function expectExplained(result: DecodeMetricResult, key: Buffer | null): void {
  if (result.ok) {
    const again = validateMetricPoint(result.point, limits);
    expect(again.ok, `accepted a point the HTTP validator refuses: ${JSON.stringify(result.point)}`).toBe(true);
    expect(wellFormed(result.point)).toBe(true);
    expect(key?.equals(Buffer.from(result.seriesId, 'utf8'))).toBe(true);
    return;
  }
  expect(REASONS.has(result.reason), `unknown reason ${result.reason}`).toBe(true);
  expect(result.detail.length).toBeGreaterThan(0);
}

function decode(key: Buffer | null, value: Buffer | null): DecodeMetricResult {
  tried('avro-metrics');
  const result = decodeMetricRecord({ key, value }, limits);
  expectExplained(result, key);
  return result;
}

// Hand-built bodies, so a length field can lie.
/** The body as a list of segments; `lengths` are the indexes of the segments that are lengths/counts. */
function segments(p: MetricPoint): { parts: Buffer[]; lengths: number[] } {
  const parts: Buffer[] = [];
  const lengths: number[] = [];
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    lengths.push(parts.length);
    parts.push(varint(b.length), b);
  };
  str(p.source);
  str(p.metric);
  const d = Buffer.alloc(8);
  d.writeDoubleLE(p.value);
  parts.push(d, varint(p.timestamp));
  const entries = Object.entries(p.tags);
  if (entries.length > 0) {
    lengths.push(parts.length);
    parts.push(varint(entries.length));
    for (const [k, v] of entries) {
      str(k);
      str(v);
    }
  }
  parts.push(varint(0));
  return { parts, lengths };
}

const lieArb = fc.oneof(
  fc.integer({ min: -3, max: 300 }),
  fc.integer({ min: 2 ** 20, max: 2 ** 31 }),
  fc.integer({ min: 2 ** 31, max: 2 ** 52 }),
  fc.integer({ min: -(2 ** 52), max: -4 }),
);

// ---------------------------------------------------------------------------------------------

describe('Avro metric records, generated (both framings)', () => {
  it('agrees with the HTTP validator on every well-formed point, and never accepts an ill-formed one', () => {
    fc.assert(
      fc.property(pointArb, framingArb, fc.boolean(), (p, framing, rightKey) => {
        const body = METRIC.type.toBuffer(p);
        const key = rightKey ? keyOf(p) : Buffer.from(`${p.source}/${p.metric}x`, 'utf8');
        const result = decode(key, frame(framing, METRIC, body));
        if (!wellFormed(p)) return;
        const viaJson = validateMetricPoint(p, limits);
        if (!viaJson.ok) {
          expect(result.ok, `Avro accepted what JSON refuses (${viaJson.errors.join('; ')})`).toBe(false);
          // Several tag problems: each path names the first it meets (the guard meets a reserved key first).
          const tagReasons = ['invalid-tags', 'oversize-tags'];
          if (!result.ok && !(tagReasons.includes(result.reason) && viaJson.reasons.some((r) => tagReasons.includes(r)))) {
            expect(viaJson.reasons).toContain(result.reason);
          }
          return;
        }
        if (!rightKey) {
          expect(result.ok ? null : result.reason).toBe('key-mismatch');
          return;
        }
        expect(result.ok, result.ok ? '' : `${result.reason}: ${result.detail}`).toBe(true);
        if (result.ok) {
          expect(result.point).toEqual(viaJson.point);
          expect(Object.getPrototypeOf(result.point.tags)).toBe(Object.prototype);
        }
      }),
      runs('avro-metrics', 0.3),
    );
  });

  it('refuses every truncation of a valid record', () => {
    fc.assert(
      fc.property(validPointArb, framingArb, fc.nat(), (p, framing, at) => {
        const full = frame(framing, METRIC, METRIC.type.toBuffer(p));
        const cut = full.subarray(0, at % full.length);
        const result = decode(keyOf(p), cut);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(['bad-framing', 'decode-error']).toContain(result.reason);
      }),
      runs('avro-metrics', 0.15),
    );
  });

  it('explains every bit-flipped valid record (or it still holds a valid point)', () => {
    fc.assert(
      fc.property(validPointArb, framingArb, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), (p, framing, flips) => {
        const buf = Buffer.from(frame(framing, METRIC, METRIC.type.toBuffer(p)));
        for (const f of flips) buf[(f >>> 3) % buf.length] ^= 1 << (f & 7);
        const result = decode(keyOf(p), buf);
        if (!result.ok) {
          // What the DLQ gets says the same thing.
          const dead = toDlqMessage({ key: keyOf(p), value: buf }, result.reason, result.detail, { topic: 'vigil.metrics', partition: 0, offset: '1' });
          expect(String(dead.headers?.[DLQ_HEADERS.reason])).toBe(result.reason);
        }
      }),
      runs('avro-metrics', 0.15),
    );
  });

  it('refuses or safely reads bodies whose lengths and counts lie', () => {
    fc.assert(
      fc.property(validPointArb, framingArb, fc.nat(), lieArb, (p, framing, which, lie) => {
        const { parts, lengths } = segments(p);
        const at = lengths[which % lengths.length];
        const truth = parts[at];
        parts[at] = varint(lie);
        const result = decode(keyOf(p), frame(framing, METRIC, Buffer.concat(parts)));
        if (varint(lie).equals(truth)) expect(result.ok).toBe(true);
        else if (lie < 0 && at < 4) expect(result.ok).toBe(false); // a negative string length is never valid
      }),
      runs('avro-metrics', 0.2),
    );
  });

  it('explains random bytes, alone and behind a valid header', () => {
    const headers = [frame('single-object', METRIC, Buffer.alloc(0)), frame('confluent', METRIC, Buffer.alloc(0))];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
          fc.tuple(fc.constantFrom(...headers), fc.uint8Array({ maxLength: 96 })).map(([h, b]) => Buffer.concat([h, b])),
          fc.tuple(fc.constantFrom(0x00, 0xc3), fc.uint8Array({ maxLength: 16 })).map(([m, b]) => Buffer.concat([Buffer.from([m, 0x01]), b])),
        ),
        fc.option(fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)), { nil: null }),
        (value, key) => {
          const result = decode(key, value);
          if (key === null || key.length === 0) expect(result.ok ? null : result.reason).toBe('missing-key');
        },
      ),
      runs('avro-metrics', 0.2),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Every other event kind (commands topic, and the topics the gateway, API and on-call read)

type AvroSchema = string | Record<string, unknown> | AvroSchema[];

/** Values of an Avro schema (the subset Vigil's schemas use), named types resolved by `names`. */
function avroArb(schema: AvroSchema, names: Map<string, Record<string, unknown>>, namespace = 'io.vigil'): fc.Arbitrary<unknown> {
  if (Array.isArray(schema)) return fc.oneof(...schema.map((s) => avroArb(s, names, namespace)));
  if (typeof schema === 'string') {
    switch (schema) {
      case 'null':
        return fc.constant(null);
      case 'boolean':
        return fc.boolean();
      case 'int':
        return fc.integer();
      case 'long':
        return fc.maxSafeInteger().filter((n) => Math.abs(n) < 2 ** 53 - 1); // avsc refuses ±(2^53 − 1)
      case 'float':
        return fc.float({ noNaN: true }).map((f) => Math.fround(f));
      case 'double':
        return fc.double();
      case 'string':
        return fc.string({ unit: 'grapheme', maxLength: 20 });
      case 'bytes':
        return fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b));
      default: {
        const named = names.get(schema.includes('.') ? schema : `${namespace}.${schema}`);
        if (!named) throw new Error(`unknown Avro type ${schema}`);
        return avroArb(named, names, namespace);
      }
    }
  }
  const type = schema.type as AvroSchema;
  if (type === 'record') {
    const ns = (schema.namespace as string | undefined) ?? namespace;
    names.set(`${ns}.${schema.name as string}`, schema);
    const fields = schema.fields as Array<{ name: string; type: AvroSchema }>;
    return fc.record(Object.fromEntries(fields.map((f) => [f.name, avroArb(f.type, names, ns)])));
  }
  if (type === 'map') return fc.dictionary(wordArb, avroArb(schema.values as AvroSchema, names, namespace), { maxKeys: 4 });
  if (type === 'array') return fc.array(avroArb(schema.items as AvroSchema, names, namespace), { maxLength: 4 });
  if (type === 'enum') return fc.constantFrom(...(schema.symbols as string[]));
  return avroArb(type, names, namespace);
}

describe('Avro events of every kind, generated and mutated (both framings)', () => {
  const codec = createEventCodec(registry);
  const kinds = Object.keys(EVENT_SCHEMA_NAMES) as EventKind[];
  const entries = kinds.map((kind) => {
    const entry = registry.latest(EVENT_SCHEMA_NAMES[kind]);
    return { kind, entry, arb: avroArb(entry.schema as AvroSchema, new Map()) };
  });
  const FAILURE_CODES = new Set(['bad-framing', 'unknown-schema', 'incompatible-schema', 'decode-error', 'reserved-key', 'unknown-kind']);

  const mutation = fc.oneof(
    fc.constant({ kind: 'none' as const, at: 0, bits: [] as number[] }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), bits: fc.constant([] as number[]) }),
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bits: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }) }),
    fc.record({ kind: fc.constant('append' as const), at: fc.integer({ min: 1, max: 8 }), bits: fc.constant([] as number[]) }),
  );

  it('reads each unmutated record back and explains every mutated one', () => {
    const arb = fc.constantFrom(...entries).chain((e) => fc.tuple(fc.constant(e), e.arb, framingArb, mutation));
    fc.assert(
      fc.property(arb, ([e, record, framing, m]) => {
        tried('avro-events');
        const body = e.entry.type.toBuffer(record);
        let buf = Buffer.from(frame(framing, e.entry, body));
        if (m.kind === 'truncate') buf = buf.subarray(0, m.at % buf.length);
        if (m.kind === 'flip') for (const f of m.bits) buf[(f >>> 3) % buf.length] ^= 1 << (f & 7);
        if (m.kind === 'append') buf = Buffer.concat([buf, Buffer.alloc(m.at, 7)]);
        let decoded: ReturnType<typeof codec.decodeEvent> | null = null;
        try {
          decoded = codec.decodeEvent(buf);
        } catch (err) {
          expect((err as Error).name).toBe('VigilError');
          expect(FAILURE_CODES.has((err as { code?: string }).code ?? ''), String(err)).toBe(true);
        }
        if (m.kind === 'none') {
          expect(decoded?.kind).toBe(e.kind);
          expect(e.entry.type.toBuffer(decoded!.record).equals(body)).toBe(true);
        }
        if (m.kind === 'truncate' || m.kind === 'append') expect(decoded).toBeNull();
        // The commands topic's reading of the same bytes: a command, or the reason in the dead letter.
        const command = commandFromRecord(buf);
        if (decoded?.kind === 'command') expect(command.ok).toBe(true);
        else if (!command.ok) expect(command.detail).toMatch(decoded ? /not an AlertCommand/ : /^not a decodable AlertCommand: cannot decode event: \S/);
        else expect.fail('a command read from bytes decodeEvent refused');
      }),
      runs('avro-events', 1),
    );
  });
});

it('tried every input of the budget', () => {
  expectBudgetTried('avro-metrics');
  expectBudgetTried('avro-events');
});
