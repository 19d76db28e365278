/** Operator commands (acknowledge, resolve) applied by the owner of the series, one partition lane at a time. */
import type { EachBatchPayload } from 'kafkajs';
import { seriesId, type AlertCommand, type AlertEvent, type CommandResult } from '../../schemas/records.ts';
import { decodeEvent } from '../codec/events.ts';
import { toDlqMessage } from '../ingest/dlq.ts';
import { RetryAbortedError } from './retry.ts';
import { emptyOutputs, outputPublisher } from './outputs.ts';
import { maybeSnapshot, type PipelineContext } from './context.ts';
import { commitBatch } from './stages/commit.ts';

export async function handleCommandsBatch(ctx: PipelineContext, payload: EachBatchPayload): Promise<void> {
  const { batch } = payload;
  const partition = batch.partition;
  const state = await ctx.partitions.ensureState(partition);
  const outputs = emptyOutputs();
  const events: AlertEvent[] = [];
  const now = Date.now();
  for (const message of batch.messages) {
    const decoded = message.value ? safeDecodeCommand(message.value) : null;
    if (!decoded) {
      const origin = { topic: batch.topic, partition, offset: message.offset };
      outputs.dlq.push(toDlqMessage(message, 'invalid-command', 'not a decodable AlertCommand', origin, { maxBytes: ctx.maxProduceBytes }));
      continue;
    }
    const entry = state.series.get(seriesId(decoded.source, decoded.metric));
    let result: CommandResult;
    if (!entry) {
      result = { commandId: decoded.commandId, alertId: decoded.alertId, applied: false, status: 'unknown', reason: `series ${seriesId(decoded.source, decoded.metric)} has no state on its owner`, event: null };
    } else {
      result = entry.monitor.applyCommand(decoded, now);
      if (result.applied) entry.dirty = true;
    }
    if (result.event) events.push(result.event);
    outputs.commandResults.push(result);
    ctx.counters.commands++;
    ctx.logger.info({ partition, commandId: decoded.commandId, type: decoded.type, alertId: decoded.alertId, applied: result.applied, reason: result.reason }, 'operator command');
  }
  outputs.alerts = events;
  try {
    await ctx.retry('ClickHouse insert (commands)', () => ctx.sink.writeDerived({ anomalies: [], alerts: events, sla: [] }), payload);
    await ctx.retry('Kafka produce (commands)', outputPublisher(ctx.producer, ctx.topics, ctx.encoder, outputs, ctx.publish), payload);
    if (events.length > 0) await maybeSnapshot(ctx, state, true, payload);
    await commitBatch(ctx.retry, 'offset commit (commands)', payload, batch.messages[batch.messages.length - 1].offset);
    ctx.counters.alertEvents += events.length;
    ctx.metrics.commandsBatch(outputs.commandResults, outputs.dlq.length);
    ctx.metrics.alertEvents(events);
  } catch (err) {
    ctx.partitions.discard(partition);
    if (err instanceof RetryAbortedError) return;
    throw err;
  }
}

function safeDecodeCommand(value: Buffer): AlertCommand | null {
  try {
    const { kind, record } = decodeEvent(value);
    return kind === 'command' ? (record as AlertCommand) : null;
  } catch {
    return null;
  }
}
