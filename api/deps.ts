/**
 * What the API needs from the outside world, as small interfaces so buildApi() can be handed
 * real adapters (api/index.ts) or other ones. Each adapter lives in api/kafka/ or
 * api/clickhouse.ts.
 */
import type { DefinitionSet } from '../pipeline/alerts/definitions.ts';
import type { AlertCommand, CommandResult, MetricPoint } from '../schemas/records.ts';
import type { ConsumerStatus } from '../schemas/http/status.ts';
import type { Sql } from './sql.ts';
import type { SilenceStore } from '../oncall/silences/silence-store.ts';
import type { ReceiverStore } from '../oncall/notify/receiver-store.ts';
import type { GatewayHealth } from './gateway-health.ts';

export interface ClickHouseReader {
  /** Runs a query built with sql`` and returns its rows (JSONEachRow). */
  query<T>(q: Sql): Promise<T[]>;
  /** Resolves when the server answers a trivial query. */
  ping(): Promise<void>;
}

export interface MetricSink {
  /** Produces validated points to the metrics topic (keyed by series id); resolves once acknowledged. */
  send(points: MetricPoint[]): Promise<void>;
}

export interface CommandBus {
  /**
   * Publishes the command to the commands topic (keyed by its series) and waits up to
   * `waitMs` for the series owner's result; null when none arrived in time.
   */
  issue(command: AlertCommand, waitMs: number): Promise<CommandResult | null>;
}

export type DefinitionKind = 'rule' | 'sla';

export interface ConfigStore {
  /** True once the config topic has been read up to its end as of start-up. */
  readonly ready: boolean;
  /** The rules and SLAs in force (defaults overlaid by the config topic). */
  definitions(): DefinitionSet;
  /**
   * Writes `value` (null = tombstone) under `<kind>/<id>` and resolves once this store has read
   * the record back, so a GET right after a PUT sees it.
   */
  write(kind: DefinitionKind, id: string, value: object | null): Promise<void>;
}

export interface KafkaStatus {
  /** Cluster reachability: broker count, and why the cluster is degraded if it is (pipeline/kafka/replication.ts). Throws when Kafka is unreachable. */
  ping(): Promise<{ brokers: number; degraded?: string }>;
  /** State, members and lag of a consumer group on the given topic. */
  consumerGroup(groupId: string, topic: string): Promise<ConsumerStatus>;
}

export interface ApiDeps {
  clickhouse: ClickHouseReader;
  metrics: MetricSink;
  commands: CommandBus;
  config: ConfigStore;
  kafka: KafkaStatus;
  /** Silences in force (the silences topic); alerts carry `silencedBy` from it. */
  silences: SilenceStore;
  /** Notification receivers (config file + the receivers topic); absent = the routes answer 503. */
  receivers?: ReceiverStore;
  /** The WebSocket gateway's own /health (api/gateway-health.ts); absent = no gateway check. */
  gateway?: GatewayHealth | null;
  /** Clock for time windows (tests pin it). */
  now?: () => number;
}
