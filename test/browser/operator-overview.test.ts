/**
 * Issue #10 points 2 and 4 in a real browser against the real API, ClickHouse and gateway:
 * readable figures (the alert table's Value column per alert kind, with units; an exhausted
 * budget; times with their zone and the UTC / local switch; severity and status told apart by
 * more than colour; long messages cut with the full text on demand) and the Overview an operator
 * chooses. Screenshots of Overview and Alerts, desktop and phone, in test/artifacts/.
 */
import path from 'node:path';
import type { Producer } from 'kafkajs';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEvent } from '../../pipeline/codec/events.ts';
import { alertEventRow, anomalyRow, pointRow, slaSnapshotRow } from '../../pipeline/storage/rows.ts';
import type { AlertEvent, AnomalyEvent, LiveSnapshot, SlaSnapshot } from '../../schemas/records.ts';
import { ARTIFACTS, gatewayWithProducer, startDashboardHarness, type DashboardHarness } from '../support/dashboard-harness.ts';
import { waitFor } from '../support/index.ts';

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

const ANOMALY: AnomalyEvent = {
  id: 'fig-anomaly-1', source: 'web-1', metric: 'response_time', type: 'spike', version: 1, startTimestamp: NOW - 16 * MIN, detectedTimestamp: NOW - 15 * MIN,
  value: 58.53, expected: 40, zscore: 4252.11, score: 0.934, confidence: 0.8, pointCount: 3,
};

const SLA: SlaSnapshot = {
  id: 'fig-sla-snap', slaId: 'availability', source: 'api-1', metric: 'availability', timestamp: NOW - MIN, windowMs: 30 * 86_400_000, objective: 0.99,
  compliance: 0.851, good: 851, total: 1000, errorBudgetRemaining: -10.617, burnRateFast: 14.89, burnRateSlow: 6.05187, violated: true,
};

// The Overview: two series to pin, two others, one that starts mid-test, one silent for 12 min.
const PINNED = [{ source: 'web-1', metric: 'cpu_usage' }, { source: 'web-2', metric: 'memory_usage' }];
const OTHERS = [{ source: 'api-1', metric: 'throughput' }, { source: 'db-1', metric: 'queue_size' }];
const LATECOMER = { source: 'new-1', metric: 'cpu_usage' };
const STALE = { source: 'old-1', metric: 'cpu_usage' };
const idOf = (s: { source: string; metric: string }) => `${s.source}/${s.metric}`;

function historyPoints() {
  const rows = [];
  const point = (s: { source: string; metric: string }, t: number) =>
    pointRow({ ...s, value: 50 + 10 * Math.sin(t / 60_000), timestamp: t, tags: {}, partition: 0, offset: String(t), mean: 50, std: 5, zscore: 0, anomalyScore: 0 }, t);
  for (let t = NOW - 5 * MIN; t < NOW; t += 5000) for (const s of [...PINNED, ...OTHERS]) rows.push(point(s, t));
  for (let t = NOW - 20 * MIN; t <= NOW - 12 * MIN; t += 10_000) rows.push(point(STALE, t));
  return rows;
}

/** What a time reads in a zone `offsetMin` east of UTC, built from toISOString (not the page's formatter). */
function expectedTime(ms: number, offsetMin: number, label: string): string {
  const shifted = new Date(ms + offsetMin * MIN).toISOString();
  const today = new Date(Date.now() + offsetMin * MIN).toISOString().slice(0, 10);
  return shifted.slice(0, 10) === today ? `${shifted.slice(11, 19)} ${label}` : `${shifted.slice(0, 10)} ${shifted.slice(11, 16)} ${label}`;
}

let harness: DashboardHarness;
let producer: Producer;
let page: Page;
let feeding: ReturnType<typeof setInterval> | undefined;
/** Series the feed sends live snapshots for (the latecomer joins mid-test). */
const live = [...PINNED, ...OTHERS];
const row = (a: AlertEvent) => page.locator(`#alerts-table tbody tr[data-alert-id="${a.alertId}"]`);

