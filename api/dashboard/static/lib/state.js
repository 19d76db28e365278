// What the dashboard knows, and how an event from the gateway changes it. DOM-free: views
// subscribe to topics and redraw; tests drive applyLiveEvent directly.
import { VersionedStore, alertFromEvent, isAlertLike, isAnomalyLike, isLiveSnapshotLike } from './records.js';
import { SeriesRings } from './ring-buffer.js';

export const CHART_POINTS = 300; // five minutes at the gateway's one snapshot per series per second

export function createState({ maxRecords = 2000, maxSeries = 500 } = {}) {
  const listeners = new Map();
  return {
    alerts: new VersionedStore((a) => a.alertId, maxRecords),
    anomalies: new VersionedStore((a) => a.id, maxRecords),
    /** seriesId → latest LiveSnapshot-like record (from REST /live-metrics or the live channel). */
    latest: new Map(),
    /** seriesId → [value, mean] over time for the charts. */
    rings: new SeriesRings(CHART_POINTS, 2, maxSeries),
    /** alertId → { action, version, since }: commands the API accepted (202) but the owner has not applied yet. */
    pending: new Map(),
    health: null,
    stats: null,
    sla: null,
    /** Counts per event channel: the browser test and the status line read them. */
    received: { alerts: 0, anomalies: 0, live: 0, rejected: 0, gaps: 0 },
    on(topic, fn) {
      if (!listeners.has(topic)) listeners.set(topic, new Set());
      listeners.get(topic).add(fn);
    },
    emit(topic, detail) {
      for (const fn of listeners.get(topic) ?? []) fn(detail);
    },
  };
}

export function seriesKey(record) {
  return `${record.source}/${record.metric}`;
}

/** Record a latest value (REST or live); keeps whichever is newer. Returns whether it changed. */
export function recordLatest(state, snapshot) {
  const id = seriesKey(snapshot);
  const held = state.latest.get(id);
  if (held && held.timestamp > snapshot.timestamp) return false;
  state.latest.set(id, snapshot);
  if (state.latest.size > state.rings.maxSeries) state.latest.delete(state.latest.keys().next().value);
  return true;
}

/**
 * Apply one gateway event. Returns the topic that changed ('alerts' | 'anomalies' | 'live'),
 * or null when the frame was a duplicate, stale, or malformed (counted in `received.rejected`).
 */
export function applyLiveEvent(state, channel, data) {
  switch (channel) {
    case 'alerts': {
      if (!isAlertLike(data)) break;
      state.received.alerts += 1;
      // Events carry `timestamp`; REST rows carry `updatedAt`. Accept either.
      const alert = 'eventId' in data || !('updatedAt' in data) ? alertFromEvent(data) : data;
      if (!state.alerts.upsert(alert)) return null;
      const pending = state.pending.get(alert.alertId);
      // Any newer version settles a pending command: applied, or overtaken by another change.
      if (pending && alert.version > pending.version) state.pending.delete(alert.alertId);
      return 'alerts';
    }
    case 'anomalies': {
      if (!isAnomalyLike(data)) break;
      state.received.anomalies += 1;
      return state.anomalies.upsert(data) ? 'anomalies' : null;
    }
    case 'live': {
      if (!isLiveSnapshotLike(data)) break;
      state.received.live += 1;
      const id = seriesKey(data);
      const pushed = state.rings.push(id, data.timestamp, [data.value, data.mean]);
      const latest = recordLatest(state, data);
      return pushed || latest ? 'live' : null;
    }
    default:
      break;
  }
  state.received.rejected += 1;
  return null;
}
