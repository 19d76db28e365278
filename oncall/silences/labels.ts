/**
 * The label set of a Vigil alert, the thing silences match and Alertmanager receives. Flat like
 * Alertmanager's: `alertname` (the rule id, so Alertmanager's UI and its silences work as usual),
 * `source`, `metric`, `severity`, `kind`, then the series' tags. A tag never overrides one of the
 * built-in labels: a tag called `severity` cannot make a critical alert look like info.
 */
import type { AlertKind, Severity } from '../../schemas/records.ts';

export const BUILTIN_LABELS = ['alertname', 'source', 'metric', 'severity', 'kind'] as const;

export interface LabelledAlert {
  source: string;
  metric: string;
  severity: Severity;
  ruleId: string;
  kind: AlertKind;
  tags?: Readonly<Record<string, string>>;
}

export function alertLabels(alert: LabelledAlert): Record<string, string> {
  const labels: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(alert.tags ?? {})) {
    if (typeof v === 'string') labels[k] = v;
  }
  labels.alertname = alert.ruleId;
  labels.source = alert.source;
  labels.metric = alert.metric;
  labels.severity = alert.severity;
  labels.kind = alert.kind;
  return labels;
}
