import { describe, expect, it } from 'vitest';
import { createTtlCache } from '../../../api/ttl-cache.ts';

describe('createTtlCache', () => {
  it('answers from memory within the lifetime and loads again after it', async () => {
    let t = 1000;
    let loads = 0;
    const cache = createTtlCache<number>(1000, () => t);
    const load = async () => ++loads;
    expect(await cache.get('k', load)).toBe(1);
    t += 999;
    expect(await cache.get('k', load)).toBe(1);
    t += 1;
    expect(await cache.get('k', load)).toBe(2);
    expect(await cache.get('other', load)).toBe(3);
  });
  it('shares one load between concurrent callers of a key', async () => {
    let loads = 0;
    let release!: (v: number) => void;
    const cache = createTtlCache<number>(1000, () => 0);
    const load = () => {
      loads += 1;
      return new Promise<number>((r) => (release = r));
    };
    const both = Promise.all([cache.get('k', load), cache.get('k', load)]);
    release(7);
    expect(await both).toEqual([7, 7]);
    expect(loads).toBe(1);
  });
  it('does not keep a failure: the next caller loads again', async () => {
    const cache = createTtlCache<number>(1000, () => 0);
    await expect(cache.get('k', () => Promise.reject(new Error('ClickHouse down')))).rejects.toThrow('ClickHouse down');
    await Promise.resolve();
    expect(await cache.get('k', async () => 5)).toBe(5);
  });
  it('ttl 0 never caches; the map stays bounded', async () => {
    let loads = 0;
    const off = createTtlCache<number>(0, () => 0);
    await off.get('k', async () => ++loads);
    await off.get('k', async () => ++loads);
    expect(loads).toBe(2);
    let t = 0;
    const small = createTtlCache<number>(1000, () => t, 2);
    let n = 0;
    for (const k of ['a', 'b', 'c']) await small.get(k, async () => ++n);
    expect(await small.get('a', async () => ++n)).toBe(4); // 'a' was dropped as the oldest
    expect(await small.get('c', async () => ++n)).toBe(3);
  });
});
