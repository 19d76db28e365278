import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../core/config.ts';
import { DefinitionSet } from '../../../pipeline/alerts/definitions.ts';
import { createSeriesFactory } from '../../../pipeline/state/series-factory.ts';
import type { SeriesEntry } from '../../../pipeline/state/partition-state.ts';
import { defaultDetectorParams } from '../../../workers/detector-params.ts';
import { configuredPeriod, SEASON_AUTO, SEASON_NONE } from '../../../workers/seasonal.ts';
import { snapshotSeriesState, stateLayout } from '../../../workers/series-state.ts';

function pipelineConfig(pipeline: object) {
  return configSchema.parse({ pipeline }).pipeline;
}

const definitions = () => DefinitionSet.defaults();

describe('createSeriesFactory: the seasonal period of each series', () => {
  const pipeline = pipelineConfig({ seasonPeriod: 'auto', seasonPeriods: { 'checkout/orders': 604800, orders: 'none' } });
  const params = defaultDetectorParams(pipeline);
  const layout = stateLayout(params);
  const periodOf = (e: SeriesEntry) => configuredPeriod(new Float64Array(e.window), layout.season);
  const factory = createSeriesFactory(pipeline, params, definitions);

  it('a fresh series gets its series-id override, else its metric override, else the default', () => {
    expect(periodOf(factory.fresh('checkout/orders', 'checkout', 'orders'))).toBe(604800);
    expect(periodOf(factory.fresh('shop/orders', 'shop', 'orders'))).toBe(SEASON_NONE);
    expect(periodOf(factory.fresh('shop/cpu', 'shop', 'cpu'))).toBe(SEASON_AUTO);
    const e = factory.fresh('shop/cpu', 'shop', 'cpu');
    expect(e.dirty).toBe(true);
    expect([e.id, e.source, e.metric]).toEqual(['shop/cpu', 'shop', 'cpu']);
  });

  it('a restored state follows the current config, not the period it was snapshotted with', () => {
    const before = factory.fresh('checkout/orders', 'checkout', 'orders');
    const row = {
      kafka_partition: 0,
      series_id: 'checkout/orders',
      kafka_offset: '41',
      source: 'checkout',
      metric: 'orders',
      window_state: snapshotSeriesState(before.window).toString('base64'),
      monitor_state: JSON.stringify(before.monitor.toJSON()),
      updated_at: 0,
    };
    expect(periodOf(factory.restore(row))).toBe(604800);
    const changed = createSeriesFactory(pipelineConfig({ seasonPeriod: 'auto', seasonPeriods: { 'checkout/orders': 86400 } }), params, definitions);
    const restored = changed.restore(row);
    expect(periodOf(restored)).toBe(86400);
    expect(restored.dirty).toBe(false);
    const dropped = createSeriesFactory(pipelineConfig({ seasonPeriod: 'none' }), params, definitions).restore(row);
    expect(periodOf(dropped)).toBe(SEASON_NONE);
  });
});
