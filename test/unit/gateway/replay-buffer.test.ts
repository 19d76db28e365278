import { describe, expect, it } from 'vitest';
import { ReplayBuffer, formatEventId, parseEventId, planResume } from '../../../gateway/replay-buffer.ts';

describe('event ids', () => {
  it('round-trips and rejects anything else', () => {
    expect(parseEventId(formatEventId('abc123xyz', 42))).toEqual({ gatewayId: 'abc123xyz', seq: 42 });
    expect(parseEventId('abc123xyz.0')).toEqual({ gatewayId: 'abc123xyz', seq: 0 });
    for (const bad of ['', '.', 'abc123xyz', 'abc123xyz.', 'abc123xyz.-1', 'abc123xyz.01', 'abc123xyz.1.2', 'ABC123XYZ.1', 'ab.1', 'abc123xyz.1e3', 'abc123xyz. 1', '__proto__.1', `abc123xyz.${'9'.repeat(17)}`, 'abc123xyz.9007199254740993']) {
      expect(parseEventId(bad), bad).toBeNull();
    }
  });
});

describe('ReplayBuffer', () => {
  it('numbers appends from 1 and keeps the last `capacity` items', () => {
    const b = new ReplayBuffer<string>(3);
    expect(b.latestSeq).toBe(0);
    expect(b.oldestSeq).toBe(1);
    expect(b.size).toBe(0);
    expect(['a', 'b', 'c', 'd', 'e'].map((x) => b.append(x))).toEqual([1, 2, 3, 4, 5]);
    expect(b.size).toBe(3);
    expect(b.oldestSeq).toBe(3);
    expect([1, 2, 3, 4, 5, 6].map((s) => b.get(s))).toEqual([undefined, undefined, 'c', 'd', 'e', undefined]);
  });

  it('covers positions from oldest-1 to latest', () => {
    const b = new ReplayBuffer<number>(2);
    for (let i = 0; i < 5; i++) b.append(i);
    expect([2, 3, 4, 5, 6].map((s) => b.covers(s))).toEqual([false, true, true, true, false]);
  });

  it('capacity 0 keeps nothing but still counts', () => {
    const b = new ReplayBuffer<number>(0);
    b.append(1);
    b.append(2);
    expect(b.latestSeq).toBe(2);
    expect(b.size).toBe(0);
    expect(b.get(2)).toBeUndefined();
    expect(b.covers(2)).toBe(true); // nothing to replay after the head
    expect(b.covers(1)).toBe(false);
  });

  it('rejects a bad capacity', () => {
    expect(() => new ReplayBuffer(-1)).toThrow(RangeError);
    expect(() => new ReplayBuffer(1.5)).toThrow(RangeError);
  });
});

describe('planResume', () => {
  const b = new ReplayBuffer<number>(3);
  for (let i = 0; i < 10; i++) b.append(i); // holds seq 8..10

  it('replays from a covered position of this gateway', () => {
    expect(planResume('gwaaaa1.7', 'gwaaaa1', b)).toEqual({ kind: 'replay', afterSeq: 7 });
    expect(planResume('gwaaaa1.10', 'gwaaaa1', b)).toEqual({ kind: 'replay', afterSeq: 10 });
  });

  it('reports a gap for evicted, future and foreign positions', () => {
    expect(planResume('gwaaaa1.6', 'gwaaaa1', b)).toMatchObject({ kind: 'gap', reason: 'evicted' });
    expect(planResume('gwaaaa1.0', 'gwaaaa1', b)).toMatchObject({ kind: 'gap', reason: 'evicted' });
    expect(planResume('gwaaaa1.11', 'gwaaaa1', b)).toMatchObject({ kind: 'gap', reason: 'unknown-position' });
    expect(planResume('gwbbbb2.9', 'gwaaaa1', b)).toMatchObject({ kind: 'gap', reason: 'other-instance' });
  });

  it('calls malformed ids invalid and truncates what it echoes', () => {
    const r = planResume(`x${'y'.repeat(500)}`, 'gwaaaa1', b);
    expect(r.kind).toBe('invalid');
    expect(r.kind === 'invalid' && r.requested.length).toBeLessThanOrEqual(80);
  });
});
