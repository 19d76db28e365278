// The Overview an operator chooses: pinned series (in the URL and localStorage), a search over
// the series table, and "active only" hiding series silent for longer than a chosen time. Pure:
// the URL text, stored text and the clock come in as arguments; app.js does the I/O.

export const PINS_KEY = 'vigil.pins';
export const ACTIVE_KEY = 'vigil.activeWithin';
export const MAX_PINS = 8;
/** With nothing pinned, this many charts are filled once from the active series and then kept. */
export const AUTO_CHARTS = 4;
/** "Active only" choices in ms (0 = every series); the select offers these. */
export const ACTIVE_CHOICES = [0, 60_000, 300_000, 600_000, 1_800_000, 3_600_000, 21_600_000];
export const DEFAULT_ACTIVE_MS = 600_000;
const MAX_NAME = 256; // LIMITS.maxNameLength in schemas/http/common.ts
const MAX_SEARCH = 200;
const CONTROL = /[\u0000-\u001f\u007f]/;

/** `source/metric`, the id the page's stores use. */
export const pinId = (pin) => `${pin.source}/${pin.metric}`;

function validName(v) {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_NAME && !CONTROL.test(v);
}

/** Valid pins only, first occurrence of each series kept, at most MAX_PINS. */
export function normalizePins(list) {
  const seen = new Set();
  const out = [];
  for (const p of Array.isArray(list) ? list : []) {
    if (!p || !validName(p.source) || !validName(p.metric)) continue;
    const id = pinId(p);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ source: p.source, metric: p.metric });
    if (out.length === MAX_PINS) break;
  }
  return out;
}

/** What localStorage holds: `[["web-1","cpu_usage"], …]`; anything else reads as no pins. */
export function parseStoredPins(raw) {
  try {
    const parsed = JSON.parse(raw ?? 'null');
    return normalizePins(Array.isArray(parsed) ? parsed.map((p) => (Array.isArray(p) ? { source: p[0], metric: p[1] } : null)) : []);
  } catch {
    return [];
  }
}

export function storedPins(pins) {
  return JSON.stringify(normalizePins(pins).map((p) => [p.source, p.metric]));
}

/** The stored "active only" choice (ms), or the default for anything that is not one of ACTIVE_CHOICES. */
export function parseActive(raw) {
  const n = typeof raw === 'number' ? raw : raw === null || raw === undefined || raw === '' ? NaN : Number(raw);
  return ACTIVE_CHOICES.includes(n) ? n : DEFAULT_ACTIVE_MS;
}

