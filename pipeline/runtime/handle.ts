/** What a started pipeline shows and accepts: its handle, figures, health and start options. */
import type { Registry } from 'prom-client';
import type { ScoringPoolStats } from '../../workers/pool.ts';
import type { ConsumerStatus } from './pipeline-metrics.ts';
import type { StalledPartition } from './partition-progress.ts';

/** Running totals of committed work (counted once a batch is committed). */
export interface PipelineCounters {
  points: number;
  /** Points dead-lettered for their partition's series limit (also in dlq / dlqByReason). */
  seriesRefused: number;
  /** Copies of points their series already held (same time and value): dropped, not stored. */
  duplicates: number;
  dlq: number;
  dlqByReason: Record<string, number>;
  anomalies: number;
  alertEvents: number;
  commands: number;
  batches: number;
  retries: number;
  lastBatchAt: number | null;
}

export const emptyCounters = (): PipelineCounters => ({
  points: 0,
  seriesRefused: 0,
  duplicates: 0,
  dlq: 0,
  dlqByReason: {},
  anomalies: 0,
  alertEvents: 0,
  commands: 0,
  batches: 0,
  retries: 0,
  lastBatchAt: null,
});

export interface PipelineStats extends PipelineCounters {
  instanceId: string;
  ownedPartitions: number[];
  series: number;
  seriesByPartition: Array<{ partition: number; series: number }>;
  /** Series each partition may hold (pipeline.maxSeries over kafka.partitions). */
  seriesLimit: number;
  windowBytes: number;
  pool: ScoringPoolStats;
}

/**
 * GET /health: `healthy` (HTTP 200) only while the consumer is running in its group, no owned
 * partition is stalled (lag and no committed progress for pipeline.stallAfterMs), and the broker
 * answered within two stall checks (≤ 10 s by default; a broker outage shows as unhealthy, with
 * the reason in `kafka.reason` and `lastError`, even while kafkajs still says the consumer runs).
 */
export interface PipelineHealth {
  status: ConsumerStatus;
  healthy: boolean;
  instanceId: string;
  groupId: string;
  ownedPartitions: number[];
  series: number;
  lastBatchAt: number | null;
  /** The newest failure still unresolved: a retrying operation (with its attempt count), else why the consumer last crashed. */
  lastError: string | null;
  /** Owned partitions with lag and no committed progress for stallAfterMs, with the reason. */
  stalledPartitions: StalledPartition[];
  /**
   * The series limit per partition, and the partitions whose `pipeline.series_limit` alert is
   * open (refusing points of new series). Refusing is not unhealthy: the known series flow.
   */
  seriesLimit: { perPartition: number; refusingPartitions: number[] };
  uptimeSeconds: number;
  pool: ScoringPoolStats;
  /** The broker check: unreachable once lag (or metadata) requests failed for two stall checks. */
  /** `degraded` (reachable but a broker missing or partitions under-replicated, pipeline/kafka/replication.ts) warns; it does not make the pipeline unhealthy. */
  kafka: { reachable: true; degraded?: string } | { reachable: false; reason: string };
}

export interface PipelineHandle {
  readonly instanceId: string;
  stats(): PipelineStats;
  /** Prometheus registry of this instance (scraped by the metrics server, or by tests). */
  readonly registry: Registry;
  health(): PipelineHealth;
  /** Waits until every owned partition's lane is idle (tests). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export interface PipelineOptions {
  instanceId?: string;
  snapshotIntervalMs?: number;
  silenceCheckMs?: number;
  /** How often stalled partitions are looked for (default a quarter of stallAfterMs, at most 5 s). */
  stallCheckMs?: number;
  /** Test hook: the scoring task module (default workers/score-batch.ts), e.g. one that crashes or hangs on purpose. */
  scoringModule?: string;
  /** Test hook: runs after a metrics batch's outputs are written, before its offsets are committed. */
  beforeCommit?: (partition: number, lastOffset: string) => Promise<void>;
}
