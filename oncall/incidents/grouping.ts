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

/** JSON-quoted when it holds a separator (or a quote / backslash); as is otherwise. */
const keyPart = (text: string): string => (/[,="\\]/.test(text) ? JSON.stringify(text) : text);

/**
 * `label=value` pairs sorted by label, joined by ','. Values, and label names (a `tag:<key>` may
 * hold anything), are JSON-quoted when they hold a separator, so two different label sets never
 * share a key. Fixed labels and plain tag keys need no quoting, so their keys are as before.
 */
export function groupKeyOf(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${keyPart(k)}=${keyPart(labels[k])}`)
    .join(',');
}

export type NodataRule = OncallPolicy['nodata']['rules'][number];

/** First no-data rule for the series, or the built-in default when none matches. */
export function nodataRuleFor(policy: OncallPolicy, source: string, metric: string): NodataRule {
  const rule = policy.nodata.rules.find((r) => (r.source === null || r.source === source) && (r.metric === null || r.metric === metric));
  return rule ?? { source: null, metric: null, severity: 'low' as Severity, alert: true };
}

/** The group of an alert event, or null when a no-data rule keeps it out of incidents. */
/**
 * Only the alert event decides: `tag:<key>` labels come from the event's own tags, which are the
 * same for every event of an alert (frozen when it opened), so an alert never changes group and
 * the group key is a pure function of the event — whichever instance computes it, after any
 * rebalance or restart.
 */
export function groupOf(event: Pick<AlertEvent, 'source' | 'metric' | 'severity' | 'ruleId' | 'kind'> & { tags?: AlertEvent['tags'] }, policy: OncallPolicy): Group | null {
  const nodata = event.kind === 'nodata';
  if (nodata && !nodataRuleFor(policy, event.source, event.metric).alert) return null;
  const labels = alertLabels(event);
  const groupLabels: Record<string, string> = {};
  for (const name of nodata ? policy.nodata.groupBy : policy.groupBy) groupLabels[name] = labels[name] ?? '';
  // No-data incidents stay apart from the source's other incidents even when the labels agree.
  if (nodata) groupLabels.kind = 'nodata';
  return { groupKey: groupKeyOf(groupLabels), groupLabels };
}
