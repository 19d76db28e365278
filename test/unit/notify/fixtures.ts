/** Incident records for the notifier's unit tests. */
import type { IncidentAlert, IncidentEvent } from '../../../schemas/records.ts';
import { stableId } from '../../../core/ids.ts';

export function alert(over: Partial<IncidentAlert> = {}): IncidentAlert {
  return {
    alertId: 'a1',
    fingerprint: 'checkout|error_rate|error-rate-threshold',
    source: 'checkout',
    metric: 'error_rate',
    ruleId: 'error-rate-threshold',
    kind: 'threshold',
    severity: 'high',
    status: 'firing',
    inhibited: false,
    value: 0.2,
    threshold: 0.05,
    message: 'error_rate 0.2 above 0.05',
    openedAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    version: 1,
    tags: {},
    ...over,
  };
}

export function incident(over: Partial<IncidentEvent> = {}): IncidentEvent {
  const base: IncidentEvent = {
    eventId: '',
    incidentId: 'inc-1',
    groupKey: 'metric=error_rate,source=checkout',
    groupLabels: { source: 'checkout', metric: 'error_rate' },
    status: 'firing',
    severity: 'high',
    version: 1,
    timestamp: 1_700_000_000_000,
    openedAt: 1_700_000_000_000,
    title: 'checkout error_rate',
    alerts: [alert()],
    causeId: 'e1',
    causeAlertId: 'a1',
    actor: 'pipeline',
    reason: 'alert opened',
    comment: '',
    ...over,
  };
  return { ...base, eventId: over.eventId ?? stableId(base.incidentId, base.version) };
}
