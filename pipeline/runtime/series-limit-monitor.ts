/**
 * The `pipeline.series_limit` alert (source "vigil", severity high), one per partition: opened at
 * the first check after a committed batch refused points of new series for the partition's
 * series limit (pipeline/state/series-limit.ts), resolved once no point was refused for
 * pipeline.seriesLimitClearMs (or when the partition is revoked: its new owner raises its own).
 *
 * Refusals are counted once their batch is committed, so a re-delivered batch does not count
 * twice; the alert is wall-clock bookkeeping, like the stall alert, and not replayed.
 */
import { SERIES_LIMIT_ALERT_METRIC, seriesLimitRuleId } from '../alerts/pipeline-alerts.ts';
import { PartitionAlerts, type PartitionAlertDeps, type PartitionAlertText } from './partition-alerts.ts';

export interface SeriesLimitMonitorDeps extends PartitionAlertDeps {
  groupId: string;
  topic: string;
  /** Series each partition may hold. */
  limit: number;
  /** The setting it comes from, for the message. */
  maxSeries: number;
  partitions: number;
  clearAfterMs: number;
  isOwned(partition: number): boolean;
}

interface Refusals {
  firstAt: number;
  lastAt: number;
  points: number;
  lastSeries: string;
}

export class SeriesLimitMonitor {
  private readonly refusals = new Map<number, Refusals>();
  private readonly alerts: PartitionAlerts;

  constructor(private readonly deps: SeriesLimitMonitorDeps) {
    this.alerts = new PartitionAlerts(
      {
        metric: SERIES_LIMIT_ALERT_METRIC,
        severity: 'high',
        ruleId: (partition) => seriesLimitRuleId(deps.groupId, deps.topic, partition),
        openLevel: 'warn',
        label: 'series limit reached (points of new series refused)',
      },
      deps,
    );
  }

  /** A committed batch of the partition refused `points` points; `lastSeries` is the last series refused. */
  refused(partition: number, points: number, lastSeries: string, now: number): void {
    if (points <= 0) return;
    const r = this.refusals.get(partition);
    if (r) {
      r.lastAt = now;
      r.points += points;
      r.lastSeries = lastSeries;
    } else {
      this.refusals.set(partition, { firstAt: now, lastAt: now, points, lastSeries });
    }
  }

  /** Partitions whose alert is open (refusing, or refused within clearAfterMs). */
  refusing(): number[] {
    return [...this.refusals.keys()].filter((p) => this.alerts.isOpen(p)).sort((a, b) => a - b);
  }

  async check(now = Date.now()): Promise<void> {
    const d = this.deps;
    const active = new Map<number, PartitionAlertText>();
    const ended = new Map<number, { reason: string; points: number }>();
    for (const [partition, r] of [...this.refusals]) {
      const quiet = now - r.lastAt >= d.clearAfterMs;
      if (!d.isOwned(partition) || quiet) {
        this.refusals.delete(partition);
        ended.set(partition, {
          reason: d.isOwned(partition) ? `no point refused for ${Math.round(d.clearAfterMs / 1000)} s` : 'partition revoked from this instance',
          points: r.points,
        });
        continue;
      }
      active.set(partition, {
        value: r.points,
        threshold: d.limit,
        message: `partition ${partition} of ${d.topic} (group ${d.groupId}) holds ${d.limit} series, its limit (pipeline.maxSeries ${d.maxSeries} over ${d.partitions} partitions): points of new series are dead-lettered as series-limit`,
        reason: `${r.points} point${r.points === 1 ? '' : 's'} of new series refused since ${new Date(r.firstAt).toISOString()}, the last of series ${r.lastSeries}; raise pipeline.maxSeries (VIGIL_MAX_SERIES) to accept more series`,
      });
    }
    await this.alerts.update(
      {
        active,
        resolved: (partition) => {
          const e = ended.get(partition);
          return {
            value: e?.points ?? 0,
            threshold: d.limit,
            message: `partition ${partition} of ${d.topic} (group ${d.groupId}) no longer refuses points for its series limit here`,
            reason: e?.reason ?? 'partition revoked from this instance',
          };
        },
      },
      now,
    );
  }
}