/** As the pipeline: one live snapshot per series twice a second. */
function startFeeding() {
  let sending = false;
  feeding = setInterval(() => {
    if (sending) return;
    sending = true;
    const t = Date.now();
    const messages = live.map((s) => {
      const snap: LiveSnapshot = { ...s, timestamp: t, value: 50 + 10 * Math.sin(t / 3000), mean: 50, std: 5, zscore: 0.5, anomalyScore: 0.1 };
      return { key: idOf(s), value: encodeEvent('live', snap) };
    });
    producer
      .send({ topic: harness.env.topics.live, messages })
      .catch(() => undefined) // a lost send shows as a value not moving
      .finally(() => (sending = false));
  }, 500);
}

beforeAll(async () => {
  const feed = gatewayWithProducer('live');
  harness = await startDashboardHarness('overview', {
    overrides: { gateway: { port: 0 } },
    storage: { 'vigil.autoRefresh': '0' },
    async seed(ch) {
      await ch.insert({ table: 'alert_events', values: Object.values(ALERTS).map(alertEventRow), format: 'JSONEachRow' });
      await ch.insert({ table: 'sla_snapshots', values: [slaSnapshotRow(SLA)], format: 'JSONEachRow' });
      await ch.insert({ table: 'points', values: historyPoints(), format: 'JSONEachRow' });
      await ch.insert({ table: 'anomalies', values: [anomalyRow(ANOMALY)], format: 'JSONEachRow' });
    },
    beforeApi: feed.beforeApi,
  });
  producer = feed.producer();
  page = await harness.newPage({ timezoneId: ZONE });
  startFeeding();
}, 120_000);

