/** oncall/notify/metrics.ts: every receiver's results are exposed from 0 (so increase() sees the first one). */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createNotifierMetrics } from '../../../oncall/notify/metrics.ts';
import { NOTIFICATION_RESULTS } from '../../../oncall/notify/records.ts';

async function totals(registry: Registry): Promise<Record<string, number>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'vigil_notifications_total');
  return Object.fromEntries((metric?.values ?? []).map((v) => [`${v.labels.receiver}/${v.labels.result}`, v.value]));
}

describe('createNotifierMetrics', () => {
  it('exposes every result of the configured receivers at 0 before anything is sent', async () => {
    const registry = new Registry();
    createNotifierMetrics(registry, ['hook', 'slack']);
    const t = await totals(registry);
    expect(Object.keys(t).sort()).toEqual(['hook', 'slack'].flatMap((r) => NOTIFICATION_RESULTS.map((x) => `${r}/${x}`)).sort());
    expect(Object.values(t).every((v) => v === 0)).toBe(true);
  });

  it('exposes all results of a receiver it first meets in a count, and counts only that result', async () => {
    const registry = new Registry();
    const metrics = createNotifierMetrics(registry, []);
    metrics.count('late', 'failed');
    metrics.count('late', 'failed');
    const t = await totals(registry);
    expect(t).toEqual({ 'late/failed': 2, 'late/sent': 0, 'late/dead': 0, 'late/suppressed': 0, 'late/silenced': 0 });
  });
});
