/**
 * Issue #10's drill-down and time ranges in a real browser against the real API and ClickHouse:
 * an alert row's series links to the series page, whose chart holds the alert's span, the data
 * gap drawn as a gap and the baseline band; changing the range refetches (once) and redraws from
 * the rollup; the URL holds the state, so the link pasted into a fresh page shows the same.
 * Screenshot in test/artifacts/.
 */
import path from 'node:path';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertEventRow, pointRow } from '../../pipeline/storage/rows.ts';
import type { AlertEvent } from '../../schemas/records.ts';
import { ARTIFACTS, startDashboardHarness, type DashboardHarness } from '../support/dashboard-harness.ts';

const NOW = Date.now();
const MIN = 60_000;
const SOURCE = 'web-1';
const METRIC = 'cpu_usage';

const ALERT: AlertEvent = {
  eventId: 'series-alert-1', alertId: 'series-alert', fingerprint: `${SOURCE}|${METRIC}|default.${METRIC}`, source: SOURCE, metric: METRIC,
  ruleId: `default.${METRIC}`, kind: 'threshold', severity: 'high', status: 'firing', version: 1, timestamp: NOW - 15 * MIN,
  openedAt: NOW - 15 * MIN, value: 93, threshold: 90, message: 'cpu_usage 93 above 90', actor: 'pipeline', reason: 'opened', tags: {},
};

let harness: DashboardHarness;
let page: Page;
const data = async (key: string) => page.locator('#series-chart').getAttribute(`data-${key}`);

beforeAll(async () => {
  harness = await startDashboardHarness('series', {
    async seed(ch) {
      // 50 minutes of points every 5 s, with nothing between 30 and 20 minutes ago (the series stopped).
      const points = [];
      for (let t = NOW - 50 * MIN; t < NOW; t += 5000) {
        if (t > NOW - 30 * MIN && t < NOW - 20 * MIN) continue;
        const value = 50 + 10 * Math.sin(t / 120_000) + (t > NOW - 15 * MIN ? 40 : 0);
        points.push(pointRow({ source: SOURCE, metric: METRIC, value, timestamp: t, tags: {}, partition: 0, offset: String(t), mean: 50, std: 5, zscore: (value - 50) / 5, anomalyScore: 0 }, t));
      }
      await ch.insert({ table: 'points', values: points, format: 'JSONEachRow' });
      await ch.insert({ table: 'alert_events', values: [alertEventRow(ALERT)], format: 'JSONEachRow' });
    },
  });
  page = await harness.newPage({ timeout: 15_000 });
}, 120_000);

afterAll(() => harness?.close());

describe('series page', () => {
  it('drills down from an alert row to the series page with the alert span, the gap and the band drawn', async () => {
    await page.goto(`${harness.api.url}/#alerts`, { waitUntil: 'domcontentloaded' });
    const link = page.locator(`tr[data-alert-id="${ALERT.alertId}"] a[data-role="series-link"]`);
    await link.waitFor();
    expect(await link.textContent()).toBe(`${SOURCE}/${METRIC}`);
    await link.click();
    await page.locator('#tab-series').waitFor({ state: 'visible' });
    expect(new URL(page.url()).hash).toBe(`#series?source=${SOURCE}&metric=${METRIC}&range=1h`);
    await page.locator('#series-chart[data-points]:not([data-loading])').waitFor();
    expect(await page.locator('#series-title').textContent()).toBe(`${SOURCE}/${METRIC}`);
    expect(Number(await data('points'))).toBeGreaterThan(200); // 40 minutes of data in 10 s buckets
    expect(await data('resolution')).toBe('sampled');
    expect(await data('gaps')).toBe('1');
    expect(await data('spans')).toBe('1');
    expect(await data('spans-drawn')).toBe('1');
    expect(await page.locator('#series-ranges button[data-range="1h"]').getAttribute('aria-pressed')).toBe('true');
    expect(await page.locator(`#series-alerts tr[data-alert-id="${ALERT.alertId}"]`).count()).toBe(1);
    expect(await page.locator('#series-hint').textContent()).toContain('1 gap');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-series.png'), fullPage: true });
  });

  it('changing the range refetches once and redraws from the rollup', async () => {
    const requests: Request[] = [];
    const listen = (r: Request) => {
      if (r.url().includes('/api/v1/series/points')) requests.push(r);
    };
    page.on('request', listen);
    const before = await data('points');
    await page.click('#series-ranges button[data-range="6h"]');
    await page.locator('#series-chart[data-step="60"]:not([data-loading])').waitFor();
    expect(new URL(page.url()).hash).toBe(`#series?source=${SOURCE}&metric=${METRIC}&range=6h`);
    expect(await data('resolution')).toBe('rollup');
    expect(await data('points')).not.toBe(before);
    expect(Number(await data('to')) - Number(await data('from'))).toBe(6 * 60 * MIN);
    expect(await data('spans-drawn')).toBe('1');
    // One history request per view, none per refresh or live update.
    await page.waitForTimeout(2000);
    page.off('request', listen);
    expect(requests).toHaveLength(1);
    expect(new URL(requests[0].url()).searchParams.get('step')).toBe('60');
  });

  it('Back returns to the previous range; the link pasted into a new page shows the same state', async () => {
    const url = page.url();
    await page.goBack();
    await page.locator('#series-chart[data-resolution="sampled"]:not([data-loading])').waitFor();
    expect(new URL(page.url()).hash).toContain('range=1h');

    const fresh = await harness.newPage({ timeout: 15_000 });
    await fresh.goto(url, { waitUntil: 'domcontentloaded' });
    await fresh.locator('#series-chart[data-step="60"]:not([data-loading])').waitFor();
    expect(await fresh.locator('#series-title').textContent()).toBe(`${SOURCE}/${METRIC}`);
    expect(await fresh.locator('#series-ranges button[data-range="6h"]').getAttribute('aria-pressed')).toBe('true');
    expect(await fresh.locator('#tab-btn-series').getAttribute('aria-selected')).toBe('true');
    await fresh.close();
    expect(harness.pageErrors).toEqual([]);
  });
});
