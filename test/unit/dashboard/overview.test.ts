import { describe, expect, it } from 'vitest';
import {
  chartSeries,
  DEFAULT_ACTIVE_MS,
  isActive,
  matchesSearch,
  MAX_PINS,
  normalizePins,
  overviewHash,
  parseActive,
  parseOverviewHash,
  parseStoredPins,
  seriesRows,
  storedPins,
  togglePin,
} from '../../../api/dashboard/static/lib/overview.js';

const NOW = Date.UTC(2026, 11, 7, 10, 0, 0);
const MIN = 60_000;
const pin = (source: string, metric: string) => ({ source, metric });
const snap = (source: string, metric: string, ageMs: number) => ({ source, metric, timestamp: NOW - ageMs, value: 1 });

describe('pins in the URL', () => {
  it('round-trips pins, search and active-only through the fragment, readable for plain names', () => {
    const state = { pins: [pin('web-1', 'cpu_usage'), pin('api-1', 'throughput')], q: 'web cpu', activeMs: 5 * MIN };
    const hash = overviewHash(state);
    expect(hash).toBe('#overview?pin=web-1/cpu_usage&pin=api-1/throughput&q=web%20cpu&active=300');
    expect(parseOverviewHash(hash)).toEqual(state);
  });
  it('keeps names with slashes, spaces, markup and unicode apart', () => {
    const pins = [pin('rack/1', 'disk/used'), pin('<img src=x onerror=alert(1)>', 'q&a=1'), pin('hôte 7', 'temp °C')];
    const hash = overviewHash({ pins });
    expect(hash.split('pin=')).toHaveLength(4);
    expect(parseOverviewHash(hash).pins).toEqual(pins);
  });
  it('leaves defaults out: a plain Overview is #overview, with no pins named (null: the stored set applies)', () => {
    expect(overviewHash({})).toBe('#overview');
    expect(overviewHash({ pins: [], q: '  ', activeMs: DEFAULT_ACTIVE_MS })).toBe('#overview');
    expect(parseOverviewHash('#overview')).toEqual({ pins: null, q: '', activeMs: null });
    expect(parseOverviewHash('')).toEqual({ pins: null, q: '', activeMs: null });
  });
  it('drops hostile or broken pins and values instead of failing', () => {
    const parsed = parseOverviewHash('#overview?pin=a/b/c&pin=%E0%A4%A/x&pin=/x&pin=ok/m&pin=ok/m&pin=ctrl%00/m&active=42&q=%zz');
    expect(parsed.pins).toEqual([pin('ok', 'm')]);
    expect(parsed.activeMs).toBeNull();
    expect(parsed.q).toBe('');
    expect(parseOverviewHash('#overview?pin=' + 'x'.repeat(300) + '/m').pins).toEqual([]);
    const many = Array.from({ length: 20 }, (_, i) => `pin=s${i}/m`).join('&');
    expect(parseOverviewHash(`#overview?${many}`).pins).toHaveLength(MAX_PINS);
    expect(parseOverviewHash('#overview?active=0').activeMs).toBe(0);
  });
});

describe('pins in localStorage', () => {
  it('round-trips, and reads anything else as no pins', () => {
    const pins = [pin('web-1', 'cpu_usage'), pin('a/b', 'c')];
    expect(parseStoredPins(storedPins(pins))).toEqual(pins);
    for (const bad of [null, undefined, '', 'not json', '{"a":1}', '[1,2]', '[["only-source"]]', '[[1,2]]']) expect(parseStoredPins(bad)).toEqual([]);
    expect(normalizePins('nope')).toEqual([]);
  });
  it('reads the active-only choice, falling back to the default', () => {
    expect(parseActive('300000')).toBe(300_000);
    expect(parseActive('0')).toBe(0);
    for (const bad of [null, '', 'x', '123', '-600000', undefined]) expect(parseActive(bad)).toBe(DEFAULT_ACTIVE_MS);
  });
});

