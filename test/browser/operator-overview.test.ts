/**
 * Issue #10 points 2 and 4 in a real browser against the real API, ClickHouse and gateway:
 * readable figures (the alert table's Value column per alert kind, with units; an exhausted
 * budget; times with their zone and the UTC / local switch; severity and status told apart by
 * more than colour; long messages cut with the full text on demand) and the Overview an operator
 * chooses. Screenshots of Overview and Alerts, desktop and phone, in test/artifacts/.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertEventRow, slaSnapshotRow } from '../../pipeline/storage/rows.ts';
import type { AlertEvent, SlaSnapshot } from '../../schemas/records.ts';
import { ARTIFACTS, startDashboardHarness, type DashboardHarness } from '../support/dashboard-harness.ts';

const NOW = Date.now();
const MIN = 60_000;
const MINUS = '\u2212';
const ZONE = 'Asia/Kolkata'; // UTC+5:30 all year: local times differ from UTC by a fixed amount
const ZONE_OFFSET_MIN = 330;

const LONG_MESSAGE =
  'availability: fast error-budget burn on availability on api-1 — 14.89× over 60 min and 15.2× over 5 min ' +
  '(alert above 14.4×; compliance 85.1 %, objective 99 %); the budget of the 30 d window is spent ten times over';

function alert(id: string, over: Partial<AlertEvent>): AlertEvent {
  const source = over.source ?? 'web-1';
  const metric = over.metric ?? 'cpu_usage';
  return {
    eventId: `${id}-1`, alertId: id, fingerprint: `${source}|${metric}|${over.ruleId ?? id}`, source, metric, ruleId: id, kind: 'threshold',
    severity: 'high', status: 'firing', version: 1, timestamp: NOW - 10 * MIN, openedAt: NOW - 15 * MIN, value: 0, threshold: 0, message: '',
    actor: 'pipeline', reason: 'opened', tags: {}, ...over,
  };
}

const ALERTS = {
  threshold: alert('fig-threshold', { severity: 'critical', value: 93.2, threshold: 90, ruleId: 'default.cpu_usage', message: 'cpu_usage on web-1 is 93.2 %, above the critical bound 90 %' }),
  anomaly: alert('fig-anomaly', {
    kind: 'anomaly', metric: 'response_time', ruleId: 'default.anomaly', severity: 'medium', value: 58.53, threshold: 0.7,
    message: 'spike on response_time on web-1: 58.53 ms vs expected 40 ms (score 0.934, confidence 0.8, z 4252.11, 3 points)',
  }),
  sla: alert('fig-sla', { kind: 'sla', source: 'api-1', metric: 'availability', ruleId: 'sla:availability:fast', severity: 'critical', value: 14.89, threshold: 14.4, message: LONG_MESSAGE }),
  nodata: alert('fig-nodata', { kind: 'nodata', source: 'batch-1', metric: 'queue_size', ruleId: 'nodata', value: 300_000, threshold: 300_000, message: 'no data from queue_size on batch-1 for 300 s (limit 300 s)' }),
};

const SLA: SlaSnapshot = {
  id: 'fig-sla-snap', slaId: 'availability', source: 'api-1', metric: 'availability', timestamp: NOW - MIN, windowMs: 30 * 86_400_000, objective: 0.99,
  compliance: 0.851, good: 851, total: 1000, errorBudgetRemaining: -10.617, burnRateFast: 14.89, burnRateSlow: 6.05187, violated: true,
};

/** What a time reads in a zone `offsetMin` east of UTC, built from toISOString (not the page's formatter). */
function expectedTime(ms: number, offsetMin: number, label: string): string {
  const shifted = new Date(ms + offsetMin * MIN).toISOString();
  const today = new Date(Date.now() + offsetMin * MIN).toISOString().slice(0, 10);
  return shifted.slice(0, 10) === today ? `${shifted.slice(11, 19)} ${label}` : `${shifted.slice(0, 10)} ${shifted.slice(11, 16)} ${label}`;
}

let harness: DashboardHarness;
let page: Page;
const row = (a: AlertEvent) => page.locator(`#alerts-table tbody tr[data-alert-id="${a.alertId}"]`);

beforeAll(async () => {
  harness = await startDashboardHarness('overview', {
    storage: { 'vigil.autoRefresh': '0' },
    async seed(ch) {
      await ch.insert({ table: 'alert_events', values: Object.values(ALERTS).map(alertEventRow), format: 'JSONEachRow' });
      await ch.insert({ table: 'sla_snapshots', values: [slaSnapshotRow(SLA)], format: 'JSONEachRow' });
    },
  });
  page = await harness.newPage({ timezoneId: ZONE });
}, 120_000);

afterAll(() => harness?.close());

