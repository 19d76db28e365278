/**
 * The one way to build a kafkajs client: brokers, client id and SASL / TLS from config, kafkajs
 * logs routed into pino, retries sized for a broker that restarts under us, and security
 * refusals (wrong password, untrusted certificate) reported at once with what to fix.
 */
import { Kafka, Partitioners, logLevel as KafkaLogLevel, type KafkaConfig as KafkaJsConfig, type LogEntry, type logCreator } from 'kafkajs';
import type { VigilConfig } from '../../core/config.ts';
import { VigilError } from '../../core/errors.ts';
import type { KafkaConfig } from '../../core/kafka-config.ts';
import { readPem } from '../../core/secrets.ts';
import type { Logger } from '../../core/logger.ts';
import { completeSends } from './complete-send.ts';

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

/** What a kafkajs client needs to reach the brokers: where, and the SASL / TLS settings. */
export type KafkaEndpoint = Pick<KafkaConfig, 'brokers' | 'sasl' | 'ssl'>;

/** kafkajs `ssl` / `sasl` options for the configured security (the PEM files are read now). */
export function kafkaSecurityOptions(endpoint: Pick<KafkaEndpoint, 'sasl' | 'ssl'>): Pick<KafkaJsConfig, 'ssl' | 'sasl'> {
  const out: Pick<KafkaJsConfig, 'ssl' | 'sasl'> = {};
  const { ssl, sasl } = endpoint;
  if (ssl) {
    out.ssl = {
      rejectUnauthorized: ssl.rejectUnauthorized,
      ...(ssl.ca ? { ca: [readPem(ssl.ca)] } : {}),
      ...(ssl.cert && ssl.key ? { cert: readPem(ssl.cert), key: readPem(ssl.key) } : {}),
    };
  }
  if (sasl) {
    const credentials = { username: sasl.username, password: sasl.password };
    out.sasl = sasl.mechanism === 'scram-sha-512' ? { mechanism: 'scram-sha-512', ...credentials } : { mechanism: 'scram-sha-256', ...credentials };
  }
  return out;
}

