import { loadConfig } from '../../core/config.ts';
import { VigilError } from '../../core/errors.ts';
import { createServiceLogger } from '../../core/logger.ts';
import { startGateway } from '../../gateway/index.ts';
import type { Command } from '../command.ts';
import { UsageError } from '../command.ts';

export const command: Command = {
  name: 'gateway',
  summary: 'run a WebSocket gateway (uWebSockets.js) streaming alerts, anomalies and live metrics',
  usage: `usage: vigil gateway [--host <addr>] [--port <n>]

Serves ws://<host>:<port>/ws (protocol: docs/websocket.md), GET /health and GET /metrics.
Reads the alerts, anomalies and live topics from their end in a consumer group of its own,
so every gateway instance sees every event; run several behind a load balancer to scale.
Refuses to start on uWebSockets.js's JavaScript fallback.

Configuration (config file VIGIL_CONFIG, or env): gateway.host/port (VIGIL_GATEWAY_HOST/PORT,
default 127.0.0.1:8090), gateway.tokens (VIGIL_GATEWAY_TOKENS, comma-separated; none = open,
for local demos only), gateway.maxBackpressureBytes, gateway.replayBufferSize,
gateway.idleTimeoutSec, kafka.* (VIGIL_KAFKA_BROKERS, VIGIL_TOPIC_PREFIX).

options:
  --host <addr>  listen address (overrides gateway.host)
  --port <n>     listen port, 0 = any free port (overrides gateway.port)
  -h, --help     this help`,
  options: { host: { type: 'string' }, port: { type: 'string' } },
  async run(values) {
    const gateway: Record<string, unknown> = {};
    if (typeof values.host === 'string') gateway.host = values.host;
    if (typeof values.port === 'string') {
      const port = Number(values.port);
      if (!/^\d{1,5}$/.test(values.port) || port > 65535) throw new UsageError(`--port takes a port number (0-65535), got ${JSON.stringify(values.port)}`);
      gateway.port = port;
    }
    let running: Awaited<ReturnType<typeof startGateway>>;
    let config: ReturnType<typeof loadConfig>;
    let logger: ReturnType<typeof createServiceLogger>;
    try {
      config = loadConfig({ overrides: Object.keys(gateway).length > 0 ? { gateway } : {} });
      logger = createServiceLogger(config, { app: 'vigil-gateway' });
      running = await startGateway(config, logger);
    } catch (err) {
      // Startup failures (config, fallback uWS, Kafka down) carry cause + action: print those, not a stack.
      if (err instanceof VigilError) {
        process.stderr.write(`vigil gateway: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
    process.stdout.write(`vigil gateway ${running.gatewayId} listening on ws://${config.gateway.host}:${running.port}/ws\n`);
    await new Promise<void>((resolve) => {
      const shutdown = (signal: string) => {
        logger.info({ signal }, 'stopping gateway');
        resolve();
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
    await running.close();
    return 0;
  },
};
