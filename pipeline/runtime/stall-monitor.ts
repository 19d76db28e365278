/**
 * Looks for stalled partitions every few seconds (lag from the broker, progress from the batch
 * path), keeps the current set for /health and the gauge, and raises an alert per stalled
 * partition on the alerts topic — source "vigil", metric "pipeline.partition_stalled" — resolved
 * when it moves again (or when it is revoked: its new owner watches it from then on).
 *
 * The alert goes to Kafka and, best effort, to ClickHouse's alert_events, and never through the
 * stalled lane itself: the stall may be ClickHouse or Kafka being down, so an event that cannot
 * be delivered is kept and tried again at the next check.
 */
import type { Producer } from 'kafkajs';
import type { TopicNames } from '../../core/config.ts';
import type { Logger } from '../../core/logger.ts';
import type { AlertEvent } from '../../schemas/records.ts';
import { alertIdOf, eventIdOf, fingerprintOf } from '../alerts/ids.ts';
import { PIPELINE_ALERT_SOURCE, STALL_ALERT_METRIC, stallRuleId } from '../alerts/pipeline-alerts.ts';
import type { ClickHouseSink } from '../storage/writer.ts';
import { emptyOutputs, publishOutputs, type EventEncoder, type PublishOptions } from './outputs.ts';
import type { PartitionLag } from './pipeline-metrics.ts';
import type { PartitionProgress, StalledPartition } from './partition-progress.ts';

export const STALL_ALERT_SOURCE = PIPELINE_ALERT_SOURCE;
export { STALL_ALERT_METRIC };

interface OpenStall {
  alertId: string;
  openedAt: number;
  ruleId: string;
}

/** The alert event of a stall opening (version 1) or ending (version 2). Pure. */
export function stallAlertEvent(
  s: { partition: number; topic: string; groupId: string; stalledForMs: number; reason: string },
  open: { openedAt: number } | OpenStall,
  status: 'firing' | 'resolved',
  now: number,
  stallAfterMs: number,
): AlertEvent {
  const ruleId = stallRuleId(s.groupId, s.topic, s.partition);
  const fingerprint = fingerprintOf(STALL_ALERT_SOURCE, STALL_ALERT_METRIC, ruleId);
  const alertId = alertIdOf(fingerprint, open.openedAt);
  const version = status === 'firing' ? 1 : 2;
  return {
    eventId: eventIdOf(alertId, version),
    alertId,
    fingerprint,
    source: STALL_ALERT_SOURCE,
    metric: STALL_ALERT_METRIC,
    ruleId,
    kind: 'threshold',
    severity: 'critical',
    status,
    version,
    timestamp: now,
    openedAt: open.openedAt,
    value: Math.round(s.stalledForMs / 1000),
    threshold: Math.round(stallAfterMs / 1000),
    message:
      status === 'firing'
        ? `partition ${s.partition} of ${s.topic} (group ${s.groupId}) has records waiting and no committed progress for ${Math.round(s.stalledForMs / 1000)} s`
        : `partition ${s.partition} of ${s.topic} (group ${s.groupId}) is no longer stalled here`,
    actor: 'pipeline',
    reason: s.reason,
    tags: {},
  };
}

export interface StallMonitorDeps {
  progress: PartitionProgress;
  lag(): Promise<PartitionLag[]>;
  stallAfterMs: number;
  topic: string;
  groupId: string;
  producer: Producer;
  topics: TopicNames;
  encoder: EventEncoder;
  publish: PublishOptions;
  sink: ClickHouseSink;
  logger: Logger;
  /**
   * How long lag requests may fail before the broker is reported unreachable (/health 503).
   * Default stallAfterMs; the pipeline uses two stall checks, so a 20 s outage shows.
   */
  brokerGraceMs?: number;
  onAlert?(event: AlertEvent): void;
}

export class StallMonitor {
  private current: StalledPartition[] = [];
  private readonly open = new Map<number, OpenStall>();
  private toKafka: AlertEvent[] = [];
  private toClickHouse: AlertEvent[] = [];
  private lagError: string | null = null;
  private lagErrorSince = 0;

  constructor(private readonly deps: StallMonitorDeps) {}

  stalled(): StalledPartition[] {
    return this.current;
  }

  /** Why stalls cannot be judged right now (lag unavailable), if so. */
  problem(): string | null {
    return this.lagError;
  }

  /**
   * The broker has not answered lag requests (or, owning nothing, metadata requests) for
   * brokerGraceMs: the pipeline can neither consume nor vouch for progress. The reason, or null.
   */
  brokerDown(now = Date.now()): string | null {
    if (this.lagError === null) return null;
    const forMs = now - this.lagErrorSince;
    if (forMs < (this.deps.brokerGraceMs ?? this.deps.stallAfterMs)) return null;
    return `Kafka broker unreachable for ${Math.round(forMs / 1000)} s (${this.lagError})`;
  }

  async check(now = Date.now()): Promise<void> {
    const d = this.deps;
    try {
      const lag = await d.lag();
      this.lagError = null;
      this.current = d.progress.stalled(lag, now);
    } catch (err) {
      if (this.lagError === null) this.lagErrorSince = now;
      this.lagError = `cannot read consumer lag from the broker: ${err instanceof Error ? err.message : String(err)}`;
    }
    const stalledNow = new Map(this.current.map((s) => [s.partition, s]));
    for (const s of this.current) {
      if (this.open.has(s.partition)) continue;
      const event = stallAlertEvent({ ...s, topic: d.topic, groupId: d.groupId }, { openedAt: now }, 'firing', now, d.stallAfterMs);
      this.open.set(s.partition, { alertId: event.alertId, openedAt: now, ruleId: event.ruleId });
      d.logger.error({ partition: s.partition, lag: s.lag, stalledForMs: s.stalledForMs, reason: s.reason }, 'partition stalled: records waiting and no committed progress');
      this.raise(event);
    }
    if (!this.lagError) {
      for (const [partition, o] of [...this.open]) {
        if (stalledNow.has(partition)) continue;
        this.open.delete(partition);
        const reason = d.progress.isOwned(partition) ? 'committed progress again' : 'partition revoked from this instance';
        d.logger.info({ partition, reason }, 'partition no longer stalled');
        this.raise(stallAlertEvent({ partition, topic: d.topic, groupId: d.groupId, stalledForMs: now - o.openedAt, reason }, o, 'resolved', now, d.stallAfterMs));
      }
    }
    await this.flush();
  }

  private raise(event: AlertEvent) {
    this.toKafka.push(event);
    this.toClickHouse.push(event);
    this.deps.onAlert?.(event);
  }

  private async flush(): Promise<void> {
    const d = this.deps;
    if (this.toKafka.length > 0) {
      const events = this.toKafka.splice(0);
      try {
        await publishOutputs(d.producer, d.topics, d.encoder, { ...emptyOutputs(), alerts: events }, d.publish);
      } catch (err) {
        this.toKafka.unshift(...events);
        d.logger.warn({ err, events: events.length }, 'stall alert not published yet; tried again at the next check');
      }
    }
    if (this.toClickHouse.length > 0) {
      const events = this.toClickHouse.splice(0);
      try {
        await d.sink.writeDerived({ anomalies: [], alerts: events, sla: [] });
      } catch (err) {
        this.toClickHouse.unshift(...events);
        d.logger.warn({ err, events: events.length }, 'stall alert not stored yet; tried again at the next check');
      }
    }
  }
}
