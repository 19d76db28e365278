/**
 * Output publishing in requests that fit, resumed after a failure, and never stuck on a request
 * the broker refuses for its content. The producer is a stand-in that records requests and
 * refuses them the way a broker does (a pure unit test; the real broker is in poison.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Message, Producer, ProducerBatch, TopicMessages } from 'kafkajs';
import { chunkTopicMessages, emptyOutputs, outputPublisher, UNPRODUCIBLE_CODE } from '../../../pipeline/runtime/outputs.ts';
import { toDlqMessage, DLQ_HEADERS } from '../../../pipeline/ingest/dlq.ts';
import { recordBytes } from '../../../pipeline/kafka/record-size.ts';
import { isUnproducible } from '../../../pipeline/kafka/produce-errors.ts';
import { topicNames } from '../../../core/config.ts';

const topics = topicNames({ kafka: { topicPrefix: 't.' } as never });
const encode = () => Buffer.from('event');
const tooLarge = () => Object.assign(new Error('The request included a message larger than the max message size'), { type: 'MESSAGE_TOO_LARGE' });

/** Refuses any request holding a record batch (topic-partition ≈ topic here) over `limit`. */
function broker(limit: number, opts: { failFirst?: Error } = {}) {
  const sent: TopicMessages[][] = [];
  let fail = opts.failFirst;
  const producer = {
    async sendBatch(batch: ProducerBatch) {
      if (fail) {
        const f = fail;
        fail = undefined;
        throw f;
      }
      for (const t of batch.topicMessages ?? []) {
        const size = t.messages.reduce((n, m) => n + recordBytes(m), 0);
        if (size > limit) throw Object.assign(new Error('wrapped'), { cause: tooLarge() });
      }
      sent.push(batch.topicMessages ?? []);
      return [];
    },
  } as unknown as Producer;
  return { producer, sent, delivered: () => sent.flat().flatMap((t) => t.messages.map((m) => ({ topic: t.topic, m }))) };
}

const letter = (i: number, bytes: number): Message =>
  toDlqMessage({ key: 'a/b', value: Buffer.alloc(bytes, i % 256) }, 'bad-framing', `#${i}`, { topic: 't.metrics', partition: 0, offset: String(i) });

describe('chunkTopicMessages', () => {
  it('keeps every message once, in order per topic, each request within the budget', () => {
    const list: TopicMessages[] = [
      { topic: 'x', messages: Array.from({ length: 50 }, (_, i) => ({ key: String(i), value: Buffer.alloc(100) })) },
      { topic: 'y', messages: [{ key: 'big', value: Buffer.alloc(5000) }, { key: 'z', value: Buffer.alloc(10) }] },
    ];
    const chunks = chunkTopicMessages(list, 1000);
    for (const c of chunks) {
      const size = c.flatMap((t) => t.messages).reduce((n, m) => n + recordBytes(m), 0);
      if (c.flatMap((t) => t.messages).length > 1) expect(size).toBeLessThanOrEqual(1000);
    }
    const flat = (topic: string) => chunks.flat().filter((t) => t.topic === topic).flatMap((t) => t.messages.map((m) => m.key));
    expect(flat('x')).toEqual(list[0].messages.map((m) => m.key));
    expect(flat('y')).toEqual(['big', 'z']);
    expect(chunkTopicMessages([], 1000)).toEqual([]);
  });
});

describe('outputPublisher', () => {
  it('sends dead letters that together exceed the broker limit in requests that fit', async () => {
    const b = broker(10_000);
    const out = { ...emptyOutputs(), dlq: Array.from({ length: 100 }, (_, i) => letter(i, 500)) };
    await outputPublisher(b.producer, topics, encode, out, { maxBytes: 9_000 })();
    expect(b.delivered().map(({ m }) => m.headers?.[DLQ_HEADERS.offset])).toEqual(out.dlq.map((m) => m.headers?.[DLQ_HEADERS.offset]));
    expect(b.sent.length).toBeGreaterThan(5);
  });

  it('resumes after a transient failure without re-sending acknowledged requests', async () => {
    const b = broker(1_000_000);
    const out = { ...emptyOutputs(), dlq: Array.from({ length: 30 }, (_, i) => letter(i, 500)) };
    const publish = outputPublisher(b.producer, topics, encode, out, { maxBytes: 5_000 });
    await publish();
    const before = b.sent.length;
    await publish(); // a retry after a later stage failed: nothing left to send
    expect(b.sent.length).toBe(before);
    const flaky = broker(1_000_000, { failFirst: Object.assign(new Error('broker down'), { type: 'LEADER_NOT_AVAILABLE' }) });
    const p2 = outputPublisher(flaky.producer, topics, encode, out, { maxBytes: 5_000 });
    await expect(p2()).rejects.toThrow('broker down');
    await p2();
    expect(flaky.delivered()).toHaveLength(30);
  });

  it('replaces a dead letter the broker refuses by a reference, and keeps the events beside it', async () => {
    const b = broker(4_000);
    const refs: Message[] = [];
    const alert = { eventId: 'e1', source: 's', metric: 'm' } as never;
    const out = { ...emptyOutputs(), alerts: [alert], dlq: [letter(1, 8_000)] };
    await outputPublisher(b.producer, topics, encode, out, { maxBytes: 100_000, onReference: (m) => refs.push(m) })();
    const got = b.delivered();
    expect(got.map(({ topic }) => topic).sort()).toEqual([topics.alerts, topics.dlq].sort());
    const dead = got.find(({ topic }) => topic === topics.dlq)!.m;
    expect(String(dead.headers?.[DLQ_HEADERS.truncated])).toBe('reference');
    expect(String(dead.headers?.[DLQ_HEADERS.originalValueBytes])).toBe('8000');
    expect(refs).toHaveLength(1);
  });

  it('reports a refused event that is not a dead letter with a cause and an action, never loops', async () => {
    const b = broker(10);
    const out = { ...emptyOutputs(), alerts: [{ eventId: 'e1', source: 's', metric: 'm' } as never, { eventId: 'e2', source: 's', metric: 'm' } as never] };
    const err = await outputPublisher(b.producer, topics, encode, out, { maxBytes: 100_000 })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: UNPRODUCIBLE_CODE });
    expect(String((err as Error).message)).toContain('max.message.bytes');
    expect(isUnproducible((err as Error).cause)).toBe(true);
  });
});

describe('isUnproducible', () => {
  it('finds the broker refusal through kafkajs wrappers, and only that', () => {
    expect(isUnproducible(Object.assign(new Error('x'), { cause: { cause: tooLarge() } }))).toBe(true);
    expect(isUnproducible(Object.assign(new Error('x'), { type: 'INVALID_RECORD' }))).toBe(true);
    expect(isUnproducible(Object.assign(new Error('x'), { type: 'REQUEST_TIMED_OUT' }))).toBe(false);
    expect(isUnproducible(new Error('connection refused'))).toBe(false);
    expect(isUnproducible(undefined)).toBe(false);
  });
});
