/** What the batch, command and state-event handlers of one pipeline instance share. */
import type { VigilConfig, TopicNames } from '../../core/config.ts';
import type { Logger } from '../../core/logger.ts';
import type { StateStore } from '../state/state-store.ts';
import type { PartitionState } from '../state/partition-state.ts';
import type { BatchControl, BatchRetry } from './batch-retry.ts';
import type { PipelineCounters, PipelineOptions } from './handle.ts';
import type { OwnedPartitions } from './partitions.ts';
import type { PipelineMetrics } from './pipeline-metrics.ts';
import type { WriteDeps } from './stages/write.ts';
import type { ScoreDeps } from './stages/score.ts';
import type { SeriesLimitMonitor } from './series-limit-monitor.ts';

export interface PipelineContext extends WriteDeps {
  config: VigilConfig;
  logger: Logger;
  topics: TopicNames;
  store: StateStore;
  partitions: OwnedPartitions;
  counters: PipelineCounters;
  metrics: PipelineMetrics;
  retry: BatchRetry;
  maxProduceBytes: number;
  scoring: ScoreDeps;
  /** Series each partition may hold (pipeline/state/series-limit.ts). */
  seriesLimit: number;
  seriesLimitMonitor: SeriesLimitMonitor;
  snapshotIntervalMs: number;
  beforeCommit?: PipelineOptions['beforeCommit'];
}

/** Snapshots the partition's changed series when the interval has passed (or `force`). */
export async function maybeSnapshot(ctx: PipelineContext, state: PartitionState, force: boolean, payload?: BatchControl): Promise<void> {
  if (!force && Date.now() - state.lastSnapshotAt < ctx.snapshotIntervalMs) return;
  await ctx.retry('ClickHouse insert (state snapshot)', () => ctx.store.snapshot(state), payload, state.partition);
}
