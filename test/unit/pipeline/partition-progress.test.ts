/** Stall rules without Kafka: lag + no committed progress for stallAfterMs; the reason shown; the alert events. */
import { describe, expect, it } from 'vitest';
import { PartitionProgress } from '../../../pipeline/runtime/partition-progress.ts';
import { STALL_ALERT_METRIC, STALL_ALERT_SOURCE, stallAlertEvent } from '../../../pipeline/runtime/stall-monitor.ts';

const T0 = 1_700_000_000_000;

describe('PartitionProgress', () => {
  it('calls a partition stalled only with lag and no commit for stallAfterMs', () => {
    const p = new PartitionProgress(10_000);
    p.assigned(0, T0);
    p.assigned(1, T0);
    expect(p.stalled([{ partition: 0, lag: 5 }, { partition: 1, lag: 0 }], T0 + 9_999)).toEqual([]);
    const s = p.stalled([{ partition: 0, lag: 5 }, { partition: 1, lag: 0 }], T0 + 10_000);
    expect(s.map((x) => x.partition)).toEqual([0]);
    expect(s[0]).toMatchObject({ lag: 5, sinceMs: T0, stalledForMs: 10_000 });
    expect(s[0].reason).toBe('partition 0: no batch in flight and none failed: the consumer has not handed one over (a rebalance or a fetch in progress, or a batch of another topic holding the fetch)');
    p.committed(0, T0 + 10_500);
    expect(p.stalled([{ partition: 0, lag: 5 }], T0 + 12_000)).toEqual([]);
  });

  it('does not count a quiet spell (no lag) as a stall when records arrive later', () => {
    const p = new PartitionProgress(10_000);
    p.assigned(0, T0);
    expect(p.stalled([{ partition: 0, lag: 0 }], T0 + 3_600_000)).toEqual([]);
    expect(p.stalled([{ partition: 0, lag: 100 }], T0 + 3_601_000)).toEqual([]);
    expect(p.stalled([{ partition: 0, lag: 100 }], T0 + 3_610_000)).toHaveLength(1);
  });

  it('shows climbing retries as the last error and the stall reason, until a commit clears them', () => {
    const p = new PartitionProgress(1000);
    p.assigned(3, T0);
    expect(p.lastError()).toBeNull();
    for (let i = 1; i <= 4; i++) p.failed(3, 'Kafka produce', new Error('MESSAGE_TOO_LARGE'), T0 + i);
    expect(p.lastError()).toMatch(/^partition 3: Kafka produce failed 4 times, last .*: MESSAGE_TOO_LARGE$/);
    expect(p.stalled([{ partition: 3, lag: 1 }], T0 + 2000)[0].reason).toContain('Kafka produce failed 4 times');
    p.failed(3, 'ClickHouse insert', 'ECONNREFUSED', T0 + 10);
    expect(p.lastError()).toContain('ClickHouse insert failed 1 time,');
    p.committed(3, T0 + 20);
    expect(p.lastError()).toBeNull();
  });

  it('names the failing partition a sibling is held up behind, and a batch running without failing', () => {
    const p = new PartitionProgress(10_000);
    for (const n of [0, 1, 2]) p.assigned(n, T0);
    // Partition 1's store stage fails (ClickHouse down); 0 has nothing in flight; 2's batch hangs.
    p.batchStarted(1, T0 + 100);
    for (let i = 1; i <= 3; i++) p.failed(1, 'ClickHouse insert (points)', new Error('connect ECONNREFUSED 127.0.0.1:18123'), T0 + 1000 * i);
    p.batchStarted(2, T0 + 500);
    const lag = [0, 1, 2].map((partition) => ({ partition, lag: 10 }));
    const [s0, s1, s2] = p.stalled(lag, T0 + 12_000);
    const failing = `partition 1: ClickHouse insert (points) failed 3 times, last ${new Date(T0 + 3000).toISOString()}: connect ECONNREFUSED 127.0.0.1:18123`;
    expect(s1.reason).toBe(failing);
    expect(s0.reason).toBe(
      `partition 0: no batch in flight and none failed: held up behind partition 1 (the consumer fetches the partitions of one broker together and waits for every batch of a fetch), which is failing: ${failing}`,
    );
    expect(s2.reason).toBe(`partition 2: its batch has run for 12 s without finishing or failing (a hung task or dependency); partition 1 is failing: ${failing}`);
    // Once 1 commits, nothing is failing: 0 says it has nothing, 2 that its batch runs on.
    p.committed(1, T0 + 13_000);
    p.batchEnded(1);
    const again = p.stalled(lag, T0 + 14_000);
    expect(again.map((x) => x.partition)).toEqual([0, 2]);
    expect(again[0].reason).toMatch(/^partition 0: no batch in flight and none failed: the consumer has not handed one over/);
    expect(again[1].reason).toBe('partition 2: its batch has run for 14 s without finishing or failing (a hung task or dependency)');
    p.batchEnded(2);
    expect(p.stalled(lag, T0 + 15_000)[1].reason).toMatch(/^partition 2: no batch in flight/);
  });

  it('forgets revoked partitions and ignores failures of partitions it does not own', () => {
    const p = new PartitionProgress(1000);
    p.assigned(1, T0);
    p.revoked(1);
    p.failed(1, 'x', new Error('y'), T0);
    expect(p.isOwned(1)).toBe(false);
    expect(p.lastError()).toBeNull();
    expect(p.stalled([{ partition: 1, lag: 9 }], T0 + 5000)).toEqual([]);
  });
});

describe('stallAlertEvent', () => {
  it('opens and resolves one alert per partition with deterministic ids', () => {
    const s = { partition: 2, topic: 'vigil.metrics', groupId: 'g', stalledForMs: 61_000, reason: 'partition 2: Kafka produce failed' };
    const firing = stallAlertEvent(s, { openedAt: T0 }, 'firing', T0, 60_000);
    expect(firing).toMatchObject({ source: STALL_ALERT_SOURCE, metric: STALL_ALERT_METRIC, status: 'firing', version: 1, severity: 'critical', value: 61, threshold: 60, reason: s.reason });
    expect(firing.ruleId).toBe('partition-stalled:g:vigil.metrics:2');
    expect(firing.message).toBe('partition 2 of vigil.metrics (group g) has records waiting and no committed progress for 61 s — partition 2: Kafka produce failed');
    expect(stallAlertEvent(s, { openedAt: T0 }, 'firing', T0 + 5, 60_000).eventId).toBe(firing.eventId);
    const resolved = stallAlertEvent({ ...s, reason: 'committed progress again' }, { openedAt: T0 }, 'resolved', T0 + 90_000, 60_000);
    expect(resolved.alertId).toBe(firing.alertId);
    expect(resolved.version).toBe(2);
    expect(resolved.eventId).not.toBe(firing.eventId);
    expect(stallAlertEvent({ ...s, partition: 3 }, { openedAt: T0 }, 'firing', T0, 60_000).alertId).not.toBe(firing.alertId);
  });
});
