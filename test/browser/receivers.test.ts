/**
 * The Receivers view in a real browser (Chromium) against the real API, Kafka (the receivers
 * topic) and ClickHouse: the configured receiver is listed as from the config file with no
 * Delete; a webhook added through the form is listed as from the API (and read back through the
 * API); a bad URL gets the API's 400 message in the form and creates nothing; editing keeps the
 * secret the page never sees; a Slack URL is shown redacted; Delete removes an API receiver.
 * Screenshot in test/artifacts/.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, startDashboardHarness, type DashboardHarness } from '../support/dashboard-harness.ts';
import { waitFor } from '../support/index.ts';

const CONFIG_SECRET = 'configured-secret-do-not-show-1';
const FORM_SECRET = 'typed-secret-do-not-show-22';
const SLACK_TOKEN = 'XOXBSLACKTOKEN123';

let harness: DashboardHarness;
let page: Page;

const apiGet = async (route: string) => {
  const { status, body } = await harness.apiGet(route);
  return { status, body: body as Record<string, unknown> };
};
const listed = async () => ((await apiGet('receivers')).body.items as Array<{ name: string; source: string; url: string; hasSecret?: boolean }>);
const row = (name: string) => page.locator(`#receivers-table tr.receiver-row[data-receiver="${name}"]`);

beforeAll(async () => {
  harness = await startDashboardHarness('receivers', {
    overrides: { notify: { receivers: [{ name: 'pager', type: 'webhook', url: 'https://pager.example.com/hook', secret: CONFIG_SECRET, sendResolved: true }] } },
  });
  await waitFor(async () => (await apiGet('receivers')).status === 200, 30_000, { message: 'receivers topic read' });
  page = await harness.newPage({ timeout: 15_000 });
}, 120_000);

afterAll(() => harness?.close());

describe('receivers in the dashboard', () => {
  it('lists the configured receiver as from the config file, without its secret or a Delete', async () => {
    await page.goto(`${harness.api.url}/#receivers`, { waitUntil: 'domcontentloaded' });
    await row('pager').waitFor();
    expect(await row('pager').getAttribute('data-source')).toBe('config');
    expect(await row('pager').locator('[data-role="source"]').textContent()).toBe('config file');
    expect(await row('pager').locator('button[data-action="delete"]').count()).toBe(0);
    expect(await row('pager').locator('button[data-action="edit"]').count()).toBe(1);
    expect(await page.content()).not.toContain(CONFIG_SECRET);
  });

  it('adds a webhook through the form; it is listed as from the API and stored behind the API', async () => {
    await page.fill('#receiver-name', 'team-hook');
    await page.selectOption('#receiver-type', 'webhook');
    await page.fill('#receiver-url', 'https://hooks.example.com/team');
    await page.fill('#receiver-secret', FORM_SECRET);
    await page.fill('#receiver-timeout', '2500');
    await page.click('#receiver-submit');
    await row('team-hook').waitFor();
    expect(await row('team-hook').getAttribute('data-source')).toBe('api');
    expect(await row('team-hook').locator('[data-role="url"]').textContent()).toBe('https://hooks.example.com/team');
    expect(await row('team-hook').textContent()).toContain('signed (HMAC-SHA256) · timeout 2500 ms');
    expect(await page.locator('#receiver-secret').inputValue()).toBe(''); // the form was cleared
    expect((await apiGet('receivers/team-hook')).body).toMatchObject({ type: 'webhook', source: 'api', hasSecret: true, timeoutMs: 2500, sendResolved: true });
    expect(await page.content()).not.toContain(FORM_SECRET);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-receivers.png'), fullPage: true });
  });

  it('a bad URL is refused with the API\'s 400 message in the form and creates nothing', async () => {
    await page.fill('#receiver-name', 'bad-hook');
    await page.fill('#receiver-url', 'ftp://hooks.example.com/team');
    await page.fill('#receiver-secret', FORM_SECRET);
    await page.click('#receiver-submit');
    const error = page.locator('#receiver-error');
    await error.waitFor({ state: 'visible' });
    expect(await error.textContent()).toMatch(/^invalid receiver: url: must be an http:\/\/ or https:\/\/ URL/);
    expect((await listed()).map((r) => r.name)).toEqual(['pager', 'team-hook']);
    expect(await row('bad-hook').count()).toBe(0);
    // Missing fields are caught before any request.
    await page.click('#receiver-reset');
    await page.fill('#receiver-name', 'no-secret');
    await page.fill('#receiver-url', 'https://hooks.example.com/x');
    await page.click('#receiver-submit');
    expect(await error.textContent()).toMatch(/signing secret/);
  });

  it('shows a Slack receiver\'s URL without its token', async () => {
    await page.click('#receiver-reset');
    await page.fill('#receiver-name', 'team-slack');
    await page.selectOption('#receiver-type', 'slack');
    expect(await page.locator('#receiver-secret').isVisible()).toBe(false);
    await page.fill('#receiver-url', `https://hooks.slack.com/services/T0/B0/${SLACK_TOKEN}`);
    await page.fill('#receiver-channel', '#oncall');
    await page.click('#receiver-submit');
    await row('team-slack').waitFor();
    expect(await row('team-slack').locator('[data-role="url"]').textContent()).toBe('https://hooks.slack.com/…');
    expect(await page.content()).not.toContain(SLACK_TOKEN);
  });

  it('editing changes the URL and keeps the secret left empty', async () => {
    await row('team-hook').locator('button[data-action="edit"]').click();
    expect(await page.locator('#receiver-form-title').textContent()).toBe('Edit receiver team-hook');
    expect(await page.locator('#receiver-url').inputValue()).toBe('https://hooks.example.com/team');
    expect(await page.locator('#receiver-secret').inputValue()).toBe('');
    await page.fill('#receiver-url', 'https://hooks.example.com/team-v2');
    await page.click('#receiver-submit');
    await row('team-hook').locator('[data-role="url"]', { hasText: 'team-v2' }).waitFor();
    expect((await apiGet('receivers/team-hook')).body).toMatchObject({ url: 'https://hooks.example.com/team-v2', hasSecret: true });
  });

  it('Delete (confirmed) removes an API receiver; the configured one stays', async () => {
    await row('team-hook').locator('button[data-action="delete"]').click();
    await row('team-hook').locator('button[data-action="confirm-delete"]').click();
    await row('team-hook').waitFor({ state: 'detached' });
    expect((await apiGet('receivers/team-hook')).status).toBe(404);
    expect((await listed()).map((r) => r.name)).toEqual(['pager', 'team-slack']);
    expect(harness.pageErrors).toEqual([]);
  });
});
