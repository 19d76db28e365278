/**
 * Issue #10's honest health in a real browser against the real API, gateway, Kafka and
 * ClickHouse: the gateway is a health card (the API asks its /health) beside the page's own
 * live-feed card; with the gateway stopped the page shows a banner with the time since the last
 * event and both cards turn red, without a click; started again, it recovers by itself.
 * Screenshot in test/artifacts/.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../core/free-port.ts';
import type { VigilConfig } from '../../core/config.ts';
import { startGateway, type RunningGateway } from '../../gateway/index.ts';
import { ARTIFACTS, startDashboardHarness, type DashboardHarness } from '../support/dashboard-harness.ts';

let harness: DashboardHarness;
let config: VigilConfig;
let gateway: RunningGateway | undefined;
let page: Page;
const card = (check: string) => page.locator(`#health .card[data-check="${check}"]`);

beforeAll(async () => {
  harness = await startDashboardHarness('health', {
    roles: ['read'],
    keyName: 'browser-reader',
    // Only the page's own signals may turn the cards.
    storage: { 'vigil.autoRefresh': '0' },
    async beforeApi(env, onClose) {
      // A fixed port: the gateway comes back where the page and the API look for it.
      config = { ...env.config, gateway: { ...env.config.gateway, port: await freePort() } };
      gateway = await startGateway(config, env.logger);
      onClose(async () => gateway?.close());
      return config;
    },
  });
  page = await harness.newPage();
}, 120_000);

afterAll(() => harness?.close(), 60_000);

describe('honest health', () => {
  it('the gateway and the live feed are cards, green while both work, and no banner', async () => {
    await page.goto(`${harness.api.url}/#overview`, { waitUntil: 'domcontentloaded' });
    await page.locator('#connection[data-status="connected"]').waitFor();
    await card('gateway').and(page.locator('.check-ok')).waitFor();
    await card('live').and(page.locator('.check-ok')).waitFor();
    expect(await card('gateway').locator('.label').textContent()).toBe('Gateway');
    expect(await page.locator('#live-banner').isVisible()).toBe(false);
  });

  it('with the gateway stopped: a banner with the time since the last event, and red cards', async () => {
    await gateway!.close();
    gateway = undefined;
    const bannerEl = page.locator('#live-banner');
    await bannerEl.waitFor({ state: 'visible' });
    expect(await bannerEl.textContent()).toMatch(/^Live feed down for \d+ s.*; (no event received yet|last event .* ago)\. .*reconnecting by itself\.$/);
    await card('live').and(page.locator('.check-fail')).waitFor();
    await card('gateway').and(page.locator('.check-fail')).waitFor();
    expect(await card('gateway').locator('.sub').textContent()).toMatch(/unreachable/);
    // The banner counts: a later reading says longer.
    const first = Number((await bannerEl.textContent())!.match(/down for (\d+) s/)![1]);
    await page.waitForTimeout(2100);
    const later = Number((await bannerEl.textContent())!.match(/down for (\d+) s/)?.[1] ?? 0);
    expect(later).toBeGreaterThan(first);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-gateway-down.png'), fullPage: true });
  });

  it('started again, the page recovers by itself: banner gone, cards green', async () => {
    gateway = await startGateway(config, harness.env.logger);
    await page.locator('#connection[data-status="connected"]').waitFor({ timeout: 45_000 });
    await page.locator('#live-banner').waitFor({ state: 'hidden' });
    await card('live').and(page.locator('.check-ok')).waitFor();
    await card('gateway').and(page.locator('.check-ok')).waitFor();
    expect(harness.pageErrors).toEqual([]);
  });
});
