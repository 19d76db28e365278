/**
 * startApi(config, logger): connects the real adapters (Kafka producer, config-topic view,
 * command-result follower, admin status client, read-only ClickHouse), builds the fastify app
 * and listens on config.api.host:port (port 0 = any free port; the bound URL is returned).
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { topicNames, type VigilConfig } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import { connectAtStart, createKafka, javaCompatiblePartitioner } from '../pipeline/kafka/client.ts';
import { clickHouseReader, createReaderClient } from './clickhouse.ts';
import type { ApiDeps } from './deps.ts';
import { startCommandBus, type KafkaCommandBus } from './kafka/command-bus.ts';
import { startConfigStore, type KafkaConfigStore } from './kafka/config-store.ts';
import { sdkMetricSink } from './kafka/metric-sink.ts';
import { createMetricProducer } from '../pipeline/sdk/producer.ts';
import { assertClickHouseLogin } from '../pipeline/storage/clickhouse.ts';
import { withTimeout } from '../pipeline/kafka/offsets.ts';
import { startKafkaStatus } from './kafka/status.ts';
import { buildApi } from './server.ts';
import { startSilenceStore, type KafkaSilenceStore } from '../oncall/silences/silence-store.ts';
import { startReceiverStore, type KafkaReceiverStore } from '../oncall/notify/receiver-store.ts';
import { createGatewayHealth } from './gateway-health.ts';

export interface RunningApi {
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  app: FastifyInstance;
  deps: ApiDeps & { commands: KafkaCommandBus; config: KafkaConfigStore; silences: KafkaSilenceStore; receivers: KafkaReceiverStore };
  close(): Promise<void>;
}

/** How long start-up waits for the config topic to be read before serving anyway (definitions answer 503 until then). */
const READY_WAIT_MS = 20_000;

export async function startApi(config: VigilConfig, logger: Logger): Promise<RunningApi> {
  const log = logger.child({ component: 'api' });
  const topics = topicNames(config);
  const kafka = createKafka(config, logger, { clientId: `${config.kafka.clientId}-api` });
  const closers: Array<() => Promise<unknown>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch((err: unknown) => log.warn({ err }, 'error while closing'));
    closers.length = 0;
  };

  try {
    const producer = kafka.producer({ createPartitioner: javaCompatiblePartitioner, allowAutoTopicCreation: false, idempotent: false });
    await connectAtStart(producer, config.kafka);
    closers.push(() => producer.disconnect());

    const metricProducer = createMetricProducer({ config, logger: logger.child({ component: 'ingest-producer' }), clientId: `${config.kafka.clientId}-api-ingest` });
    await metricProducer.connect();
    closers.push(() => metricProducer.close());

    const chClient = createReaderClient(config, logger);
    closers.push(() => chClient.close());
    await assertClickHouseLogin(chClient, config, true);

    const [configStore, commandBus, kafkaStatus, silenceStore, receiverStore] = await Promise.all([
      startConfigStore({ kafka, producer, topic: topics.config, logger }),
      startCommandBus({ kafka, producer, commandsTopic: topics.commands, resultsTopic: topics.commandResults, logger }),
      startKafkaStatus(kafka, [topics.metrics, topics.commands, topics.config]),
      startSilenceStore({ kafka, producer, topic: topics.silences, logger }),
      startReceiverStore({ kafka, producer, topic: topics.receivers, logger, configured: config.notify.receivers }),
    ]);
    closers.push(() => configStore.close(), () => commandBus.close(), () => kafkaStatus.close(), () => silenceStore.close(), () => receiverStore.close());

    const ready = await withTimeout(Promise.all([configStore.whenReady(), commandBus.whenReady(), silenceStore.whenReady(), receiverStore.whenReady()]).then(() => true), READY_WAIT_MS, false);
    if (!ready) log.warn({ waitedMs: READY_WAIT_MS, configReady: configStore.ready }, 'serving before the config topic / command results follower were ready');

    const deps = {
      clickhouse: clickHouseReader(chClient, config.api.queryTimeoutMs),
      metrics: sdkMetricSink(metricProducer),
      commands: commandBus,
      config: configStore,
      kafka: kafkaStatus,
      silences: silenceStore,
      receivers: receiverStore,
      gateway: createGatewayHealth(config.gateway, { url: config.api.gatewayHealthUrl }),
    };
    const app = await buildApi(config, deps, { logger });
    closers.push(() => app.close());
    if (config.api.apiKeys.length === 0) {
      log.warn('no API keys configured (api.apiKeys / VIGIL_API_KEYS): every route is open — fine for a local demo, not for anything else');
    }
    await app.listen({ host: config.api.host, port: config.api.port });
    const address = app.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host}:${address.port}`;
    log.info({ url, docs: `${url}/docs`, keys: config.api.apiKeys.length }, 'API listening');
    return { url, app, deps, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
