/**
 * The labels an incident is routed, silenced and rendered by: its group labels (source,
 * metric or `tag:<key>`, per oncall.groupBy), its severity and status, and source / metric / kind
 * / rule and every `tag:<key>` when all its alerts share one (Alertmanager's "common labels").
 * Per-alert labels are what the Alertmanager payload lists per alert.
 */
import type { IncidentAlert, IncidentEvent } from '../../schemas/records.ts';
import { tagLabels } from '../silences/labels.ts';

function common<T>(values: T[]): T | undefined {
  return values.length > 0 && values.every((v) => v === values[0]) ? values[0] : undefined;
}

export function incidentLabels(incident: IncidentEvent): Record<string, string> {
  const labels: Record<string, string> = { ...incident.groupLabels };
  const alerts = incident.alerts;
  const pairs: Array<[string, string | undefined]> = [
    ['source', common(alerts.map((a) => a.source))],
    ['metric', common(alerts.map((a) => a.metric))],
    ['kind', common(alerts.map((a) => a.kind))],
    ['rule', common(alerts.map((a) => a.ruleId))],
  ];
  for (const [label, value] of pairs) if (value !== undefined && labels[label] === undefined) labels[label] = value;
  for (const [label, value] of Object.entries(commonTagLabels(alerts))) if (labels[label] === undefined) labels[label] = value;
  labels.severity = incident.severity;
  return labels;
}

/** The `tag:<key>` labels every alert has with the same value. */
function commonTagLabels(alerts: readonly IncidentAlert[]): Record<string, string> {
  if (alerts.length === 0) return {};
  const [first, ...rest] = alerts.map((a) => tagLabels(a.tags));
  const out: Record<string, string> = {};
  for (const [label, value] of Object.entries(first)) if (rest.every((m) => m[label] === value)) out[label] = value;
  return out;
}

export function alertLabels(incident: IncidentEvent, alert: IncidentAlert): Record<string, string> {
  return {
    ...incident.groupLabels,
    ...tagLabels(alert.tags, {}),
    alertname: alert.ruleId,
    source: alert.source,
    metric: alert.metric,
    rule: alert.ruleId,
    kind: alert.kind,
    severity: alert.severity,
  };
}

/** Alerts a notification speaks for: inhibited ones are muted by a more severe alert. */
export function notifiableAlerts(incident: IncidentEvent): IncidentAlert[] {
  return incident.alerts.filter((a) => !a.inhibited);
}

/**
 * What a notification says, reduced to what makes it new: the notifiable alerts with their
 * state and severity. Acknowledging changes nothing here (it stops repeats instead); a new
 * alert firing, an escalation or a resolution does.
 */
export function contentKey(incident: IncidentEvent): string {
  const open = incident.status === 'resolved' ? 'resolved' : 'firing';
  const parts = notifiableAlerts(incident)
    .map((a) => `${a.alertId}:${a.status === 'resolved' ? 'resolved' : 'firing'}:${a.severity}`)
    .sort();
  return `${open}|${parts.join(',')}`;
}
