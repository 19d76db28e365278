/**
 * Issue #10's honest health in a real browser against the real API, gateway, Kafka and
 * ClickHouse: the gateway is a health card (the API asks its /health) beside the page's own
 * live-feed card; with the gateway stopped the page shows a banner with the time since the last
 * event and both cards turn red, without a click; started again, it recovers by itself.
 * Screenshot in test/artifacts/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../../api/index.ts';
import { freePort } from '../../core/free-port.ts';
import type { VigilConfig } from '../../core/config.ts';
import { startGateway, type RunningGateway } from '../../gateway/index.ts';
import { launchChromium } from '../support/chromium.ts';
import { createTestEnv, type TestEnv } from '../support/index.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '..', 'artifacts');
const API_KEY = 'browser-health-key-0123456789';

let env: TestEnv;
let config: VigilConfig;
let gateway: RunningGateway | undefined;
let api: RunningApi;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const card = (check: string) => page.locator(`#health .card[data-check="${check}"]`);

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  env = await createTestEnv('browser_health', {
    partitions: 1,
    overrides: { api: { port: 0, apiKeys: [{ key: API_KEY, roles: ['read'], name: 'browser-reader' }] } },
  });
  // A fixed port: the gateway comes back where the page and the API look for it.
  config = { ...env.config, gateway: { ...env.config.gateway, port: await freePort() } };
  gateway = await startGateway(config, env.logger);
  api = await startApi(config, env.logger);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.addInitScript((key) => {
    localStorage.setItem('vigil.apiKey', key);
    localStorage.setItem('vigil.autoRefresh', '0'); // only the page's own signals may turn the cards
  }, API_KEY);
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await api?.close().catch(() => undefined);
  await gateway?.close().catch(() => undefined);
  await env?.cleanup();
}, 60_000);

describe('honest health', () => {
  it('the gateway and the live feed are cards, green while both work, and no banner', async () => {
    await page.goto(`${api.url}/#overview`, { waitUntil: 'domcontentloaded' });
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
    gateway = await startGateway(config, env.logger);
    await page.locator('#connection[data-status="connected"]').waitFor({ timeout: 45_000 });
    await page.locator('#live-banner').waitFor({ state: 'hidden' });
    await card('live').and(page.locator('.check-ok')).waitFor();
    await card('gateway').and(page.locator('.check-ok')).waitFor();
    expect(pageErrors).toEqual([]);
  });
});
