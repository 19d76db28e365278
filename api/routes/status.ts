/** Read-only status views: SLA status, live metrics, dashboard stats, health, client config. */
import type { FastifyInstance } from 'fastify';
import { topicNames } from '../../core/config.ts';
import {
  clientConfigRoute,
  dashboardStatsRoute,
  healthRoute,
  liveMetricsRoute,
  slaStatusRoute,
  type ClientConfig,
  type ConsumerStatus,
  type DashboardStats,
  type HealthCheck,
  type HealthResponse,
  type LiveMetricsQuery,
  type SlaStatus,
  type SlaStatusQuery,
} from '../../schemas/http/status.ts';
import { withTimeout } from '../../pipeline/kafka/offsets.ts';
import { METRIC_UNITS } from '../../pipeline/alerts/default-rules.ts';
import { openAlertCountsQuery, openPipelineStallsQuery, type PipelineStallRow } from '../queries/alerts.ts';
import { anomaliesSinceQuery } from '../queries/anomalies.ts';
import { ingestCountsQuery, liveFromRow, liveMetricsQuery, type LiveRow } from '../queries/points.ts';
import { slaStatusFromRow, slaStatusQuery, type SlaStatusRow } from '../queries/sla.ts';
import { num } from '../queries/tables.ts';
import type { RouteContext } from './context.ts';
import { gatewayUrlFor } from '../gateway-url.ts';
import { HttpError } from '../http-error.ts';
import { createTtlCache } from '../ttl-cache.ts';

/** Lag (unprocessed metric records) above which the pipeline counts as falling behind. */
export const LAG_WARN_RECORDS = 100_000;
const CHECK_TIMEOUT_MS = 3000;

