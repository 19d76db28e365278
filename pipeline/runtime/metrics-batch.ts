/**
 * One metrics batch through its stages: decode → series limit (points of new series beyond the
 * partition's limit are dead-lettered as `series-limit`) → score and monitor (worker pool, alert engine,
 * bounded recovery from worker faults; repeats of points a series holds are dropped there:
 * copies counted, other values at a held timestamp dead-lettered as `duplicate-timestamp`) → live
 * snapshots → write (ClickHouse + Kafka, together) → commit → count → snapshot. The stages are in
 * stages/ and processor/; this is only their order and what a failure means.
 */
import type { Batch, EachBatchPayload } from 'kafkajs';
import { emptyProcessedBatch, type IncomingPoint, type ProcessedBatch } from '../processor/score-points.ts';
import { toDlqMessage } from '../ingest/dlq.ts';
import { duplicateTimestampDetail } from '../state/repeats.ts';
import { admitSeries, seriesLimitDetail } from '../state/series-limit.ts';
import { DUPLICATE_TIMESTAMP_REASON, SCORING_FAILED_REASON, SERIES_LIMIT_REASON } from './pipeline-metrics.ts';
import { RetryAbortedError } from './retry.ts';
import { endAbandonedBatch } from './batch-retry.ts';
import { emptyOutputs, type OutputBatch } from './outputs.ts';
import { maybeSnapshot, type PipelineContext } from './context.ts';
import { decodeBatch, type DecodedBatch } from './stages/decode.ts';
import { liveSnapshots } from './stages/live.ts';
import { scoreWithRecovery } from './stages/score.ts';
import { writeBatch } from './stages/write.ts';
import { commitBatch } from './stages/commit.ts';

export async function handleMetricsBatch(ctx: PipelineContext, payload: EachBatchPayload): Promise<void> {
  const { batch } = payload;
  const partition = batch.partition;
  if (batch.messages.length === 0) return;
  ctx.partitions.progress.batchStarted(partition, Date.now());
  try {
    await processMetricsBatch(ctx, payload);
  } finally {
    ctx.partitions.progress.batchEnded(partition);
  }
}

