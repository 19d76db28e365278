import { getConfig } from '../../core/config.ts';
import { VigilError } from '../../core/errors.ts';
import { createServiceLogger } from '../../core/logger.ts';
import { startMetricsServer, type MetricsServer } from '../../pipeline/runtime/metrics-server.ts';
import { startOncall } from '../../oncall/runtime.ts';
import type { Command } from '../command.ts';
import type { Logger } from '../../core/logger.ts';

/**
 * Fault injection for the crash tests: VIGIL_FAULT_ONCALL_KILL_BEFORE_COMMIT=n makes the process
 * SIGKILL itself in the n-th transaction, after its outputs were sent and before it commits.
 */
function faultInjection(logger: Logger) {
  const n = Number(process.env.VIGIL_FAULT_ONCALL_KILL_BEFORE_COMMIT ?? 0);
  if (!Number.isInteger(n) || n <= 0) return undefined;
  let commits = 0;
  logger.warn({ afterCommits: n }, 'fault injection armed: will kill -9 this process before a commit');
  return async () => {
    if (++commits >= n) process.kill(process.pid, 'SIGKILL');
  };
}

export const command: Command = {
  name: 'oncall',
  summary: 'run the on-call process: incidents from alerts, and the stages that act on them',
  usage: `usage: vigil oncall

Runs every on-call stage (oncall/runtime.ts): incident correlation (alerts grouped by
oncall.groupBy into incidents on the incidents topic and in ClickHouse), then the stages that
consume incidents (notifications, Alertmanager forwarding) when configured. Several instances
share the work through Kafka consumer groups; stop with Ctrl-C (SIGINT/SIGTERM).

Serves GET /metrics (Prometheus) and GET /health on VIGIL_ONCALL_HTTP_HOST:VIGIL_ONCALL_HTTP_PORT
(default 127.0.0.1:9465; 0 = any free port, -1 = off).

options:
  -h, --help   this help`,
  options: {},
  async run() {
    const config = getConfig();
    const logger = createServiceLogger(config, { app: 'vigil-oncall' });
    const { httpHost, httpPort } = config.oncall;
    const http: MetricsServer | undefined =
      httpPort >= 0 ? await startMetricsServer({ host: httpHost, port: httpPort, logger, portSetting: 'VIGIL_ONCALL_HTTP_PORT (oncall.httpPort)' }) : undefined;
    const oncall = await startOncall(config, logger, { beforeCommit: faultInjection(logger) }).catch(async (err: unknown) => {
      await http?.close();
      if (err instanceof VigilError) throw err;
      throw new VigilError(`the on-call process could not start (Kafka ${config.kafka.brokers.join(',')}, ClickHouse ${config.clickhouse.url})`, {
        cause: err,
        action: "check that both are reachable — locally 'npm run stack:up' starts them — or set VIGIL_KAFKA_BROKERS / VIGIL_CLICKHOUSE_URL",
      });
    });
    http?.attach(oncall);
    logger.info({ stages: oncall.stages, instanceId: oncall.instanceId }, 'on-call process running');
    await new Promise<void>((resolve) => {
      const shutdown = (signal: string) => {
        logger.info({ signal }, 'stopping on-call process');
        resolve();
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
    await oncall.close();
    await http?.close();
    return 0;
  },
};
