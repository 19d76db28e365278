/**
 * The incident state machine, pure: (latest incident of a group, alert event) → the next
 * incident event, or null when the alert event changes nothing (a re-delivered or stale event,
 * or a resolve of an alert no open incident holds). Deterministic: the same sequence of alert
 * events gives the same incident events, ids included, in every run and on every instance.
 *
 * - An alert event of an unknown alert that is not resolved joins the group's open incident,
 *   or opens a new one (openedAt = its timestamp) when the group has none open.
 * - Status: resolved once every alert is; firing while any unresolved, non-inhibited alert
 *   fires; acknowledged otherwise (an acknowledged incident re-arms when a new alert fires).
 * - Severity: the highest of the unresolved, non-inhibited alerts (of all non-inhibited ones
 *   once resolved). No-data alerts take the severity of their oncall.nodata rule.
 */
import { stableId } from '../../core/ids.ts';
import { REASONS } from '../../pipeline/alerts/series-monitor.ts';
import { SEVERITIES, severityRank, type AlertEvent, type AlertStatus, type IncidentAlert, type IncidentEvent, type Severity } from '../../schemas/records.ts';
import { nodataRuleFor, type Group, type OncallPolicy } from './grouping.ts';
import { inhibitedAlertIds, type InhibitRule } from './inhibition.ts';

export interface IncidentPolicy {
  policy: OncallPolicy;
  inhibitRules: readonly InhibitRule[];
}

export const incidentIdOf = (groupKey: string, openedAt: number): string => stableId('incident', groupKey, openedAt);
export const incidentEventIdOf = (incidentId: string, version: number): string => stableId('incident-event', incidentId, version);

/** Operator commands put their comment after the reason (`acknowledged: <comment>`); split it back out. */
export function splitComment(reason: string): { reason: string; comment: string } {
  for (const prefix of [REASONS.acknowledged, REASONS.resolvedByOperator]) {
    if (reason.startsWith(`${prefix}: `)) return { reason: prefix, comment: reason.slice(prefix.length + 2) };
  }
  return { reason, comment: '' };
}

function highest(alerts: readonly IncidentAlert[]): Severity {
  let best: Severity = SEVERITIES[SEVERITIES.length - 1];
  for (const a of alerts) if (severityRank[a.severity] < severityRank[best]) best = a.severity;
  return best;
}

function statusOf(alerts: readonly IncidentAlert[]): AlertStatus {
  const open = alerts.filter((a) => a.status !== 'resolved');
  if (open.length === 0) return 'resolved';
  return open.some((a) => a.status === 'firing' && !a.inhibited) ? 'firing' : 'acknowledged';
}

function titleOf(group: Group, alerts: readonly IncidentAlert[]): string {
  const labels = Object.keys(group.groupLabels)
    .filter((k) => k !== 'kind')
    .sort((a, b) => (a === 'source' ? -1 : b === 'source' ? 1 : a.localeCompare(b)))
    .map((k) => group.groupLabels[k])
    .join('/');
  const what = group.groupLabels.kind === 'nodata' ? 'no data' : `${alerts.length} alert${alerts.length === 1 ? '' : 's'}`;
  return `${labels}: ${what}`;
}

function memberOf(event: AlertEvent, policy: OncallPolicy): IncidentAlert {
  const severity = event.kind === 'nodata' ? nodataRuleFor(policy, event.source, event.metric).severity : event.severity;
  return {
    alertId: event.alertId,
    fingerprint: event.fingerprint,
    source: event.source,
    metric: event.metric,
    ruleId: event.ruleId,
    kind: event.kind,
    severity,
    status: event.status,
    inhibited: false,
    value: event.value,
    threshold: event.threshold,
    message: event.message,
    openedAt: event.openedAt,
    updatedAt: event.timestamp,
    version: event.version,
    tags: event.tags ?? {},
  };
}

/**
 * `prev` is the group's latest incident event (open or resolved) or null. Alerts of a resolved
 * incident are remembered through it, so a re-delivered event of one of them does not open a
 * new incident.
 */
export function applyAlertEvent(prev: IncidentEvent | null, group: Group, event: AlertEvent, rules: IncidentPolicy): IncidentEvent | null {
  const known = prev?.alerts.find((a) => a.alertId === event.alertId);
  if (known && event.version <= known.version) return null;
  const open = prev !== null && prev.status !== 'resolved';
  if (!open && (event.status === 'resolved' || known)) return null;

  const member = memberOf(event, rules.policy);
  const alerts = open ? prev.alerts.map((a) => (a.alertId === event.alertId ? member : a)) : [];
  if (!alerts.some((a) => a.alertId === event.alertId)) alerts.push(member);
  const muted = inhibitedAlertIds(alerts, rules.inhibitRules);
  const members = alerts.map((a) => ({ ...a, inhibited: a.status !== 'resolved' && muted.has(a.alertId) }));

  const status = statusOf(members);
  const counted = members.filter((a) => !a.inhibited && (status === 'resolved' || a.status !== 'resolved'));
  const openedAt = open ? prev.openedAt : event.timestamp;
  const incidentId = open ? prev.incidentId : incidentIdOf(group.groupKey, openedAt);
  const version = open ? prev.version + 1 : 1;
  const { reason, comment } = splitComment(event.reason);
  const transition = !open ? 'opened' : status !== prev.status ? status : 'updated';
  return {
    eventId: incidentEventIdOf(incidentId, version),
    incidentId,
    groupKey: group.groupKey,
    groupLabels: { ...group.groupLabels },
    status,
    severity: highest(counted.length > 0 ? counted : members),
    version,
    // Never before the previous transition: a late alert event must not move the timeline back.
    timestamp: open ? Math.max(prev.timestamp, event.timestamp) : event.timestamp,
    openedAt,
    title: titleOf(group, members),
    alerts: members,
    causeId: event.eventId,
    causeAlertId: event.alertId,
    actor: event.actor,
    reason: `incident ${transition}: alert ${event.ruleId} on ${event.source}/${event.metric} ${event.status} (${reason})`,
    comment,
  };
}
