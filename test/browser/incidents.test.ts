/**
 * The Incidents view in a real browser against the real stack: pipeline, on-call process and
 * API in-process on an isolated prefix/database. A series breaches two operator rules at once
 * (critical and high): the page shows ONE incident with both alerts, the high one muted by the
 * critical one; an operator acknowledges the incident with a comment, both alerts are
 * acknowledged by their owner, and the incident and its timeline say who did it and why; then
 * resolves it with a comment the same way.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOncall } from '../../oncall/runtime.ts';
import { startPipeline } from '../../pipeline/runtime/pipeline.ts';
import { createMetricProducer, type MetricProducer } from '../../pipeline/sdk/producer.ts';
import { ARTIFACTS, startDashboardHarness, type DashboardHarness } from '../support/dashboard-harness.ts';
import { waitFor } from '../support/index.ts';

const OPERATOR = 'ops-oncall';
const SOURCE = 'checkout-1';
const COMMENT = 'rolling back deploy 4.2 <b>now</b>';
const RESOLVE_COMMENT = 'rolled back; error rate normal';

let harness: DashboardHarness;
let producer: MetricProducer | undefined;
let page: Page;
let feeding: ReturnType<typeof setInterval> | undefined;
const apiRequest = (method: string, route: string, body?: unknown) => harness.apiRequest(method, route, body);

const rule = (id: string, severity: 'critical' | 'high', value: number) => ({
  kind: 'threshold',
  metric: 'cpu_usage',
  source: SOURCE,
  direction: 'above',
  levels: [{ severity, value }],
  forMs: 0,
  hysteresis: 1,
  enabled: true,
  description: `browser test: ${severity} CPU`,
});

describe('Incidents view in a browser against the real stack', () => {
  beforeAll(async () => {
    harness = await startDashboardHarness('incidents', {
      partitions: 4,
      roles: ['read', 'operate', 'ingest'],
      keyName: OPERATOR,
      overrides: {
        pipeline: { workerThreads: 1, windowSize: 200, httpPort: -1 },
        oncall: { httpPort: -1 },
        api: { commandWaitMs: 8000 },
      },
      async beforeApi(env, onClose) {
        const pipeline = await startPipeline(env.config, env.logger, { snapshotIntervalMs: 5000 });
        onClose(() => pipeline.stop());
        const oncall = await startOncall(env.config, env.logger, { skipSetup: true });
        onClose(() => oncall.close());
      },
    });
    for (const [id, severity, value] of [
      ['browser.cpu_critical', 'critical', 95],
      ['browser.cpu_high', 'high', 90],
    ] as const) {
      const put = await waitFor(
        async () => {
          const r = await apiRequest('PUT', `rules/${id}`, rule(id, severity, value));
          return r.status === 200 || r.status === 201 ? r : r.status === 503 ? undefined : Promise.reject(new Error(JSON.stringify(r)));
        },
        30_000,
        { message: `PUT rule ${id}` },
      );
      expect([200, 201]).toContain(put.status);
    }
    // The rules must be in force in the pipeline before the breach, or nothing opens.
    await waitFor(async () => {
      const r = await apiRequest('GET', 'rules');
      const ids = ((r.body as { items?: Array<{ id: string }> } | null)?.items ?? []).map((x) => x.id);
      return ids.includes('browser.cpu_critical') && ids.includes('browser.cpu_high');
    }, 30_000, { message: 'rules listed' });
    await new Promise((r) => setTimeout(r, 2000));

    producer = createMetricProducer({ config: harness.env.config });
    await producer.connect();
    let sending = false;
    feeding = setInterval(() => {
      if (sending) return;
      sending = true;
      producer!
        .send([{ source: SOURCE, metric: 'cpu_usage', value: 99 + Math.random() * 0.5, timestamp: Date.now() }])
        .catch(() => undefined)
        .finally(() => (sending = false));
    }, 250);

    page = await harness.newPage();
  }, 180_000);

  afterAll(async () => {
    if (feeding) clearInterval(feeding);
    await producer?.close().catch(() => undefined);
    await harness?.close().catch(() => undefined);
  }, 120_000);

  it('shows one incident for the series with both alerts, the lower one muted', async () => {
    await page.goto(`${harness.api.url}/#incidents`, { waitUntil: 'domcontentloaded' });
    const card = page.locator('#incidents-list article.incident[data-status="firing"]', { hasText: `${SOURCE}/cpu_usage` });
    await waitFor(
      async () => {
        if ((await card.count()) > 0 && /2 open/.test((await card.first().textContent()) ?? '')) return true;
        await page.click('#refresh-now');
        return undefined;
      },
      90_000,
      { intervalMs: 1500, message: 'an incident with two open alerts' },
    );
    expect(await card.count()).toBe(1);
    expect(await card.getAttribute('class')).toContain('sev-critical');
    await card.locator('button[data-action="toggle"]').click();
    const alerts = card.locator('table.incident-alerts tbody tr');
    await alerts.nth(1).waitFor();
    expect(await alerts.count()).toBe(2);
    expect(await card.locator('table.incident-alerts tbody tr[data-inhibited="true"]').textContent()).toContain('browser.cpu_high');
    expect(await card.locator('[data-role="timeline"] li').count()).toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-incidents.png'), fullPage: true });
  }, 150_000);

  it('acknowledges the incident with a comment: its alerts are acknowledged and the timeline says who and why', async () => {
    const card = page.locator('#incidents-list article.incident', { hasText: `${SOURCE}/cpu_usage` });
    const incidentId = await card.getAttribute('data-incident-id');
    expect(incidentId).toMatch(/^[0-9a-f]{32}$/);
    await card.locator('[data-role="comment"]').fill(COMMENT);
    await card.locator('button[data-action="acknowledge"]').click();
    const acked = page.locator(`#incidents-list article.incident[data-incident-id="${incidentId}"][data-status="acknowledged"]`);
    await acked.waitFor({ timeout: 45_000 });
    // Resolve stays possible; acknowledge does not.
    expect(await acked.locator('button[data-action="acknowledge"]').count()).toBe(0);
    expect(await acked.locator('button[data-action="resolve"]').count()).toBe(1);
    const steps = acked.locator(`[data-role="timeline"] li[data-actor="${OPERATOR}"]`);
    await steps.nth(1).waitFor({ timeout: 20_000 });
    // The comment is text, never markup.
    expect(await steps.first().locator('[data-role="step-comment"]').textContent()).toBe(COMMENT);
    expect(await acked.locator('[data-role="timeline"] b').count()).toBe(0);
    expect(await acked.locator('[data-role="last-actor"]').textContent()).toContain(OPERATOR);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-incident-acknowledged.png'), fullPage: true });

    // The API agrees: both alerts acknowledged by the operator, with the comment, through their owner.
    const detail = (await apiRequest('GET', `incidents/${incidentId}`)).body as {
      incident: { status: string; alerts: Array<{ alertId: string; status: string }> };
      timeline: Array<{ actor: string; comment: string; alert: { status: string } | null }>;
    };
    expect(detail.incident.status).toBe('acknowledged');
    expect(detail.incident.alerts.map((a) => a.status)).toEqual(['acknowledged', 'acknowledged']);
    const byOperator = detail.timeline.filter((s) => s.actor === OPERATOR);
    expect(byOperator.map((s) => [s.comment, s.alert?.status])).toEqual([
      [COMMENT, 'acknowledged'],
      [COMMENT, 'acknowledged'],
    ]);
    for (const a of detail.incident.alerts) {
      const alert = (await apiRequest('GET', `alerts/${a.alertId}`)).body as { alert: { status: string; actor: string } };
      expect(alert.alert).toMatchObject({ status: 'acknowledged', actor: OPERATOR });
    }
  }, 120_000);

  it('resolves the incident with a comment: its alerts are resolved by their owner and the timeline says who and why', async () => {
    // No more breaching points: a resolved threshold alert would open again on the next one.
    if (feeding) clearInterval(feeding);
    feeding = undefined;
    const card = page.locator('#incidents-list article.incident', { hasText: `${SOURCE}/cpu_usage` });
    const incidentId = await card.getAttribute('data-incident-id');
    await card.locator('[data-role="comment"]').fill(RESOLVE_COMMENT);
    await card.locator('button[data-action="resolve"]').click();
    // Resolved incidents leave the default filter (firing + acknowledged) …
    await page.locator(`#incidents-list article.incident[data-incident-id="${incidentId}"]`).waitFor({ state: 'detached', timeout: 45_000 });
    // … and show under "resolved", with the operator's comment.
    await page.check('#incident-filters input[name="status"][value="resolved"]');
    const resolved = page.locator(`#incidents-list article.incident[data-incident-id="${incidentId}"][data-status="resolved"]`);
    await resolved.waitFor({ timeout: 20_000 });
    expect(await resolved.locator('button[data-action="acknowledge"], button[data-action="resolve"]').count()).toBe(0);
    expect(await resolved.locator('[data-role="last-actor"]').textContent()).toContain(RESOLVE_COMMENT);

    const detail = (await apiRequest('GET', `incidents/${incidentId}`)).body as {
      incident: { status: string; alerts: Array<{ status: string }> };
      timeline: Array<{ actor: string; comment: string; alert: { status: string } | null }>;
    };
    expect(detail.incident.status).toBe('resolved');
    expect(detail.incident.alerts.map((a) => a.status)).toEqual(['resolved', 'resolved']);
    const resolves = detail.timeline.filter((s) => s.actor === OPERATOR && s.alert?.status === 'resolved');
    expect(resolves.map((s) => s.comment)).toEqual([RESOLVE_COMMENT, RESOLVE_COMMENT]);
  }, 120_000);

  it('threw no script errors', () => {
    expect(harness.pageErrors).toEqual([]);
  });
});
