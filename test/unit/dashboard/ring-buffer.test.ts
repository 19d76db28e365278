import { describe, expect, it } from 'vitest';
import { SeriesRing, SeriesRings } from '../../../api/dashboard/static/lib/ring-buffer.js';

describe('SeriesRing', () => {
  it('rejects nonsense sizes', () => {
    expect(() => new SeriesRing(0)).toThrow(RangeError);
    expect(() => new SeriesRing(2.5)).toThrow(RangeError);
    expect(() => new SeriesRing(4, 0)).toThrow(RangeError);
  });
  it('keeps the newest points in order once it wraps', () => {
    const ring = new SeriesRing(3, 2);
    for (let t = 1; t <= 5; t++) ring.push(t * 1000, [t, t * 10]);
    expect(ring.length).toBe(3);
    expect(ring.toColumns(1 / 1000)).toEqual([
      [3, 4, 5],
      [3, 4, 5],
      [30, 40, 50],
    ]);
    expect(ring.latest()).toEqual({ x: 5000, values: [5, 50] });
  });
  it('replaces the newest point on an equal timestamp and drops older ones', () => {
    const ring = new SeriesRing(4);
    ring.push(10, 1);
    ring.push(20, 2);
    expect(ring.push(20, 3)).toBe(true);
    expect(ring.push(15, 9)).toBe(false);
    expect(ring.toColumns()).toEqual([
      [10, 20],
      [1, 3],
    ]);
  });
  it('stores non-finite values as gaps and ignores non-finite timestamps', () => {
    const ring = new SeriesRing(4, 2);
    ring.push(1, [Infinity, null]);
    expect(ring.push(NaN, [1, 1])).toBe(false);
    expect(ring.toColumns()).toEqual([[1], [null], [null]]);
  });
  it('is empty before the first point', () => {
    const ring = new SeriesRing(2);
    expect(ring.latest()).toBeNull();
    expect(ring.toColumns()).toEqual([[], []]);
  });
});

describe('SeriesRings', () => {
  it('creates a ring per series and evicts the stalest series past the bound', () => {
    const rings = new SeriesRings(10, 1, 2);
    rings.push('a/x', 1, 1);
    rings.push('b/x', 1, 1);
    rings.push('a/x', 2, 2);
    rings.push('c/x', 1, 1);
    expect(rings.ids()).toEqual(['a/x', 'c/x']);
    expect(rings.get('a/x')?.length).toBe(2);
  });
});
