import { describe, expect, it } from 'vitest';
import { assignCoPartitioned } from '../../../pipeline/kafka/co-partitioned-assigner.ts';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('co-partitioned assignment', () => {
  it('gives partition p of every topic to the same member', () => {
    const result = assignCoPartitioned(['m-b', 'm-a', 'm-c'], { metrics: range(12), commands: range(12) });
    const ownerOf = (topic: string, p: number) => Object.keys(result).find((m) => result[m][topic]?.includes(p));
    for (const p of range(12)) {
      expect(ownerOf('metrics', p)).toBeDefined();
      expect(ownerOf('commands', p)).toBe(ownerOf('metrics', p));
    }
  });

  it('spreads partitions evenly and deterministically regardless of member order', () => {
    const a = assignCoPartitioned(['x', 'y'], { metrics: range(5), commands: range(5) });
    const b = assignCoPartitioned(['y', 'x'], { metrics: range(5), commands: range(5) });
    expect(a).toEqual(b);
    expect(a.x.metrics).toEqual([0, 2, 4]);
    expect(a.y.metrics).toEqual([1, 3]);
  });

  it('assigns every partition exactly once when there are more members than partitions', () => {
    const result = assignCoPartitioned(['a', 'b', 'c', 'd'], { metrics: range(2), commands: range(2) });
    const all = Object.values(result).flatMap((t) => t.metrics ?? []);
    expect(all.sort()).toEqual([0, 1]);
    expect(Object.keys(result)).toHaveLength(2);
  });

  it('returns nothing for no members', () => {
    expect(assignCoPartitioned([], { metrics: range(3) })).toEqual({});
  });
});
