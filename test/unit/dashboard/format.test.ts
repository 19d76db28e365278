import { describe, expect, it } from 'vitest';
import {
  formatAge,
  formatBurnRate,
  formatCount,
  formatDuration,
  formatNumber,
  formatPercent,
  formatScore,
  formatTime,
} from '../../../api/dashboard/static/lib/format.js';

describe('formatNumber', () => {
  it('shows a dash for values that are not finite numbers', () => {
    for (const v of [NaN, Infinity, -Infinity, null, undefined, '12', {}]) expect(formatNumber(v)).toBe('—');
  });
  it('compacts large magnitudes and trims trailing zeros', () => {
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(1.5)).toBe('1.5');
    expect(formatNumber(2)).toBe('2');
    expect(formatNumber(123.456)).toBe('123.5');
    expect(formatNumber(12_345)).toBe('12.3k');
    expect(formatNumber(-2_500_000)).toBe('-2.5M');
    expect(formatNumber(3_000_000_000)).toBe('3G');
  });
  it('keeps three significant digits for small values', () => {
    expect(formatNumber(0.012345)).toBe('0.0123');
    expect(formatNumber(0.5)).toBe('0.5');
    expect(formatNumber(0.00001234)).toBe('1.2e-5');
  });
});

describe('percent, score, count, burn rate', () => {
  it('formats fractions as percentages with fixed digits', () => {
    expect(formatPercent(0.9995)).toBe('99.95 %');
    expect(formatPercent(1, 1)).toBe('100.0 %');
    expect(formatPercent(NaN)).toBe('—');
  });
  it('formats scores with two decimals', () => {
    expect(formatScore(0.876)).toBe('0.88');
    expect(formatScore(undefined)).toBe('—');
  });
  it('groups thousands without depending on the locale', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(-1000)).toBe('-1,000');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(12.6)).toBe('13');
  });
  it('shows burn rates as multiples', () => {
    expect(formatBurnRate(1)).toBe('1.0×');
    expect(formatBurnRate(14.4)).toBe('14×');
    expect(formatBurnRate(null)).toBe('—');
  });
});

describe('time and durations', () => {
  const t = Date.UTC(2024, 4, 6, 7, 8, 9);
  it('shows the clock time on the same day and the date otherwise (UTC)', () => {
    expect(formatTime(t, t + 3_600_000, true)).toBe('07:08:09');
    expect(formatTime(t, t + 86_400_000, true)).toBe('2024-05-06 07:08');
    expect(formatTime('x', t, true)).toBe('—');
  });
  it('uses the two largest units', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(61_000)).toBe('1 min 1 s');
    expect(formatDuration(7_500_000)).toBe('2 h 5 min');
    expect(formatDuration(30 * 86_400_000)).toBe('30 d');
    expect(formatDuration(3_600_000 + 5_000)).toBe('1 h');
    expect(formatDuration(-1)).toBe('—');
  });
  it('describes ages coarsely and treats future times as now', () => {
    expect(formatAge(t, t + 12_000)).toBe('12 s ago');
    expect(formatAge(t, t + 185_000)).toBe('3 min ago');
    expect(formatAge(t + 5000, t)).toBe('just now');
  });
});
