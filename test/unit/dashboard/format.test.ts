import { describe, expect, it } from 'vitest';
import {
  formatAge,
  formatBudget,
  formatBurnRate,
  formatClock,
  formatCount,
  formatDuration,
  formatElapsed,
  formatNumber,
  formatPercent,
  formatScore,
  formatTime,
  formatWithUnit,
  shortenText,
  zoneLabel,
} from '../../../api/dashboard/static/lib/format.js';

const MINUS = '\u2212';

describe('formatNumber', () => {
  it('shows a dash for values that are not finite numbers', () => {
    for (const v of [NaN, Infinity, -Infinity, null, undefined, '12', {}]) expect(formatNumber(v)).toBe('—');
  });
  it('is SI-style with three significant digits', () => {
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(1.5)).toBe('1.5');
    expect(formatNumber(2)).toBe('2');
    expect(formatNumber(6.05187)).toBe('6.05');
    expect(formatNumber(58.53)).toBe('58.5');
    expect(formatNumber(123.456)).toBe('123');
    expect(formatNumber(4252.11)).toBe('4.25k');
    expect(formatNumber(12_345)).toBe('12.3k');
    expect(formatNumber(300_000)).toBe('300k');
    expect(formatNumber(-2_500_000)).toBe('-2.5M');
    expect(formatNumber(3_000_000_000)).toBe('3G');
    expect(formatNumber(7.1e12)).toBe('7.1T');
  });
  it('rounds up into the next prefix instead of showing four digits', () => {
    expect(formatNumber(999.96)).toBe('1k');
    expect(formatNumber(999_950)).toBe('1M');
    expect(formatNumber(-999.96)).toBe('-1k');
  });
  it('keeps three significant digits for small values and an exponent for tiny and huge ones', () => {
    expect(formatNumber(0.012345)).toBe('0.0123');
    expect(formatNumber(0.5)).toBe('0.5');
    expect(formatNumber(0.999)).toBe('0.999');
    expect(formatNumber(0.00001234)).toBe('1.2e-5');
    expect(formatNumber(1.234e21)).toBe('1.23e+21');
  });
  it('puts the unit after a space, and none when there is no unit or no value', () => {
    expect(formatWithUnit(93, '%')).toBe('93 %');
    expect(formatWithUnit(1234.5, 'ms')).toBe('1.23k ms');
    expect(formatWithUnit(12, '')).toBe('12');
    expect(formatWithUnit(12, undefined)).toBe('12');
    expect(formatWithUnit(NaN, 'ms')).toBe('—');
  });
});

describe('percent, score, count, burn rate, budget', () => {
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
  it('shows burn rates as multiples with three significant digits', () => {
    expect(formatBurnRate(1)).toBe('1×');
    expect(formatBurnRate(14.89)).toBe('14.9×');
    expect(formatBurnRate(14.4)).toBe('14.4×');
    expect(formatBurnRate(6.05187)).toBe('6.05×');
    expect(formatBurnRate(0)).toBe('0×');
    expect(formatBurnRate(null)).toBe('—');
  });
  it('shows a spent budget as exhausted with how far past, never a bare −1061.7 %', () => {
    expect(formatBudget(0.412)).toBe('41.2 %');
    expect(formatBudget(1)).toBe('100.0 %');
    expect(formatBudget(0)).toBe('exhausted (0 %)');
    expect(formatBudget(-0.42)).toBe(`exhausted (${MINUS}42 %)`);
    expect(formatBudget(-0.0123)).toBe(`exhausted (${MINUS}1.2 %)`);
    expect(formatBudget(-10.617)).toBe(`exhausted (${MINUS}1,062 %)`);
    expect(formatBudget(-1e6)).toBe(`exhausted (${MINUS}100,000,000 %)`);
    expect(formatBudget('x')).toBe('—');
  });
});

