import { getConfig } from '../../core/config.ts';
import { createLogger } from '../../core/logger.ts';
import { startPipeline } from '../../pipeline/runtime/pipeline.ts';
import type { Command } from '../command.ts';

export const command: Command = {
  name: 'pipeline',
  summary: 'run a pipeline instance: consume metrics, score, alert, store (joins the consumer group)',
  usage: `usage: vigil pipeline [--stats-every <seconds>]

Joins consumer group VIGIL_KAFKA_GROUP_ID (default vigil-pipeline) on the metrics and commands
topics, scores every point on a worker pool (VIGIL_WORKER_THREADS), writes ClickHouse and the
output topics, and commits offsets only after both are acknowledged. Start several instances to
share the partitions; stop with Ctrl-C (SIGINT/SIGTERM) for a clean hand-over.

options:
  --stats-every <s>  log throughput and state figures every s seconds (default 10, 0 = never)
  -h, --help         this help`,
  options: { 'stats-every': { type: 'string' } },
  async run(values) {
    const config = getConfig();
    const logger = createLogger(config.logLevel, { app: 'vigil-pipeline' });
    const every = Number(values['stats-every'] ?? 10);
    if (!Number.isFinite(every) || every < 0) throw new Error('--stats-every takes a number of seconds');
    const pipeline = await startPipeline(config, logger);
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
    return 0;
  },
};
