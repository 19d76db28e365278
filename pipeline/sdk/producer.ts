/**
 * Producer SDK for vigil.metrics: validate, key by series id, single-object-encode, send.
 *
 *   const producer = createMetricProducer({ brokers: ['127.0.0.1:19092'] });
 *   await producer.connect();
 *   await producer.send([{ source: 'api', metric: 'response_time', value: 212, timestamp: Date.now() }]);
 *   await producer.close();
 *
 * Points of concurrent send() calls share Kafka requests (pipeline/sdk/send-queue.ts: size by
 * points and bytes, linger by time); docs/sdk.md says what a call promises on error and on close.
 * Usable from any Node service: it reads no environment, config file or process-wide state;
 * everything comes from the options.
 */
import { CompressionTypes, logLevel as KafkaLogLevel, type Kafka, type LogEntry, type Producer } from 'kafkajs';
import { topicNames, type VigilConfig } from '../../core/config.ts';
import { VigilError } from '../../core/errors.ts';
import type { KafkaSaslConfig, KafkaSslConfig } from '../../core/kafka-config.ts';
import { newKafkaClient } from '../kafka/client.ts';
import { getSchemaRegistry } from '../../schemas/avro/registry.ts';
import { DEFAULT_INGEST_LIMITS, type IngestLimits } from '../ingest/checks.ts';
import { CachingJavaPartitioner, createPointEncoder, type MetricPointInput } from './encode.ts';
import { installFastProduce } from './fast-produce.ts';
import { SendQueue } from './send-queue.ts';

export { InvalidMetricPointsError, type InvalidPoint, type MetricPointInput } from './encode.ts';
export { PointsNotDeliveredError } from './send-queue.ts';

/** The subset of a pino logger the SDK uses. */
export interface SdkLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** How points are grouped into Kafka requests; see docs/sdk.md. */
export interface BatchingOptions {
  /** Most points in one Kafka request (default 5000, at most 100,000); larger calls are split, in order. */
  maxBatchPoints?: number;
  /**
   * Most bytes of keys and values in one Kafka request (default 1 MiB, as the Java client's
   * max.request.size; 4 KiB to 64 MiB). Keep it at or under the broker's message.max.bytes
   * (1 MiB by default): all points of one series go to one partition, in one record batch.
   */
  maxBatchBytes?: number;
  /**
   * How long (ms, default 0, at most 10,000) an idle producer waits for more points before it
   * sends a request that is not full. Points that arrive while a request is in flight always
   * wait for it and go out together, whatever this is.
   */
  lingerMs?: number;
}

export interface MetricProducerOptions extends BatchingOptions {
  brokers: string[];
  /** Default `vigil.metrics`. */
  topic?: string;
  clientId?: string;
  logger?: SdkLogger;
  /** The same limits the pipeline applies; a point the pipeline would dead-letter is refused here. */
  limits?: Partial<Omit<IngestLimits, 'nowMs'>>;
  /** Request retries before a send fails (default 8, about a minute with backoff). */
  retries?: number;
  compression?: 'none' | 'gzip';
  /** SASL/SCRAM login, same shape as the config's kafka.sasl (password already resolved). */
  sasl?: KafkaSaslConfig | null;
  /** TLS, same shape as the config's kafka.ssl (PEM file paths). */
  ssl?: KafkaSslConfig | null;
  /** Bring your own kafkajs client; brokers/clientId/sasl/ssl are then ignored. */
  kafka?: Kafka;
  /**
   * Build the SDK's produce requests with pipeline/sdk/fast-produce.ts (default true): the same
   * bytes as kafkajs 2.2.4 at a fraction of its CPU; false keeps kafkajs's own encoding.
   */
  fastEncoding?: boolean;
}

export interface MetricProducerFromConfig extends BatchingOptions {
  config: VigilConfig;
  logger?: SdkLogger;
  clientId?: string;
}

export interface MetricProducer {
  readonly topic: string;
  connect(): Promise<void>;
  /**
   * Validates every point first: any invalid point rejects the whole call and nothing is sent.
   * Resolves when every point was acknowledged (acks = all); rejects with PointsNotDeliveredError
   * (`delivered`: how many of the call's first points were) when a request failed.
   */
  send(points: MetricPointInput | MetricPointInput[]): Promise<{ sent: number }>;
  /** Refuses new sends, waits for every queued and in-flight point to settle, then disconnects. */
  close(): Promise<void>;
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
      maxBatchBytes: input.maxBatchBytes,
      lingerMs: input.lingerMs,
    };
  }
  return input;
}

function checkedNumber(name: string, value: unknown, fallback: number, min: number, max: number, integer: boolean, example: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    const shown = typeof value === 'number' ? String(value) : `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`;
    throw new VigilError(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${shown}`, { code: 'invalid-option', action: `pass e.g. ${name}: ${example}, or leave it out for the default` });
  }
  return value;
}

/** The batching options, checked: a bad value fails at construction, not at the first send. */
export function batchingFrom(options: BatchingOptions): Required<BatchingOptions> {
  return {
    maxBatchPoints: checkedNumber('maxBatchPoints', options.maxBatchPoints, 5000, 1, 100_000, true, '5000'),
    maxBatchBytes: checkedNumber('maxBatchBytes', options.maxBatchBytes, 1024 * 1024, 4096, 64 * 1024 * 1024, true, '1048576'),
    lingerMs: checkedNumber('lingerMs', options.lingerMs, 0, 0, 10_000, false, '5'),
  };
}

export function createMetricProducer(input: MetricProducerOptions | MetricProducerFromConfig): MetricProducer {
  const options = resolveOptions(input);
  if (!options.kafka && (!Array.isArray(options.brokers) || options.brokers.length === 0)) {
    throw new VigilError('createMetricProducer needs at least one broker', { action: "pass brokers: ['host:port']" });
  }
  const topic = options.topic ?? 'vigil.metrics';
  const batching = batchingFrom(options);
  if (options.fastEncoding !== undefined && typeof options.fastEncoding !== 'boolean') {
    throw new VigilError(`fastEncoding must be true or false, got ${typeof options.fastEncoding}`, { code: 'invalid-option', action: 'pass fastEncoding: false to use kafkajs\'s own encoding, or leave it out' });
  }
  // Process-wide but inert for anything that is not an SDK message (see fast-produce.ts).
  const fastEncoding = options.fastEncoding !== false && installFastProduce();
  const encode = createPointEncoder(getSchemaRegistry().latest('io.vigil.MetricPoint'), { ...DEFAULT_INGEST_LIMITS, ...options.limits }, fastEncoding);
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
    createPartitioner: CachingJavaPartitioner,
    retry: { retries: options.retries ?? 8 },
  });
  const compression = options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  const queue = new SendQueue({
    ...batching,
    destination: topic,
    send: async (messages) => {
      await producer.send({ topic, messages, acks: -1, compression });
    },
  });
  let state: 'new' | 'connecting' | 'connected' | 'closed' = 'new';
  let connecting: Promise<void> | undefined;

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
            logger?.info({ topic, brokers: options.brokers, ...batching, fastEncoding }, 'metric producer connected');
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
      await queue.enqueue(messages);
      logger?.debug({ topic, points: messages.length }, 'metric points sent');
      return { sent: messages.length };
    },
    async close() {
      if (state === 'closed') return;
      state = 'closed';
      await queue.drain();
      await producer.disconnect();
    },
  };
}
