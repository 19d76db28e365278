/** Builders shared by the alert unit tests. */
import type { AlertCommand, AlertEvent, SlaDefinition, SlaSnapshot } from '../../../schemas/records.ts';
import { DefinitionSet, validateRule, validateSla, type RuleDefinition } from '../../../pipeline/alerts/definitions.ts';
import { SeriesMonitor, type AnomalyFindingLike, type ObservedPoint } from '../../../pipeline/alerts/series-monitor.ts';

export const T0 = Date.UTC(2026, 0, 5, 10, 0, 0); // a Monday, on a whole hour
export const SEC = 1000;
export const MIN = 60_000;

export function rule(input: Record<string, unknown>): RuleDefinition {
  const v = validateRule(input);
  if (!v.ok) throw new Error(`test rule invalid: ${v.errors.join('; ')}`);
  return v.value;
}

export function sla(input: Record<string, unknown>): SlaDefinition {
  const v = validateSla(input);
  if (!v.ok) throw new Error(`test SLA invalid: ${v.errors.join('; ')}`);
  return v.value;
}

/** A threshold rule `above` 100 (high) and 200 (critical), hysteresis 10. */
export function aboveRule(over: Record<string, unknown> = {}): RuleDefinition {
  return rule({
    id: 'r1',
    kind: 'threshold',
    metric: 'm',
    direction: 'above',
    levels: [
      { severity: 'critical', value: 200 },
      { severity: 'high', value: 100 },
    ],
    forMs: 60_000,
    hysteresis: 10,
    ...over,
  });
}

export function monitorWith(rules: RuleDefinition[], slas: SlaDefinition[] = [], source = 'svc', metric = 'm'): SeriesMonitor {
  return new SeriesMonitor(source, metric, DefinitionSet.of(rules, slas));
}

export function pt(timestamp: number, value: number, anomalyScore = 0): ObservedPoint {
  return { timestamp, value, mean: 0, std: 1, zscore: 0, anomalyScore };
}

export function finding(over: Partial<AnomalyFindingLike> = {}): AnomalyFindingLike {
  return { type: 'spike', version: 1, startTimestamp: T0, confidence: 0.9, score: 0.8, zscore: 6, expected: 10, pointCount: 1, ...over };
}

export interface Collected {
  alerts: AlertEvent[];
  snapshots: SlaSnapshot[];
}

/** Feeds values at a fixed step; returns every alert event and snapshot, in order. */
export function feed(m: SeriesMonitor, start: number, stepMs: number, values: number[], out: Collected = { alerts: [], snapshots: [] }): Collected {
  values.forEach((v, i) => {
    const r = m.observe(pt(start + i * stepMs, v), null);
    out.alerts.push(...r.alerts);
    out.snapshots.push(...r.slaSnapshots);
  });
  return out;
}

export function command(over: Partial<AlertCommand> & Pick<AlertCommand, 'alertId'>): AlertCommand {
  return { commandId: `cmd-${over.alertId}-${over.type ?? 'acknowledge'}`, type: 'acknowledge', source: 'svc', metric: 'm', actor: 'ann', comment: '', issuedAt: T0, ...over };
}
