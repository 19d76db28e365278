/** Operator commands (acknowledge, resolve) applied by the owner of the series, one partition lane at a time. */
import type { EachBatchPayload } from 'kafkajs';
import { seriesId, type AlertCommand, type AlertEvent, type CommandResult } from '../../schemas/records.ts';
import { decodeEvent } from '../codec/events.ts';
import { toDlqMessage } from '../ingest/dlq.ts';
import { RetryAbortedError } from './retry.ts';
import { endAbandonedBatch } from './batch-retry.ts';
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
    const read = commandFromRecord(message.value);
    if (!read.ok) {
      const origin = { topic: batch.topic, partition, offset: message.offset };
      outputs.dlq.push(toDlqMessage(message, 'invalid-command', read.detail, origin, { maxBytes: ctx.maxProduceBytes }));
      continue;
    }
    const decoded = read.command;
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
    if (err instanceof RetryAbortedError) return endAbandonedBatch(err, ctx.logger, partition);
    throw err;
  }
}

/** A commands-topic value → the command, or why it is none (the dead letter's detail). Never throws. */
export function commandFromRecord(value: Buffer | null): { ok: true; command: AlertCommand } | { ok: false; detail: string } {
  if (!value) return { ok: false, detail: 'null value (a tombstone); commands are never deleted by key' };
  try {
    const { kind, record } = decodeEvent(value);
    if (kind !== 'command') return { ok: false, detail: `a ${kind} event, not an AlertCommand` };
    return { ok: true, command: record as AlertCommand };
  } catch (err) {
    // decodeEvent says which check failed (framing, schema, body) and on what.
    return { ok: false, detail: `not a decodable AlertCommand: ${(err as Error)?.message ?? String(err)}` };
  }
}
