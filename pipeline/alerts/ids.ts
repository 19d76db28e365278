import { createHash } from 'node:crypto';

/**
 * Deterministic ids for alert events and SLA snapshots: the same inputs give the same id in
 * every run and on every instance, so consumers and ClickHouse (ReplacingMergeTree) can drop
 * re-delivered or replayed events. Parts are NUL-separated so ('a|b', 'c') ≠ ('a', 'b|c').
 */
export function hashId(...parts: Array<string | number>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(String(p)).update('\u0000');
  return h.digest('hex').slice(0, 32);
}

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
