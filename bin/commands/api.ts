import type { Command } from '../command.ts';
import { UsageError } from '../command.ts';

const usage = `usage: vigil api [--config FILE] [--host HOST] [--port PORT] [--no-setup]

Runs the HTTP API (fastify) and serves the dashboard:
  /api/v1/...        REST API (ingest, alerts, anomalies, SLA, rules, live metrics, health)
  /docs              OpenAPI UI (document at /api/v1/openapi.json)
  /metrics           Prometheus metrics
  /                  dashboard

Options:
  --config FILE      JSON config file (default: VIGIL_CONFIG); VIGIL_* variables override it
  --host HOST        listen address (default config api.host, 127.0.0.1)
  --port PORT        listen port (default config api.port, 8080; 0 = any free port)
  --no-setup         do not create missing topics / run ClickHouse migrations first

API keys: api.apiKeys in the config file or VIGIL_API_KEYS='[{"key":"...","roles":["read"]}]'.
Without keys every route is open (local demo only).
Stops cleanly on SIGINT / SIGTERM.`;

export const command: Command = {
  name: 'api',
  summary: 'run the HTTP API and dashboard (fastify, default 127.0.0.1:8080)',
  usage,
  options: {
    config: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    'no-setup': { type: 'boolean' },
  },
  async run(values) {
    const { loadConfig } = await import('../../core/config.ts');
    const { createServiceLogger } = await import('../../core/logger.ts');
    const api: Record<string, unknown> = {};
    if (typeof values.host === 'string') api.host = values.host;
    if (typeof values.port === 'string') {
      const port = Number(values.port);
      if (!/^\d{1,5}$/.test(values.port) || port > 65535) throw new UsageError(`--port must be 0..65535, got ${JSON.stringify(values.port)}\n\n${usage}`);
      api.port = port;
    }
    const config = loadConfig({ file: typeof values.config === 'string' ? values.config : undefined, overrides: { api } });
    const logger = createServiceLogger(config, { service: 'vigil-api' });

    if (values['no-setup'] !== true) {
      // Idempotent, and lets `vigil api` come up before the pipeline on a fresh stack.
      const { ensureTopics } = await import('../../pipeline/kafka/topics.ts');
      const { migrate } = await import('../../pipeline/storage/migrate.ts');
      await ensureTopics(config, logger);
      await migrate(config, logger);
    }

    const { startApi } = await import('../../api/index.ts');
    const running = await startApi(config, logger);
    process.stdout.write(`vigil api listening on ${running.url} (docs ${running.url}/docs)\n`);

    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        logger.info({ signal }, 'stopping API');
        resolve();
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    await running.close();
    return 0;
  },
};
