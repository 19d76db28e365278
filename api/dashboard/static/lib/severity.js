// Severity and status ordering (mirrors schemas/records.ts: lower rank = more severe).

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];
export const ALERT_STATUSES = ['firing', 'acknowledged', 'resolved'];
export const ANOMALY_TYPES = ['outlier', 'spike', 'drop', 'trend_change', 'pattern_change'];

const SEVERITY_RANK = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
// Open alerts first: what an operator must act on sorts to the top.
const STATUS_RANK = { firing: 0, acknowledged: 1, resolved: 2 };

export function isSeverity(v) {
  return typeof v === 'string' && Object.hasOwn(SEVERITY_RANK, v);
}

export function isAlertStatus(v) {
  return typeof v === 'string' && Object.hasOwn(STATUS_RANK, v);
}

/** Rank of a severity; unknown values sort after `info` rather than crashing the table. */
export function severityRank(severity) {
  return isSeverity(severity) ? SEVERITY_RANK[severity] : SEVERITIES.length;
}

/** Sort comparator: most severe first. */
export function compareSeverity(a, b) {
  return severityRank(a) - severityRank(b);
}

/** True when `severity` is `min` or more severe. */
export function severityAtLeast(severity, min) {
  return severityRank(severity) <= severityRank(min);
}

export function statusRank(status) {
  return isAlertStatus(status) ? STATUS_RANK[status] : ALERT_STATUSES.length;
}

/**
 * Alert table order: open before resolved, then most severe, then most recently changed,
 * then id so equal rows never swap places between renders.
 */
export function compareAlerts(a, b) {
  const openA = a.status === 'resolved' ? 1 : 0;
  const openB = b.status === 'resolved' ? 1 : 0;
  return (
    openA - openB ||
    compareSeverity(a.severity, b.severity) ||
    (b.updatedAt ?? 0) - (a.updatedAt ?? 0) ||
    String(a.alertId).localeCompare(String(b.alertId))
  );
}

/** CSS class suffix for a severity; only known names reach the class attribute. */
export function severityClass(severity) {
  return isSeverity(severity) ? `sev-${severity}` : 'sev-unknown';
}

export function statusClass(status) {
  return isAlertStatus(status) ? `status-${status}` : 'status-unknown';
}

/** Which operator actions a status allows (the pipeline is the judge; this only hides dead buttons). */
export function allowedActions(status) {
  if (status === 'firing') return ['acknowledge', 'resolve'];
  if (status === 'acknowledged') return ['resolve'];
  return [];
}

/** Human label for an anomaly type: `trend_change` → `trend change`. */
export function anomalyTypeLabel(type) {
  return typeof type === 'string' ? type.replace(/_/g, ' ') : '—';
}
