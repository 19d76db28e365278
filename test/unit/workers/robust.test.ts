import { describe, expect, it } from 'vitest';
import { medianInPlace } from '../../../workers/robust.ts';
import { rng } from './synthetic.ts';

describe('medianInPlace', () => {
  it('equals the sorted middle element for random, tied and sorted inputs of every small length', () => {
    const r = rng(8);
    for (let n = 1; n <= 60; n++) {
      for (const make of [() => r() * 100, () => Math.floor(r() * 4), () => 0]) {
        const values = Array.from({ length: n }, make);
        const sorted = [...values].sort((a, b) => a - b);
        expect(medianInPlace(Float64Array.from(values), n)).toBe(sorted[n >> 1]);
        expect(medianInPlace(Float64Array.from(sorted), n)).toBe(sorted[n >> 1]);
        expect(medianInPlace(Float64Array.from([...sorted].reverse()), n)).toBe(sorted[n >> 1]);
      }
    }
  });

  it('reads only the first n entries', () => {
    expect(medianInPlace(Float64Array.from([5, 1, 3, 1000, 1000]), 3)).toBe(3);
    expect(Number.isNaN(medianInPlace(new Float64Array(3), 0))).toBe(true);
  });
});
