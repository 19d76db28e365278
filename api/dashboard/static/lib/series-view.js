// The series page: one series over a chosen time range. Pure helpers (the URL state, which
// /series/points query a range needs, the chart's columns with gaps and baseline band, alert
// spans); no DOM, so Node unit tests cover them.

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/**
 * Relative ranges: [label, span ms, step s]. The step keeps each chart near 400 buckets: raw
 * sampled points up to 2 h (the API's raw limit), the per-minute rollup beyond.
 */
export const RANGES = [
  ['15m', 15 * MIN, 2],
  ['1h', HOUR, 10],
  ['6h', 6 * HOUR, 60],
  ['24h', DAY, 300],
  ['7d', 7 * DAY, 1800],
  ['30d', 30 * DAY, 7200],
];
export const DEFAULT_RANGE = '1h';
/** The band drawn around the baseline mean: mean ± BAND_K · std. */
export const BAND_K = 3;
/** A hole longer than this many steps between two points is drawn as a gap, not a line. */
export const GAP_STEPS = 3;
const MAX_ABSOLUTE_MS = 30 * DAY;

const rangeOf = (label) => RANGES.find(([l]) => l === label);

/** Step (s) for an absolute span: the smallest of RANGES' steps whose range holds it. */
function stepFor(spanMs) {
  return (RANGES.find(([, span]) => spanMs <= span) ?? RANGES[RANGES.length - 1])[2];
}

function epochOf(text) {
  if (text === null || text === undefined || text === '') return null;
  const n = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  return Number.isFinite(n) ? n : null;
}

/**
 * `#series?source=…&metric=…&range=1h` (or `from=…&to=…`, epoch ms or ISO) → the page state.
 * Anything unusable falls back to the default range; a missing series gives `series: null`.
 */
export function parseSeriesHash(hash) {
  const text = String(hash ?? '').replace(/^#/, '');
  const q = text.indexOf('?');
  const params = new URLSearchParams(q >= 0 ? text.slice(q + 1) : '');
  const source = params.get('source') ?? '';
  const metric = params.get('metric') ?? '';
  const series = source && metric ? { source, metric } : null;
  const from = epochOf(params.get('from'));
  const to = epochOf(params.get('to'));
  if (from !== null && to !== null && to > from && to - from <= MAX_ABSOLUTE_MS) return { series, range: null, from, to };
  const range = rangeOf(params.get('range')) ? params.get('range') : DEFAULT_RANGE;
  return { series, range, from: null, to: null };
}

/** The hash for a page state (what a link to the series page, or a pasted one, holds). */
export function seriesHash({ series, range, from, to }) {
  const params = new URLSearchParams();
  if (series) {
    params.set('source', series.source);
    params.set('metric', series.metric);
  }
  if (range) params.set('range', range);
  else if (Number.isFinite(from) && Number.isFinite(to)) {
    params.set('from', new Date(from).toISOString());
    params.set('to', new Date(to).toISOString());
  }
  return `#series?${params.toString()}`;
}

/** The link for a record naming a series (alert, anomaly, live value). */
export function seriesLink(record, range = DEFAULT_RANGE) {
  return seriesHash({ series: { source: record.source, metric: record.metric }, range });
}

/** The smallest relative range that still shows `ts` (e.g. an alert's opening) at `now`. */
export function rangeCovering(ts, now) {
  const age = now - ts;
  const found = RANGES.find(([, span]) => age <= span * 0.9);
  return (found ?? RANGES[RANGES.length - 1])[0];
}

/** The GET /series/points query for the page state at `now` (browser clock). */
export function pointsQuery(state, now) {
  const { series } = state;
  if (state.range === null && Number.isFinite(state.from) && Number.isFinite(state.to)) {
    return { source: series.source, metric: series.metric, from: state.from, to: state.to, step: stepFor(state.to - state.from), limit: 5000 };
  }
  const [, span, step] = rangeOf(state.range) ?? rangeOf(DEFAULT_RANGE);
  return { source: series.source, metric: series.metric, from: now - span, to: now, step, limit: 5000 };
}

/**
 * uPlot columns [x s, value, band low, band high] from the API's points. A hole longer than
 * GAP_STEPS steps gets a null row so the line breaks there (a gap is not a straight line).
 * The band exists only where the points carry the baseline (raw and sampled; not the rollup).
 */
export function chartColumns(body) {
  const xs = [];
  const value = [];
  const low = [];
  const high = [];
  let gaps = 0;
  const points = Array.isArray(body?.points) ? body.points.filter((p) => p && Number.isFinite(p.timestamp) && typeof p.value === 'number') : [];
  const stepMs = Number.isFinite(body?.step) && body.step > 0 ? body.step * 1000 : medianInterval(points);
  let prev = null;
  for (const p of points) {
    if (prev !== null && stepMs > 0 && p.timestamp - prev > GAP_STEPS * stepMs) {
      xs.push((prev + stepMs) / 1000);
      value.push(null);
      low.push(null);
      high.push(null);
      gaps += 1;
    }
    const band = Number.isFinite(p.mean) && Number.isFinite(p.std);
    xs.push(p.timestamp / 1000);
    value.push(p.value);
    low.push(band ? p.mean - BAND_K * p.std : null);
    high.push(band ? p.mean + BAND_K * p.std : null);
    prev = p.timestamp;
  }
  return { columns: [xs, value, low, high], gaps, points: points.length };
}

function medianInterval(points) {
  if (points.length < 2) return 0;
  const d = [];
  for (let i = 1; i < points.length; i += 1) d.push(points[i].timestamp - points[i - 1].timestamp);
  d.sort((a, b) => a - b);
  return d[Math.floor(d.length / 2)];
}

/**
 * The alert spans to shade on the chart: opened → resolved (or now while open), clipped to
 * [from, to); alerts wholly outside are left out. Times in ms.
 */
export function alertSpans(alerts, from, to, now) {
  const spans = [];
  for (const a of alerts ?? []) {
    if (!a || !Number.isFinite(a.openedAt)) continue;
    const end = a.status === 'resolved' && Number.isFinite(a.updatedAt) ? a.updatedAt : now;
    if (end < from || a.openedAt >= to) continue;
    spans.push({ alertId: a.alertId, severity: a.severity, status: a.status, start: Math.max(a.openedAt, from), end: Math.min(end, to) });
  }
  return spans.sort((x, y) => x.start - y.start);
}
