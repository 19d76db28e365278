import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SdkMessage, encodeProduceBody, installFastProduce, kafkaInternals } from '../../../pipeline/sdk/fast-produce.ts';

const require = createRequire(import.meta.url);
type Factory = (args: unknown) => { apiVersion: number; encode: () => Promise<{ buffer: Buffer }> };
const requestModule = (v: number) => require(`kafkajs/src/protocol/requests/produce/v${v}/request.js`) as Factory;

/** A small seeded generator: the same batches on every run. */
function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

function randomArgs(seed: number, asSdk: boolean) {
  const r = rng(seed);
  const k = kafkaInternals()!;
  const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: number): unknown };
  const topics = 1 + r(2);
  return {
    acks: -1,
    timeout: 30000,
    transactionalId: r(4) === 0 ? `tx-${seed}-é` : null,
    producerId: Long.fromValue(r(2) === 0 ? r(1_000_000) : 2 ** 40 + r(1000)),
    producerEpoch: r(3),
    compression: 0,
    topicData: Array.from({ length: topics }, (_, t) => ({
      topic: `vigil.metrics-${t}-ü`,
      partitions: Array.from({ length: 1 + r(4) }, (_, p) => ({
        partition: p * 3 + r(3),
        firstSequence: r(2 ** 30),
        messages: Array.from({ length: 1 + r(r(2) === 0 ? 5 : 300) }, (_, i) => {
          // Keys and values across the 1-, 2- and 3-byte varint lengths.
          const key = Buffer.from(`svc-${r(1000)}/${'m'.repeat(r(3) === 0 ? 70 : r(20))}`);
          const value = Buffer.alloc([r(60), 64 + r(8000), 8192 + r(20_000)][r(3)], (seed + i) & 0xff);
          return asSdk ? new SdkMessage(key, value) : { key, value };
        }),
      })),
    })),
    k,
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('fast produce encoding (kafkajs 2.2.4 produce v3-v7)', () => {
  it('is installed for this kafkajs', () => {
    expect(installFastProduce()).toBe(true);
    expect(kafkaInternals()).not.toBeNull();
  });

  it.each(Array.from({ length: 40 }, (_, i) => i + 1))('writes the bytes kafkajs writes, random batch %i', async (seed) => {
    installFastProduce();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_796_000_000_000 + seed);
    const { k, ...plain } = randomArgs(seed, false);
    const { k: _k, ...sdk } = randomArgs(seed, true);
    // Plain message objects are not the SDK's: kafkajs encodes them itself.
    const theirs = (await requestModule(3)(plain).encode()).buffer;
    const ours = encodeProduceBody(sdk as never, Date.now, k);
    expect(ours.equals(theirs)).toBe(true);
    // And the installed wrapper gives the same for SDK messages, with the version kept.
    for (const v of [3, 5, 7]) {
      const request = requestModule(v)(sdk);
      expect(request.apiVersion).toBe(v);
      expect((await request.encode()).buffer.equals(theirs)).toBe(true);
    }
  });

  it('leaves requests with compression, or with any message not the SDK’s, to kafkajs', async () => {
    installFastProduce();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_796_000_000_000);
    const { k: _k, ...sdk } = randomArgs(7, true);
    const mixed = { ...sdk, topicData: sdk.topicData.map((t) => ({ ...t, partitions: t.partitions.map((p, i) => (i === 0 ? { ...p, messages: [...p.messages, { key: Buffer.from('x'), value: Buffer.from('y'), headers: { h: 'v' } }] } : p)) })) };
    const encoded = (await requestModule(7)(mixed).encode()).buffer;
    // The header only kafkajs writes is in the bytes.
    expect(encoded.includes(Buffer.from([0x02, 0x02, 0x68, 0x02, 0x76]))).toBe(true);
    const original = requestModule(7)({ ...sdk, compression: 1 });
    const gz = (await original.encode()).buffer;
    // Attributes of the first record batch say gzip (1): kafkajs compressed it.
    expect(gz.length).toBeGreaterThan(0);
    expect(gz.equals((await requestModule(7)(sdk).encode()).buffer)).toBe(false);
  });
});
