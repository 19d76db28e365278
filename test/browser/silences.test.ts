/**
 * Silencing from the dashboard in a real browser (Chromium) against the real API, Kafka and
 * ClickHouse: "Silence" on an alert row opens the Silences form with the alert's rule and series
 * filled in; submitting creates the silence (seen through the API, and as "silenced" on the row);
 * a bad regex gets the API's 400 message in the form; Expire ends it. Screenshot in test/artifacts/.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertEventRow } from '../../pipeline/storage/rows.ts';
import type { AlertEvent } from '../../schemas/records.ts';
import { ARTIFACTS, startDashboardHarness, type DashboardHarness } from '../support/dashboard-harness.ts';
import { waitFor } from '../support/index.ts';

const NOW = Date.now();

const alertOf = (alertId: string, source: string, metric: string): AlertEvent => ({
  eventId: `${alertId}-1`,
  alertId,
  fingerprint: `${source}|${metric}|default.${metric}`,
  source,
  metric,
  ruleId: `default.${metric}`,
  kind: 'threshold',
  severity: 'high',
  status: 'firing',
  version: 1,
  timestamp: NOW - 30_000,
  openedAt: NOW - 30_000,
  value: 97,
  threshold: 90,
  message: `${metric} high on ${source}`,
  actor: 'pipeline',
  reason: 'opened',
  tags: {},
});
const TARGET = alertOf('alert-target', 'web-1', 'cpu_usage');
// Tags are user input: a hostile key and a 200-char value must render as text in a chip.
const HOSTILE_TAG = '<img src=x onerror="window.__xss=1">';
const OTHER = { ...alertOf('alert-other', 'web-2', 'memory_usage'), tags: { team: 'db', [HOSTILE_TAG]: 'v'.repeat(200) } };

let harness: DashboardHarness;
let page: Page;

const apiGet = async (route: string) => (await fetch(`${harness.api.url}/api/v1/${route}`, { headers: { 'x-api-key': harness.apiKey } })).json();

beforeAll(async () => {
  harness = await startDashboardHarness('silences', {
    seed: (ch) => ch.insert({ table: 'alert_events', values: [TARGET, OTHER].map(alertEventRow), format: 'JSONEachRow' }).then(() => undefined),
  });
  page = await harness.newPage({ timeout: 30_000 });
}, 120_000);

afterAll(() => harness?.close());

describe('silences in the dashboard', () => {
  let silenceId = '';

  it('"Silence" on an alert row opens the form prefilled with that alert; submitting creates the silence', async () => {
    await page.goto(`${harness.api.url}/#alerts`, { waitUntil: 'domcontentloaded' });
    const row = page.locator(`tr[data-alert-id="${TARGET.alertId}"]`);
    await row.waitFor({ timeout: 15_000 });
    await row.locator('button[data-action="silence"]').click();
    await page.locator('#tab-silences').waitFor({ state: 'visible' });
    expect(await page.locator('#silence-form-title').textContent()).toBe('Silence web-1/cpu_usage');
    const prefilled = await page.$$eval('#silence-matcher-rows .matcher-row', (rows) =>
      rows.map((r) => ({
        name: (r.querySelector('[name="name"]') as HTMLInputElement).value,
        op: (r.querySelector('[name="op"]') as HTMLSelectElement).value,
        value: (r.querySelector('[name="value"]') as HTMLInputElement).value,
      })),
    );
    expect(prefilled).toEqual([
      { name: 'alertname', op: '=', value: 'default.cpu_usage' },
      { name: 'source', op: '=', value: 'web-1' },
      { name: 'metric', op: '=', value: 'cpu_usage' },
    ]);
    await page.selectOption('#silence-duration', '4h');
    await page.fill('#silence-comment', 'kernel upgrade on web-1');
    await page.click('#silence-submit');

    const listed = page.locator('#silences-table tr.silence-row[data-state="active"]');
    await listed.waitFor({ timeout: 10_000 });
    silenceId = (await listed.getAttribute('data-silence-id')) ?? '';
    expect(silenceId).toMatch(/^[0-9a-f]{32}$/);
    expect(await listed.locator('.matchers').textContent()).toBe('alertname="default.cpu_usage", source="web-1", metric="cpu_usage"');

    const stored = await apiGet(`silences/${silenceId}`);
    expect(stored).toMatchObject({ state: 'active', createdBy: 'browser-operator', comment: 'kernel upgrade on web-1' });
    expect(stored.endsAt - stored.startsAt).toBe(4 * 3_600_000);
    expect((await apiGet(`alerts/${TARGET.alertId}`)).alert.silencedBy).toEqual([silenceId]);
    expect((await apiGet(`alerts/${OTHER.alertId}`)).alert.silencedBy).toEqual([]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-silences.png'), fullPage: true });
  });

  it('the silenced alert is marked on its row; the other is not', async () => {
    await page.click('#tab-btn-alerts');
    const pill = page.locator(`tr[data-alert-id="${TARGET.alertId}"] [data-role="silenced"]`);
    await pill.waitFor({ timeout: 10_000 });
    expect(await pill.getAttribute('title')).toBe(`silenced by ${silenceId}`);
    expect(await page.locator(`tr[data-alert-id="${OTHER.alertId}"] [data-role="silenced"]`).count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-alerts-silenced.png'), fullPage: true });
  });

  it('tags show as escaped chips on the row; a click on one prefills a silence for that tag', async () => {
    const row = page.locator(`tr[data-alert-id="${OTHER.alertId}"]`);
    const chips = row.locator('[data-role="tag"]');
    await chips.first().waitFor({ timeout: 10_000 });
    const titles = await chips.evaluateAll((els) => els.map((e) => e.getAttribute('title')?.split('\n')[0]));
    expect(titles).toEqual([`${HOSTILE_TAG}=${'v'.repeat(200)}`, 'team=db']);
    expect(await row.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    await chips.nth(1).click();
    await page.locator('#tab-silences').waitFor({ state: 'visible' });
    expect(await page.locator('#silence-form-title').textContent()).toBe('Silence tag team=db');
    const prefilled = await page.$$eval('#silence-matcher-rows .matcher-row', (rows) =>
      rows.map((r) => [(r.querySelector('[name="name"]') as HTMLInputElement).value, (r.querySelector('[name="op"]') as HTMLSelectElement).value, (r.querySelector('[name="value"]') as HTMLInputElement).value]),
    );
    expect(prefilled).toEqual([['tag:team', '=', 'db']]);
    await page.click('#tab-btn-alerts');
    await row.screenshot({ path: path.join(ARTIFACTS, 'dashboard-alert-tags.png') });
  });

  it('a bad regex shows the API\'s 400 message in the form and creates nothing', async () => {
    await page.click('#tab-btn-silences');
    await page.click('#silence-reset');
    await page.fill('#silence-matcher-rows .matcher-row [name="name"]', 'source');
    await page.selectOption('#silence-matcher-rows .matcher-row [name="op"]', '=~');
    await page.fill('#silence-matcher-rows .matcher-row [name="value"]', '(web+)+');
    await page.fill('#silence-comment', 'should fail');
    await page.click('#silence-submit');
    const error = page.locator('#silence-error');
    await error.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await error.textContent()).toMatch(/invalid silence: .*exponential time/);
    expect((await apiGet('silences')).items).toHaveLength(1);
  });

  it('Expire ends the silence; the alert is no longer silenced', async () => {
    await page.locator(`tr[data-silence-id="${silenceId}"] button[data-action="expire"]`).click();
    await page.locator(`tr[data-silence-id="${silenceId}"][data-state="expired"]`).waitFor({ timeout: 10_000 });
    expect((await apiGet(`silences/${silenceId}`)).state).toBe('expired');
    await waitFor(async () => (await apiGet(`alerts/${TARGET.alertId}`)).alert.silencedBy.length === 0, 5000);
    expect(harness.pageErrors).toEqual([]);
  });
});
