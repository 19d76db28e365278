/** What every route plugin is registered with. */
import type { VigilConfig } from '../../core/config.ts';
import type { ApiDeps } from '../deps.ts';
import type { ApiMetrics } from '../plugins/metrics.ts';
import type { Tables } from '../queries/tables.ts';

export interface RouteContext {
  config: VigilConfig;
  deps: ApiDeps;
  tables: Tables;
  metrics: ApiMetrics;
  now: () => number;
}