describe('readable figures', () => {
  it('the Value column says what each alert kind compares, with units', async () => {
    await page.goto(`${harness.api.url}/#alerts`, { waitUntil: 'domcontentloaded' });
    for (const a of Object.values(ALERTS)) await row(a).waitFor();
    const value = (a: AlertEvent) => row(a).locator('td[data-label="Value"]').textContent();
    expect(await value(ALERTS.threshold)).toBe('93.2 % > 90 %');
    expect(await value(ALERTS.anomaly)).toBe('score 0.93 ≥ 0.70');
    expect(await value(ALERTS.sla)).toBe('14.9× vs 14.4× burn');
    expect(await value(ALERTS.nodata)).toBe('silent 5 m 00 s (limit 5 m)');
    // The longer explanation is on hover.
    expect(await row(ALERTS.anomaly).locator('td[data-label="Value"]').getAttribute('title')).toContain('value 58.5 ms');
  });

  it('tells severity from status by shape and symbol, not colour alone', async () => {
    const look = (selector: string) =>
      row(ALERTS.threshold)
        .locator(selector)
        .evaluate((el) => {
          const s = getComputedStyle(el);
          return { text: el.textContent, radius: s.borderTopLeftRadius, background: s.backgroundColor, symbol: getComputedStyle(el, '::before').content };
        });
    const severity = await look('td[data-label="Severity"] .pill');
    const status = await look('[data-role="status"]');
    expect(severity.text).toBe('critical');
    expect(status.text).toBe('firing');
    expect(severity.radius).not.toBe(status.radius);
    expect(severity.background).not.toBe(status.background);
    expect(severity.symbol).not.toBe(status.symbol);
    for (const s of [severity.symbol, status.symbol]) expect(s).not.toMatch(/^(none|normal)$/);
  });

  it('cuts a long message and shows all of it on demand', async () => {
    const cell = row(ALERTS.sla).locator('td[data-label="Message"]');
    const details = cell.locator('details.long-text');
    expect(await details.getAttribute('title')).toContain(LONG_MESSAGE);
    const short = (await cell.locator('summary .short').textContent()) ?? '';
    expect(short.length).toBeLessThan(LONG_MESSAGE.length / 2);
    expect(short.endsWith('…')).toBe(true);
    expect(await cell.locator('.full').isVisible()).toBe(false);
    await cell.locator('summary').click();
    expect(await cell.locator('.full').isVisible()).toBe(true);
    expect(await cell.locator('.full').textContent()).toBe(LONG_MESSAGE);
    // The short messages are not wrapped in anything to open.
    expect(await row(ALERTS.threshold).locator('td[data-label="Message"] details').count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'overview-test-alerts-desktop.png'), fullPage: true });
    await cell.locator('summary').click();
  });

  it('shows times with their zone; the header switch moves every time between local and UTC and is kept', async () => {
    const opened = row(ALERTS.threshold).locator('td[data-label="Opened"]');
    const local = expectedTime(ALERTS.threshold.openedAt, ZONE_OFFSET_MIN, 'UTC+5:30');
    const utc = expectedTime(ALERTS.threshold.openedAt, 0, 'UTC');
    expect(await opened.textContent()).toBe(local);
    await page.selectOption('#zone-choice', 'utc');
    await page.locator(`#alerts-table tbody tr[data-alert-id="${ALERTS.threshold.alertId}"] td[data-label="Opened"]`, { hasText: utc }).waitFor();
    expect(await row(ALERTS.nodata).locator('td[data-label="Updated"]').textContent()).toBe(expectedTime(ALERTS.nodata.timestamp, 0, 'UTC'));
    await page.reload({ waitUntil: 'domcontentloaded' });
    await row(ALERTS.threshold).waitFor();
    expect(await page.locator('#zone-choice').inputValue()).toBe('utc');
    expect(await opened.textContent()).toBe(utc);
    await page.selectOption('#zone-choice', 'local');
    await page.locator(`#alerts-table tbody tr[data-alert-id="${ALERTS.threshold.alertId}"] td[data-label="Opened"]`, { hasText: local }).waitFor();
    expect(await page.evaluate(() => localStorage.getItem('vigil.timeZone'))).toBeNull();
  });

  it('shows a spent error budget as exhausted, with how far past', async () => {
    await page.click('#tab-btn-overview');
    const sla = page.locator('#stats .card', { hasText: 'SLA' });
    await sla.locator('.sub', { hasText: 'budget' }).waitFor();
    expect(await sla.locator('.sub').textContent()).toBe(`violated · min budget exhausted (${MINUS}1,062 %)`);
    await page.click('#tab-btn-sla');
    const budget = page.locator(`#sla-table tbody tr[data-sla-id="availability"] td[data-label="Error budget"] .text`);
    expect(await budget.textContent()).toBe(`exhausted (${MINUS}1,062 %)`);
    expect(await page.locator(`#sla-table tbody tr[data-sla-id="availability"] td[data-label="Burn slow"]`).textContent()).toBe('6.05×');
  });

  it('fits the alert table on a phone', async () => {
    const phone = await harness.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, timezoneId: ZONE });
    await phone.goto(`${harness.api.url}/#alerts`, { waitUntil: 'domcontentloaded' });
    await phone.locator(`#alerts-table tbody tr[data-alert-id="${ALERTS.sla.alertId}"]`).waitFor();
    expect(await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    // The header's controls (the time-zone switch among them) stay on screen.
    for (const control of ['#theme-choice', '#zone-choice', '#refresh-now', '#open-key']) {
      const box = await phone.locator(control).boundingBox();
      expect(box && box.x + box.width, control).toBeLessThanOrEqual(390);
    }
    await phone.screenshot({ path: path.join(ARTIFACTS, 'overview-test-alerts-phone.png'), fullPage: true });
    await phone.close();
    expect(harness.pageErrors).toEqual([]);
  });
});
