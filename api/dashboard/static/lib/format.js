// Display formatting. Pure: every function takes what it needs, nothing reads the DOM or clock.

const DASH = '—';

function isNumber(v) {
  return typeof v === 'number' && Number.isFinite(v);
}

// SI prefixes, smallest first: a value is shown as at most three significant digits of one.
const SI = [
  [1, ''],
  [1e3, 'k'],
  [1e6, 'M'],
  [1e9, 'G'],
  [1e12, 'T'],
  [1e15, 'P'],
];

/**
 * A metric value SI-style with three significant digits: `4.25k`, `58.5`, `0.0123`, `-2.5M`.
 * Numbers too small or too large for a prefix read as `1.2e-5` rather than a row of zeros.
 */
export function formatNumber(v) {
  if (!isNumber(v)) return DASH;
  const abs = Math.abs(v);
  if (abs === 0) return '0';
  if (abs < 0.001) return v.toExponential(1);
  if (abs < 1) return String(Number(v.toPrecision(3)));
  let i = SI.findLastIndex(([size]) => abs >= size);
  let scaled = Number((v / SI[i][0]).toPrecision(3));
  // 999.96 rounds to 1000: that is 1k, not "1000".
  if (Math.abs(scaled) >= 1000 && i < SI.length - 1) {
    i += 1;
    scaled = Number((v / SI[i][0]).toPrecision(3));
  }
  if (Math.abs(scaled) >= 1000) return v.toExponential(2);
  return `${scaled}${SI[i][1]}`;
}

/** A value with its unit after a space (SI style, `%` too): `93 %`, `180 ms`; no unit, the number. */
export function formatWithUnit(v, unit) {
  const text = formatNumber(v);
  return unit && text !== DASH ? `${text} ${unit}` : text;
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

/** Minutes east of UTC for a zone: 'utc' → 0, 'local' → the browser's offset at `ms`, a number as given. */
export function zoneOffset(zone, ms) {
  if (zone === 'utc') return 0;
  if (isNumber(zone)) return zone;
  return -new Date(ms).getTimezoneOffset();
}

/** How a zone is named after a time: `UTC`, or the local offset `UTC+1`, `UTC−5`, `UTC+5:30`. */
export function zoneLabel(zone, ms) {
  if (zone === 'utc') return 'UTC';
  const offset = zoneOffset(zone, ms);
  const abs = Math.abs(offset);
  const minutes = abs % 60;
  return `UTC${offset < 0 ? MINUS : '+'}${Math.floor(abs / 60)}${minutes ? `:${pad2(minutes)}` : ''}`;
}

/** Calendar fields of `ms` in a zone (offset arithmetic on UTC fields: no dependence on the host zone). */
function fieldsIn(ms, zone) {
  const d = new Date(ms + zoneOffset(zone, ms) * 60_000);
  return { y: d.getUTCFullYear(), mo: d.getUTCMonth(), da: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds() };
}

/**
 * Epoch ms as `HH:MM:SS UTC` when it falls on the same day as `now` (in that zone), else
 * `YYYY-MM-DD HH:MM UTC`. `zone`: 'utc', 'local' (the browser's), or minutes east of UTC.
 * Every time the dashboard shows goes through here (lib/clock.js picks the zone).
 */
export function formatTime(ms, now = ms, zone = 'local') {
  if (!isNumber(ms)) return DASH;
  const t = fieldsIn(ms, zone);
  const n = fieldsIn(isNumber(now) ? now : ms, zone);
  const label = zoneLabel(zone, ms);
  if (t.y === n.y && t.mo === n.mo && t.da === n.da) return `${pad2(t.h)}:${pad2(t.mi)}:${pad2(t.s)} ${label}`;
  return `${t.y}-${pad2(t.mo + 1)}-${pad2(t.da)} ${pad2(t.h)}:${pad2(t.mi)} ${label}`;
}

/** A chart tick: `14:03` (`14:03:07` with seconds; `12-06 14:03` with the date), no zone label. */
export function formatClock(ms, zone = 'local', { seconds = false, date = false } = {}) {
  if (!isNumber(ms)) return DASH;
  const t = fieldsIn(ms, zone);
  const time = seconds ? `${pad2(t.h)}:${pad2(t.mi)}:${pad2(t.s)}` : `${pad2(t.h)}:${pad2(t.mi)}`;
  return date ? `${pad2(t.mo + 1)}-${pad2(t.da)} ${time}` : time;
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

/** A burn rate: `1×` means the budget lasts exactly the window; `14.9×`, `6.05×`. */
export function formatBurnRate(v) {
  if (!isNumber(v)) return DASH;
  return `${formatNumber(v)}×`;
}

const MINUS = '\u2212';

/**
 * What is left of an error budget (1 = untouched, 0 = spent, < 0 overspent): `41.2 %`, and once
 * spent `exhausted (−1,062 %)`, so a huge negative reads as what it means.
 */
export function formatBudget(fraction) {
  if (!isNumber(fraction)) return DASH;
  if (fraction > 0) return formatPercent(fraction, 1);
  const pct = Math.abs(fraction * 100);
  const text = pct >= 100 ? formatCount(pct) : trim(pct.toFixed(1));
  return text === '0' ? 'exhausted (0 %)' : `exhausted (${MINUS}${text} %)`;
}

/**
 * An elapsed time as a clock-like pair: `42 s`, `5 m 00 s`, `2 h 05 m`, `3 d 04 h` (floored).
 * `dropZero` leaves out a zero second part: a limit reads `5 m`, not `5 m 00 s`.
 */
export function formatElapsed(ms, dropZero = false) {
  if (!isNumber(ms) || ms < 0) return DASH;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const pairs = [
    [86_400, 'd', 3600, 'h'],
    [3600, 'h', 60, 'm'],
    [60, 'm', 1, 's'],
  ];
  const [size, unit, minorSize, minorUnit] = pairs.find(([sz]) => s >= sz);
  const major = Math.floor(s / size);
  const minor = Math.floor((s - major * size) / minorSize);
  return dropZero && minor === 0 ? `${major} ${unit}` : `${major} ${unit} ${pad2(minor)} ${minorUnit}`;
}

/**
 * Shortens `text` to at most `max` characters at a word boundary when one is near, with `…`.
 * Returns the text unchanged (truncated false) when it fits.
 */
export function shortenText(text, max = 120) {
  const full = typeof text === 'string' ? text : text === null || text === undefined ? '' : String(text);
  if (full.length <= max) return { text: full, truncated: false };
  const cut = full.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return { text: `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`, truncated: true };
}

/** `source/metric`, the series id everyone uses. */
export function seriesLabel(source, metric) {
  return `${source}/${metric}`;
}
