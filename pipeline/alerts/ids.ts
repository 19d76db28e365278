import { stableId } from '../../core/ids.ts';

/**
 * Deterministic ids for alert events and SLA snapshots (see core/ids.ts): the same inputs give
 * the same id in every run and on every instance, so consumers and ClickHouse
 * (ReplacingMergeTree) can drop re-delivered or replayed events.
 */
export const hashId = stableId;

export function fingerprintOf(source: string, metric: string, ruleId: string): string {
  return `${source}|${metric}|${ruleId}`;
}

export function alertIdOf(fingerprint: string, openedAt: number): string {
  return hashId('alert', fingerprint, openedAt);
}

export function eventIdOf(alertId: string, version: number): string {
  return hashId('alert-event', alertId, version);
}

export function slaSnapshotIdOf(slaId: string, source: string, windowEnd: number): string {
  return hashId('sla-snapshot', slaId, source, windowEnd);
}
