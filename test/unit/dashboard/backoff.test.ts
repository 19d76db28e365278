import { describe, expect, it } from 'vitest';
import { backoffDelay, createBackoff } from '../../../api/dashboard/static/lib/backoff.js';

const opts = { baseMs: 500, maxMs: 30_000, factor: 2, jitter: 0.5 };

describe('backoffDelay', () => {
  it('doubles from the base up to the cap when jitter takes nothing', () => {
    const none = () => 0;
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(a, opts, none))).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
  it('jitter takes at most its share off the cap', () => {
    expect(backoffDelay(3, opts, () => 1)).toBe(2000);
    expect(backoffDelay(3, opts, () => 0.5)).toBe(3000);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(4, opts);
      expect(d).toBeGreaterThanOrEqual(4000);
      expect(d).toBeLessThanOrEqual(8000);
    }
  });
  it('survives absurd attempts and random values', () => {
    expect(backoffDelay(1e9, opts, () => 0)).toBe(30_000);
    expect(backoffDelay(-3, opts, () => 0)).toBe(500);
    expect(backoffDelay(NaN, opts, () => 0)).toBe(500);
    expect(backoffDelay(2, opts, () => 7)).toBe(1000); // random clamped to 1
  });
});

describe('createBackoff', () => {
  it('counts attempts and starts over after reset', () => {
    const b = createBackoff(opts, () => 0);
    expect([b.next(), b.next(), b.next()]).toEqual([500, 1000, 2000]);
    expect(b.attempts).toBe(3);
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(500);
  });
});
