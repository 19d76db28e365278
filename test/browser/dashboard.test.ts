/**
 * The dashboard in a real browser against the real stack: Kafka + ClickHouse (npm run stack:up),
 * the pipeline, the gateway and the API started in-process on free ports with an isolated
 * topic prefix and database. Metric points go in through the producer SDK; the page must show
 * live values moving, a new alert appearing without a reload, and an acknowledge taking effect.
 * Screenshots land in test/artifacts/ (desktop and phone size).
 */
import net from 'node:net';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../../gateway/index.ts';
import { startPipeline } from '../../pipeline/runtime/pipeline.ts';
import { createMetricProducer, type MetricPointInput, type MetricProducer } from '../../pipeline/sdk/producer.ts';
import { ARTIFACTS, startDashboardHarness, type DashboardHarness } from '../support/dashboard-harness.ts';
import { waitFor } from '../support/index.ts';

const GATEWAY_TOKEN = 'browser-test-gateway-token-0123456789';
const HOT_SOURCE = 'web-1';
const HOST_SERIES = `${HOT_SOURCE}/cpu_usage`;
const RULE_ID = 'browser.cpu_hot';
// A source name that is markup: it must reach the page as text, never as an element.
const HOSTILE_SOURCE = '<img src=x onerror="window.__pwned=1">';

let harness: DashboardHarness;
let gateway: RunningGateway | undefined;
let link: Link | undefined;
let producer: MetricProducer | undefined;
let page: Page;
let feeding: ReturnType<typeof setInterval> | undefined;
let cpuLevel = 40; // what web-1/cpu_usage hovers around; the test raises it to breach
/** Failed responses and console errors (script errors: harness.pageErrors). */
const pageErrors: string[] = [];
/** securitypolicyviolation events of every page (reported through an exposed binding, which CSP does not govern). */
const cspViolations: string[] = [];
let documentCsp: string | undefined;

/** Steady, slightly noisy points for a few series, four times a second, until stopped. */
function startFeeding(p: MetricProducer) {
  let i = 0;
  let sending = false;
  feeding = setInterval(() => {
    if (sending) return; // never queue sends behind a slow broker
    sending = true;
    const ts = Date.now();
    i += 1;
    const wobble = Math.sin(i / 3);
    const points: MetricPointInput[] = [
      { source: HOT_SOURCE, metric: 'cpu_usage', value: cpuLevel + wobble * 3 + Math.random(), timestamp: ts },
      { source: HOT_SOURCE, metric: 'response_time', value: 180 + wobble * 20 + Math.random() * 5, timestamp: ts },
      { source: 'api-1', metric: 'throughput', value: 500 + wobble * 30 + Math.random() * 5, timestamp: ts },
      { source: HOSTILE_SOURCE, metric: 'queue_size', value: 10 + wobble, timestamp: ts },
    ];
    p.send(points)
      .catch(() => undefined) // a failed send shows up as values not moving
      .finally(() => (sending = false));
  }, 250);
}

/**
 * A TCP relay between the browser and the gateway, so the test can drop the network path
 * (fault injection) without touching either end. While cut, connections are refused.
 */
