/**
 * Issue #8's "Overview said 12 open (7 low) while the Alerts badge said 5 and the feed showed
 * those 7 as resolved", in a real browser against the real API, gateway, Kafka and ClickHouse:
 * open alerts stored in ClickHouse, then resolved the way the pipeline does it (row in
 * alert_events, event on the alerts topic). The Overview's open count, the Alerts badge and the
 * Alerts tab's rows must agree before, right after the live resolves (auto-refresh off: no
 * reload helps), and after resolves the page never heard of (ClickHouse only) once it refreshes.
 */
import path from 'node:path';
import type { Producer } from 'kafkajs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEvent } from '../../pipeline/codec/events.ts';
import { alertEventRow } from '../../pipeline/storage/rows.ts';
import type { AlertEvent, Severity } from '../../schemas/records.ts';
import { ARTIFACTS, gatewayWithProducer, startDashboardHarness, type DashboardHarness } from '../support/dashboard-harness.ts';
import { waitFor } from '../support/index.ts';
const NOW = Date.now();

function opened(i: number, severity: Severity, source: string): AlertEvent {
  const alertId = `count-${severity}-${i}`;
  return {
    eventId: `${alertId}-1`, alertId, fingerprint: `${source}|cpu_usage|r-${i}`, source, metric: 'cpu_usage', ruleId: `r-${i}`, kind: 'threshold',
    severity, status: 'firing', version: 1, timestamp: NOW - 60_000 + i, openedAt: NOW - 60_000 + i, value: 97, threshold: 90,
    message: `cpu high on ${source}`, actor: 'pipeline', reason: 'opened', tags: {},
  };
}
const next = (a: AlertEvent, status: AlertEvent['status'], actor = 'pipeline'): AlertEvent => ({
  ...a, status, version: a.version + 1, eventId: `${a.alertId}-${a.version + 1}`, timestamp: Date.now(), actor, reason: status === 'resolved' ? 'recovered' : 'acknowledged',
});

const HIGH = Array.from({ length: 5 }, (_, i) => opened(i, 'high', 'web-1'));
const LOW = Array.from({ length: 7 }, (_, i) => opened(i, 'low', 'web-2'));
const ACKED = Array.from({ length: 2 }, (_, i) => next(opened(i, 'medium', 'db-1'), 'acknowledged', 'alice'));

let harness: DashboardHarness;
let producer: Producer;
let page: Page;

/** What the page shows: Overview card, badge, Alerts tab rows with the default filter. */
async function counts() {
  return page.evaluate(() => {
    const big = document.querySelector('[data-stat="open-alerts"] .big')?.textContent ?? '';
    const badgeEl = document.querySelector('#open-alert-badge') as HTMLElement;
    const rows = document.querySelectorAll('#alerts-table tbody tr[data-status="firing"], #alerts-table tbody tr[data-status="acknowledged"]').length;
    const low = document.querySelector('[data-stat="open-alerts"] [data-severity="low"]')?.textContent ?? '';
    return { overview: big, badge: badgeEl.hidden ? '0' : (badgeEl.textContent ?? ''), rows: String(rows), low };
  });
}
let lastSeen: Awaited<ReturnType<typeof counts>> | null = null;
const agreeOn = async (n: number) => {
  lastSeen = await counts();
  return lastSeen.overview === String(n) && lastSeen.badge === String(n) && lastSeen.rows === String(n);
};
/** Waits until all three show `n`; the failure says what the page last showed. */
const expectAgree = (n: number, timeoutMs: number, poke?: () => Promise<void>) =>
  waitFor(
    async () => {
      if (await agreeOn(n)) return true;
      await poke?.();
      return agreeOn(n);
    },
    timeoutMs,
    { message: `Overview, badge and Alerts tab agree on ${n}` },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; the page showed ${JSON.stringify(lastSeen)}`);
  });

/** As the pipeline: the row first, then the event on the alerts topic (keyed by series). */
async function publish(events: AlertEvent[], topic = true) {
  await harness.ch.insert({ table: 'alert_events', values: events.map(alertEventRow), format: 'JSONEachRow' });
  if (topic) await producer.send({ topic: harness.env.topics.alerts, acks: -1, messages: events.map((e) => ({ key: `${e.source}/${e.metric}`, value: encodeEvent('alert', e) })) });
}

beforeAll(async () => {
  const feed = gatewayWithProducer('alerts');
  harness = await startDashboardHarness('counts', {
    overrides: { gateway: { port: 0 } },
    // No auto-refresh: only live events (and the Refresh button) may move the counts.
    storage: { 'vigil.autoRefresh': '0' },
    async seed(ch) {
      const ackedOpen = ACKED.map((a) => ({ ...a, status: 'firing' as const, version: 1, eventId: `${a.alertId}-1`, actor: 'pipeline', reason: 'opened' }));
      await ch.insert({ table: 'alert_events', values: [...HIGH, ...LOW, ...ackedOpen, ...ACKED].map(alertEventRow), format: 'JSONEachRow' });
    },
    beforeApi: feed.beforeApi,
  });
  producer = feed.producer();
  page = await harness.newPage({ timeout: 15_000 });
}, 120_000);

afterAll(() => harness?.close(), 60_000);

describe('Overview counts agree with the Alerts badge and tab', () => {
  it('14 open (12 firing, 2 acknowledged): the same number on the Overview, the badge and the Alerts tab', async () => {
    await page.goto(`${harness.api.url}/#overview`, { waitUntil: 'domcontentloaded' });
    await page.locator('#connection[data-status="connected"]').waitFor();
    await expectAgree(14, 15_000);
    expect(await page.locator('[data-stat="open-alerts"] .sub').textContent()).toBe('12 firing · 2 acknowledged');
    expect((await counts()).low).toBe('low 7');
  });

  it('after 7 live resolves the Overview says 7 at once, like the badge and the feed, without a refresh', async () => {
    // Until the gateway has its read position a record can land before it; re-sending the same
    // events is harmless (same versions: the page keeps what it holds).
    await expectAgree(7, 20_000, async () => {
      await publish(LOW.map((a) => next(a, 'resolved')));
      await new Promise((r) => setTimeout(r, 1000));
    });
    expect((await counts()).low).toBe('');
    const feed = await page.$$eval('#recent-alerts li[data-alert-id^="count-low-"]', (items) => items.map((li) => li.textContent ?? ''));
    for (const text of feed) expect(text).toContain('resolved');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-overview-counts.png'), fullPage: true });
  });

  it('resolves the page never heard of (ClickHouse only) leave the counts on Refresh, everywhere at once', async () => {
    await publish(HIGH.slice(0, 2).map((a) => next(a, 'resolved')), false);
    expect(await agreeOn(7)).toBe(true); // nothing told the page yet
    await page.click('#refresh-now');
    await expectAgree(5, 10_000);
    await page.click('#tab-btn-alerts');
    await expectAgree(5, 10_000);
    expect(harness.pageErrors).toEqual([]);
  });
});
