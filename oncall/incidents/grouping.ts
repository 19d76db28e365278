/**
 * Which incident an alert event belongs to: its group labels (oncall.groupBy, or
 * oncall.nodata.groupBy for no-data alerts) and the canonical group key built from them. Pure.
 */
import type { VigilConfig } from '../../core/config.ts';
import type { AlertEvent, Severity } from '../../schemas/records.ts';
import { alertLabels } from '../silences/labels.ts';

export type OncallPolicy = VigilConfig['oncall'];

export interface Group {
  groupKey: string;
  groupLabels: Record<string, string>;
}

/**
 * `label=value` pairs sorted by label, joined by ','. Values are JSON-quoted when they hold
 * a separator, so two different label sets never share a key.
 */
export function groupKeyOf(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${/[,="\\]/.test(labels[k]) ? JSON.stringify(labels[k]) : labels[k]}`)
    .join(',');
}

export type NodataRule = OncallPolicy['nodata']['rules'][number];

/** First no-data rule for the series, or the built-in default when none matches. */
export function nodataRuleFor(policy: OncallPolicy, source: string, metric: string): NodataRule {
  const rule = policy.nodata.rules.find((r) => (r.source === null || r.source === source) && (r.metric === null || r.metric === metric));
  return rule ?? { source: null, metric: null, severity: 'low' as Severity, alert: true };
}

/** The group of an alert event, or null when a no-data rule keeps it out of incidents. */
export function groupOf(event: Pick<AlertEvent, 'source' | 'metric' | 'severity' | 'ruleId' | 'kind'>, policy: OncallPolicy): Group | null {
  const nodata = event.kind === 'nodata';
  if (nodata && !nodataRuleFor(policy, event.source, event.metric).alert) return null;
  const labels = alertLabels(event);
  const groupLabels: Record<string, string> = {};
  for (const name of nodata ? policy.nodata.groupBy : policy.groupBy) groupLabels[name] = labels[name] ?? '';
  // No-data incidents stay apart from the source's other incidents even when the labels agree.
  if (nodata) groupLabels.kind = 'nodata';
  return { groupKey: groupKeyOf(groupLabels), groupLabels };
}