async function timed(fn: () => Promise<HealthCheck>): Promise<HealthCheck> {
  const started = performance.now();
  const outcome = await withTimeout(
    fn().catch((err: unknown): HealthCheck => ({ status: 'fail', message: (err as Error)?.message ?? String(err) })),
    CHECK_TIMEOUT_MS,
    { status: 'fail', message: `no answer within ${CHECK_TIMEOUT_MS} ms` } as HealthCheck,
  );
  return { ...outcome, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
}

/**
 * The pipeline as the API can see it: the group (members, lag) from Kafka, and the stall alerts
 * the pipeline instances raised about their own partitions (a partition with lag and no commit
 * for pipeline.stallAfterMs). A stall fails the check: points the API accepts are not stored.
 */
export function pipelineCheck(group: ConsumerStatus, stalls: readonly PipelineStallRow[] = []): HealthCheck {
  const details: Record<string, unknown> = { groupId: group.groupId, state: group.state, members: group.members, lag: group.lag };
  if (stalls.length > 0) {
    details.stalled = stalls.map((s) => ({ rule: s.a_rule_id, since: Number(s.a_opened_at_ms), reason: s.a_reason }));
    const partitions = stalls.map((s) => s.a_rule_id.split(':').pop()).join(', ');
    return { status: 'fail', message: `pipeline partition${stalls.length === 1 ? '' : 's'} ${partitions} stalled: ${stalls[0].a_reason}`, details };
  }
  if (group.members === 0) {
    return { status: 'warn', message: `no pipeline instance is consuming (group ${group.state}); points wait in Kafka`, details };
  }
  if (group.lag !== null && group.lag > LAG_WARN_RECORDS) {
    return { status: 'warn', message: `pipeline is ${group.lag} records behind`, details };
  }
  return { status: 'ok', details };
}

export default async function statusRoutes(app: FastifyInstance, ctx: RouteContext) {
  const { deps, tables, config } = ctx;
  const metricsTopic = topicNames(config).metrics;

  // Bounded: with Kafka down the admin client retries for about a minute; the dashboard
  // should still get its ClickHouse figures promptly.
  const consumerStatus = (): Promise<ConsumerStatus> => {
    const unknown = (error: string): ConsumerStatus => ({ groupId: config.kafka.groupId, state: 'Unknown', members: 0, lag: null, error });
    return withTimeout(
      deps.kafka.consumerGroup(config.kafka.groupId, metricsTopic).catch((err: unknown) => unknown((err as Error)?.message ?? String(err))),
      CHECK_TIMEOUT_MS,
      unknown(`Kafka did not answer within ${CHECK_TIMEOUT_MS} ms`),
    );
  };

  const slaStatuses = async (q: SlaStatusQuery): Promise<SlaStatus[]> => {
    const rows = await deps.clickhouse.query<SlaStatusRow>(slaStatusQuery(tables, q, ctx.now()));
    const defs = deps.config.definitions();
    return rows.map((r) => {
      const s = slaStatusFromRow(r);
      return { ...s, name: defs.sla(s.slaId)?.name ?? s.slaId };
    });
  };

  app.get('/sla', { schema: slaStatusRoute }, async (req) => ({ items: await slaStatuses(req.query as SlaStatusQuery) }));

  // Every open dashboard asks for these on load and every 15 s; within api.cacheTtlMs (1 s by
  // default) one query answers them all. Staleness is bounded by the TTL (docs/architecture.md).
  const liveCache = createTtlCache<{ items: ReturnType<typeof liveFromRow>[] }>(config.api.cacheTtlMs, ctx.now);
  const statsCache = createTtlCache<DashboardStats>(config.api.cacheTtlMs, ctx.now);

  app.get('/live-metrics', { schema: liveMetricsRoute }, async (req) => {
    const q = req.query as LiveMetricsQuery;
    return liveCache.get(JSON.stringify([q.source, q.metric, q.limit, q.windowSec]), async () => {
      const rows = await deps.clickhouse.query<LiveRow>(liveMetricsQuery(tables, { source: q.source, metric: q.metric, limit: q.limit, sinceMs: ctx.now() - q.windowSec * 1000 }));
      return { items: rows.map(liveFromRow) };
    });
  });

  app.get('/dashboard-stats', { schema: dashboardStatsRoute }, (): Promise<DashboardStats> => statsCache.get('', dashboardStats));

  async function dashboardStats(): Promise<DashboardStats> {
    const now = ctx.now();
    const [alertRows, slas, anomalyRows, ingestRows, consumer] = await Promise.all([
      deps.clickhouse.query<{ a_severity: string; a_status: string; n: string | number }>(openAlertCountsQuery(tables)),
      slaStatuses({}),
      deps.clickhouse.query<{ n: string | number }>(anomaliesSinceQuery(tables, now - 3_600_000)),
      deps.clickhouse.query<{ n: string | number; series: string | number; anomalous: string | number }>(ingestCountsQuery(tables, 60)),
      consumerStatus(),
    ]);
    const bySeverity: Record<string, number> = {};
    const byStatus: Record<string, number> = {};
    let open = 0;
    for (const r of alertRows) {
      const n = num(r.n);
      open += n;
      bySeverity[r.a_severity] = (bySeverity[r.a_severity] ?? 0) + n;
      byStatus[r.a_status] = (byStatus[r.a_status] ?? 0) + n;
    }
    const lastHour = num(anomalyRows[0]?.n ?? 0);
    const points = num(ingestRows[0]?.n ?? 0);
    const anomalous = num(ingestRows[0]?.anomalous ?? 0);
    return {
      alerts: { open, bySeverity, byStatus },
      sla: {
        objectives: slas.length,
        violated: slas.filter((s) => s.violated).length,
        minErrorBudgetRemaining: slas.length ? Math.min(...slas.map((s) => s.errorBudgetRemaining)) : null,
        meanCompliance: slas.length ? slas.reduce((a, s) => a + s.compliance, 0) / slas.length : null,
      },
      anomalies: { lastHour, perMinute: lastHour / 60, anomalousPointShare: points > 0 ? anomalous / points : 0 },
      ingest: { pointsLastMinute: points, pointsPerSecond: points / 60, series: num(ingestRows[0]?.series ?? 0) },
      consumer,
      generatedAt: now,
    };
  }

  app.get('/health', { schema: healthRoute, config: { role: 'public' } }, async (_req, reply) => {
    const [kafka, clickhouse, pipeline, gateway] = await Promise.all([
      timed(async () => {
        const details = await deps.kafka.ping();
        // Degraded still serves every request: a warning (200 'degraded'), not a failure.
        return details.degraded ? { status: 'warn', message: details.degraded, details } : { status: 'ok', details };
      }),
      timed(async () => {
        await deps.clickhouse.ping();
        return { status: 'ok' };
      }),
      timed(async () => {
        const [group, stalls] = await Promise.all([
          deps.kafka.consumerGroup(config.kafka.groupId, metricsTopic),
          // ClickHouse down is the clickhouse check's failure; the group alone still tells something.
          // Bounded below the check's own timeout: a hung ClickHouse must not fail this check too.
          withTimeout(deps.clickhouse.query<PipelineStallRow>(openPipelineStallsQuery(tables, config.kafka.groupId)).catch(() => []), CHECK_TIMEOUT_MS / 2, []),
        ]);
        return pipelineCheck(group, stalls);
      }),
      deps.gateway ? timed(() => deps.gateway!.check()) : Promise.resolve(null),
    ]);
    // Without Kafka the group cannot be asked: that is Kafka's failure, reported once.
    const pipelineResult: HealthCheck = kafka.status === 'fail' ? { status: 'warn', message: 'unknown while Kafka is unreachable' } : pipeline;
    const checks: Record<string, HealthCheck> = {
      kafka,
      clickhouse,
      pipeline: pipelineResult,
      config: deps.config.ready ? { status: 'ok' } : { status: 'warn', message: 'config topic still loading' },
    };
    const statuses = Object.values(checks).map((c) => c.status);
    let status: HealthResponse['status'] = statuses.includes('fail') ? 'fail' : statuses.includes('warn') ? 'degraded' : 'ok';
    // The API still serves and stores without the gateway; only live events stop: degraded, not 503.
    if (gateway) {
      checks.gateway = gateway;
      if (gateway.status !== 'ok' && status === 'ok') status = 'degraded';
    }
    const body: HealthResponse = { status, checks };
    return reply.code(body.status === 'fail' ? 503 : 200).send(body);
  });

  app.get('/client-config', { schema: clientConfigRoute, config: { role: 'public' } }, async (req): Promise<ClientConfig> => {
    const gatewayUrl = gatewayUrlFor(config.gateway, req.hostname, config.api.gatewayPublicUrl);
    if (gatewayUrl === null) throw new HttpError(400, 'the Host header is not a plain host name; the gateway address cannot be derived from it');
    return {
      gatewayUrl,
      apiBase: '/api/v1',
      authRequired: config.api.apiKeys.length > 0,
      gatewayAuthRequired: config.gateway.tokens.length > 0,
      metricUnits: METRIC_UNITS,
    };
  });
}
