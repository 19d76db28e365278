/**
 * Producer SDK for vigil.metrics: validate, key by series id, single-object-encode, send.
 *
 *   const producer = createMetricProducer({ brokers: ['127.0.0.1:19092'] });
 *   await producer.connect();
 *   await producer.send([{ source: 'api', metric: 'response_time', value: 212, timestamp: Date.now() }]);
 *   await producer.close();
 *
 * Usable from any Node service: it reads no environment, config file or process-wide state;
 * everything comes from the options.
 */
import { CompressionTypes, Partitioners, logLevel as KafkaLogLevel, type Kafka, type LogEntry, type Message, type Producer } from 'kafkajs';
import { topicNames, type VigilConfig } from '../../core/config.ts';
import { VigilError } from '../../core/errors.ts';
import type { KafkaSaslConfig, KafkaSslConfig } from '../../core/kafka-config.ts';
import { newKafkaClient } from '../kafka/client.ts';
import { getSchemaRegistry, type SchemaEntry } from '../../schemas/avro/registry.ts';
import type { MetricPoint } from '../../schemas/records.ts';
import { frameSingleObject } from '../codec/framing.ts';
import { DEFAULT_INGEST_LIMITS, type IngestLimits } from '../ingest/checks.ts';
import { validateMetricPoint } from '../ingest/validate.ts';

/** A point as callers write it: tags may be left out. */
export type MetricPointInput = Omit<MetricPoint, 'tags'> & { tags?: Record<string, string> };

/** The subset of a pino logger the SDK uses. */
export interface SdkLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface MetricProducerOptions {
  brokers: string[];
  /** Default `vigil.metrics`. */
  topic?: string;
  clientId?: string;
  logger?: SdkLogger;
  /** The same limits the pipeline applies; a point the pipeline would dead-letter is refused here. */
  limits?: Partial<Omit<IngestLimits, 'nowMs'>>;
  /** Points per kafkajs send (default 5000); larger calls are split, in order. */
  maxBatchPoints?: number;
  /** Request retries before a send fails (default 8, about a minute with backoff). */
  retries?: number;
  compression?: 'none' | 'gzip';
  /** SASL/SCRAM login, same shape as the config's kafka.sasl (password already resolved). */
  sasl?: KafkaSaslConfig | null;
  /** TLS, same shape as the config's kafka.ssl (PEM file paths). */
  ssl?: KafkaSslConfig | null;
  /** Bring your own kafkajs client; brokers/clientId/sasl/ssl are then ignored. */
  kafka?: Kafka;
}

export interface MetricProducerFromConfig {
  config: VigilConfig;
  logger?: SdkLogger;
  clientId?: string;
  maxBatchPoints?: number;
}

export interface MetricProducer {
  readonly topic: string;
  connect(): Promise<void>;
  /** Validates every point first: any invalid point rejects the whole call and nothing is sent. */
  send(points: MetricPointInput | MetricPointInput[]): Promise<{ sent: number }>;
  close(): Promise<void>;
}

export interface InvalidPoint {
  index: number;
  errors: string[];
}

/** Thrown by send() when points fail validation; `invalid` lists each bad item. */
export class InvalidMetricPointsError extends VigilError {
  readonly invalid: InvalidPoint[];
  constructor(invalid: InvalidPoint[], total: number) {
    const shown = invalid
      .slice(0, 10)
      .map((p) => `[${p.index}] ${p.errors.join('; ')}`)
      .join(' | ');
    const more = invalid.length > 10 ? ` (and ${invalid.length - 10} more)` : '';
    super(`${invalid.length} of ${total} metric points are invalid, none were sent: ${shown}${more}`, {
      code: 'invalid-points',
      action: 'fix or drop the listed points and send again',
    });
    this.name = 'InvalidMetricPointsError';
    this.invalid = invalid;
  }
}

function kafkaLogCreator(logger: SdkLogger) {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _ts, ...context } = log;
      const fields = { component: 'kafkajs', namespace, ...context };
      // Retries are bounded on purpose (a send must fail eventually); kafkajs warns about it.
      if (/Limiting retries for the idempotent producer/.test(message)) return;
      if (level === KafkaLogLevel.ERROR) ('retryCount' in context ? logger.warn : logger.error).call(logger, fields, message);
      else if (level === KafkaLogLevel.WARN) logger.warn(fields, message);
      else if (level === KafkaLogLevel.INFO) logger.debug(fields, message);
    };
}