const TLS_TRUST_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function causes(err: unknown): Array<{ name?: string; code?: string; type?: string; message?: string }> {
  const out = [];
  for (let e = err as { cause?: unknown; originalError?: unknown } | null, depth = 0; e && typeof e === 'object' && depth < 8; depth++) {
    out.push(e as { name?: string; code?: string; type?: string; message?: string });
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return out;
}

/**
 * A refusal no retry can fix, as an error that says whose fault and which setting to change:
 * the broker refused the SASL login, or the TLS handshake failed on trust (untrusted CA, wrong
 * host name, expired certificate, or our client certificate refused). Null for anything else.
 * Messages name the user and files, never the password.
 */
export function kafkaSecurityError(err: unknown, endpoint: KafkaEndpoint): VigilError | null {
  const where = endpoint.brokers.join(',');
  for (const e of causes(err)) {
    if (e.name === 'KafkaJSSASLAuthenticationError' || e.type === 'SASL_AUTHENTICATION_FAILED') {
      const who = endpoint.sasl ? `user ${endpoint.sasl.username} (${endpoint.sasl.mechanism.toUpperCase()})` : 'the client';
      return new VigilError(`Kafka at ${where} refused the SASL login of ${who}`, {
        cause: err,
        code: 'kafka-sasl-refused',
        action: "check kafka.sasl.username and kafka.sasl.password (or passwordFile) against the broker's SCRAM credentials (kafka-configs --describe --entity-type users)",
      });
    }
    if (e.type === 'UNSUPPORTED_SASL_MECHANISM' || e.type === 'ILLEGAL_SASL_STATE') {
      return new VigilError(`Kafka at ${where} does not offer SASL ${endpoint.sasl?.mechanism.toUpperCase() ?? ''} on this listener`.trimEnd(), {
        cause: err,
        code: 'kafka-sasl-refused',
        action: "point kafka.brokers at the broker's SASL listener, or set kafka.sasl.mechanism to one in its sasl.enabled.mechanisms",
      });
    }
    const message = e.message ?? '';
    if (TLS_TRUST_CODES.has(e.code ?? '') || /self[- ]signed certificate|unable to verify the first certificate|unable to get (local )?issuer certificate|certificate has expired|Hostname\/IP does not match/i.test(message)) {
      return new VigilError(`the TLS certificate of Kafka at ${where} is not trusted: ${message.replace(/^Connection error: /, '')}`, {
        cause: err,
        code: 'kafka-tls-untrusted',
        action: endpoint.ssl?.ca
          ? `kafka.ssl.ca (${endpoint.ssl.ca}) must hold the CA that signed the broker's certificate, and the certificate must name the host in kafka.brokers`
          : "set kafka.ssl.ca to the PEM file of the CA that signed the broker's certificate",
      });
    }
    if (endpoint.ssl && /alert (certificate required|bad certificate|unknown ca|handshake failure)|SSLV3_ALERT|TLSV1_ALERT|TLSV13_ALERT/i.test(message + (e.code ?? ''))) {
      return new VigilError(`Kafka at ${where} refused the TLS handshake: ${message.replace(/^Connection error: /, '')}`, {
        cause: err,
        code: 'kafka-tls-refused',
        action: endpoint.ssl.cert
          ? `the broker does not accept the client certificate ${endpoint.ssl.cert}: it must be signed by a CA in the broker's ssl.truststore`
          : 'the broker asks for a client certificate (ssl.client.auth=required): set kafka.ssl.cert and kafka.ssl.key',
      });
    }
  }
  return null;
}

/**
 * With SASL or TLS configured, the first connect of each producer, consumer or admin of this
 * client is preceded by one attempt without retries, so that a wrong password, an untrusted CA
 * or a refused client certificate stops the caller at once with kafkaSecurityError instead of a
 * minute of retried connection errors. A broker that is merely down is left to the usual retries.
 */
function failFastOnSecurityErrors(kafka: Kafka, endpoint: KafkaEndpoint, options: KafkaJsConfig): Kafka {
  let verified: Promise<void> | null = null;
  const admin = kafka.admin.bind(kafka);
  const verify = (): Promise<void> => {
    verified ??= (async () => {
      // Its own client: connection retries are the client's, not the admin's.
      const probe = new Kafka({ ...options, retry: { retries: 0 } }).admin();
      try {
        await probe.connect();
      } catch (err) {
        const problem = kafkaSecurityError(err, endpoint);
        if (problem) throw problem;
        verified = null; // not a security failure: check again on the next connect
      } finally {
        await probe.disconnect().catch(() => undefined);
      }
    })();
    return verified;
  };
  const guard = <T extends { connect(): Promise<void> }>(client: T): T => {
    const connect = client.connect.bind(client);
    client.connect = async () => {
      await verify();
      try {
        await connect();
      } catch (err) {
        throw kafkaSecurityError(err, endpoint) ?? err;
      }
    };
    return client;
  };
  const producer = kafka.producer.bind(kafka);
  const consumer = kafka.consumer.bind(kafka);
  kafka.producer = (config) => guard(producer(config));
  kafka.consumer = (config) => guard(consumer(config));
  kafka.admin = (config) => guard(admin(config));
  return kafka;
}

/**
 * Connects a producer, consumer or admin at start-up. A refusal is already explained (the
 * guard above); any other failure becomes "cannot connect to Kafka at …" with the cause.
 */
export async function connectAtStart(client: { connect(): Promise<void> }, endpoint: Pick<KafkaEndpoint, 'brokers'>): Promise<void> {
  try {
    await client.connect();
  } catch (cause) {
    if (cause instanceof VigilError) throw cause;
    throw new VigilError(`cannot connect to Kafka at ${endpoint.brokers.join(',')}`, {
      cause,
      action: "start the local stack with 'npm run stack:up' or fix VIGIL_KAFKA_BROKERS (and kafka.sasl / kafka.ssl for a secured broker)",
    });
  }
}

export interface KafkaClientOptions {
  clientId: string;
  retries?: number;
  connectionTimeoutMs?: number;
  logLevel: KafkaLogLevel;
  logCreator?: logCreator;
  /** Where a send re-sent for partitions kafkajs left out is reported (complete-send.ts). */
  logger?: Logger;
}

/**
 * The one place a kafkajs client is built (Vigil's processes through createKafka, the producer
 * SDK with its own logger): timeouts and retries sized for a broker that restarts under us,
 * the SASL / TLS settings, fail-fast on security refusals, and sends completed for every partition.
 */
export function newKafkaClient(endpoint: KafkaEndpoint, options: KafkaClientOptions): Kafka {
  const kafkaOptions: KafkaJsConfig = {
    clientId: options.clientId,
    brokers: endpoint.brokers,
    ...kafkaSecurityOptions(endpoint),
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    // SASL adds a round trip or two to every new connection (SCRAM: 2).
    authenticationTimeout: 10_000,
    requestTimeout: 30_000,
    // ~1 min of retries with backoff: rides out a broker restart or a coordinator moving,
    // and still fails in bounded time when the broker is really gone.
    retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: options.retries ?? 8 },
    logLevel: options.logLevel,
    ...(options.logCreator ? { logCreator: options.logCreator } : {}),
  };
  // Every producer's send answered for all its partitions: kafkajs 2.2.4 can drop one silently.
  const kafka = completeSends(new Kafka(kafkaOptions), options.logger);
  return endpoint.sasl || endpoint.ssl ? failFastOnSecurityErrors(kafka, endpoint, kafkaOptions) : kafka;
}

export function createKafka(config: Pick<VigilConfig, 'kafka'>, logger: Logger, options: CreateKafkaOptions = {}): Kafka {
  return newKafkaClient(config.kafka, {
    clientId: options.clientId ?? config.kafka.clientId,
    retries: options.retries,
    connectionTimeoutMs: options.connectionTimeoutMs,
    logLevel: kafkaLogLevelFor(logger.level),
    logCreator: pinoLogCreator(logger),
    logger,
  });
}