describe('time, zones and durations', () => {
  const t = Date.UTC(2024, 4, 6, 7, 8, 9);
  it('shows the clock time with the zone on the same day, and the date otherwise', () => {
    expect(formatTime(t, t + 3_600_000, 'utc')).toBe('07:08:09 UTC');
    expect(formatTime(t, t + 86_400_000, 'utc')).toBe('2024-05-06 07:08 UTC');
    expect(formatTime('x', t, 'utc')).toBe('—');
  });
  it('shifts by a zone offset (minutes east) and names it, whatever the host zone is', () => {
    expect(formatTime(t, t, 60)).toBe('08:08:09 UTC+1');
    expect(formatTime(t, t, 330)).toBe('12:38:09 UTC+5:30');
    expect(formatTime(t, t, -300)).toBe(`02:08:09 UTC${MINUS}5`);
    // Same instant, same day in UTC, but the day before in UTC−8: the date is shown.
    expect(formatTime(t, t + 3_600_000, -480)).toBe(`2024-05-05 23:08 UTC${MINUS}8`);
    expect(zoneLabel(0, t)).toBe('UTC+0');
    expect(zoneLabel('utc', t)).toBe('UTC');
  });
  it('uses the host offset for local', () => {
    const offset = -new Date(t).getTimezoneOffset();
    expect(formatTime(t, t, 'local')).toBe(formatTime(t, t, offset));
  });
  it('formats chart ticks without a zone label', () => {
    expect(formatClock(t, 'utc')).toBe('07:08');
    expect(formatClock(t, 'utc', { seconds: true })).toBe('07:08:09');
    expect(formatClock(t, 60, { date: true })).toBe('05-06 08:08');
    expect(formatClock(null, 'utc')).toBe('—');
  });
  it('uses the two largest units', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(61_000)).toBe('1 min 1 s');
    expect(formatDuration(7_500_000)).toBe('2 h 5 min');
    expect(formatDuration(30 * 86_400_000)).toBe('30 d');
    expect(formatDuration(3_600_000 + 5_000)).toBe('1 h');
    expect(formatDuration(-1)).toBe('—');
  });
  it('shows elapsed times as clock-like pairs, zero parts dropped on request', () => {
    expect(formatElapsed(300_000)).toBe('5 m 00 s');
    expect(formatElapsed(300_000, true)).toBe('5 m');
    expect(formatElapsed(42_900)).toBe('42 s');
    expect(formatElapsed(7_509_000)).toBe('2 h 05 m');
    expect(formatElapsed(3 * 86_400_000 + 4 * 3_600_000 + 59_000)).toBe('3 d 04 h');
    expect(formatElapsed(-5)).toBe('—');
    expect(formatElapsed('300000')).toBe('—');
  });
  it('describes ages coarsely and treats future times as now', () => {
    expect(formatAge(t, t + 12_000)).toBe('12 s ago');
    expect(formatAge(t, t + 185_000)).toBe('3 min ago');
    expect(formatAge(t + 5000, t)).toBe('just now');
  });
});

describe('shortenText', () => {
  it('leaves short text alone', () => {
    expect(shortenText('cpu high', 20)).toEqual({ text: 'cpu high', truncated: false });
    expect(shortenText(null, 20)).toEqual({ text: '', truncated: false });
  });
  it('cuts at a word boundary near the limit, with an ellipsis, never longer than the limit', () => {
    const long = 'availability: fast error-budget burn on response_time on web-2 — 14.9× over 60 min and 15.2× over 5 min (alert above 14.4×)';
    const { text, truncated } = shortenText(long, 60);
    expect(truncated).toBe(true);
    expect(text.length).toBeLessThanOrEqual(60);
    expect(text.endsWith('…')).toBe(true);
    expect(long.startsWith(text.slice(0, -1))).toBe(true);
    expect(text.at(-2)).not.toBe(' ');
  });
  it('cuts inside a word when there is no space to cut at', () => {
    expect(shortenText('x'.repeat(100), 10)).toEqual({ text: `${'x'.repeat(9)}…`, truncated: true });
  });
});