describe('pinning', () => {
  it('appends, unpins, ignores a second pin of the same series and refuses past the limit', () => {
    let pins = togglePin([], pin('a', 'm'), true).pins;
    pins = togglePin(pins, pin('b', 'm'), true).pins;
    pins = togglePin(pins, pin('a', 'm'), true).pins; // already pinned: moves nothing to the front
    expect(pins).toEqual([pin('b', 'm'), pin('a', 'm')]);
    expect(togglePin(pins, pin('b', 'm'), false).pins).toEqual([pin('a', 'm')]);
    const full = Array.from({ length: MAX_PINS }, (_, i) => pin(`s${i}`, 'm'));
    expect(togglePin(full, pin('one-more', 'm'), true)).toEqual({ pins: full, full: true });
    expect(togglePin(full, pin('s0', 'm'), false).pins).toHaveLength(MAX_PINS - 1);
  });
});

describe('search and active only', () => {
  it('matches every term, case-insensitively', () => {
    expect(matchesSearch('web-1/cpu_usage', 'WEB cpu')).toBe(true);
    expect(matchesSearch('web-1/cpu_usage', 'web memory')).toBe(false);
    expect(matchesSearch('web-1/cpu_usage', '  ')).toBe(true);
  });
  it('counts a series as active when heard from within the limit (0: all)', () => {
    expect(isActive(snap('a', 'm', 9 * MIN), NOW, 10 * MIN)).toBe(true);
    expect(isActive(snap('a', 'm', 11 * MIN), NOW, 10 * MIN)).toBe(false);
    expect(isActive(snap('a', 'm', 11 * MIN), NOW, 0)).toBe(true);
    expect(isActive(null, NOW, 10 * MIN)).toBe(false);
  });
  it('lists pinned series first (even silent or without data), then the rest by id, filtered', () => {
    const latest = [snap('web-2', 'cpu_usage', MIN), snap('web-1', 'cpu_usage', MIN), snap('old-1', 'cpu_usage', 12 * MIN), snap('stale-pinned', 'm', 60 * MIN)];
    const pins = [pin('stale-pinned', 'm'), pin('never', 'heard')];
    const { rows, hidden } = seriesRows(latest, { pins, activeMs: 10 * MIN, now: NOW });
    expect(rows.map((r) => [r.id, r.pinned, r.snapshot === null])).toEqual([
      ['stale-pinned/m', true, false],
      ['never/heard', true, true],
      ['web-1/cpu_usage', false, false],
      ['web-2/cpu_usage', false, false],
    ]);
    expect(hidden).toEqual({ search: 0, stale: 1 });
    const searched = seriesRows(latest, { pins, q: 'cpu', activeMs: 0, now: NOW });
    expect(searched.rows.map((r) => r.id)).toEqual(['old-1/cpu_usage', 'web-1/cpu_usage', 'web-2/cpu_usage']);
    expect(searched.hidden).toEqual({ search: 2, stale: 0 });
  });
});

describe('which series get charts', () => {
  const latest = [snap('c', 'm', MIN), snap('a', 'm', MIN), snap('b', 'm', MIN), snap('old', 'm', 30 * MIN), snap('d', 'm', MIN), snap('e', 'm', MIN)];
  it('the pins, exactly, when there are any', () => {
    expect(chartSeries({ pins: [pin('e', 'm'), pin('never', 'heard')], held: [pin('a', 'm')], latestValues: latest, now: NOW })).toEqual([pin('e', 'm'), pin('never', 'heard')]);
  });
  it('with none pinned: fills free places from active series once, then keeps them', () => {
    const first = chartSeries({ latestValues: latest.slice(0, 2), now: NOW, activeMs: 10 * MIN });
    expect(first).toEqual([pin('a', 'm'), pin('c', 'm')]);
    // New series arrive: the two charts stay where they are, the free places fill by id.
    const second = chartSeries({ held: first, latestValues: latest, now: NOW, activeMs: 10 * MIN });
    expect(second).toEqual([pin('a', 'm'), pin('c', 'm'), pin('b', 'm'), pin('d', 'm')]);
    // Later the held series go quiet and others get data: nothing swaps by itself.
    const later = latest.map((s) => ({ ...s, timestamp: s.source === 'a' || s.source === 'c' ? NOW - 20 * MIN : NOW }));
    expect(chartSeries({ held: second, latestValues: later, now: NOW, activeMs: 10 * MIN })).toEqual(second);
  });
});
