/**
 * buildApi(config, deps) → a ready-to-listen fastify instance with every plugin and route.
 * Nothing here opens connections: the adapters in `deps` are made by api/index.ts (or a test).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { VigilConfig } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import { sharedSchemas } from '../schemas/http/index.ts';
import type { ApiDeps } from './deps.ts';
import { documentObject, documentRoute } from './openapi.ts';
import authPlugin, { keyRing } from './plugins/auth.ts';
import corsPlugin from './plugins/cors.ts';
import securityHeadersPlugin from './plugins/security-headers.ts';
import { gatewayUrlFor } from './gateway-url.ts';
import errorsPlugin, { clientErrorHandler } from './plugins/errors.ts';
import methodsPlugin, { noRouteError, routeTable } from './plugins/methods.ts';
import metricsPlugin, { createApiMetrics, type ApiMetrics } from './plugins/metrics.ts';
import rateLimitPlugin from './plugins/rate-limit.ts';
import textPlugin from './plugins/text.ts';
import { installValidators } from './plugins/validation.ts';
import { tablesIn } from './queries/tables.ts';
import alertRoutes from './routes/alerts.ts';
import anomalyRoutes from './routes/anomalies.ts';
import type { RouteContext } from './routes/context.ts';
import definitionRoutes from './routes/definitions.ts';
import incidentRoutes from './routes/incidents.ts';
import ingestRoutes from './routes/ingest.ts';
import notificationRoutes from './routes/notifications.ts';
import receiverRoutes from './routes/receivers.ts';
import seriesRoutes from './routes/series.ts';
import silenceRoutes from './routes/silences.ts';
import statusRoutes from './routes/status.ts';

export const API_PREFIX = '/api/v1';
const MAX_PARAM_LENGTH = 200;
const DOCS_PREFIX = '/docs';
export const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'dashboard', 'static');

export interface BuildApiOptions {
  /** pino logger for requests; default: none (tests). */
  logger?: Logger;
  metrics?: ApiMetrics;
  /** Folder served at `/` (the dashboard); default api/dashboard/static. */
  staticDir?: string;
}

export async function buildApi(config: VigilConfig, deps: ApiDeps, options: BuildApiOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger?.child({ component: 'api' }),
    bodyLimit: config.api.bodyLimit,
    // Request ids in logs; a caller's own id is kept if it sends one.
    requestIdHeader: 'x-request-id',
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    clientErrorHandler,
  }) as unknown as FastifyInstance;
  const ring = keyRing(config.api.apiKeys);
  const metrics = options.metrics ?? createApiMetrics();
  installValidators(app);
  for (const schema of sharedSchemas) app.addSchema(schema);

  const routes = routeTable(`${API_PREFIX}/`, MAX_PARAM_LENGTH);
  await app.register(errorsPlugin, { routes });
  await app.register(securityHeadersPlugin, { gatewayUrl: (req) => gatewayUrlFor(config.gateway, req.hostname, config.api.gatewayPublicUrl), docsPrefix: DOCS_PREFIX });
  // Before the methods plugin: a preflight OPTIONS is answered here, not refused with 405.
  await app.register(corsPlugin, { origins: config.api.corsOrigins });
  await app.register(methodsPlugin, { table: routes });
  // Rate limit first: its onRequest hook must also count requests that auth then refuses,
  // or guessing keys would be unlimited.
  await app.register(rateLimitPlugin, { perMinute: config.api.rateLimitPerMinute, ring });
  await app.register(authPlugin, { ring, apiPrefix: `${API_PREFIX}/` });
  await app.register(metricsPlugin, { metrics });
  await app.register(textPlugin);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Vigil API',
        version: '1.0.0',
        description: 'Real-time metrics monitoring: ingest, alerts, anomalies, SLAs, rules. Errors are {error, message, statusCode, details?}.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      security: ring.enabled ? [{ apiKey: [] }, { bearer: [] }] : [],
    },
    transform: documentRoute,
    transformObject: documentObject,
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  });
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX, uiConfig: { url: `${API_PREFIX}/openapi.json` } });

  const ctx: RouteContext = { config, deps, tables: tablesIn(config.clickhouse.database), metrics, now: deps.now ?? Date.now };
  await app.register(
    async (api) => {
      await api.register(ingestRoutes, ctx);
      await api.register(alertRoutes, ctx);
      await api.register(incidentRoutes, ctx);
      await api.register(anomalyRoutes, ctx);
      await api.register(definitionRoutes, ctx);
      await api.register(statusRoutes, ctx);
      await api.register(seriesRoutes, ctx);
      await api.register(notificationRoutes, ctx);
      await api.register(receiverRoutes, ctx);
      await api.register(silenceRoutes, ctx);
      api.get('/openapi.json', { config: { role: 'public' }, schema: { hide: true } }, async () => app.swagger());
      // Unmatched /api paths (including ones too long for the router) get a JSON 404, never a static-file lookup.
      api.all('/*', { config: { role: 'public', catchAll: true }, schema: { hide: true } }, async (req, reply) => {
        throw noRouteError(routes, req, reply);
      });
    },
    { prefix: API_PREFIX },
  );

  const staticDir = options.staticDir ?? STATIC_DIR;
  if (existsSync(staticDir)) {
    await app.register(fastifyStatic, { root: staticDir, prefix: '/', index: 'index.html', wildcard: true });
  } else {
    app.log.warn({ staticDir }, 'dashboard folder missing; / is not served');
  }
  return app;
}
