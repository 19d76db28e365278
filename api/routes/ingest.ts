/** POST /api/v1/metrics — validate each point, produce the valid ones, report the rest by index. */
import type { FastifyInstance } from 'fastify';
import { ingestLimitsFrom } from '../../pipeline/ingest/checks.ts';
import { validateMetricPoint } from '../../pipeline/ingest/validate.ts';
import type { MetricPoint } from '../../schemas/records.ts';
import { documentedIngestBody, ingestRoute, type IngestResult } from '../../schemas/http/ingest.ts';
import { badRequest } from '../http-error.ts';
import type { RouteContext } from './context.ts';

const MAX_ERROR_DETAILS = 100;

export default async function ingestRoutes(app: FastifyInstance, ctx: RouteContext) {
  const config = {
    role: 'ingest' as const,
    // The document shows the precise point schema; validation stays per item (see ingestBody).
    swaggerTransform: ({ schema, url }: { schema: object; url: string }) => ({ schema: { ...schema, body: documentedIngestBody }, url }),
  };
  app.post('/metrics', { schema: ingestRoute, config }, async (req, reply) => {
    const body = req.body as Record<string, unknown>;
    const isBatch = Object.prototype.hasOwnProperty.call(body, 'points');
    if (isBatch && Object.keys(body).length !== 1) {
      throw badRequest('a batch body holds only "points"', [{ path: 'body', message: 'unknown field next to points' }]);
    }
    const items: unknown[] = isBatch ? (body.points as unknown[]) : [body];
    if (items.length === 0) throw badRequest('no points in the batch', [{ path: 'body/points', message: 'must not be empty' }]);

    const nowMs = ctx.now();
    const limits = ingestLimitsFrom(ctx.config.pipeline, nowMs);
    const accepted: MetricPoint[] = [];
    const errors: IngestResult['errors'] = [];
    items.forEach((item, index) => {
      // Over HTTP the timestamp may be left out: the point is "now".
      const withTime =
        typeof item === 'object' && item !== null && !Array.isArray(item) && !Object.prototype.hasOwnProperty.call(item, 'timestamp')
          ? { ...(item as object), timestamp: nowMs }
          : item;
      const v = validateMetricPoint(withTime, limits);
      if (v.ok) accepted.push(v.point);
      else errors.push({ index, reasons: v.errors });
    });
    ctx.metrics.ingestedPoints.inc({ result: 'rejected' }, errors.length);

    if (accepted.length === 0) {
      const details = errors.slice(0, MAX_ERROR_DETAILS).map((e) => ({ path: isBatch ? `body/points/${e.index}` : 'body', message: e.reasons.join('; ') }));
      throw badRequest(`all ${items.length} point(s) are invalid${errors.length > MAX_ERROR_DETAILS ? ` (first ${MAX_ERROR_DETAILS} listed)` : ''}`, details);
    }
    try {
      await ctx.deps.metrics.send(accepted);
    } catch (err) {
      // The SDK re-validates with its own clock; a point at the future-skew edge can flip.
      if ((err as { code?: string }).code === 'invalid-points') throw badRequest((err as Error).message);
      throw err;
    }
    ctx.metrics.ingestedPoints.inc({ result: 'accepted' }, accepted.length);
    req.log.debug({ accepted: accepted.length, rejected: errors.length }, 'ingested points');
    const result: IngestResult = { accepted: accepted.length, rejected: errors.length, errors };
    return reply.code(202).send(result);
  });
}
