import { describe, expect, it } from 'vitest';
import { SERIES_POINTS_LIMITS } from '../../../schemas/http/series.ts';
import { BAND_K, DEFAULT_RANGE, RANGES, alertSpans, chartColumns, parseSeriesHash, pointsQuery, rangeCovering, seriesHash, seriesLink } from '../../../api/dashboard/static/lib/series-view.js';

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const S = { source: 'web-1', metric: 'cpu_usage' };

describe('series page state in the URL', () => {
  it('round-trips relative and absolute ranges, including names that need escaping', () => {
    const rel = { series: { source: 'a b/&c', metric: 'm=1' }, range: '6h', from: null, to: null };
    expect(parseSeriesHash(seriesHash(rel))).toEqual(rel);
    const abs = { series: S, range: null, from: NOW - 3_600_000, to: NOW };
    expect(seriesHash(abs)).toBe('#series?source=web-1&metric=cpu_usage&from=2026-12-07T11%3A00%3A00.000Z&to=2026-12-07T12%3A00%3A00.000Z');
    expect(parseSeriesHash(seriesHash(abs))).toEqual(abs);
    expect(parseSeriesHash(`#series?source=web-1&metric=cpu_usage&from=${NOW - 1000}&to=${NOW}`)).toMatchObject({ from: NOW - 1000, to: NOW, range: null });
    expect(seriesLink(S, '24h')).toBe('#series?source=web-1&metric=cpu_usage&range=24h');
  });

  it('falls back to the default range for anything unusable; no series without both names', () => {
    for (const hash of ['#series?source=a&metric=b&range=2y', '#series?source=a&metric=b&from=9&to=3', '#series?source=a&metric=b&from=x&to=y', `#series?source=a&metric=b&from=0&to=${40 * 86_400_000}`]) {
      expect(parseSeriesHash(hash)).toEqual({ series: { source: 'a', metric: 'b' }, range: DEFAULT_RANGE, from: null, to: null });
    }
    expect(parseSeriesHash('#series?source=a').series).toBeNull();
    expect(parseSeriesHash(null).series).toBeNull();
  });

  it('picks the smallest range that still shows a moment', () => {
    expect(rangeCovering(NOW - 5 * 60_000, NOW)).toBe('15m');
    expect(rangeCovering(NOW - 50 * 60_000, NOW)).toBe('1h');
    expect(rangeCovering(NOW - 3 * 86_400_000, NOW)).toBe('7d');
    expect(rangeCovering(NOW - 400 * 86_400_000, NOW)).toBe('30d');
  });
});

describe('what the chart asks for', () => {
  it('every range is a query the API accepts: raw sampling up to 2 h, whole-minute rollup steps beyond', () => {
    for (const [range, span] of RANGES) {
      const q = pointsQuery({ series: S, range, from: null, to: null }, NOW);
      expect(q.to - q.from).toBe(span);
      expect(q.limit).toBeLessThanOrEqual(SERIES_POINTS_LIMITS.maxPoints);
      if (q.step < SERIES_POINTS_LIMITS.rollupStepSec) expect(span).toBeLessThanOrEqual(SERIES_POINTS_LIMITS.maxRawRangeMs);
      else {
        expect(q.step % 60).toBe(0);
        expect(span).toBeLessThanOrEqual(SERIES_POINTS_LIMITS.maxRollupRangeMs);
      }
      expect(span / 1000 / q.step).toBeLessThanOrEqual(SERIES_POINTS_LIMITS.maxPoints);
    }
    const abs = pointsQuery({ series: S, range: null, from: NOW - 3 * 3_600_000, to: NOW }, NOW);
    expect(abs).toMatchObject({ from: NOW - 3 * 3_600_000, to: NOW, step: 60 });
  });
});

describe('chart columns', () => {
  it('draws a gap as a gap (null row), and the band as mean ± k·std', () => {
    const pts = [0, 10, 20, 30, 200, 210].map((s) => ({ timestamp: NOW + s * 1000, value: s, mean: 5, std: 1, anomalyScore: 0 }));
    const { columns, gaps, points } = chartColumns({ step: 10, points: pts });
    expect(points).toBe(6);
    expect(gaps).toBe(1);
    expect(columns[1]).toEqual([0, 10, 20, 30, null, 200, 210]);
    expect(columns[0][4]).toBe((NOW + 40_000) / 1000);
    expect(columns[2][0]).toBe(5 - BAND_K);
    expect(columns[3][0]).toBe(5 + BAND_K);
  });

  it('without a step, gaps are judged against the median interval; rollup buckets have no band; junk is skipped', () => {
    const pts = [0, 1, 2, 3, 10].map((s) => ({ timestamp: NOW + s * 1000, value: s, anomalyScore: 0 }));
    const r = chartColumns({ step: null, points: [...pts, null, { timestamp: 'x', value: 1 }] as never });
    expect(r.gaps).toBe(1);
    expect(r.columns[2].every((v) => v === null)).toBe(true);
    expect(chartColumns(null)).toEqual({ columns: [[], [], [], []], gaps: 0, points: 0 });
  });
});

describe('alert spans', () => {
  it('shades opened → resolved, or → now while open, clipped to the range; others left out', () => {
    const from = NOW - 3_600_000;
    const spans = alertSpans(
      [
        { alertId: 'open', severity: 'high', status: 'firing', openedAt: NOW - 600_000, updatedAt: NOW - 60_000 },
        { alertId: 'old', severity: 'low', status: 'resolved', openedAt: NOW - 7_200_000, updatedAt: NOW - 3_000_000 },
        { alertId: 'gone', severity: 'low', status: 'resolved', openedAt: NOW - 9_000_000, updatedAt: NOW - 8_000_000 },
        { alertId: 'bad', severity: 'low', status: 'firing' },
      ],
      from,
      NOW,
      NOW,
    );
    expect(spans).toEqual([
      { alertId: 'old', severity: 'low', status: 'resolved', start: from, end: NOW - 3_000_000 },
      { alertId: 'open', severity: 'high', status: 'firing', start: NOW - 600_000, end: NOW },
    ]);
  });
});
