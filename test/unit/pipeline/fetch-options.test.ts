import { describe, expect, it } from 'vitest';
import { fetchOptions, MAX_FETCH_BYTES } from '../../../pipeline/kafka/fetch-options.ts';

const cfg = (partitions: number, maxBytesPerPartition: number) => ({ kafka: { partitions }, pipeline: { maxBytesPerPartition } }) as Parameters<typeof fetchOptions>[0];
const MiB = 1_048_576;

describe('fetchOptions', () => {
  it('lets one fetch carry a full batch of every metrics and commands partition (12 × 1 MiB: 24 MiB, not kafkajs\'s 10 MiB)', () => {
    expect(fetchOptions(cfg(12, MiB))).toEqual({ maxBytesPerPartition: MiB, maxBytes: 24 * MiB });
  });

  it('never asks for less than kafkajs\'s default', () => {
    expect(fetchOptions(cfg(1, 64 * 1024)).maxBytes).toBe(10 * MiB);
  });

  it('is bounded for a topic with many partitions, and still fits one partition\'s batch', () => {
    expect(fetchOptions(cfg(1000, MiB)).maxBytes).toBe(MAX_FETCH_BYTES);
    expect(fetchOptions(cfg(1000, 128 * MiB)).maxBytes).toBe(128 * MiB);
  });
});
