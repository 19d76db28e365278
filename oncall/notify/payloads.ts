/**
 * The bodies each receiver type is sent, as pure functions of the notification:
 * - webhook: Vigil's own JSON (the whole incident, kind, ids), signed by the sender;
 * - slack: an incoming-webhook message (text + one attachment coloured by severity);
 * - alertmanager: Alertmanager's webhook_config payload, version "4", so receivers written for
 *   Alertmanager (PagerDuty bridges, chat bots, ticketing hooks) take Vigil's unchanged.
 * Bodies hold nothing that changes between retries, so a retried body is byte-identical.
 */
import { stableId } from '../../core/ids.ts';
import type { ReceiverConfig } from '../../core/notify-config.ts';
import type { IncidentAlert, IncidentEvent, Severity } from '../../schemas/records.ts';
import { alertLabels, incidentLabels, notifiableAlerts } from './labels.ts';
import { alertmanagerLabels } from '../silences/labels.ts';
import type { NotificationKind } from './timers.ts';

export interface Notification {
  notificationId: string;
  /** The incident event id this notification reports (repeats add "/repeat-<n>"). */
  idempotencyKey: string;
  kind: NotificationKind;
  receiver: string;
  routeId: string;
  incident: IncidentEvent;
}

export interface RenderOptions {
  dashboardUrl: string;
}

export const WEBHOOK_PAYLOAD_VERSION = 'vigil.notification.v1';
/** Alertmanager's zero time, which it sends as endsAt of alerts still firing. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export function incidentUrl(dashboardUrl: string, incidentId: string): string {
  return `${dashboardUrl.replace(/\/+$/, '')}/#/incidents/${encodeURIComponent(incidentId)}`;
}

/** firing | resolved as receivers see it: an acknowledged incident is still firing. */
export function wireStatus(status: string): 'firing' | 'resolved' {
  return status === 'resolved' ? 'resolved' : 'firing';
}

export function webhookBody(n: Notification, opts: RenderOptions): object {
  return {
    version: WEBHOOK_PAYLOAD_VERSION,
    notificationId: n.notificationId,
    idempotencyKey: n.idempotencyKey,
    kind: n.kind,
    receiver: n.receiver,
    status: wireStatus(n.incident.status),
    url: incidentUrl(opts.dashboardUrl, n.incident.incidentId),
    labels: incidentLabels(n.incident),
    incident: n.incident,
  };
}

const SLACK_COLORS: Record<Severity, string> = { critical: '#b3001b', high: '#e8590c', medium: '#f2c94c', low: '#2f80ed', info: '#828282' };

function alertLine(a: IncidentAlert): string {
  const state = a.status === 'resolved' ? 'resolved' : a.status;
  return `• ${a.severity} ${a.source}/${a.metric} (${a.ruleId}, ${state}): ${a.message}`;
}

export function slackBody(n: Notification, opts: RenderOptions, receiver: Extract<ReceiverConfig, { type: 'slack' }>): object {
  const inc = n.incident;
  const status = wireStatus(inc.status);
  const tag = n.kind === 'resolved' ? 'RESOLVED' : n.kind === 'repeat' ? 'STILL FIRING' : 'FIRING';
  const url = incidentUrl(opts.dashboardUrl, inc.incidentId);
  const alerts = notifiableAlerts(inc);
  return {
    text: `[${tag}] ${inc.title} (${inc.severity})`,
    ...(receiver.channel ? { channel: receiver.channel } : {}),
    ...(receiver.username ? { username: receiver.username } : {}),
    attachments: [
      {
        color: status === 'resolved' ? '#2eb67d' : SLACK_COLORS[inc.severity],
        title: inc.title,
        title_link: url,
        text: alerts.map(alertLine).join('\n'),
        fields: [
          { title: 'Severity', value: inc.severity, short: true },
          { title: 'Status', value: inc.status, short: true },
          { title: 'Group', value: inc.groupKey, short: false },
        ],
        footer: `Vigil · incident ${inc.incidentId}`,
        ts: Math.floor(inc.timestamp / 1000),
      },
    ],
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function intersect(maps: Array<Record<string, string>>): Record<string, string> {
  if (maps.length === 0) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(maps[0])) if (maps.every((m) => m[k] === v)) out[k] = v;
  return out;
}

/** Alertmanager's group key form: `{}:{label="value", …}` (root route, sorted labels). */
export function alertmanagerGroupKey(groupLabels: Record<string, string>): string {
  const pairs = Object.keys(groupLabels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(groupLabels[k])}`);
  return `{}:{${pairs.join(', ')}}`;
}

export function alertmanagerBody(n: Notification, opts: RenderOptions): object {
  const inc = n.incident;
  const url = incidentUrl(opts.dashboardUrl, inc.incidentId);
  // Alertmanager's label-name rules: tag:<key> is sent as tag_<key> (oncall/silences/labels.ts).
  const groupLabels = alertmanagerLabels(inc.groupLabels);
  const alerts = notifiableAlerts(inc).map((a) => {
    const resolved = a.status === 'resolved';
    return {
      status: wireStatus(a.status),
      labels: alertmanagerLabels(alertLabels(inc, a)),
      annotations: { summary: inc.title, description: a.message, incident_url: url },
      startsAt: iso(a.openedAt),
      endsAt: resolved ? iso(a.updatedAt) : ZERO_TIME,
      generatorURL: url,
      fingerprint: stableId('alertmanager-fingerprint', a.fingerprint).slice(0, 16),
    };
  });
  return {
    version: '4',
    groupKey: alertmanagerGroupKey(groupLabels),
    truncatedAlerts: 0,
    status: wireStatus(inc.status),
    receiver: n.receiver,
    groupLabels,
    commonLabels: intersect(alerts.map((a) => a.labels)),
    commonAnnotations: intersect(alerts.map((a) => a.annotations)),
    externalURL: opts.dashboardUrl,
    alerts,
  };
}

/** The JSON body for a receiver. */
export function renderBody(n: Notification, receiver: ReceiverConfig, opts: RenderOptions): string {
  switch (receiver.type) {
    case 'webhook':
      return JSON.stringify(webhookBody(n, opts));
    case 'slack':
      return JSON.stringify(slackBody(n, opts, receiver));
    case 'alertmanager':
      return JSON.stringify(alertmanagerBody(n, opts));
  }
}
