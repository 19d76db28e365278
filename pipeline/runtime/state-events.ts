/**
 * State changes not driven by points (no-data checks, definition changes): applied to every series
 * of a partition in its lane, their alert events written and published, then snapshotted at
 * once — replaying points after a restart would not reproduce these transitions.
 */
import type { AlertEvent } from '../../schemas/records.ts';
import type { PartitionState, SeriesEntry } from '../state/partition-state.ts';
import { RetryAbortedError } from './retry.ts';
import { emptyOutputs, outputPublisher } from './outputs.ts';
import { maybeSnapshot, type PipelineContext } from './context.ts';

export async function emitStateEvents(ctx: PipelineContext, partition: number, state: PartitionState, change: (entry: SeriesEntry) => AlertEvent[]): Promise<void> {
  if (ctx.partitions.states.get(partition) !== state) return;
  const events: AlertEvent[] = [];
  for (const entry of state.series.values()) {
    const fired = change(entry);
    if (fired.length > 0) {
      entry.dirty = true;
      events.push(...fired);
    }
  }
  if (events.length === 0) return;
  try {
    await ctx.retry('ClickHouse insert (state events)', () => ctx.sink.writeDerived({ anomalies: [], alerts: events, sla: [] }), undefined, partition);
    await ctx.retry('Kafka produce (state events)', outputPublisher(ctx.producer, ctx.topics, ctx.encoder, { ...emptyOutputs(), alerts: events }, ctx.publish), undefined, partition);
    await maybeSnapshot(ctx, state, true);
    ctx.counters.alertEvents += events.length;
    ctx.metrics.alertEvents(events);
  } catch (err) {
    ctx.partitions.discard(partition);
    if (!(err instanceof RetryAbortedError)) ctx.logger.error({ err, partition }, 'state event emission failed');
  }
}

/** No-data checks of every owned partition, each in its lane. */
export async function checkSilence(ctx: PipelineContext): Promise<void> {
  const now = Date.now();
  for (const [partition, state] of ctx.partitions.states) {
    await ctx.partitions.lanes.run(partition, () =>
      // Wall clock: the monitor measures silence from the first check that saw data, so a
      // series already silent when its partition moved here still alerts after noDataMs.
      emitStateEvents(ctx, partition, state, (entry) => entry.monitor.checkSilence(now, ctx.config.pipeline.noDataMs)),
    );
  }
}
