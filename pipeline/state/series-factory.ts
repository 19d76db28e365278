/**
 * How the pipeline makes a series' in-memory entry: a fresh detector state and alert monitor for
 * a series seen for the first time, or both restored from a snapshot row. The seasonal period is
 * chosen per series here (pipeline.seasonPeriods by series id, then by metric), and a restored
 * state follows the config's current period, which may have changed since the snapshot.
 */
import type { VigilConfig } from '../../core/config.ts';
import { seriesSeasonPeriod, type DetectorParams } from '../../workers/detector-params.ts';
import { SeriesDetector } from '../../workers/series-detector.ts';
import { createSeriesState, restoreSeriesState, stateLayout } from '../../workers/series-state.ts';
import type { DefinitionSet } from '../alerts/definitions.ts';
import { SeriesMonitor } from '../alerts/series-monitor.ts';
import type { SeriesFactory } from './state-store.ts';

export function createSeriesFactory(
  pipeline: Pick<VigilConfig['pipeline'], 'seasonPeriod' | 'seasonPeriods'>,
  params: DetectorParams,
  definitions: () => DefinitionSet,
): SeriesFactory {
  const layout = stateLayout(params);
  return {
    fresh: (id, source, metric) => ({
      id,
      source,
      metric,
      window: createSeriesState(params, seriesSeasonPeriod(pipeline, source, metric)),
      monitor: new SeriesMonitor(source, metric, definitions()),
      dirty: true,
      lastLiveAt: 0,
    }),
    restore: (row) => {
      const window = restoreSeriesState(Buffer.from(row.window_state, 'base64'), params);
      SeriesDetector.reconfigureSeason(window, layout, params, seriesSeasonPeriod(pipeline, row.source, row.metric));
      return {
        id: row.series_id,
        source: row.source,
        metric: row.metric,
        window,
        monitor: SeriesMonitor.fromJSON(JSON.parse(row.monitor_state), row.source, row.metric, definitions()),
        dirty: false,
        lastLiveAt: 0,
      };
    },
  };
}
