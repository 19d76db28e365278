// Pure helpers of the Incidents tab: what can be done to an incident, how a timeline step and
// a command's outcome read. No DOM here (unit-tested in node).
import { SEVERITIES, compareSeverity, isAlertStatus } from './severity.js';

/** Buttons an incident shows: acknowledge while some alert fires, resolve until it is resolved. */
export function incidentActions(incident) {
  if (!incident || incident.status === 'resolved' || !isAlertStatus(incident.status)) return [];
  const alerts = Array.isArray(incident.alerts) ? incident.alerts : [];
  const actions = [];
  if (alerts.some((a) => a.status === 'firing')) actions.push('acknowledge');
  actions.push('resolve');
  return actions;
}

/** Counts for the header line: open, muted (inhibited) and resolved alerts. */
export function alertCounts(incident) {
  const alerts = Array.isArray(incident?.alerts) ? incident.alerts : [];
  let open = 0;
  let inhibited = 0;
  let resolved = 0;
  for (const a of alerts) {
    if (a.status === 'resolved') resolved++;
    else {
      open++;
      if (a.inhibited) inhibited++;
    }
  }
  return { open, inhibited, resolved, total: alerts.length };
}

export function describeCounts(c) {
  const parts = [`${c.open} open`];
  if (c.inhibited > 0) parts.push(`${c.inhibited} muted`);
  if (c.resolved > 0) parts.push(`${c.resolved} resolved`);
  return parts.join(', ');
}

/** One timeline step as text: "alice acknowledged default.anomaly (svc/cpu) — "comment"". */
export function describeStep(step) {
  const alert = step.alert;
  const what = alert ? `${alert.ruleId} on ${alert.source}/${alert.metric} ${alert.status}${alert.inhibited ? ' (muted)' : ''}` : `alert ${step.alertId}`;
  const who = step.actor || 'pipeline';
  return `${who}: ${what}`;
}

/** What the operator is told after acknowledge/resolve. */
export function summarizeResults(action, body) {
  const results = Array.isArray(body?.results) ? body.results : [];
  const by = { applied: 0, refused: 0, pending: 0 };
  for (const r of results) if (r.outcome in by) by[r.outcome]++;
  const verb = action === 'acknowledge' ? 'acknowledged' : 'resolved';
  const parts = [];
  if (by.applied) parts.push(`${by.applied} alert${by.applied === 1 ? '' : 's'} ${verb}`);
  if (by.pending) parts.push(`${by.pending} on the way`);
  if (by.refused) parts.push(`${by.refused} refused (${results.filter((r) => r.outcome === 'refused').map((r) => r.reason).join('; ')})`);
  return { text: parts.join(', ') || 'nothing to do', error: by.refused > 0 && by.applied === 0 && by.pending === 0 };
}

/** Open incidents first (most severe, newest), then resolved ones (newest). */
export function sortIncidents(list) {
  const open = (i) => (i.status === 'resolved' ? 1 : 0);
  return [...list].sort(
    (a, b) => open(a) - open(b) || (open(a) === 0 ? compareSeverity(a.severity, b.severity) : 0) || b.openedAt - a.openedAt || (a.incidentId < b.incidentId ? -1 : 1),
  );
}

export { SEVERITIES };
