/**
 * `startGateway(config, logger)`: native uWebSockets.js server fed by the output topics.
 */
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { topicNames, type VigilConfig } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import { createKafka } from '../pipeline/kafka/client.ts';
import { ensureTopics } from '../pipeline/kafka/topics.ts';
import { decodeEvent } from '../pipeline/codec/events.ts';
import type { RecordDecoder } from './events.ts';
import { KafkaSource } from './kafka-source.ts';
import { loadNativeUws, type UwsModule } from './native.ts';
import { GatewayServer } from './server.ts';

export interface StartGatewayOptions {
  /** Record decoder for the output topics (default: the Avro event codec, decodeEvent). */
  decode?: RecordDecoder;
  /** Injected in tests; default loads the native module and refuses the JS fallback. */
  uws?: UwsModule;
  kafka?: Kafka;
  /** Create missing topics first (default true), so the gateway may start before the pipeline. */
  ensureTopics?: boolean;
  groupId?: string;
}

export interface RunningGateway {
  port: number;
  gatewayId: string;
  server: GatewayServer;
  source: KafkaSource;
  close(): Promise<void>;
}

export function newGatewayId(): string {
  return randomBytes(8).readBigUInt64BE().toString(36).padStart(13, '0').slice(0, 12);
}

/** Avro single-object (or Confluent-framed) events, read with the current schemas. */
export const defaultRecordDecoder: RecordDecoder = decodeEvent;

export async function startGateway(config: VigilConfig, logger: Logger, options: StartGatewayOptions = {}): Promise<RunningGateway> {
  const uws = options.uws ?? loadNativeUws();
  if (options.ensureTopics !== false) await ensureTopics(config, logger);
  const topics = topicNames(config);
  const gatewayId = newGatewayId();
  let source: KafkaSource | undefined;
  const server = new GatewayServer({
    uws,
    host: config.gateway.host,
    port: config.gateway.port,
    tokens: config.gateway.tokens,
    maxBackpressureBytes: config.gateway.maxBackpressureBytes,
    replayBufferSize: config.gateway.replayBufferSize,
    idleTimeoutSec: config.gateway.idleTimeoutSec,
    admission: { maxConnectionsPerIp: config.gateway.maxConnectionsPerIp, handshakeRate: config.gateway.handshakeRate, allowedOrigins: config.gateway.allowedOrigins },
    gatewayId,
    logger,
    sourceHealth: () => source?.status() ?? { healthy: false, state: 'idle' },
  });
  const port = await server.listen();
  source = new KafkaSource({
    kafka: options.kafka ?? createKafka(config, logger, { clientId: `${config.kafka.clientId}-gateway` }),
    topics: { alerts: topics.alerts, anomalies: topics.anomalies, live: topics.live },
    decode: options.decode ?? defaultRecordDecoder,
    sink: server,
    logger,
    groupId: options.groupId,
  });
  try {
    await source.start();
  } catch (err) {
    await server.close();
    throw err;
  }
  const log = logger.child({ component: 'gateway', gatewayId });
  log.info({ host: config.gateway.host, port, auth: config.gateway.tokens.length > 0 ? 'tokens' : 'open', groupId: source.groupId }, 'gateway listening');
  if (config.gateway.tokens.length === 0) log.warn('no gateway tokens configured: anyone who can reach the port may subscribe (local demo only)');
  let closing: Promise<void> | undefined;
  return {
    port,
    gatewayId,
    server,
    source,
    close() {
      closing ??= (async () => {
        await server.close();
        await source!.stop();
        log.info('gateway stopped');
      })();
      return closing;
    },
  };
}
