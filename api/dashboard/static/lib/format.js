// Display formatting. Pure: every function takes what it needs, nothing reads the DOM or clock.

const DASH = '—';

function isNumber(v) {
  return typeof v === 'number' && Number.isFinite(v);
}

/** A metric value for a cell: compact for big numbers, 3 significant digits for small ones. */
export function formatNumber(v) {
  if (!isNumber(v)) return DASH;
  const abs = Math.abs(v);
  if (abs === 0) return '0';
  if (abs >= 1e9) return `${trim((v / 1e9).toFixed(2))}G`;
  if (abs >= 1e6) return `${trim((v / 1e6).toFixed(2))}M`;
  if (abs >= 1e4) return `${trim((v / 1e3).toFixed(1))}k`;
  if (abs >= 100) return trim(v.toFixed(1));
  if (abs >= 1) return trim(v.toFixed(2));
  if (abs >= 0.001) return trim(v.toPrecision(3));
  return v.toExponential(1);
}

function trim(s) {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** A fraction in [0, 1] as a percentage; `digits` after the point, trailing zeros kept (alignment). */
export function formatPercent(fraction, digits = 2) {
  if (!isNumber(fraction)) return DASH;
  return `${(fraction * 100).toFixed(digits)} %`;
}

/** A score or confidence in [0, 1]. */
export function formatScore(v) {
  if (!isNumber(v)) return DASH;
  return v.toFixed(2);
}

/** Integer counts with thousands separators that do not depend on the browser locale. */
export function formatCount(v) {
  if (!isNumber(v)) return DASH;
  const rounded = Math.round(v);
  const sign = rounded < 0 ? '-' : '';
  return sign + String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function pad2(n) {
  return String(n).padStart(2, '0');
}

/**
 * Epoch ms as `HH:MM:SS` when it falls on the same day as `now`, else `YYYY-MM-DD HH:MM`.
 * `utc` exists so tests (and operators who prefer it) get a result independent of the zone.
 */
export function formatTime(ms, now = ms, utc = false) {
  if (!isNumber(ms)) return DASH;
  const d = new Date(ms);
  const n = new Date(now);
  const get = utc
    ? { y: d.getUTCFullYear(), mo: d.getUTCMonth(), da: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds() }
    : { y: d.getFullYear(), mo: d.getMonth(), da: d.getDate(), h: d.getHours(), mi: d.getMinutes(), s: d.getSeconds() };
  const sameDay = utc
    ? get.y === n.getUTCFullYear() && get.mo === n.getUTCMonth() && get.da === n.getUTCDate()
    : get.y === n.getFullYear() && get.mo === n.getMonth() && get.da === n.getDate();
  if (sameDay) return `${pad2(get.h)}:${pad2(get.mi)}:${pad2(get.s)}`;
  return `${get.y}-${pad2(get.mo + 1)}-${pad2(get.da)} ${pad2(get.h)}:${pad2(get.mi)}`;
}

/** Full ISO timestamp, for tooltips. */
export function formatIso(ms) {
  if (!isNumber(ms)) return DASH;
  return new Date(ms).toISOString();
}

const UNITS = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['min', 60_000],
  ['s', 1000],
];

/** A duration as its two largest units: `2 h 5 min`, `30 d`, `850 ms`. */
export function formatDuration(ms) {
  if (!isNumber(ms) || ms < 0) return DASH;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const first = UNITS.findIndex(([, size]) => ms >= size);
  const [unit, size] = UNITS[first];
  const major = Math.floor(ms / size);
  const next = UNITS[first + 1];
  const minor = next ? Math.floor((ms - major * size) / next[1]) : 0;
  return minor > 0 ? `${major} ${unit} ${minor} ${next[0]}` : `${major} ${unit}`;
}

/** How long ago, coarse: `12 s ago`, `3 min ago`; future times (clock skew) read `just now`. */
export function formatAge(ms, now) {
  if (!isNumber(ms) || !isNumber(now)) return DASH;
  const diff = now - ms;
  if (diff < 1000) return 'just now';
  return `${formatDuration(diff).split(' ').slice(0, 2).join(' ')} ago`;
}

/** A burn rate: `1.0×` means the budget lasts exactly the window. */
export function formatBurnRate(v) {
  if (!isNumber(v)) return DASH;
  return `${v >= 10 ? v.toFixed(0) : v.toFixed(1)}×`;
}

/** `source/metric`, the series id everyone uses. */
export function seriesLabel(source, metric) {
  return `${source}/${metric}`;
}
