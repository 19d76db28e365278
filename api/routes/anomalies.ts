/** GET /api/v1/anomalies */
import type { FastifyInstance } from 'fastify';
import { listAnomaliesRoute, type ListAnomaliesQuery } from '../../schemas/http/anomalies.ts';
import { decodeCursor, pageFrom } from '../paging.ts';
import { splitCommaLists } from '../plugins/validation.ts';
import { anomalyCursorPosition, anomalyFromRow, listAnomaliesQuery, type AnomalyRow } from '../queries/anomalies.ts';
import { parseRange } from '../time.ts';
import type { RouteContext } from './context.ts';

export default async function anomalyRoutes(app: FastifyInstance, ctx: RouteContext) {
  app.get('/anomalies', { schema: listAnomaliesRoute, preValidation: async (req) => splitCommaLists(req.query, ['type']) }, async (req) => {
    const q = req.query as ListAnomaliesQuery;
    const range = parseRange(q);
    const scope = `anomalies:${q.sort}:${q.order}`;
    const after = q.cursor === undefined ? undefined : decodeCursor(scope, q.cursor);
    const rows = await ctx.deps.clickhouse.query<AnomalyRow>(
      listAnomaliesQuery(ctx.tables, { source: q.source, metric: q.metric, type: q.type, minScore: q.minScore, minConfidence: q.minConfidence, ...range }, q.sort, q.order, q.limit, after),
    );
    return pageFrom(rows, q.limit, scope, anomalyFromRow, anomalyCursorPosition);
  });
}