afterAll(async () => {
  clearInterval(feeding);
  await harness?.close();
}, 60_000);

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

  it('reads a typed absolute range on the series page in the chosen zone', async () => {
    await page.selectOption('#zone-choice', 'utc');
    await page.click('#tab-btn-series');
    expect(await page.locator('label:has(#series-from) span').textContent()).toBe('From (UTC)');
    await page.fill('#series-input', 'web-1/cpu_usage');
    await page.fill('#series-from', '2026-12-01T10:00');
    await page.fill('#series-to', '2026-12-01T12:00');
    await page.click('#series-go');
    await page.waitForURL(/from=/);
    const params = new URLSearchParams(new URL(page.url()).hash.split('?')[1]);
    expect([params.get('from'), params.get('to')]).toEqual(['2026-12-01T10:00:00.000Z', '2026-12-01T12:00:00.000Z']);
    await page.selectOption('#zone-choice', 'local');
    expect(await page.locator('label:has(#series-from) span').textContent()).toBe('From (local)');
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

  it('shows anomaly values with their unit and a huge z SI-style', async () => {
    await page.click('#tab-btn-anomalies');
    const tr = page.locator('#anomalies-table tbody tr', { hasText: 'web-1/response_time' });
    await tr.waitFor();
    expect(await tr.locator('td[data-label="Value"]').textContent()).toBe('58.5 ms');
    expect(await tr.locator('td[data-label="Expected"]').textContent()).toBe('40 ms');
    expect(await tr.locator('td[data-label="z"]').textContent()).toBe('4.25k');
    await page.click('#tab-btn-overview');
    expect(await page.locator(`#recent-anomalies li[data-anomaly-id="${ANOMALY.id}"] .what`).textContent()).toContain('58.5 ms vs 40 ms expected');
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

describe('the Overview an operator chooses', () => {
  const chartIds = (p: Page = page) => p.$$eval('#charts .chart-card', (cards) => cards.map((c) => (c as HTMLElement).dataset.series ?? ''));
  const tableIds = () => page.$$eval('#series-table tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.series ?? ''));
  const pinBox = (s: { source: string; metric: string }) => page.locator(`#series-table input[aria-label="pin ${idOf(s)}"]`);
  const received = () => page.evaluate(() => (window as unknown as { vigil: { state: { received: { live: number } } } }).vigil.state.received.live);

  it('pins two series from the series table; the link and localStorage hold them', async () => {
    await page.goto(`${harness.api.url}/#overview`, { waitUntil: 'domcontentloaded' });
    await page.locator('#connection[data-status="connected"]').waitFor({ timeout: 30_000 });
    await page.click('#series-picker summary');
    for (const s of PINNED) {
      await pinBox(s).waitFor();
      await pinBox(s).check();
    }
    await waitFor(async () => JSON.stringify(await chartIds()) === JSON.stringify(PINNED.map(idOf)), 10_000, { message: 'the two pinned charts, in pin order' });
    expect(new URL(page.url()).hash).toBe(`#overview?pin=web-1/cpu_usage&pin=web-2/memory_usage`);
    expect(JSON.parse((await page.evaluate(() => localStorage.getItem('vigil.pins'))) ?? 'null')).toEqual(PINNED.map((p) => [p.source, p.metric]));
    // Pinned rows lead the table.
    expect((await tableIds()).slice(0, 2)).toEqual(PINNED.map(idOf));
  }, 60_000);

  it('after a reload the pinned charts stay put over 30 s of live updates, one history request each', async () => {
    const requests: Request[] = [];
    const listen = (r: Request) => {
      if (r.url().includes('/api/v1/series/points')) requests.push(r);
    };
    page.on('request', listen);
    try {
      await page.reload({ waitUntil: 'domcontentloaded' });
      await page.locator('#connection[data-status="connected"]').waitFor({ timeout: 30_000 });
      expect(await chartIds()).toEqual(PINNED.map(idOf));
      const card = page.locator(`.chart-card[data-series="${idOf(PINNED[0])}"]`);
      const pointsNow = async () => Number((await card.getAttribute('data-points')) ?? 0);
      await waitFor(async () => ((await pointsNow()) > 30 ? true : undefined), 20_000, { message: 'history drawn in the first pinned chart' });
      const pointsBefore = await pointsNow();
      const liveBefore = await received();
      live.push(LATECOMER); // another series gets data while we watch
      const seen = new Set<string>();
      const until = Date.now() + 30_000;
      while (Date.now() < until) {
        seen.add(JSON.stringify(await chartIds()));
        await page.waitForTimeout(1000);
      }
      expect([...seen]).toEqual([JSON.stringify(PINNED.map(idOf))]);
      expect(await received()).toBeGreaterThan(liveBefore + 40); // live events did flow meanwhile
      expect(await pointsNow()).toBeGreaterThan(pointsBefore); // and appended to the pinned chart
      await page.click('#series-picker summary');
      await page.locator(`#series-table tr[data-series="${idOf(LATECOMER)}"]`).waitFor();
      expect(await chartIds()).toEqual(PINNED.map(idOf));
    } finally {
      page.off('request', listen);
    }
    const asked = requests.map((r) => {
      const q = new URL(r.url()).searchParams;
      return `${q.get('source')}/${q.get('metric')}`;
    });
    expect(asked.sort()).toEqual(PINNED.map(idOf).sort());
  }, 120_000);

  it('the search box filters the series table', async () => {
    await page.fill('#series-search', 'cpu');
    await waitFor(async () => ((await tableIds()).every((id) => id.includes('cpu')) ? true : undefined), 5000, { message: 'only cpu series listed' });
    const ids = await tableIds();
    expect(ids).toContain(idOf(PINNED[0]));
    expect(ids).toContain(idOf(LATECOMER));
    expect(ids).not.toContain(idOf(PINNED[1]));
    expect(await page.locator('#series-hidden').textContent()).toMatch(/\d+ not matching the search/);
    expect(new URL(page.url()).hash).toContain('q=cpu');
    await page.fill('#series-search', 'WEB memory');
    await waitFor(async () => (JSON.stringify(await tableIds()) === JSON.stringify([idOf(PINNED[1])]) ? true : undefined), 5000, { message: 'only web-2/memory_usage listed' });
    await page.fill('#series-search', '');
    await waitFor(async () => ((await tableIds()).length >= 5 ? true : undefined), 5000, { message: 'every active series listed again' });
  });

  it('active only hides a series silent for longer than the chosen time (default 10 min)', async () => {
    expect(await page.locator('#series-active').inputValue()).toBe('600000');
    expect(await tableIds()).not.toContain(idOf(STALE));
    expect(await page.locator('#series-hidden').textContent()).toBe('hidden: 1 silent for over 10 min');
    await page.selectOption('#series-active', '0');
    await page.locator(`#series-table tr[data-series="${idOf(STALE)}"]`).waitFor();
    expect(new URL(page.url()).hash).toContain('active=0');
    await page.selectOption('#series-active', '1800000'); // 30 min: 12 min of silence is still active
    await page.locator(`#series-table tr[data-series="${idOf(STALE)}"]`).waitFor();
    await page.selectOption('#series-active', '600000');
    await page.locator(`#series-table tr[data-series="${idOf(STALE)}"]`).waitFor({ state: 'detached' });
    expect(await chartIds()).toEqual(PINNED.map(idOf));
    await page.screenshot({ path: path.join(ARTIFACTS, 'overview-test-overview-desktop.png'), fullPage: true });
  });

  it('a shared link shows the same pins in a fresh browser, without overwriting its own stored set', async () => {
    const { context, page: fresh } = await harness.newContextPage({ timezoneId: ZONE });
    await fresh.goto(`${harness.api.url}/${new URL(page.url()).hash}`, { waitUntil: 'domcontentloaded' });
    await waitFor(async () => (JSON.stringify(await chartIds(fresh)) === JSON.stringify(PINNED.map(idOf)) ? true : undefined), 15_000, { message: 'the linked pins charted' });
    expect(await fresh.evaluate(() => localStorage.getItem('vigil.pins'))).toBeNull();
    await context.close();
  });

  it('pins from the series page and unpins from a chart', async () => {
    const target = OTHERS[1];
    await page.goto(`${harness.api.url}/#series?source=${target.source}&metric=${target.metric}&range=15m`, { waitUntil: 'domcontentloaded' });
    const pin = page.locator('#series-pin');
    await pin.waitFor();
    expect(await pin.getAttribute('aria-pressed')).toBe('false');
    await pin.click();
    expect(await pin.getAttribute('aria-pressed')).toBe('true');
    await page.click('#tab-btn-overview');
    await waitFor(async () => (JSON.stringify(await chartIds()) === JSON.stringify([...PINNED, target].map(idOf)) ? true : undefined), 10_000, { message: 'the third pin charted' });
    expect(new URL(page.url()).hash).toBe('#overview?pin=web-1/cpu_usage&pin=web-2/memory_usage&pin=db-1/queue_size');
    await page.locator(`.chart-card[data-series="${idOf(PINNED[0])}"] button[data-role="pin"]`).click();
    await waitFor(async () => (JSON.stringify(await chartIds()) === JSON.stringify([PINNED[1], target].map(idOf)) ? true : undefined), 10_000, { message: 'web-1/cpu_usage unpinned' });
    expect(await page.locator(`.chart-card[data-series="${idOf(PINNED[1])}"] button[data-role="pin"]`).textContent()).toBe('Unpin');
    await page.click('#series-picker summary');
    expect(await pinBox(PINNED[0]).isChecked()).toBe(false);
    expect(JSON.parse((await page.evaluate(() => localStorage.getItem('vigil.pins'))) ?? 'null')).toEqual([PINNED[1], target].map((p) => [p.source, p.metric]));
  });

  it('fits the Overview on a phone', async () => {
    const phone = await harness.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, timezoneId: ZONE });
    await phone.goto(`${harness.api.url}/${new URL(page.url()).hash}`, { waitUntil: 'domcontentloaded' });
    await phone.locator('.chart-card[data-points]').first().waitFor({ timeout: 20_000 });
    await phone.click('#series-picker summary');
    await phone.waitForTimeout(1500);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: path.join(ARTIFACTS, 'overview-test-overview-phone.png'), fullPage: true });
    await phone.close();
    expect(harness.pageErrors).toEqual([]);
  });
});
