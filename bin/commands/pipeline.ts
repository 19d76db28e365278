import { getConfig } from '../../core/config.ts';
import { createServiceLogger } from '../../core/logger.ts';
import { startPipeline } from '../../pipeline/runtime/pipeline.ts';
import { startMetricsServer, type MetricsServer } from '../../pipeline/runtime/metrics-server.ts';
import type { Command } from '../command.ts';
import { VigilError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';

/**
 * Fault injection for the crash-recovery tests: VIGIL_FAULT_KILL_BEFORE_COMMIT=n makes the
 * process SIGKILL itself after the n-th metrics batch's outputs are written and before its
 * offsets are committed — the worst moment for a crash. Unset in normal runs.
 */
function faultInjection(logger: Logger) {
  const n = Number(process.env.VIGIL_FAULT_KILL_BEFORE_COMMIT ?? 0);
  if (!Number.isInteger(n) || n <= 0) return undefined;
  let batches = 0;
  logger.warn({ afterBatches: n }, 'fault injection armed: will kill -9 this process before a commit');
  return async () => {
    if (++batches >= n) process.kill(process.pid, 'SIGKILL');
  };
}

export const command: Command = {
  name: 'pipeline',
  summary: 'run a pipeline instance: consume metrics, score, alert, store (joins the consumer group)',
  usage: `usage: vigil pipeline [--stats-every <seconds>]

Joins consumer group VIGIL_KAFKA_GROUP_ID (default vigil-pipeline) on the metrics and commands
topics, scores every point on a worker pool (VIGIL_WORKER_THREADS), writes ClickHouse and the
output topics, and commits offsets only after both are acknowledged. Start several instances to
share the partitions; stop with Ctrl-C (SIGINT/SIGTERM) for a clean hand-over.

Serves GET /metrics (Prometheus) and GET /health on VIGIL_PIPELINE_HTTP_HOST:VIGIL_PIPELINE_HTTP_PORT
(default 127.0.0.1:9464; -1 = off). A taken port stops the command before it joins the group.

options:
  --stats-every <s>  log throughput and state figures every s seconds (default 10, 0 = never)
  -h, --help         this help`,
  options: { 'stats-every': { type: 'string' } },
  async run(values) {
    const config = getConfig();
    const logger = createServiceLogger(config, { app: 'vigil-pipeline' });
    const every = Number(values['stats-every'] ?? 10);
    if (!Number.isFinite(every) || every < 0) throw new Error('--stats-every takes a number of seconds');
    const { httpHost, httpPort } = config.pipeline;
    const http: MetricsServer | undefined = httpPort >= 0 ? await startMetricsServer({ host: httpHost, port: httpPort, logger }) : undefined;
    const pipeline = await startPipeline(config, logger, { beforeCommit: faultInjection(logger) }).catch(async (err: unknown) => {
      await http?.close();
      if (err instanceof VigilError) throw err;
      throw new VigilError(`the pipeline could not start (Kafka ${config.kafka.brokers.join(',')}, ClickHouse ${config.clickhouse.url})`, {
        cause: err,
        action: "check that both are reachable — locally 'npm run stack:up' starts them — or set VIGIL_KAFKA_BROKERS / VIGIL_CLICKHOUSE_URL",
      });
    });
    http?.attach(pipeline);
    let last = pipeline.stats();
    const timer =
      every > 0
        ? setInterval(() => {
            const s = pipeline.stats();
            logger.info(
              {
                pointsPerSec: Math.round((s.points - last.points) / every),
                points: s.points,
                dlq: s.dlq,
                anomalies: s.anomalies,
                alertEvents: s.alertEvents,
                series: s.series,
                windowBytes: s.windowBytes,
                partitions: s.ownedPartitions,
                pool: s.pool,
              },
              'pipeline stats',
            );
            last = s;
          }, every * 1000)
        : undefined;
    await new Promise<void>((resolve) => {
      const shutdown = (signal: string) => {
        logger.info({ signal }, 'stopping pipeline');
        resolve();
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
    if (timer) clearInterval(timer);
    await pipeline.stop();
    await http?.close();
    return 0;
  },
};
