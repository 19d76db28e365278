import { describe, expect, it } from 'vitest';
import { currentZone, initZone, onZoneChange, parseZonedInput, parseZoneChoice, setZone, showClock, showTime, ZONE_KEY } from '../../../api/dashboard/static/lib/clock.js';

const t = Date.UTC(2024, 4, 6, 7, 8, 9);

function fakeSelect() {
  const handlers: Array<() => void> = [];
  return {
    value: '',
    addEventListener: (_type: string, fn: () => void) => handlers.push(fn),
    choose(v: string) {
      this.value = v;
      for (const fn of handlers) fn();
    },
  };
}

describe('the page time zone', () => {
  it('accepts only local and utc from storage', () => {
    expect(parseZoneChoice('utc')).toBe('utc');
    expect(parseZoneChoice('local')).toBe('local');
    for (const bad of [null, undefined, 'UTC', 'Europe/Paris', '<script>', 5]) expect(parseZoneChoice(bad)).toBe('local');
  });

  it('renders through one formatter in the chosen zone and tells listeners once per change', () => {
    const seen: string[] = [];
    onZoneChange((z) => seen.push(z));
    setZone('utc');
    expect(currentZone()).toBe('utc');
    expect(showTime(t, t)).toBe('07:08:09 UTC');
    expect(showClock(t)).toBe('07:08');
    setZone('utc'); // no change, no redraw
    setZone('garbage'); // falls back to local
    expect(currentZone()).toBe('local');
    expect(showTime(t, t)).toMatch(/^\d\d:\d\d:\d\d UTC[+\u2212]\d/);
    expect(seen).toEqual(['utc', 'local']);
  });

  it('restores the stored choice and stores a new one (local is the default, not stored)', () => {
    const store = new Map<string, string | null>([[ZONE_KEY, 'utc']]);
    const storage = { get: (k: string) => store.get(k) ?? null, set: (k: string, v: string | null) => void store.set(k, v) };
    const select = fakeSelect();
    initZone({ select, storage });
    expect(select.value).toBe('utc');
    expect(currentZone()).toBe('utc');
    select.choose('local');
    expect(currentZone()).toBe('local');
    expect(store.get(ZONE_KEY)).toBeNull();
    select.choose('utc');
    expect(store.get(ZONE_KEY)).toBe('utc');
  });

  it('reads a typed date-time in the chosen zone', () => {
    expect(parseZonedInput('2024-05-06T07:08', 'utc')).toBe(Date.UTC(2024, 4, 6, 7, 8));
    expect(parseZonedInput('2024-05-06T07:08:09', 'utc')).toBe(t);
    expect(parseZonedInput('2024-05-06T07:08', 'local')).toBe(new Date(2024, 4, 6, 7, 8).getTime());
    for (const bad of ['', '2024-05-06', '2024-05-06T07:08Z', '07:08', null, 5, '2024-05-06T07:08+05:00']) expect(parseZonedInput(bad, 'utc')).toBeNaN();
  });
});
