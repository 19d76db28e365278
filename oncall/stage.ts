/**
 * The contract between the on-call process (oncall/runtime.ts) and its stages: the incident
 * processor, the notifier, the Alertmanager forwarder. Each stage lives in oncall/<stage>/ and
 * exports `start<Stage>(deps: OncallDeps): Promise<StageHandle>`; the runtime starts them in
 * the order of its stage table and closes them in reverse.
 */
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { TopicNames, VigilConfig } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import type { ClickHouseClient } from '../pipeline/storage/clickhouse.ts';

/** What every stage gets: shared clients, not connections (each stage opens its own producers/consumers). */
export interface OncallDeps {
  config: VigilConfig;
  /** Child logger with `stage: <name>`. */
  logger: Logger;
  kafka: Kafka;
  topics: TopicNames;
  /** Writer client (user `default`) on config.clickhouse.database; migrations already applied. */
  clickhouse: ClickHouseClient;
  /** The process's Prometheus registry, served on GET /metrics: register the stage's metrics here. */
  registry: Registry;
  /** Unique per process start: use it in consumer group member names and transactional ids. */
  instanceId: string;
  /** Fault-injection hook of the crash tests: runs before a stage commits a unit of work. Unset normally. */
  beforeCommit?: () => Promise<void>;
}

export interface StageHealth {
  healthy: boolean;
  /** Anything that helps an operator: partitions owned, last error, counters. */
  [detail: string]: unknown;
}

export interface StageHandle {
  /** Stops consuming, finishes or abandons in-flight work so that nothing is lost, releases clients. */
  close(): Promise<void>;
  /** Shown under the stage's name on GET /health; unhealthy turns the endpoint 503. Optional. */
  health?(): StageHealth;
}

export type StageStarter = (deps: OncallDeps) => Promise<StageHandle>;

export interface OncallStage {
  name: string;
  start: StageStarter;
  /** Config says whether the stage runs (e.g. no receivers configured = no notifier). Default: always. */
  enabled?: (config: VigilConfig) => boolean;
}
