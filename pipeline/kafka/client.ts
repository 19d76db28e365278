/**
 * The one way to build a kafkajs client: brokers and client id from config, kafkajs logs
 * routed into pino, retries sized for a broker that restarts under us.
 */
import { Kafka, Partitioners, logLevel as KafkaLogLevel, type LogEntry, type logCreator } from 'kafkajs';
import type { VigilConfig } from '../../core/config.ts';
import type { Logger } from '../../core/logger.ts';

/**
 * kafkajs 2.x's DefaultPartitioner is the Java client's murmur2 partitioner, so a key lands
 * on the same partition whichever client produced it. Pass it as `createPartitioner`.
 */
export const javaCompatiblePartitioner = Partitioners.DefaultPartitioner;

// kafkajs warns once per producer that its default partitioner changed in 2.0; every Vigil
// producer uses the (Java-compatible) default on purpose.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

function kafkaLogLevelFor(pinoLevel: string): KafkaLogLevel {
  switch (pinoLevel) {
    case 'silent':
      return KafkaLogLevel.NOTHING;
    case 'fatal':
    case 'error':
      return KafkaLogLevel.ERROR;
    case 'warn':
      return KafkaLogLevel.WARN;
    case 'info':
      return KafkaLogLevel.INFO;
    default:
      return KafkaLogLevel.DEBUG;
  }
}

/** Bridges kafkajs's log entries to a pino child logger (`component: kafkajs`). */
export function pinoLogCreator(logger: Logger): logCreator {
  const log = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const { message, timestamp: _ts, ...context } = entry;
      const fields = { namespace, ...context };
      switch (level) {
        case KafkaLogLevel.ERROR:
          // kafkajs's Connection logs every error response, including retriable ones
          // (coordinator loading, rebalance in progress, concurrent transactions) that it then
          // retries by itself; entries with a retryCount will be retried too. The caller gets
          // the real failure if the retries run out.
          if (namespace === 'Connection') log.debug(fields, message);
          else if ('retryCount' in context) log.warn(fields, message);
          else log.error(fields, message);
          break;
        case KafkaLogLevel.WARN:
          // "The group is rebalancing, re-joining" is how a consumer group works, not a problem.
          if (namespace === 'Runner' && /rebalancing/i.test(message)) log.info(fields, message);
          // Printed for every idempotent producer: Vigil bounds send retries on purpose (its own
          // retry loop pauses the partition instead), so this is a design note, not a warning.
          else if (namespace === 'Producer' && /Limiting retries for the idempotent producer/.test(message)) log.debug(fields, message);
          else log.warn(fields, message);
          break;
        case KafkaLogLevel.INFO:
          log.info(fields, message);
          break;
        default:
          log.debug(fields, message);
      }
    };
}

export interface CreateKafkaOptions {
  /** Defaults to config.kafka.clientId; give each role its own (e.g. `vigil-api`) for broker-side tracing. */
  clientId?: string;
  /** Retries per request (default 8, about a minute with backoff); health probes pass 0. */
  retries?: number;
  connectionTimeoutMs?: number;
}

export function createKafka(config: Pick<VigilConfig, 'kafka'>, logger: Logger, options: CreateKafkaOptions = {}): Kafka {
  return new Kafka({
    clientId: options.clientId ?? config.kafka.clientId,
    brokers: config.kafka.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: 30_000,
    // ~1 min of retries with backoff: rides out a broker restart or a coordinator moving,
    // and still fails in bounded time when the broker is really gone.
    retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: options.retries ?? 8 },
    logLevel: kafkaLogLevelFor(logger.level),
    logCreator: pinoLogCreator(logger),
  });
}
