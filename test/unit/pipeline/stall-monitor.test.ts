/** The broker check of the stall monitor, without Kafka: failing lag requests turn into an outage after the grace. */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../core/logger.ts';
import { StallMonitor, type StallMonitorDeps } from '../../../pipeline/runtime/stall-monitor.ts';

function monitor(lag: StallMonitorDeps['lag'], brokerGraceMs?: number): StallMonitor {
  // Nothing owned and nothing stalled: no alert is raised, so nothing is published or stored.
  return new StallMonitor({
    lag,
    progress: { stalled: () => [], isOwned: () => false },
    brokerGraceMs,
    stallAfterMs: 60_000,
    topic: 'm',
    groupId: 'g',
    logger: createLogger('silent'),
  } as unknown as StallMonitorDeps);
}

describe('stall monitor broker check', () => {
  it('reports the broker unreachable only once lag requests have failed for the grace, with the reason', async () => {
    let up = true;
    const m = monitor(async () => {
      if (!up) throw new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1');
      return [];
    }, 10_000);
    await m.check(1_000);
    expect(m.brokerDown(1_000)).toBeNull();
    up = false;
    await m.check(2_000);
    await m.check(7_000);
    expect(m.brokerDown(11_999)).toBeNull();
    expect(m.problem()).toMatch(/cannot read consumer lag from the broker: Connection error/);
    expect(m.brokerDown(12_000)).toBe('Kafka broker unreachable for 10 s (cannot read consumer lag from the broker: Connection error: connect ECONNREFUSED 127.0.0.1:1)');
    up = true;
    await m.check(13_000);
    expect(m.brokerDown(13_000)).toBeNull();
    expect(m.problem()).toBeNull();
  });

  it('defaults the grace to stallAfterMs', async () => {
    const m = monitor(async () => {
      throw new Error('down');
    });
    await m.check(0);
    expect(m.brokerDown(59_999)).toBeNull();
    expect(m.brokerDown(60_000)).toMatch(/^Kafka broker unreachable for 60 s/);
  });
});
