/**
 * The on-call process (`./bin/vigil oncall`): starts every on-call stage (incident
 * correlation, then the stages that consume incidents) with shared clients, serves their
 * metrics and health, and stops them in reverse order. Stages are listed in ONCALL_STAGES;
 * a new stage adds one row there and nothing else here.
 */
import { randomUUID } from 'node:crypto';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { topicNames, type VigilConfig } from '../core/config.ts';
import { VigilError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { createKafka } from '../pipeline/kafka/client.ts';
import { ensureTopics } from '../pipeline/kafka/topics.ts';
import { assertClickHouseLogin, createClickHouse } from '../pipeline/storage/clickhouse.ts';
import { migrate } from '../pipeline/storage/migrate.ts';
import { startIncidents } from './incidents/stage.ts';
import { notifierStage } from './notify/stage.ts';
import type { OncallDeps, OncallStage, StageHandle, StageHealth } from './stage.ts';
import { startAlertmanagerForwarder } from './alertmanager/forwarder.ts';
import { startSilenceArchiveStage } from './silences/archiver.ts';

/** Start order: producers of incidents before their consumers. */
export const ONCALL_STAGES: readonly OncallStage[] = [
  { name: 'incidents', start: startIncidents },
  { name: 'silence-archive', start: startSilenceArchiveStage },
  { name: 'alertmanager', start: (deps) => startAlertmanagerForwarder(deps), enabled: (c) => c.alertmanager.url !== null },
  notifierStage,
];

export interface OncallHealth {
  healthy: boolean;
  status: 'running' | 'stopping' | 'stopped';
  instanceId: string;
  uptimeSeconds: number;
  stages: Record<string, StageHealth>;
}

export interface OncallProcess {
  readonly instanceId: string;
  readonly registry: Registry;
  readonly stages: readonly string[];
  health(): OncallHealth;
  close(): Promise<void>;
}

export interface StartOncallOptions {
  /** Replaces ONCALL_STAGES (tests run one stage, or a stage of their own). */
  stages?: readonly OncallStage[];
  instanceId?: string;
  /** Skip ensureTopics/migrate (they already ran). */
  skipSetup?: boolean;
  /** Passed to every stage as deps.beforeCommit (crash tests). */
  beforeCommit?: () => Promise<void>;
}

export async function startOncall(config: VigilConfig, logger: Logger, options: StartOncallOptions = {}): Promise<OncallProcess> {
  const instanceId = options.instanceId ?? `oncall-${randomUUID().slice(0, 8)}`;
  const log = logger.child({ component: 'oncall', instanceId });
  if (!options.skipSetup) {
    await ensureTopics(config, log);
    await migrate(config, { logger: log });
  }
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const kafka = createKafka(config, log, { clientId: `${config.kafka.clientId}-oncall` });
  const clickhouse = createClickHouse(config, { logger: log });
  await assertClickHouseLogin(clickhouse, config, false).catch(async (err: unknown) => {
    await clickhouse.close();
    throw err;
  });
  const started: Array<{ name: string; handle: StageHandle }> = [];
  const startedAt = Date.now();
  let status: OncallHealth['status'] = 'running';

  const closeStarted = async () => {
    for (const { name, handle } of [...started].reverse()) {
      await handle.close().catch((err: unknown) => log.error({ err, stage: name }, 'on-call stage did not close cleanly'));
    }
    started.length = 0;
    await clickhouse.close();
  };

  for (const stage of options.stages ?? ONCALL_STAGES) {
    if (stage.enabled && !stage.enabled(config)) {
      log.info({ stage: stage.name }, 'on-call stage disabled by config');
      continue;
    }
    const deps: OncallDeps = { config, logger: logger.child({ stage: stage.name, instanceId }), kafka, topics: topicNames(config), clickhouse, registry, instanceId, beforeCommit: options.beforeCommit };
    try {
      started.push({ name: stage.name, handle: await stage.start(deps) });
      log.info({ stage: stage.name }, 'on-call stage started');
    } catch (cause) {
      await closeStarted();
      if (cause instanceof VigilError) throw cause;
      throw new VigilError(`on-call stage ${stage.name} could not start`, { cause, action: 'see the cause; Kafka and ClickHouse must be reachable' });
    }
  }

  return {
    instanceId,
    registry,
    stages: started.map((s) => s.name),
    health(): OncallHealth {
      const stages: Record<string, StageHealth> = {};
      for (const { name, handle } of started) stages[name] = handle.health?.() ?? { healthy: true };
      const healthy = status === 'running' && Object.values(stages).every((s) => s.healthy);
      return { healthy, status, instanceId, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000), stages };
    },
    async close() {
      if (status !== 'running') return;
      status = 'stopping';
      await closeStarted();
      status = 'stopped';
    },
  };
}
