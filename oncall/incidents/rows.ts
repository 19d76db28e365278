/** IncidentEvent → ClickHouse `incident_events` row (migration 003). Pure. */
import type { IncidentEvent } from '../../schemas/records.ts';

const seconds = (ms: number) => Math.floor(ms / 1000);

export function incidentEventRow(e: IncidentEvent) {
  const keys = Object.keys(e.groupLabels).sort();
  return {
    event_id: e.eventId,
    incident_id: e.incidentId,
    group_key: e.groupKey,
    group_label_keys: keys,
    group_label_values: keys.map((k) => e.groupLabels[k]),
    status: e.status,
    severity: e.severity,
    version: e.version,
    timestamp: seconds(e.timestamp),
    timestamp_ms: e.timestamp,
    opened_at: seconds(e.openedAt),
    opened_at_ms: e.openedAt,
    title: e.title,
    alert_ids: e.alerts.map((a) => a.alertId),
    alerts_json: JSON.stringify(e.alerts),
    cause_id: e.causeId,
    cause_alert_id: e.causeAlertId,
    actor: e.actor,
    reason: e.reason,
    comment: e.comment,
  };
}