async function processMetricsBatch(ctx: PipelineContext, payload: EachBatchPayload): Promise<void> {
  const { batch } = payload;
  const partition = batch.partition;
  const firstOffset = BigInt(batch.messages[0].offset);
  let state;
  try {
    state = await ctx.partitions.ensureState(partition, firstOffset);
  } catch (err) {
    // ClickHouse unreachable while the state is rebuilt: the stall reason must say so.
    ctx.partitions.progress.failed(partition, 'state rebuild (ClickHouse)', err, Date.now());
    throw err;
  }
  const batchStartedAt = performance.now();
  const decoded = decodeBatch(batch.messages, {
    topic: batch.topic,
    partition,
    stateOffset: state.stateOffset,
    limits: ctx.config.pipeline,
    maxProduceBytes: ctx.maxProduceBytes,
    nowMs: Date.now(),
    logger: ctx.logger,
  });
  const outputs: OutputBatch = { ...emptyOutputs(), dlq: decoded.dlq };
  const lastOffset = batch.messages[batch.messages.length - 1].offset;
  // Decided on the state before this batch: the same after any rebuild (series-limit.ts).
  const { maxSeries } = ctx.config.pipeline;
  const { partitions } = ctx.config.kafka;
  const admission = admitSeries(decoded.incoming, state.series, ctx.seriesLimit);
  const refused = admission.refused;
  if (refused.length > 0) {
    decoded.incoming = admission.admitted;
    deadLetter(batch, decoded, refused, SERIES_LIMIT_REASON, (p) => seriesLimitDetail(p.seriesId, partition, ctx.seriesLimit, maxSeries, partitions), ctx.maxProduceBytes);
    ctx.logger.debug({ partition, refused: refused.length, held: state.series.size, limit: ctx.seriesLimit }, 'points of new series refused for the series limit');
  }
  try {
    const scoringStartedAt = performance.now();
    const scored = await scoreWithRecovery(ctx.scoring, state, firstOffset, decoded.incoming, payload);
    const scoringSeconds = (performance.now() - scoringStartedAt) / 1000;
    state = scored.state;
    let processed: ProcessedBatch;
    if (scored.ok) {
      processed = scored.processed;
    } else {
      // Poison: the points go to the DLQ with the reason; the partition moves on without them.
      processed = emptyProcessedBatch();
      const detail = `scoring failed ${scored.attempts} times: ${scored.error instanceof Error ? scored.error.message : String(scored.error)}`;
      deadLetter(batch, decoded, decoded.incoming, SCORING_FAILED_REASON, () => detail, ctx.maxProduceBytes);
      ctx.logger.error({ partition, points: decoded.incoming.length, firstOffset: String(firstOffset), lastOffset, detail }, 'poison batch: its points are dead-lettered as scoring-failed');
      decoded.incoming = [];
    }
    const conflicts = processed.conflicts;
    if (conflicts.length > 0) {
      const firstValues = new Map(conflicts.map((c) => [c.incoming.offset, c.firstValue]));
      deadLetter(batch, decoded, conflicts.map((c) => c.incoming), DUPLICATE_TIMESTAMP_REASON, (p) => duplicateTimestampDetail(p, firstValues.get(p.offset)!), ctx.maxProduceBytes);
    }
    if (processed.duplicates.length > 0 || conflicts.length > 0) {
      ctx.logger.debug({ partition, duplicates: processed.duplicates.length, conflicts: conflicts.length }, 'repeated points dropped (copies counted, other values dead-lettered)');
    }
    outputs.anomalies = processed.anomalies;
    outputs.alerts = processed.alerts;
    outputs.live = liveSnapshots(processed.lastBySeries, ctx.config.pipeline.liveThrottleMs, Date.now());
    const written = await writeBatch(ctx, state, processed, outputs, payload);
    await ctx.beforeCommit?.(partition, lastOffset);
    await commitBatch(ctx.retry, 'offset commit', payload, lastOffset);
    if (BigInt(lastOffset) > state.stateOffset) state.stateOffset = BigInt(lastOffset);
    ctx.partitions.progress.committed(partition, Date.now());
    // Counted once the batch is committed: a re-delivered batch does not count twice.
    const c = ctx.counters;
    c.points += processed.scored.length;
    c.seriesRefused += refused.length;
    c.duplicates += processed.duplicates.length;
    if (refused.length > 0) ctx.seriesLimitMonitor.refused(partition, refused.length, refused[refused.length - 1].seriesId, Date.now());
    c.dlq += outputs.dlq.length;
    for (const reason of decoded.dlqReasons) c.dlqByReason[reason] = (c.dlqByReason[reason] ?? 0) + 1;
    c.anomalies += processed.anomalies.length;
    c.alertEvents += processed.alerts.length;
    c.batches++;
    c.lastBatchAt = Date.now();
    ctx.metrics.metricsBatch({
      points: processed.scored.length,
      seriesRefused: refused.length,
      duplicates: processed.duplicates.length,
      dlq: outputs.dlq,
      anomalies: processed.anomalies,
      alerts: processed.alerts,
      seconds: (performance.now() - batchStartedAt) / 1000,
      scoringSeconds,
      producedSeconds: (written.producedAt - batchStartedAt) / 1000,
      produceSeconds: written.produceSeconds,
    });
    await maybeSnapshot(ctx, state, false, payload);
  } catch (err) {
    ctx.partitions.discard(partition);
    if (err instanceof RetryAbortedError) return endAbandonedBatch(err, ctx.logger, partition);
    ctx.partitions.progress.failed(partition, 'metrics batch', err, Date.now());
    throw err;
  }
}

/** Dead-letters decoded points (their original records, byte for byte) with one reason. */
function deadLetter(batch: Batch, decoded: DecodedBatch, points: readonly IncomingPoint[], reason: string, detail: (p: IncomingPoint) => string, maxBytes: number): void {
  const byOffset = new Map(batch.messages.map((m) => [m.offset, m]));
  for (const p of points) {
    const origin = { topic: batch.topic, partition: batch.partition, offset: p.offset };
    decoded.dlq.push(toDlqMessage(byOffset.get(p.offset)!, reason, detail(p), origin, { maxBytes }));
    decoded.dlqReasons.push(reason);
  }
}
