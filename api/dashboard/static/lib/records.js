// Keeping the newest version of records that arrive twice: once from REST, again (or first)
// from the WebSocket, in any order, possibly replayed after a reconnect.
import { compareAlerts, isAlertStatus, isSeverity } from './severity.js';

/**
 * Latest version per id, bounded: past `maxSize` the least recently changed record is dropped,
 * so a dashboard left open for a week does not grow without limit.
 */
export class VersionedStore {
  /** @param {(r: any) => string} keyOf @param {number} maxSize */
  constructor(keyOf, maxSize = 2000) {
    this.keyOf = keyOf;
    this.maxSize = maxSize;
    this.byId = new Map();
    /** Counts changes; `changeOf(id)` says when a record last changed (0 = never held). */
    this.changes = 0;
    this.changedAt = new Map();
  }

  /**
   * Keep `record` if it is new or newer than what is held. Equal versions keep the held one
   * (a replayed event is a duplicate, not news). Returns whether anything changed.
   */
  upsert(record) {
    // '9' > 2 is true in JS: a version must be a real number to compete.
    if (typeof record.version !== 'number' || !Number.isFinite(record.version)) return false;
    const id = this.keyOf(record);
    const held = this.byId.get(id);
    if (held && !(record.version > held.version)) return false;
    // Delete first so Map order tracks recency of change; eviction takes the oldest.
    this.byId.delete(id);
    this.byId.set(id, record);
    this.changes += 1;
    this.changedAt.set(id, this.changes);
    while (this.byId.size > this.maxSize) this.delete(this.byId.keys().next().value);
    return true;
  }

  get(id) {
    return this.byId.get(id);
  }

  /** The change count when `id` last changed (0 = not held). */
  changeOf(id) {
    return this.changedAt.get(id) ?? 0;
  }

  delete(id) {
    this.changedAt.delete(id);
    return this.byId.delete(id);
  }

  get size() {
    return this.byId.size;
  }

  values() {
    return [...this.byId.values()];
  }

  clear() {
    this.byId.clear();
    this.changedAt.clear();
  }
}

/**
 * An AlertEvent (WebSocket, records.ts) as the API's Alert shape (latest state), so both
 * sources land in one store. `updatedAt` is the time of the transition.
 */
export function alertFromEvent(event) {
  return {
    alertId: event.alertId,
    fingerprint: event.fingerprint,
    source: event.source,
    metric: event.metric,
    ruleId: event.ruleId,
    kind: event.kind,
    severity: event.severity,
    status: event.status,
    version: event.version,
    openedAt: event.openedAt,
    updatedAt: event.timestamp,
    value: event.value,
    threshold: event.threshold,
    message: event.message,
    actor: event.actor,
    reason: event.reason,
  };
}

/** Cheap shape check for data off the wire: a malformed frame is skipped, not rendered. */
export function isAlertLike(r) {
  return (
    r !== null &&
    typeof r === 'object' &&
    typeof r.alertId === 'string' &&
    r.alertId.length > 0 &&
    Number.isFinite(r.version) &&
    isAlertStatus(r.status) &&
    isSeverity(r.severity)
  );
}

export function isAnomalyLike(r) {
  return r !== null && typeof r === 'object' && typeof r.id === 'string' && r.id.length > 0 && Number.isFinite(r.version);
}

export function isLiveSnapshotLike(r) {
  return (
    r !== null &&
    typeof r === 'object' &&
    typeof r.source === 'string' &&
    typeof r.metric === 'string' &&
    Number.isFinite(r.timestamp) &&
    typeof r.value === 'number'
  );
}

/** Alert filter from the Alerts tab: empty lists / strings mean "any". */
export function matchesAlertFilter(alert, filter = {}) {
  const { statuses = [], severities = [], source = '', metric = '' } = filter;
  if (statuses.length > 0 && !statuses.includes(alert.status)) return false;
  if (severities.length > 0 && !severities.includes(alert.severity)) return false;
  if (source && alert.source !== source) return false;
  if (metric && alert.metric !== metric) return false;
  return true;
}

/** Rows for the alert table: filtered, in table order, at most `limit`. */
export function selectAlerts(alerts, filter = {}, limit = Infinity) {
  return alerts.filter((a) => matchesAlertFilter(a, filter)).sort(compareAlerts).slice(0, limit);
}

/** The N most recently changed alerts (overview list), regardless of status. */
export function recentAlerts(alerts, limit = 10) {
  return [...alerts].sort((a, b) => (b.updatedAt ?? 0) - (a.updatedAt ?? 0)).slice(0, limit);
}

export function matchesAnomalyFilter(anomaly, filter = {}) {
  const { minConfidence = 0, types = [], source = '' } = filter;
  // A missing confidence only passes when no minimum is asked for.
  if (minConfidence > 0 && !(anomaly.confidence >= minConfidence)) return false;
  if (types.length > 0 && !types.includes(anomaly.type)) return false;
  if (source && anomaly.source !== source) return false;
  return true;
}

/** Anomalies newest first (by detection time, then id for a stable order). */
export function selectAnomalies(anomalies, filter = {}, limit = Infinity) {
  return anomalies
    .filter((a) => matchesAnomalyFilter(a, filter))
    .sort((a, b) => (b.detectedTimestamp ?? 0) - (a.detectedTimestamp ?? 0) || String(a.id).localeCompare(String(b.id)))
    .slice(0, limit);
}

/**
 * Open alerts (firing + acknowledged: what the Alerts tab shows by default) counted once, for
 * both the Overview card and the tab badge, so the two always agree.
 */
export function openAlertSummary(alerts) {
  const bySeverity = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  let firing = 0;
  let acknowledged = 0;
  for (const a of alerts) {
    if (a.status === 'firing') firing += 1;
    else if (a.status === 'acknowledged') acknowledged += 1;
    else continue;
    if (Object.hasOwn(bySeverity, a.severity)) bySeverity[a.severity] += 1;
  }
  return { open: firing + acknowledged, firing, acknowledged, bySeverity };
}

/**
 * Ids the store holds as open that a complete listing of the open alerts (started when the store
 * had seen `changesAtStart` changes) does not name, and that nothing changed since: they were
 * resolved while the page missed the event (gateway down, gap), so they no longer count.
 */
export function staleOpenIds(store, listedIds, changesAtStart) {
  const listed = new Set(listedIds);
  return store
    .values()
    .filter((a) => (a.status === 'firing' || a.status === 'acknowledged') && !listed.has(store.keyOf(a)) && store.changeOf(store.keyOf(a)) <= changesAtStart)
    .map((a) => store.keyOf(a));
}