function resolveOptions(input: MetricProducerOptions | MetricProducerFromConfig): MetricProducerOptions {
  if ('config' in input) {
    const { config } = input;
    return {
      brokers: config.kafka.brokers,
      sasl: config.kafka.sasl,
      ssl: config.kafka.ssl,
      topic: topicNames(config).metrics,
      clientId: input.clientId ?? `${config.kafka.clientId}-producer`,
      logger: input.logger,
      limits: { maxTagCount: config.pipeline.maxTagCount, maxTagBytes: config.pipeline.maxTagBytes, maxFutureSkewMs: config.pipeline.maxFutureSkewMs },
      maxBatchPoints: input.maxBatchPoints,
    };
  }
  return input;
}

export function createMetricProducer(input: MetricProducerOptions | MetricProducerFromConfig): MetricProducer {
  const options = resolveOptions(input);
  if (!options.kafka && (!Array.isArray(options.brokers) || options.brokers.length === 0)) {
    throw new VigilError('createMetricProducer needs at least one broker', { action: "pass brokers: ['host:port']" });
  }
  const topic = options.topic ?? 'vigil.metrics';
  const maxBatchPoints = options.maxBatchPoints ?? 5000;
  if (!Number.isInteger(maxBatchPoints) || maxBatchPoints < 1) {
    throw new VigilError(`maxBatchPoints must be a positive integer, got ${maxBatchPoints}`, { action: 'pass e.g. 5000' });
  }
  const limits = { ...DEFAULT_INGEST_LIMITS, ...options.limits };
  const writer: SchemaEntry = getSchemaRegistry().latest('io.vigil.MetricPoint');
  const logger = options.logger;
  const kafka =
    options.kafka ??
    newKafkaClient(
      { brokers: options.brokers, sasl: options.sasl ?? null, ssl: options.ssl ?? null },
      { clientId: options.clientId ?? 'vigil-producer', logLevel: logger ? KafkaLogLevel.INFO : KafkaLogLevel.NOTHING, ...(logger ? { logCreator: kafkaLogCreator(logger) } : {}) },
    );
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    // murmur2 exactly as the Java client: a series lands where a Java producer would put it.
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: options.retries ?? 8 },
  });
  const compression = options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  let state: 'new' | 'connecting' | 'connected' | 'closed' = 'new';
  let connecting: Promise<void> | undefined;

  function encode(points: MetricPointInput[]): Message[] {
    const nowMs = Date.now();
    const invalid: InvalidPoint[] = [];
    const messages: Message[] = new Array(points.length);
    for (let i = 0; i < points.length; i++) {
      const result = validateMetricPoint(points[i], { ...limits, nowMs });
      if (!result.ok) {
        invalid.push({ index: i, errors: result.errors });
        continue;
      }
      const { point } = result;
      messages[i] = { key: `${point.source}/${point.metric}`, value: frameSingleObject(writer.fingerprint, writer.type.toBuffer(point)) };
    }
    if (invalid.length > 0) throw new InvalidMetricPointsError(invalid, points.length);
    return messages;
  }

  return {
    topic,
    async connect() {
      if (state === 'closed') throw new VigilError('metric producer is closed', { action: 'create a new producer' });
      if (state === 'connected') return;
      if (!connecting) {
        state = 'connecting';
        connecting = producer.connect().then(
          () => {
            state = 'connected';
            logger?.info({ topic, brokers: options.brokers }, 'metric producer connected');
          },
          (cause: unknown) => {
            state = 'new';
            connecting = undefined;
            // A refused login or certificate already says what to fix (pipeline/kafka/client.ts).
            if (cause instanceof VigilError) throw cause;
            throw new VigilError(`metric producer cannot connect to ${options.brokers?.join(',') ?? 'Kafka'}`, {
              cause,
              action: 'check that Kafka is running and the brokers option is right',
            });
          },
        );
      }
      await connecting;
    },
    async send(input) {
      if (state !== 'connected') {
        throw new VigilError(`metric producer is ${state === 'closed' ? 'closed' : 'not connected'}`, { action: 'call connect() first' });
      }
      const points = Array.isArray(input) ? input : [input];
      if (points.length === 0) return { sent: 0 };
      const messages = encode(points);
      for (let start = 0; start < messages.length; start += maxBatchPoints) {
        const chunk = messages.slice(start, start + maxBatchPoints);
        try {
          await producer.send({ topic, messages: chunk, acks: -1, compression });
        } catch (cause) {
          throw new VigilError(`sending ${chunk.length} metric points to ${topic} failed after ${start} were sent`, {
            cause,
            code: 'send-failed',
            action: 'check Kafka health; points before the failed chunk were delivered, resend from there',
          });
        }
      }
      logger?.debug({ topic, points: messages.length }, 'metric points sent');
      return { sent: messages.length };
    },
    async close() {
      if (state === 'closed') return;
      state = 'closed';
      await producer.disconnect();
    },
  };
}
