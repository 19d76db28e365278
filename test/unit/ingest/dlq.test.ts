/** Dead letters that fit: truncation order, what the headers say, and the reference fallback. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS, toDlqMessage, toDlqReference } from '../../../pipeline/ingest/dlq.ts';
import { recordBytes } from '../../../pipeline/kafka/record-size.ts';

const origin = { topic: 'vigil.metrics', partition: 3, offset: '42' };
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const h = (m: { headers?: Record<string, unknown> }, name: string) => (m.headers?.[name] === undefined ? undefined : String(m.headers[name]));

describe('toDlqMessage', () => {
  it('keeps a record that fits byte for byte, with no truncation headers', () => {
    const value = Buffer.from('not avro');
    const m = toDlqMessage({ key: 'a/b', value, headers: { trace: 'x' } }, 'bad-framing', 'd', origin, { maxBytes: 10_000 });
    expect(m.value).toBe(value);
    expect(m.key).toBe('a/b');
    expect(h(m, 'trace')).toBe('x');
    expect(h(m, DLQ_HEADERS.truncated)).toBeUndefined();
  });

  it('truncates an oversized value to a prefix that fits, with its size and digest', () => {
    const value = Buffer.alloc(50_000, 7);
    value[0] = 1;
    const m = toDlqMessage({ key: 'a/b', value }, 'bad-framing', 'detail', origin, { maxBytes: 20_000 });
    expect(recordBytes(m)).toBeLessThanOrEqual(20_000);
    expect(recordBytes(m)).toBeGreaterThan(19_000); // kept as much as fits
    expect(h(m, DLQ_HEADERS.truncated)).toBe('value');
    expect(h(m, DLQ_HEADERS.originalValueBytes)).toBe('50000');
    expect(h(m, DLQ_HEADERS.originalValueSha256)).toBe(sha(value));
    expect((m.value as Buffer).equals(value.subarray(0, (m.value as Buffer).length))).toBe(true);
    expect(h(m, DLQ_HEADERS.offset)).toBe('42');
  });

  it('drops big own headers and cuts a huge key before touching the value', () => {
    const key = Buffer.alloc(30_000, 0x6b);
    const m = toDlqMessage({ key, value: Buffer.from('v'), headers: { a: Buffer.alloc(20_000), b: 'small' } }, 'missing-key', '', origin, { maxBytes: 20_000 });
    expect(h(m, DLQ_HEADERS.truncated)).toBe('headers,key');
    expect(h(m, 'a')).toBeUndefined();
    expect(h(m, DLQ_HEADERS.originalHeaders)).toBe('a,b');
    expect(Number(h(m, DLQ_HEADERS.originalHeaderBytes))).toBeGreaterThan(20_000);
    expect((m.key as Buffer).length).toBe(1024);
    expect(h(m, DLQ_HEADERS.originalKeySha256)).toBe(sha(key));
    expect(m.value!.toString()).toBe('v');
  });

  it('never lets a header named __proto__ or a huge detail break the copy', () => {
    const headers = JSON.parse('{"__proto__":"p"}') as Record<string, string>;
    const m = toDlqMessage({ key: 'k', value: Buffer.alloc(5000), headers }, 'bad-framing', 'x'.repeat(5000), origin, { maxBytes: 4000 });
    expect(recordBytes(m)).toBeLessThanOrEqual(4000);
    expect(h(m, DLQ_HEADERS.detail)!.length).toBeLessThanOrEqual(1001);
    expect(Object.prototype.hasOwnProperty.call(m.headers, '__proto__')).toBe(true);
  });
});

describe('toDlqReference', () => {
  it('keeps only where the original is, its sizes and digests', () => {
    const value = Buffer.alloc(3000, 1);
    const letter = toDlqMessage({ key: 'a/b', value, headers: { own: 'x' } }, 'bad-framing', 'd', origin);
    const ref = toDlqReference(letter);
    expect(ref.value).toEqual(Buffer.alloc(0));
    expect(h(ref, 'own')).toBeUndefined();
    expect(h(ref, DLQ_HEADERS.truncated)).toBe('reference');
    expect(h(ref, DLQ_HEADERS.originalValueBytes)).toBe('3000');
    expect(h(ref, DLQ_HEADERS.originalValueSha256)).toBe(sha(value));
    expect(h(ref, DLQ_HEADERS.reason)).toBe('bad-framing');
    expect(h(ref, DLQ_HEADERS.partition)).toBe('3');
    expect(recordBytes(ref)).toBeLessThan(2000);
  });

  it('keeps the digest of the original, not of the truncated prefix, and is idempotent', () => {
    const value = Buffer.alloc(50_000, 9);
    const cut = toDlqMessage({ key: 'a/b', value }, 'bad-framing', 'd', origin, { maxBytes: 10_000 });
    const ref = toDlqReference(toDlqReference(cut));
    expect(h(ref, DLQ_HEADERS.originalValueSha256)).toBe(sha(value));
    expect(h(ref, DLQ_HEADERS.truncated)).toBe('value,reference');
  });
});
