import { describe, expect, it } from 'vitest';
import { afterOffset, firstAfterOffset } from '../../../pipeline/runtime/stages/after-offset.ts';
import { decodeBatch } from '../../../pipeline/runtime/stages/decode.ts';
import { createLogger } from '../../../core/logger.ts';

const at = (...offsets: string[]) => offsets.map((offset) => ({ offset }));

describe('afterOffset', () => {
  it('keeps the suffix above the offset, the same as a filter on ascending offsets', () => {
    const items = at('5', '6', '7', '8');
    for (const cut of [-1n, 4n, 5n, 6n, 7n, 8n, 100n]) {
      expect(afterOffset(items, cut)).toEqual(items.filter((x) => BigInt(x.offset) > cut));
      expect(firstAfterOffset(items, cut)).toBe(items.findIndex((x) => BigInt(x.offset) > cut) === -1 ? items.length : items.findIndex((x) => BigInt(x.offset) > cut));
    }
  });

  it('returns the array itself when nothing is stale, and an empty one when everything is', () => {
    const items = at('10', '11');
    expect(afterOffset(items, 9n)).toBe(items);
    expect(afterOffset(items, 11n)).toEqual([]);
    expect(afterOffset([], 0n)).toEqual([]);
  });

  it('compares offsets above 2^53 exactly (int64 decimal strings)', () => {
    const items = at('9007199254740993', '9007199254740994', '9223372036854775807');
    expect(afterOffset(items, 9007199254740993n).map((x) => x.offset)).toEqual(['9007199254740994', '9223372036854775807']);
    expect(afterOffset(items, 9223372036854775806n).map((x) => x.offset)).toEqual(['9223372036854775807']);
  });
});

describe('decodeBatch skips what the state already holds', () => {
  it('decodes only records after stateOffset (a re-fetch after a rebuild)', () => {
    // Null values: each decoded record becomes a tombstone dead letter, so the count shows which were read.
    const messages = ['3', '4', '5', '6'].map((offset) => ({ key: null, value: null, offset }));
    const opts = { topic: 't', partition: 0, limits: { maxTagCount: 32, maxTagBytes: 2048, maxFutureSkewMs: 0 }, maxProduceBytes: 1_000_000, nowMs: 0, logger: createLogger('silent') };
    expect(decodeBatch(messages, { ...opts, stateOffset: 4n }).dlqReasons).toEqual(['tombstone', 'tombstone']);
    expect(decodeBatch(messages, { ...opts, stateOffset: -1n }).dlqReasons).toHaveLength(4);
    expect(decodeBatch(messages, { ...opts, stateOffset: 6n }).dlqReasons).toEqual([]);
  });
});
