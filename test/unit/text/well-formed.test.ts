/**
 * The one text rule (schemas/text.ts) and each path that applies it: the ingest validator (so
 * the API and the SDK), the SDK itself, the gateway's messages and query, and the Avro guard.
 */
import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { parseSubscriptionQuery } from '../../../gateway/filters.ts';
import { parseClientMessage } from '../../../gateway/protocol.ts';
import { validateMetricPoint } from '../../../pipeline/ingest/validate.ts';
import { createMetricProducer, InvalidMetricPointsError } from '../../../pipeline/sdk/producer.ts';
import { VigilError } from '../../../core/errors.ts';
import { ILL_FORMED_TEXT, findIllFormedText, isWellFormedText, isWellFormedUtf8 } from '../../../schemas/text.ts';

const now = Date.UTC(2026, 0, 1);
const point = { source: 'svc', metric: 'cpu', value: 1, timestamp: now };

describe('isWellFormedText / isWellFormedUtf8', () => {
  it('refuses lone surrogates either way round and accepts pairs', () => {
    for (const bad of ['\ud800', 'a\udbffb', '\udc00', 'x\udfff', '\udc00\ud800', '\ud83d']) expect(isWellFormedText(bad), JSON.stringify(bad)).toBe(false);
    for (const good of ['', 'abc', 'é', '\ud83d\ude00', '日本', '\ufffd', '\u0000']) expect(isWellFormedText(good), JSON.stringify(good)).toBe(true);
  });

  it('agrees with a UTF-8 round trip', () => {
    for (const s of ['\ud800', 'ok', '\ud83d\ude00x', 'a\udc00']) {
      const roundTrip = Buffer.from(s, 'utf8').toString('utf8') === s;
      expect(isWellFormedText(s)).toBe(roundTrip);
    }
  });

  it('refuses invalid UTF-8 bytes: encoded surrogate, overlong, truncated, stray continuation', () => {
    for (const hex of ['eda080', 'c0af', 'e282', '80', 'ff', '61e2']) expect(isWellFormedUtf8(Buffer.from(hex, 'hex')), hex).toBe(false);
    for (const hex of ['', '61', 'c3a9', 'f09f9880', 'e697a5']) expect(isWellFormedUtf8(Buffer.from(hex, 'hex')), hex).toBe(true);
    // a range inside a larger buffer
    expect(isWellFormedUtf8(Buffer.from('61eda08062', 'hex'), 0, 1)).toBe(true);
    expect(isWellFormedUtf8(Buffer.from('61eda08062', 'hex'), 0, 4)).toBe(false);
  });

  it('findIllFormedText names the first bad string or key by path', () => {
    expect(findIllFormedText({ a: ['x', { b: '\ud800' }] })).toBe('/a/1/b');
    expect(findIllFormedText({ ['k\udc00']: 1 })).toBe('/(key)');
    expect(findIllFormedText('\ud800')).toBe('(value)');
    expect(findIllFormedText({ a: 1, b: [true, null, 'fine'] })).toBeNull();
    expect(findIllFormedText(undefined)).toBeNull();
  });
});

describe('ingest validator (used by the API and the SDK)', () => {
  it('refuses a lone surrogate in source, metric, a tag key and a tag value with the rule', () => {
    const cases: Array<[object, string, string]> = [
      [{ ...point, source: '\ud800' }, 'invalid-source', 'source'],
      [{ ...point, metric: 'm\udc00' }, 'invalid-metric', 'metric'],
      [{ ...point, tags: { ['k\ud800']: 'v' } }, 'invalid-tags', 'tags'],
      [{ ...point, tags: { k: '\udfff' } }, 'invalid-tags', 'tags.k'],
    ];
    for (const [input, reason, field] of cases) {
      const r = validateMetricPoint(input, { nowMs: now });
      expect(r.ok, JSON.stringify(input)).toBe(false);
      if (r.ok) continue;
      expect(r.reasons).toEqual([reason]);
      expect(r.errors[0]).toContain(field);
      expect(r.errors[0]).toContain(ILL_FORMED_TEXT);
    }
    expect(validateMetricPoint({ ...point, source: 'sv\ud83d\ude00c' }, { nowMs: now }).ok).toBe(true);
  });
});

describe('producer SDK', () => {
  it('throws a VigilError and sends nothing for a lone surrogate', async () => {
    let sends = 0;
    const kafka = {
      producer: () => ({ connect: async () => {}, disconnect: async () => {}, send: async () => void sends++ }),
    } as unknown as Kafka;
    const producer = createMetricProducer({ brokers: ['127.0.0.1:1'], kafka });
    await producer.connect();
    const err = await producer.send([{ ...point, timestamp: Date.now() }, { ...point, timestamp: Date.now(), source: '\ud800' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidMetricPointsError);
    expect(err).toBeInstanceOf(VigilError);
    expect((err as InvalidMetricPointsError).invalid).toEqual([{ index: 1, errors: [`source: ${ILL_FORMED_TEXT}`] }]);
    expect(sends).toBe(0);
    await producer.close();
  });
});

describe('gateway', () => {
  it('answers a subscription holding a lone surrogate (JSON escape) with invalid-text', () => {
    const r = parseClientMessage('{"type":"subscribe","channels":["alerts"],"source":"\\ud800"}', false);
    expect(r).toEqual({ ok: false, error: { code: 'invalid-text', message: `source ${ILL_FORMED_TEXT}` } });
    const key = parseClientMessage('{"type":"ping","\\udc00":1}', false);
    expect(key.ok).toBe(false);
    if (!key.ok) expect(key.error.code).toBe('invalid-text');
  });

  it('answers invalid UTF-8 bytes with bad-json (not valid UTF-8)', () => {
    const bytes = Buffer.from('{"type":"ping","x":"\xed\xa0\x80"}', 'latin1');
    const r = parseClientMessage(bytes, false);
    expect(r).toEqual({ ok: false, error: { code: 'bad-json', message: 'frame is not valid UTF-8' } });
  });

  it('refuses a query string whose percent-encoding is not UTF-8', () => {
    expect(parseSubscriptionQuery('channels=alerts&source=%ED%A0%80')).toMatchObject({ ok: false, code: 'invalid-query' });
    expect(parseSubscriptionQuery('channels=alerts&source=%C3%A9')).toMatchObject({ ok: true });
  });
});
