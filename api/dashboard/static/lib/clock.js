// The time zone the page shows times in: the header's UTC / local switch, kept in localStorage.
// Views render every time through showTime / showClock, so one switch changes all of them;
// listeners (app.js) redraw what is already on screen.
import { formatClock, formatTime } from './format.js';

export const ZONE_KEY = 'vigil.timeZone';
export const ZONE_CHOICES = ['local', 'utc'];

/** The stored choice, or 'local' for anything else (absent, tampered with). */
export function parseZoneChoice(raw) {
  return ZONE_CHOICES.includes(raw) ? raw : 'local';
}

let zone = 'local';
const listeners = new Set();

export function currentZone() {
  return zone;
}

export function setZone(next) {
  const parsed = parseZoneChoice(next);
  if (parsed === zone) return;
  zone = parsed;
  for (const fn of listeners) fn(zone);
}

export function onZoneChange(fn) {
  listeners.add(fn);
}

/** An event time for a cell: `14:03:07 UTC`, `2026-12-06 14:03 UTC+1`. */
export function showTime(ms, now = Date.now()) {
  return formatTime(ms, now, zone);
}

/** A chart tick in the page's zone (no zone label; the chart says which). */
export function showClock(ms, options) {
  return formatClock(ms, zone, options);
}

/**
 * A `datetime-local` input's text (`2026-12-07T10:00`) as epoch ms in a zone: the browser reads
 * it as local time, so with UTC chosen it is read as UTC. NaN for anything else.
 */
export function parseZonedInput(value, zoneChoice = zone) {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(value)) return NaN;
  return Date.parse(zoneChoice === 'utc' ? `${value}Z` : value);
}

/** Wires the header's select to the stored choice. */
export function initZone({ select, storage }) {
  setZone(parseZoneChoice(storage.get(ZONE_KEY)));
  select.value = zone;
  select.addEventListener('change', () => {
    setZone(select.value);
    storage.set(ZONE_KEY, zone === 'local' ? null : zone);
  });
}
