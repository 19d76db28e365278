/**
 * The notifier stage of the on-call process: `startNotifier(deps)` reloads the notification log
 * from ClickHouse, follows the incidents topic, and evaluates notification groups every
 * notify.tickMs. One consumer group (`<kafka.groupId>.notifier`) shares the incidents partitions
 * among on-call instances, so each incident is notified by exactly one of them.
 */
import type { VigilConfig } from '../../core/config.ts';
import { javaCompatiblePartitioner } from '../../pipeline/kafka/client.ts';
import type { SilenceSet } from '../silences/index.ts';
import { startSilenceStore } from '../silences/silence-store.ts';
import type { OncallDeps, OncallStage, StageHandle } from '../stage.ts';
import { NotificationEngine } from './engine.ts';
import { startReceiverStore } from './receiver-store.ts';
import { startIncidentSource } from './incident-source.ts';
import { clickhouseNotificationLog } from './log-store.ts';
import { createNotifierMetrics } from './metrics.ts';
import { attemptDelivery, type AttemptInput, type AttemptResult } from './sender.ts';
import { silenceLookup } from './silencing.ts';

export interface NotifierDeps extends OncallDeps {
  /** The silences in force; default: this stage follows the silences topic itself. */
  silences?: Pick<SilenceSet, 'activeSilencesFor'>;
  /** Replaces the HTTP attempt (benchmarks). */
  attempt?: (input: AttemptInput) => Promise<AttemptResult>;
}

export function notifierGroupId(config: Pick<VigilConfig, 'kafka'>): string {
  return `${config.kafka.groupId}.notifier`;
}

/** The row of ONCALL_STAGES: runs when notifications are enabled and a route is configured. */
export const notifierStage: OncallStage = {
  name: 'notify',
  start: (deps) => startNotifier(deps),
  enabled: (config) => config.notify.enabled && config.notify.route !== undefined,
};

export async function startNotifier(deps: NotifierDeps): Promise<StageHandle> {
  const { config } = deps;
  const notify = config.notify;
  const logger = deps.logger;
  let silences = deps.silences;
  let closeSilences = async () => {};
  if (!silences) {
    // The silence store only reads here; its producer is for the store's own write path.
    const producer = deps.kafka.producer({ createPartitioner: javaCompatiblePartitioner, idempotent: true });
    await producer.connect();
    const store = await startSilenceStore({ kafka: deps.kafka, producer, topic: deps.topics.silences, logger });
    await store.whenReady();
    silences = store;
    closeSilences = async () => {
      await store.close();
      await producer.disconnect();
    };
  }
  const log = clickhouseNotificationLog(deps.clickhouse, config.clickhouse.database);
  const receivers = await startReceiverStore({ kafka: deps.kafka, topic: deps.topics.receivers, logger, configured: notify.receivers });
  await receivers.whenReady();
  const engine = new NotificationEngine({
    notify,
    receiver: (name) => receivers.get(name)?.receiver,
    log,
    attempt: deps.attempt ?? attemptDelivery,
    metrics: createNotifierMetrics(deps.registry, notify.receivers.map((r) => r.name)),
    logger,
    silencedBy: silenceLookup(silences),
  });
  const reload = async () => engine.restore(await log.loadSince(Date.now() - notify.stateRetentionMs));
  await reload();
  let lastError: string | null = null;
  const source = await startIncidentSource({
    kafka: deps.kafka,
    topic: deps.topics.incidents,
    groupId: notifierGroupId(config),
    logger,
    onIncident: (incident, partition) => engine.observe(incident, partition),
    onAssigned: async (partitions) => {
      engine.dropPartitions((p) => partitions.includes(p));
      // Another instance may have notified these partitions' incidents while they were its.
      await reload().catch((err: unknown) => {
        lastError = `notification log reload failed: ${(err as Error).message}`;
        logger.error({ err }, 'cannot reload the notification log after a rebalance; groups keep what this instance knew');
      });
    },
  });
  const timer = setInterval(() => engine.tick((p) => source.isLive(p)), notify.tickMs);
  logger.info({ receivers: notify.receivers.map((r) => r.name), routed: Boolean(notify.route) }, 'notifier started');
  return {
    async close() {
      clearInterval(timer);
      await source.close();
      await engine.close();
      await closeSilences();
      await receivers.close();
    },
    health() {
      return { healthy: true, partitions: source.assigned(), incidents: engine.trackedIncidents, lastError };
    },
  };
}