interface Link {
  port: number;
  cut(down: boolean): void;
  /** New connections go to this port from now on (e.g. a restarted gateway). */
  retarget(port: number): void;
  close(): Promise<void>;
}
async function startLink(initialTarget: number): Promise<Link> {
  let targetPort = initialTarget;
  const open = new Set<net.Socket>();
  let down = false;
  const server = net.createServer((client) => {
    if (down) return client.destroy();
    const upstream = net.connect(targetPort, '127.0.0.1');
    open.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut(value) {
      down = value;
      if (value) for (const s of open) s.destroy();
    },
    retarget(port) {
      targetPort = port;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Records CSP violations of this page and its reloads (the init script runs before any page script). */
async function watchCsp(p: Page): Promise<void> {
  await p.exposeBinding('__vigilCspViolation', (_source, v: string) => void cspViolations.push(v));
  await p.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __vigilCspViolation(v: string): void }).__vigilCspViolation(`${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  p.on('response', (res) => {
    if (res.request().resourceType() === 'document') documentCsp = res.headers()['content-security-policy'];
  });
}

const apiRequest = (method: string, route: string, body?: unknown) => harness.apiRequest(method, route, body);

/** The alert the acknowledge test resolves; later tests look for it after a reload. */
let resolvedAlertId: string | null = null;

describe('dashboard in a browser against the real stack', () => {
  beforeAll(async () => {
    harness = await startDashboardHarness('dashboard', {
      partitions: 4,
      roles: ['read', 'operate', 'ingest'],
      keyName: 'browser-test',
      presetKey: false, // the first test enters it in the key prompt
      overrides: {
        pipeline: { workerThreads: 1, windowSize: 200 },
        api: { commandWaitMs: 8000 },
        gateway: { port: 0, tokens: [GATEWAY_TOKEN] },
      },
      async beforeApi(env, onClose) {
        const pipeline = await startPipeline(env.config, env.logger, { snapshotIntervalMs: 5000 });
        onClose(() => pipeline.stop());
        gateway = await startGateway(env.config, env.logger);
        onClose(async () => gateway?.close());
        // The page reaches the gateway through a relay the test can cut; the API tells the page
        // that address (in production it is the gateway's own host:port).
        const relay = await startLink(gateway.port);
        link = relay;
        onClose(() => relay.close());
        return { ...env.config, gateway: { ...env.config.gateway, port: relay.port } };
      },
    });

    // An operator's rule: web-1 CPU above 95 % is critical at once (the default waits 5 min).
    const put = await waitFor(
      async () => {
        const r = await apiRequest('PUT', `rules/${RULE_ID}`, {
          kind: 'threshold',
          metric: 'cpu_usage',
          source: HOT_SOURCE,
          direction: 'above',
          levels: [{ severity: 'critical', value: 95 }],
          forMs: 0,
          hysteresis: 2,
          enabled: true,
          description: 'browser test: hot CPU',
        });
        return r.status === 200 || r.status === 201 ? r : r.status === 503 ? undefined : Promise.reject(new Error(JSON.stringify(r)));
      },
      30_000,
      { message: 'PUT rule accepted' },
    );
    expect([200, 201]).toContain(put.status);

    producer = createMetricProducer({ config: harness.env.config });
    await producer.connect();
    startFeeding(producer);

    page = await harness.newPage();
    await watchCsp(page);
    page.on('response', (res) => {
      if (res.status() >= 400 && res.status() !== 401) pageErrors.push(`HTTP ${res.status()} ${res.url()}`);
    });
    // Refused WebSocket connections during the deliberate network cut are expected noise.
    page.on('console', (msg) => {
      // Failed responses are reported above with their URL; the console line says less.
      if (msg.type() === 'error' && !/Failed to load resource|WebSocket connection to/.test(msg.text())) pageErrors.push(msg.text());
    });
  }, 180_000);

  afterAll(async () => {
    if (feeding) clearInterval(feeding);
    await producer?.close().catch(() => undefined);
    await harness?.close().catch(() => undefined);
  }, 120_000);

  it('asks for the API key (and gateway token) on 401, keeps them, and loads with them', async () => {
    await page.goto(harness.api.url, { waitUntil: 'domcontentloaded' });
    const dialog = page.locator('#key-dialog');
    await dialog.waitFor({ state: 'visible' });
    await expect(page.locator('#key-dialog-reason').textContent()).resolves.toMatch(/key/i);
    // Without a token the gateway refuses the page: live stays down until one is given.
    expect(await page.locator('#connection').getAttribute('data-status')).not.toBe('connected');
    await page.locator('#gateway-token-field').waitFor({ state: 'visible' });
    await page.fill('#api-key-input', harness.apiKey);
    await page.fill('#gateway-token-input', GATEWAY_TOKEN);
    await page.click('#key-save');
    await dialog.waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => [localStorage.getItem('vigil.apiKey'), localStorage.getItem('vigil.gatewayToken')])).toEqual([harness.apiKey, GATEWAY_TOKEN]);
    // Health cards come from /health: Kafka and ClickHouse are up.
    await page.locator('#health [data-check="kafka"].check-ok').waitFor();
    await page.locator('#health [data-check="clickhouse"].check-ok').waitFor();
    await page.locator('#stats .stat').nth(1).waitFor(); // dashboard-stats loaded with the key
  }, 60_000);

  it('connects to the gateway and shows live values that move', async () => {
    await page.locator('#connection[data-status="connected"]').waitFor({ timeout: 30_000 });
    const value = page.locator(`.chart-card[data-series="${HOT_SOURCE}/cpu_usage"] [data-role="live-value"]`);
    await value.waitFor({ timeout: 60_000 });
    const first = await waitFor(async () => {
      const t = await value.textContent();
      return t && t !== '—' ? t : undefined;
    }, 60_000, { message: 'a first live value' });
    const changed = await waitFor(async () => {
      const t = await value.textContent();
      return t && t !== first ? t : undefined;
    }, 20_000, { message: 'the live value to change' });
    // The live value carries the metric's unit from client-config (cpu_usage is in %): `41.3 %`.
    expect(changed).toMatch(/^\d+(\.\d+)? %$/);
    expect(Number.parseFloat(changed)).toBeGreaterThan(30);
    expect(Number.parseFloat(changed)).toBeLessThan(50);
    expect(await page.locator(`.chart-card[data-series="${HOT_SOURCE}/cpu_usage"] .chart-meta`).textContent()).toMatch(/^mean \d+(\.\d+)? % · z /);
    const liveCount = await page.evaluate(() => (window as unknown as { vigil: { state: { received: { live: number } } } }).vigil.state.received.live);
    expect(liveCount).toBeGreaterThan(2);
    // The chart has drawn something: uPlot renders into a canvas of real size.
    const canvas = page.locator(`.chart-card[data-series="${HOT_SOURCE}/cpu_usage"] canvas`);
    expect((await canvas.boundingBox())?.width ?? 0).toBeGreaterThan(100);
    // The hostile series shows up in the series table as literal text, and nothing ran.
    await page.click('#series-picker summary');
    await page.locator('#series-table tbody td.series', { hasText: `${HOSTILE_SOURCE}/queue_size` }).waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => ({ pwned: (window as unknown as { __pwned?: number }).__pwned, imgs: document.querySelectorAll('img').length }))).toEqual({
      pwned: undefined,
      imgs: 0,
    });
    // Value and mean columns carry the unit; a metric without one (queue_size) shows the number.
    const cells = (id: string) =>
      page.$$eval(
        '#series-table tbody tr',
        (rows, want) => Array.from(rows.find((r) => (r as HTMLElement).dataset.series === want)?.querySelectorAll('td.num') ?? []).slice(0, 2).map((td) => td.textContent ?? ''),
        id,
      );
    const hotCells = await waitFor(async () => {
      const c = await cells(`${HOT_SOURCE}/cpu_usage`);
      return c.length === 2 && c.every((t) => t !== '—') ? c : undefined;
    }, 30_000, { message: 'the series table row of the hot series' });
    for (const t of hotCells) expect(t).toMatch(/^\d+(\.\d+)? %$/);
    const plain = await cells(`${HOSTILE_SOURCE}/queue_size`);
    expect(plain).toHaveLength(2);
    for (const t of plain) expect(t).toMatch(/^[-\d.kMGe]+$/);
    await page.click('#series-picker summary');
    await page.waitForTimeout(3000); // a few more seconds of line for the screenshot
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });
  }, 120_000);

  it('shows a new alert without reloading, and acknowledges it', async () => {
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
    await page.click('#tab-btn-alerts');
    await page.locator('#tab-alerts').waitFor({ state: 'visible' });
    const before = await page.locator('#alerts-table tbody tr').count();
    expect(before).toBe(0);

    // Let the detector build a baseline first (it reports nothing before 30 points), so the
    // jump is also an anomaly for the next test.
    await waitFor(
      async () => {
        const r = await apiRequest('GET', `live-metrics?source=${HOT_SOURCE}&metric=cpu_usage`);
        const items = (r.body as { items?: Array<{ points: number }> } | null)?.items ?? [];
        return items[0] && items[0].points >= 45 ? true : undefined;
      },
      60_000,
      { message: 'a 45-point baseline for web-1/cpu_usage' },
    );
    cpuLevel = 99; // breach: every web-1/cpu_usage point is now above 95
    const row = page.locator(`#alerts-table tbody tr[data-status="firing"]`, { hasText: `${HOT_SOURCE}/cpu_usage` }).first();
    await row.waitFor({ timeout: 60_000 });
    expect(await row.getAttribute('class')).toContain('sev-critical');
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    const alertId = await row.getAttribute('data-alert-id');
    resolvedAlertId = alertId;
    expect(alertId).toMatch(/^[A-Za-z0-9_.:-]+$/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-alerts.png'), fullPage: true });

    await row.locator('button[data-action="acknowledge"]').click();
    const acked = page.locator(`#alerts-table tbody tr[data-alert-id="${alertId}"][data-status="acknowledged"]`);
    await acked.waitFor({ timeout: 30_000 });
    expect(await acked.locator('[data-role="status"]').textContent()).toBe('acknowledged');
    // Acknowledged alerts offer resolve only.
    expect(await acked.locator('button[data-action="acknowledge"]').count()).toBe(0);
    expect(await acked.locator('button[data-action="resolve"]').count()).toBe(1);
    // The API agrees, and records who did it.
    const detail = (await apiRequest('GET', `alerts/${alertId}`)).body as { alert: { status: string; actor: string } };
    expect(detail.alert.status).toBe('acknowledged');
    expect(detail.alert.actor).toBe('browser-test');
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);

    // Resolve: the row leaves the default filter (firing + acknowledged) and shows under resolved.
    await acked.locator('button[data-action="resolve"]').click();
    await page.locator(`#alerts-table tbody tr[data-alert-id="${alertId}"]`).waitFor({ state: 'detached', timeout: 30_000 });
    await page.check('#alert-filters input[name="status"][value="resolved"]');
    await page.locator(`#alerts-table tbody tr[data-alert-id="${alertId}"][data-status="resolved"]`).waitFor({ timeout: 20_000 });
    await page.uncheck('#alert-filters input[name="status"][value="resolved"]');
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
  }, 120_000);

  it('lists the anomaly the CPU jump caused and the SLA status per objective', async () => {
    await page.click('#tab-btn-anomalies');
    // Show every confidence: this test is about the page, not the detector's calibration.
    await page.locator('#anomaly-filters input[name="minConfidence"]').fill('0');
    expect(await page.locator('#min-confidence-out').textContent()).toBe('0.00');
    const anomaly = page.locator('#anomalies-table tbody tr', { hasText: `${HOST_SERIES}` }).first();
    await anomaly.waitFor({ timeout: 60_000 });
    expect(await anomaly.locator('td[data-label="Type"]').textContent()).toMatch(/outlier|spike|drop|trend change|pattern change/);
    expect(await anomaly.locator('td[data-label="Confidence"] .text').textContent()).toMatch(/^(0|1)\.\d\d$/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-anomalies.png'), fullPage: true });

    await page.click('#tab-btn-sla');
    const sla = page.locator('#sla-table tbody tr').first();
    await sla.waitFor({ timeout: 60_000 });
    expect(await sla.locator('td[data-label="Compliance"] .text').textContent()).toMatch(/^\d{1,3}\.\d\d %$/);
    expect(await sla.locator('td[data-label="Error budget"] .text').textContent()).toMatch(/%\)?$/); // `41.2 %` or `exhausted (−12 %)`
    expect(await sla.locator('td[data-label="Burn fast"]').textContent()).toMatch(/×$/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-sla.png'), fullPage: true });
    await page.click('#tab-btn-overview');
  }, 120_000);

  it('opens the charts with recent history after a reload, before any live event', async () => {
    expect(resolvedAlertId).toBeTruthy();
    type Received = { live: number };
    const received = () => page.evaluate(() => (window as unknown as { vigil: { state: { received: Received } } }).vigil.state.received.live);
    // What the API holds for the series right now: the reloaded chart must show at least this.
    const stored = (await apiRequest('GET', `series/points?source=${HOT_SOURCE}&metric=cpu_usage&step=1&limit=300`)).body as { points: unknown[] };
    expect(stored.points.length).toBeGreaterThanOrEqual(10);
    // With the gateway path cut no live event can reach the page: whatever is drawn came from the API.
    link!.cut(true);
    try {
      await page.reload({ waitUntil: 'domcontentloaded' });
      const card = page.locator(`.chart-card[data-series="${HOST_SERIES}"]`);
      const drawn = await waitFor(
        async () => {
          const n = Number((await card.getAttribute('data-points', { timeout: 1000 }).catch(() => null)) ?? 0);
          return n >= stored.points.length ? n : undefined;
        },
        20_000,
        { message: `at least ${stored.points.length} history points in the ${HOST_SERIES} chart` },
      );
      expect(drawn).toBeLessThanOrEqual(300);
      // The overview's recent alerts come from the API too, resolved ones included.
      await page.locator(`#recent-alerts li[data-alert-id="${resolvedAlertId}"]`).waitFor({ timeout: 20_000 });
      expect(await received()).toBe(0);
      expect(await page.locator('#connection').getAttribute('data-status')).not.toBe('connected');
    } finally {
      // Live points append to the history once the gateway is back (and the next tests need them).
      link!.cut(false);
      await page.locator('#connection[data-status="connected"]').waitFor({ timeout: 45_000 });
      await waitFor(async () => ((await received()) > 0 ? true : undefined), 20_000, { message: 'live events after the reload' });
    }
  }, 90_000);

  it('reconnects after the connection drops and resumes from the last event it saw', async () => {
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    type LiveView = { lastEventId: string | null; gatewayId: string | null; live: number; gaps: number };
    const live = (): Promise<LiveView> =>
      page.evaluate(() => {
        const v = (window as unknown as { vigil: { live: { lastEventId: string | null; gatewayId: string | null }; state: { received: { live: number; gaps: number } } } }).vigil;
        return { lastEventId: v.live.lastEventId, gatewayId: v.live.gatewayId, live: v.state.received.live, gaps: v.state.received.gaps };
      });
    const before = await live();
    expect(before.gatewayId).toBe(gateway!.gatewayId);
    expect(before.lastEventId).toMatch(new RegExp(`^${gateway!.gatewayId}\\.\\d+$`));

    // Cut the network path and keep it down for a few seconds: events keep flowing into the
    // gateway meanwhile, and the page has to notice and retry.
    link!.cut(true);
    await page.locator('#connection:not([data-status="connected"])').waitFor({ timeout: 15_000 });
    await page.waitForTimeout(3000);
    const missedFrom = (await live()).lastEventId;
    link!.cut(false);
    await page.locator('#connection[data-status="connected"]').waitFor({ timeout: 45_000 });

    // The reconnect asked to resume exactly where the page stopped, on the same gateway, and the
    // gateway could replay it (no gap, so no REST refetch was needed).
    const resumedFrom = sockets.map((u) => new URL(u).searchParams.get('lastEventId')).filter(Boolean);
    expect(resumedFrom).toContain(missedFrom);
    await waitFor(async () => {
      const now = await live();
      return now.live > before.live + 6 ? now : undefined;
    }, 30_000, { message: 'live events after the reconnect' });
    const after = await live();
    expect(after.gaps).toBe(before.gaps);
    expect(after.gatewayId).toBe(before.gatewayId);
    // Sequence ids are contiguous per gateway: the position moved past the cut.
    const seq = (id: string | null) => Number(String(id).split('.')[1]);
    expect(seq(after.lastEventId)).toBeGreaterThan(seq(missedFrom));
  }, 120_000);

  it('after a gateway restart notices the gap, reloads from the API and carries on', async () => {
    const view = () =>
      page.evaluate(() => {
        const v = (window as unknown as { vigil: { live: { gatewayId: string | null }; state: { received: { live: number; gaps: number } } } }).vigil;
        return { gatewayId: v.live.gatewayId, live: v.state.received.live, gaps: v.state.received.gaps };
      });
    const before = await view();
    const restRequests: string[] = [];
    const onRequest = (req: { url(): string }) => {
      if (/\/api\/v1\/(alerts|anomalies|health|dashboard-stats)/.test(req.url())) restRequests.push(req.url());
    };
    // Auto-refresh off, so any REST reload seen below comes from the gap handling.
    await page.uncheck('#auto-refresh');
    page.on('request', onRequest);
    try {
      // A new gateway process (new id, empty replay buffer) behind the same address.
      const old = gateway!;
      gateway = await startGateway(harness.env.config, harness.env.logger);
      link!.retarget(gateway.port);
      await old.close();
      link!.cut(true);
      link!.cut(false);
      await waitFor(async () => ((await view()).gatewayId === gateway!.gatewayId ? true : undefined), 45_000, { message: 'the page on the new gateway' });
      await page.locator('#connection[data-status="connected"]').waitFor({ timeout: 10_000 });
      const after = await view();
      // Its old position means nothing to the new process: one gap, answered by a REST reload.
      expect(after.gaps).toBe(before.gaps + 1);
      await waitFor(() => (restRequests.length > 0 ? true : undefined), 10_000, { message: 'a REST reload after the gap' });
      await waitFor(async () => ((await view()).live > after.live + 4 ? true : undefined), 30_000, { message: 'live events from the new gateway' });
    } finally {
      page.off('request', onRequest);
      await page.check('#auto-refresh');
    }
  }, 120_000);

  it('fits a phone screen', async () => {
    const phone = await harness.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await watchCsp(phone);
    try {
      await phone.addInitScript(
        ([key, token]) => {
          localStorage.setItem('vigil.apiKey', key);
          localStorage.setItem('vigil.gatewayToken', token);
        },
        [harness.apiKey, GATEWAY_TOKEN],
      );
      await phone.goto(`${harness.api.url}/#overview`, { waitUntil: 'domcontentloaded' });
      await phone.locator('#connection[data-status="connected"]').waitFor({ timeout: 30_000 });
      await phone.locator('.chart-card [data-role="live-value"]').first().waitFor({ timeout: 30_000 });
      await phone.waitForTimeout(2500);
      // Nothing may force sideways scrolling of the page itself.
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await phone.screenshot({ path: path.join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
      await phone.click('#tab-btn-alerts');
      await phone.locator('#alerts-table tbody tr').first().waitFor({ timeout: 20_000 });
      const alertsOverflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(alertsOverflow).toBeLessThanOrEqual(0);
      await phone.screenshot({ path: path.join(ARTIFACTS, 'dashboard-phone-alerts.png'), fullPage: true });
      for (const tab of ['anomalies', 'sla']) {
        await phone.click(`#tab-btn-${tab}`);
        await phone.locator(`#${tab}-table tbody tr`).first().waitFor({ timeout: 20_000 });
        expect(await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
        await phone.screenshot({ path: path.join(ARTIFACTS, `dashboard-phone-${tab}.png`), fullPage: true });
      }
    } finally {
      await phone.close();
    }
  }, 90_000);

  it('rendered every value as text and threw no script errors', () => {
    expect(harness.pageErrors).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('ran the whole time under a strict Content-Security-Policy without one violation', () => {
    // The page is served with the policy; it connects to the gateway (through the relay the API
    // names) and to nothing else, runs no inline script, and cannot be framed.
    expect(documentCsp).toBeDefined();
    expect(documentCsp).toContain("script-src 'self'");
    expect(documentCsp).toContain("frame-ancestors 'none'");
    expect(documentCsp).toContain(`connect-src 'self' ws://127.0.0.1:${link!.port}`);
    expect(documentCsp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(cspViolations).toEqual([]);
  });

  it('would report a violation: an inline script is refused and seen', async () => {
    // The watcher works: without this the check above could pass by hearing nothing.
    const before = cspViolations.length;
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.body.append(s);
    });
    await waitFor(() => cspViolations.length > before, 5000, { message: 'a securitypolicyviolation event' });
    expect(await page.evaluate(() => (window as unknown as { __inlineRan?: boolean }).__inlineRan)).toBeUndefined();
    expect(cspViolations.slice(before).join(' ')).toMatch(/script-src/);
    cspViolations.splice(before);
  });
});
