/**
 * Alerts about the pipeline itself, one per owned partition and kind (a stalled partition, a
 * partition refusing new series): opened when a check finds the condition, resolved when a
 * later check no longer does, published on the alerts topic and, best effort, stored in
 * ClickHouse's alert_events.
 *
 * Delivery never goes through a partition's lane: the condition may be ClickHouse or Kafka
 * being down, so an event that cannot be delivered is kept and tried again at the next check.
 */
import type { Producer } from 'kafkajs';
import type { TopicNames } from '../../core/config.ts';
import type { Logger } from '../../core/logger.ts';
import type { AlertEvent, Severity } from '../../schemas/records.ts';
import { alertIdOf, eventIdOf, fingerprintOf } from '../alerts/ids.ts';
import { PIPELINE_ALERT_SOURCE } from '../alerts/pipeline-alerts.ts';
import type { ClickHouseSink } from '../storage/writer.ts';
import { emptyOutputs, publishOutputs, type EventEncoder, type PublishOptions } from './outputs.ts';

/** What an event of one transition says (the rest follows from the kind, partition and opening). */
export interface PartitionAlertText {
  value: number;
  threshold: number;
  message: string;
  reason: string;
}

export interface PartitionAlertKind {
  metric: string;
  severity: Severity;
  ruleId(partition: number): string;
  /** What the log says when one opens or resolves. */
  label: string;
  /** Log level of an opening (a stall is an error; a refusing limit works as configured). */
  openLevel: 'error' | 'warn';
}

/** The alert event of a partition alert opening (version 1) or ending (version 2). Pure. */
export function partitionAlertEvent(kind: PartitionAlertKind, partition: number, openedAt: number, status: 'firing' | 'resolved', now: number, text: PartitionAlertText): AlertEvent {
  const ruleId = kind.ruleId(partition);
  const fingerprint = fingerprintOf(PIPELINE_ALERT_SOURCE, kind.metric, ruleId);
  const alertId = alertIdOf(fingerprint, openedAt);
  const version = status === 'firing' ? 1 : 2;
  return {
    eventId: eventIdOf(alertId, version),
    alertId,
    fingerprint,
    source: PIPELINE_ALERT_SOURCE,
    metric: kind.metric,
    ruleId,
    kind: 'threshold',
    severity: kind.severity,
    status,
    version,
    timestamp: now,
    openedAt,
    value: text.value,
    threshold: text.threshold,
    message: text.message,
    actor: 'pipeline',
    reason: text.reason,
    tags: {},
  };
}

export interface PartitionAlertDeps {
  producer: Producer;
  topics: TopicNames;
  encoder: EventEncoder;
  publish: PublishOptions;
  sink: ClickHouseSink;
  logger: Logger;
  onAlert?(event: AlertEvent): void;
}

export interface PartitionAlertUpdate {
  /** Partitions whose condition holds now, with what a firing event would say. */
  active: ReadonlyMap<number, PartitionAlertText>;
  /**
   * What the resolving event of an open alert whose partition is no longer active says; null to
   * keep every open alert open this time (the condition cannot be judged right now).
   */
  resolved: ((partition: number, openedAt: number) => PartitionAlertText) | null;
}

export class PartitionAlerts {
  private readonly open = new Map<number, number>();
  private toKafka: AlertEvent[] = [];
  private toClickHouse: AlertEvent[] = [];

  constructor(
    private readonly kind: PartitionAlertKind,
    private readonly deps: PartitionAlertDeps,
  ) {}

  isOpen(partition: number): boolean {
    return this.open.has(partition);
  }

  /** Opens, resolves, then delivers what is due (and what earlier checks could not deliver). */
  async update(u: PartitionAlertUpdate, now: number): Promise<void> {
    const log = this.deps.logger;
    for (const [partition, text] of u.active) {
      if (this.open.has(partition)) continue;
      this.open.set(partition, now);
      log[this.kind.openLevel]({ partition, value: text.value, reason: text.reason }, `${this.kind.label}: alert opened`);
      this.raise(partitionAlertEvent(this.kind, partition, now, 'firing', now, text));
    }
    if (u.resolved) {
      for (const [partition, openedAt] of [...this.open]) {
        if (u.active.has(partition)) continue;
        this.open.delete(partition);
        const text = u.resolved(partition, openedAt);
        log.info({ partition, reason: text.reason }, `${this.kind.label}: alert resolved`);
        this.raise(partitionAlertEvent(this.kind, partition, openedAt, 'resolved', now, text));
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
        d.logger.warn({ err, events: events.length }, `${this.kind.label} alert not published yet; tried again at the next check`);
      }
    }
    if (this.toClickHouse.length > 0) {
      const events = this.toClickHouse.splice(0);
      try {
        await d.sink.writeDerived({ anomalies: [], alerts: events, sla: [] });
      } catch (err) {
        this.toClickHouse.unshift(...events);
        d.logger.warn({ err, events: events.length }, `${this.kind.label} alert not stored yet; tried again at the next check`);
      }
    }
  }
}
