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
    expect(s[0].reason).toContain('no failure reported');
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
    expect(stallAlertEvent(s, { openedAt: T0 }, 'firing', T0 + 5, 60_000).eventId).toBe(firing.eventId);
    const resolved = stallAlertEvent({ ...s, reason: 'committed progress again' }, { openedAt: T0 }, 'resolved', T0 + 90_000, 60_000);
    expect(resolved.alertId).toBe(firing.alertId);
    expect(resolved.version).toBe(2);
    expect(resolved.eventId).not.toBe(firing.eventId);
    expect(stallAlertEvent({ ...s, partition: 3 }, { openedAt: T0 }, 'firing', T0, 60_000).alertId).not.toBe(firing.alertId);
  });
});