function decode(text) {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

// Each part of a pin is percent-encoded (a '/' in a name becomes %2F), so the one literal '/'
// splits source from metric without doubt, and the usual names stay readable in a link.
const encodePart = (s) => encodeURIComponent(s);

/**
 * `#overview?pin=web-1/cpu_usage&pin=api-1/throughput&q=web&active=600` → the Overview state.
 * `pins` is null when the URL names none (the stored set applies); `activeMs` null when absent.
 */
export function parseOverviewHash(hash) {
  const text = String(hash ?? '').replace(/^#/, '');
  const cut = text.indexOf('?');
  const pins = [];
  let sawPin = false;
  let q = '';
  let activeMs = null;
  for (const part of cut >= 0 ? text.slice(cut + 1).split('&') : []) {
    const eq = part.indexOf('=');
    const key = eq >= 0 ? part.slice(0, eq) : part;
    const value = eq >= 0 ? part.slice(eq + 1) : '';
    if (key === 'pin') {
      sawPin = true;
      const halves = value.split('/');
      if (halves.length !== 2) continue;
      const [source, metric] = halves.map(decode);
      if (source !== null && metric !== null) pins.push({ source, metric });
    } else if (key === 'q') {
      q = (decode(value) ?? '').trim().slice(0, MAX_SEARCH);
    } else if (key === 'active') {
      const seconds = Number(value);
      activeMs = value !== '' && Number.isFinite(seconds) && ACTIVE_CHOICES.includes(seconds * 1000) ? seconds * 1000 : null;
    }
  }
  return { pins: sawPin ? normalizePins(pins) : null, q, activeMs };
}

/** The fragment for an Overview state; defaults are left out, so a plain Overview is `#overview`. */
export function overviewHash({ pins = [], q = '', activeMs = DEFAULT_ACTIVE_MS } = {}) {
  const parts = normalizePins(pins).map((p) => `pin=${encodePart(p.source)}/${encodePart(p.metric)}`);
  const query = String(q ?? '').trim().slice(0, MAX_SEARCH);
  if (query) parts.push(`q=${encodeURIComponent(query)}`);
  if (activeMs !== DEFAULT_ACTIVE_MS && ACTIVE_CHOICES.includes(activeMs)) parts.push(`active=${activeMs / 1000}`);
  return parts.length ? `#overview?${parts.join('&')}` : '#overview';
}

/** Pin or unpin; a pin beyond MAX_PINS is refused (`full`), never dropping an older one silently. */
export function togglePin(pins, pin, on) {
  const id = pinId(pin);
  const rest = pins.filter((p) => pinId(p) !== id);
  if (!on) return { pins: rest, full: false };
  if (rest.length >= MAX_PINS) return { pins, full: true };
  return { pins: normalizePins([...rest, pin]), full: false };
}

/** Every whitespace-separated term of `q` appears in the series id (case-insensitive). */
export function matchesSearch(id, q) {
  const terms = String(q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const text = String(id).toLowerCase();
  return terms.every((t) => text.includes(t));
}

/** Heard from within `withinMs` of `now` (0: every series counts as active). */
export function isActive(snapshot, now, withinMs) {
  if (!(withinMs > 0)) return true;
  return Boolean(snapshot) && Number.isFinite(snapshot.timestamp) && now - snapshot.timestamp <= withinMs;
}

/**
 * The series table: pinned series first (in pin order, even before any value arrived), then the
 * rest by id. The search applies to all rows; "active only" hides unpinned series only (a pin is
 * the operator's choice). `hidden` says how many each filter left out.
 */
export function seriesRows(latestValues, { pins = [], q = '', activeMs = 0, now }) {
  const latest = new Map();
  for (const s of latestValues) latest.set(pinId(s), s);
  const pinned = new Set(pins.map(pinId));
  const rows = [];
  const hidden = { search: 0, stale: 0 };
  for (const p of pins) {
    const id = pinId(p);
    if (!matchesSearch(id, q)) hidden.search += 1;
    else rows.push({ id, source: p.source, metric: p.metric, snapshot: latest.get(id) ?? null, pinned: true });
  }
  const others = [...latest.entries()].filter(([id]) => !pinned.has(id)).sort(([a], [b]) => a.localeCompare(b));
  for (const [id, s] of others) {
    if (!matchesSearch(id, q)) hidden.search += 1;
    else if (!isActive(s, now, activeMs)) hidden.stale += 1;
    else rows.push({ id, source: s.source, metric: s.metric, snapshot: s, pinned: false });
  }
  return { rows, hidden };
}

/**
 * Which series get a chart: the pins when there are any. Otherwise the charts already shown
 * (`held`) stay, and free places (up to `max`) go to active series by id — a chart is never
 * swapped for another by itself.
 */
export function chartSeries({ pins = [], held = [], latestValues = [], now, activeMs = 0, max = AUTO_CHARTS }) {
  if (pins.length > 0) return normalizePins(pins);
  const chosen = normalizePins(held).slice(0, max);
  const ids = new Set(chosen.map(pinId));
  const candidates = [...latestValues].filter((s) => !ids.has(pinId(s)) && isActive(s, now, activeMs)).sort((a, b) => pinId(a).localeCompare(pinId(b)));
  for (const s of candidates) {
    if (chosen.length >= max) break;
    chosen.push({ source: s.source, metric: s.metric });
  }
  return chosen;
}
