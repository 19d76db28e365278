/** GET /api/v1/series/points — history of one series for charts (see schemas/http/series.ts). */
import type { FastifyInstance } from 'fastify';
import { seriesPointsRoute, type SeriesPoints, type SeriesPointsQuery } from '../../schemas/http/series.ts';
import {
  newestLast,
  rawPointFromRow,
  rawPointsQuery,
  rollupPointFromRow,
  rollupPointsQuery,
  sampledPointFromRow,
  sampledPointsQuery,
  type RawPointRow,
  type RollupPointRow,
  type SampledPointRow,
  type SeriesRange,
} from '../queries/series.ts';
import { resolveSeriesWindow } from '../series-window.ts';
import type { RouteContext } from './context.ts';

export default async function seriesRoutes(app: FastifyInstance, ctx: RouteContext) {
  const { deps, tables } = ctx;

  app.get('/series/points', { schema: seriesPointsRoute }, async (req): Promise<SeriesPoints> => {
    const q = req.query as SeriesPointsQuery;
    const window = resolveSeriesWindow(q, ctx.now());
    const range: SeriesRange = { source: q.source, metric: q.metric, from: window.from, to: window.to, limit: q.limit };
    let page: ReturnType<typeof newestLast>;
    if (window.resolution === 'rollup') {
      page = newestLast(await deps.clickhouse.query<RollupPointRow>(rollupPointsQuery(tables, range, window.stepSec)), q.limit, rollupPointFromRow);
    } else if (window.resolution === 'sampled') {
      page = newestLast(await deps.clickhouse.query<SampledPointRow>(sampledPointsQuery(tables, range, window.stepSec)), q.limit, sampledPointFromRow);
    } else {
      page = newestLast(await deps.clickhouse.query<RawPointRow>(rawPointsQuery(tables, range)), q.limit, rawPointFromRow);
    }
    return { source: q.source, metric: q.metric, resolution: window.resolution, step: window.stepSec, from: window.from, to: window.to, ...page };
  });
}
