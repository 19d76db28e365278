/**
 * Prometheus metrics at GET /metrics: request duration histogram by route and status, ingest
 * and command counters, and the default process metrics. One registry per API instance, so
 * several instances in one process (tests) do not collide.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type {} from '@fastify/swagger'; // adds schema.hide

export interface ApiMetrics {
  registry: Registry;
  ingestedPoints: Counter<'result'>;
  commands: Counter<'type' | 'outcome'>;
  configWrites: Counter<'kind' | 'op'>;
}

export function createApiMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vigil_api_' });
  const ingestedPoints = new Counter({
    name: 'vigil_api_ingest_points_total',
    help: 'Metric points received over HTTP, by result (accepted = produced to Kafka, rejected = failed validation)',
    labelNames: ['result'],
    registers: [registry],
  });
  // Exposed at 0 from the start: Prometheus' rate() cannot see an increase in a series whose first
  // sample already holds the whole first burst.
  for (const result of ['accepted', 'rejected']) ingestedPoints.inc({ result }, 0);
  return {
    registry,
    ingestedPoints,
    commands: new Counter({
      name: 'vigil_api_alert_commands_total',
      help: 'Alert commands by type and outcome (applied, refused, pending = no answer in time, conflict = refused by the API)',
      labelNames: ['type', 'outcome'],
      registers: [registry],
    }),
    configWrites: new Counter({
      name: 'vigil_api_config_writes_total',
      help: 'Rule and SLA definition writes to the config topic',
      labelNames: ['kind', 'op'],
      registers: [registry],
    }),
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    apiMetrics: ApiMetrics;
  }
}

async function metricsPlugin(app: FastifyInstance, opts: { metrics: ApiMetrics }) {
  const { registry } = opts.metrics;
  const duration = new Histogram({
    name: 'vigil_api_http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  app.decorate('apiMetrics', opts.metrics);
  app.addHook('onResponse', async (req, reply) => {
    // Route patterns, not URLs: ids in paths would make the label set unbounded.
    const route = req.routeOptions.url ?? 'unmatched';
    duration.observe({ method: req.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  // A scrape key (role metrics) when keys are configured: the figures name sources and routes.
  app.get('/metrics', { config: { role: 'metrics' }, schema: { hide: true } }, async (_req, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}

export default fp(metricsPlugin, { name: 'vigil-metrics', fastify: '5.x' });
