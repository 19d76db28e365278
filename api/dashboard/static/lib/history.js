// Chart history from GET /api/v1/series/points, so a chart opens with the last minutes drawn
// instead of starting empty. DOM-free: the request itself is injected (tests run in Node).
import { CHART_POINTS, seriesKey } from './state.js';

/** One sample per second: the gateway sends at most one live snapshot per series per second. */
export const HISTORY_STEP_SEC = 1;
/** After a failed request the series is asked for again no sooner than this. */
export const HISTORY_RETRY_MS = 15_000;

/**
 * What to ask for: the newest `points` one-second samples of the server's default window (the
 * last 15 minutes). No from/to on purpose: the browser's clock may disagree with the server's.
 */
export function historyQuery(series, points = CHART_POINTS) {
  return { source: series.source, metric: series.metric, step: HISTORY_STEP_SEC, limit: points };
}

/**
 * The answer as ring points (`[value, mean]`, the charts' two lines). An answer for another
 * series, or anything that is not one, gives nothing; malformed points are skipped.
 */
export function historyPoints(body, series) {
  if (!body || typeof body !== 'object' || !Array.isArray(body.points)) return [];
  if (body.source !== series.source || body.metric !== series.metric) return [];
  const out = [];
  for (const p of body.points) {
    if (!p || typeof p !== 'object' || typeof p.timestamp !== 'number' || !Number.isFinite(p.timestamp)) continue;
    out.push({ x: p.timestamp, values: [p.value, p.mean] });
  }
  return out;
}

/** Merge an answer under the live points of the series' ring. Returns how many points it added. */
export function applyHistory(state, series, body) {
  const points = historyPoints(body, series);
  return points.length === 0 ? 0 : state.rings.merge(seriesKey(series), points);
}

/**
 * Asks once per charted series (and again after `refresh`, e.g. when the live stream had a
 * gap); one request per series at a time; a failed one is retried after HISTORY_RETRY_MS.
 *
 * @param {{ fetchHistory: (query: object) => Promise<unknown>, apply: (id: string, series: object, body: unknown) => void,
 *           onError?: (err: unknown, id: string) => void, now?: () => number }} options
 */
export function createHistoryLoader({ fetchHistory, apply, onError = () => {}, now = () => Date.now() }) {
  const loaded = new Set();
  const inFlight = new Map();
  const retryAt = new Map();

  function load(id, series) {
    if (inFlight.has(id)) return inFlight.get(id);
    const request = Promise.resolve()
      .then(() => fetchHistory(historyQuery(series)))
      .then(
        (body) => {
          loaded.add(id);
          retryAt.delete(id);
          apply(id, series, body);
        },
        (err) => {
          retryAt.set(id, now() + HISTORY_RETRY_MS);
          onError(err, id);
        },
      )
      .finally(() => inFlight.delete(id));
    inFlight.set(id, request);
    return request;
  }

  return {
    /** Request history for the ids (`seriesOf(id)` → {source, metric}) that have none yet. */
    want(ids, seriesOf) {
      const t = now();
      const requests = [];
      for (const id of ids) {
        if (loaded.has(id) || (retryAt.get(id) ?? -Infinity) > t) continue;
        const series = seriesOf(id);
        if (series && typeof series.source === 'string' && typeof series.metric === 'string') requests.push(load(id, series));
      }
      return Promise.all(requests);
    },
    /** Ask again for these ids now (their charts may have a hole). */
    refresh(ids, seriesOf) {
      for (const id of ids) {
        loaded.delete(id);
        retryAt.delete(id);
      }
      return this.want(ids, seriesOf);
    },
    has(id) {
      return loaded.has(id);
    },
  };
}
