/**
 * The notifier stage of the on-call process: `startNotifier(deps)` reloads the notification log
 * from ClickHouse, follows the incidents topic, and evaluates notification groups every
 * notify.tickMs. One consumer group (`<kafka.groupId>.notifier`) shares the incidents partitions
 * among on-call instances, so each incident is notified by exactly one of them.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { VigilConfig } from '../../core/config.ts';
import type { Logger } from '../../core/logger.ts';
import type { SilenceSet } from '../silences/index.ts';
import { NotificationEngine } from './engine.ts';
import { startIncidentSource } from './incident-source.ts';
import { clickhouseNotificationLog } from './log-store.ts';
import { createNotifierMetrics } from './metrics.ts';
import { attemptDelivery, type AttemptInput, type AttemptResult } from './sender.ts';
import { silenceLookup } from './silencing.ts';

export interface NotifierDeps {
  config: VigilConfig;
  logger: Logger;
  kafka: Kafka;
  topics: { incidents: string };
  clickhouse: ClickHouseClient;
  registry: Registry;
  instanceId: string;
  /** The silences in force (followed by the silences stage); none = nothing is silenced. */
  silences?: Pick<SilenceSet, 'activeSilencesFor'>;
  /** Replaces the HTTP attempt (benchmarks). */
  attempt?: (input: AttemptInput) => Promise<AttemptResult>;
}

export interface NotifierHandle {
  close(): Promise<void>;
  health(): { healthy: boolean; [detail: string]: unknown };
}

export function notifierGroupId(config: Pick<VigilConfig, 'kafka'>): string {
  return `${config.kafka.groupId}.notifier`;
}

export async function startNotifier(deps: NotifierDeps): Promise<NotifierHandle> {
  const { config } = deps;
  const notify = config.notify;
  const logger = deps.logger.child({ component: 'notifier', instanceId: deps.instanceId });
  const log = clickhouseNotificationLog(deps.clickhouse, config.clickhouse.database);
  const engine = new NotificationEngine({
    notify,
    log,
    attempt: deps.attempt ?? attemptDelivery,
    metrics: createNotifierMetrics(deps.registry),
    logger,
    silencedBy: deps.silences ? silenceLookup(deps.silences) : undefined,
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
    },
    health() {
      return { healthy: true, partitions: source.assigned(), incidents: engine.trackedIncidents, lastError };
    },
  };
}
