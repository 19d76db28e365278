/**
 * Looks for stalled partitions every few seconds (lag from the broker, progress from the batch
 * path), keeps the current set for /health and the gauge, and raises an alert per stalled
 * partition on the alerts topic — source "vigil", metric "pipeline.partition_stalled" — resolved
 * when it moves again (or when it is revoked: its new owner watches it from then on).
 *
 * Raised and delivered by partition-alerts.ts (never through the stalled lane itself: the stall
 * may be ClickHouse or Kafka being down).
 */
import type { AlertEvent } from '../../schemas/records.ts';
import { PIPELINE_ALERT_SOURCE, STALL_ALERT_METRIC, stallRuleId } from '../alerts/pipeline-alerts.ts';
import { PartitionAlerts, partitionAlertEvent, type PartitionAlertDeps, type PartitionAlertKind } from './partition-alerts.ts';
import type { PartitionLag } from './pipeline-metrics.ts';
import type { PartitionProgress, StalledPartition } from './partition-progress.ts';

export const STALL_ALERT_SOURCE = PIPELINE_ALERT_SOURCE;
export { STALL_ALERT_METRIC };

const stallKind = (groupId: string, topic: string): PartitionAlertKind => ({
  metric: STALL_ALERT_METRIC,
  severity: 'critical',
  ruleId: (partition) => stallRuleId(groupId, topic, partition),
  openLevel: 'error',
  label: 'partition stalled (records waiting, no committed progress)',
});

function stallText(s: { partition: number; topic: string; groupId: string; stalledForMs: number; reason: string }, status: 'firing' | 'resolved', stallAfterMs: number) {
  return {
    value: Math.round(s.stalledForMs / 1000),
    threshold: Math.round(stallAfterMs / 1000),
    message:
      status === 'firing'
        ? `partition ${s.partition} of ${s.topic} (group ${s.groupId}) has records waiting and no committed progress for ${Math.round(s.stalledForMs / 1000)} s — ${s.reason}`
        : `partition ${s.partition} of ${s.topic} (group ${s.groupId}) is no longer stalled here`,
    reason: s.reason,
  };
}

/** The alert event of a stall opening (version 1) or ending (version 2). Pure. */
export function stallAlertEvent(
  s: { partition: number; topic: string; groupId: string; stalledForMs: number; reason: string },
  open: { openedAt: number },
  status: 'firing' | 'resolved',
  now: number,
  stallAfterMs: number,
): AlertEvent {
  return partitionAlertEvent(stallKind(s.groupId, s.topic), s.partition, open.openedAt, status, now, stallText(s, status, stallAfterMs));
}

export interface StallMonitorDeps extends PartitionAlertDeps {
  progress: PartitionProgress;
  lag(): Promise<PartitionLag[]>;
  stallAfterMs: number;
  topic: string;
  groupId: string;
  /**
   * How long lag requests may fail before the broker is reported unreachable (/health 503).
   * Default stallAfterMs; the pipeline uses two stall checks, so a 20 s outage shows.
   */
  brokerGraceMs?: number;
}

export class StallMonitor {
  private current: StalledPartition[] = [];
  private readonly alerts: PartitionAlerts;
  private lagError: string | null = null;
  private lagErrorSince = 0;

  constructor(private readonly deps: StallMonitorDeps) {
    this.alerts = new PartitionAlerts(stallKind(deps.groupId, deps.topic), deps);
  }

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
    const target = { topic: d.topic, groupId: d.groupId };
    const active = new Map(this.current.map((s) => [s.partition, stallText({ ...s, ...target }, 'firing', d.stallAfterMs)]));
    // While lag is unknown, nothing can be called resolved.
    const resolved = this.lagError
      ? null
      : (partition: number, openedAt: number) => {
          const reason = d.progress.isOwned(partition) ? 'committed progress again' : 'partition revoked from this instance';
          return stallText({ partition, ...target, stalledForMs: now - openedAt, reason }, 'resolved', d.stallAfterMs);
        };
    await this.alerts.update({ active, resolved }, now);
  }
}
